// client-output-buffer-limit beside redis-server 7.0.15: a client that does not read what it is
// sent is disconnected past its class's hard limit at once, or past its soft limit once that has
// lasted longer than its seconds; a limit of 0 is none. Subscribers are the pubsub class, other
// clients the normal one. Each scenario runs on both servers and whether the slow client is still
// connected at the end is compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RespClient } from '../helpers/cache-resp-client.js';
import { depotAndRedis, onBoth } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

const MB = 1024 * 1024;

/**
 * A raw client named `name` that sends `request` after CLIENT SETNAME, reads until it has
 * `ready` bytes of replies to it, then stops reading. A paused socket sees no FIN: whether the
 * server dropped it is asked of CLIENT LIST (`connected`).
 */
async function slowClient(port: number, name: string, request: string, ready: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const want = ready + 5; // +OK\r\n
  let got = 0;
  await new Promise<void>((resolve) => {
    const onData = (b: Buffer) => {
      got += b.length;
      if (got < want) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
    socket.write(`*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$${name.length}\r\n${name}\r\n${request}`);
  });
  return socket;
}

async function connected(admin: RespClient, name: string): Promise<boolean> {
  const list = await admin.call('CLIENT', 'LIST');
  return list.t === 'bulk' && list.v.includes(` name=${name} `);
}

/** Publishes `count` messages of `size` bytes to `channel`. */
async function publish(c: RespClient, channel: string, count: number, size: number): Promise<void> {
  const payload = 'x'.repeat(size);
  await Promise.all(Array.from({ length: count }, () => c.call('PUBLISH', channel, payload)));
}

/** A subscriber to `ch` that stops reading once subscribed; the limit set first. */
async function subscriberScenario(port: number, limit: string, act: (publisher: RespClient) => Promise<void>): Promise<boolean> {
  const admin = await RespClient.open(port);
  await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', limit);
  // The subscription's confirmation is 31 bytes: "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n".
  const sub = await slowClient(port, 'slowsub', '*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n', 31);
  try {
    await act(admin);
    await sleep(300);
    return await connected(admin, 'slowsub');
  } finally {
    sub.destroy();
    await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0 pubsub 32mb 8mb 60');
    admin.close();
  }
}

test('a subscriber past the pubsub hard limit is disconnected; with no limit it is kept', async () => {
  const outcome = await onBoth(servers, 'pubsub-hard', async (port) => ({
    overHard: await subscriberScenario(port, 'pubsub 1mb 0 0', (p) => publish(p, 'ch', 40, MB / 2)),
    noLimit: await subscriberScenario(port, 'pubsub 0 0 0', (p) => publish(p, 'ch', 40, MB / 2)),
    underHard: await subscriberScenario(port, 'pubsub 64mb 0 0', (p) => publish(p, 'ch', 40, MB / 2)),
  }));
  assert.deepEqual(outcome.depot, outcome.redis);
  assert.deepEqual(outcome.depot, { overHard: false, noLimit: true, underHard: true });
});

test("a subscriber past the soft limit is disconnected once that has lasted longer than the limit's seconds", async () => {
  // 20 MB over a 2 MB soft limit, then, 2.5 seconds later, one more message: the check comes with a write.
  const overSoft = (seconds: string) => (port: number) =>
    subscriberScenario(port, `pubsub 0 2mb ${seconds}`, async (p) => {
      await publish(p, 'ch', 40, MB / 2);
      await sleep(2500);
      await publish(p, 'ch', 1, 10);
    });
  const outcome = await onBoth(servers, 'pubsub-soft', async (port) => ({ oneSecond: await overSoft('1')(port), tenSeconds: await overSoft('10')(port) }));
  assert.deepEqual(outcome.depot, outcome.redis);
  assert.deepEqual(outcome.depot, { oneSecond: false, tenSeconds: true });
});

test('a client that does not read its replies is disconnected past the normal class limit, kept without one', async () => {
  const scenario = async (port: number, limit: string): Promise<boolean> => {
    const admin = await RespClient.open(port);
    await admin.call('SET', 'big', 'x'.repeat(MB));
    await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', limit);
    const get = '*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n';
    const slow = await slowClient(port, 'slownormal', '*1\r\n$4\r\nPING\r\n', 7);
    try {
      slow.write(get.repeat(32));
      await sleep(500);
      return await connected(admin, 'slownormal');
    } finally {
      slow.destroy();
      await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
      admin.close();
    }
  };
  const outcome = await onBoth(servers, 'normal', async (port) => ({ limited: await scenario(port, 'normal 4mb 0 0'), unlimited: await scenario(port, 'normal 0 0 0') }));
  assert.deepEqual(outcome.depot, outcome.redis);
  assert.deepEqual(outcome.depot, { limited: false, unlimited: true });
});
