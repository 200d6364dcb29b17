// CLIENT PAUSE and UNPAUSE, on Depot and on redis-server 7.0.15 alike: under WRITE, reads are
// answered at once and what may write (writes, EVAL, PUBLISH, an EXEC with a write queued) waits,
// in order with the commands after it, until the pause ends or CLIENT UNPAUSE; under ALL, every
// command waits, CLIENT UNPAUSE too; expired keys are not deleted while clients are paused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, show, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';

const servers = depotAndRedis();

/** The reply and how long it took, in ms. */
async function timed(c: RespClient, ...args: string[]): Promise<[string, number]> {
  const t0 = performance.now();
  const r = await c.call(...args);
  return [show(r), performance.now() - t0];
}

async function writePause(port: number): Promise<void> {
  const admin = await RespClient.open(port);
  const c = await RespClient.open(port);
  try {
    await admin.call('FLUSHALL');
    await admin.call('SET', 'k', 'v');
    // Times count from before the PAUSE is sent: the pause ends no sooner than 1000 ms after
    // that, however long the round trips take on a loaded machine.
    const paused = performance.now();
    assert.deepEqual(await admin.call('CLIENT', 'PAUSE', '1000', 'WRITE'), { t: 'simple', v: 'OK' });
    assert.equal(show(await c.call('GET', 'k')), 'bulk:"v"');
    const getAt = performance.now() - paused;
    assert.ok(getAt < 800, `GET came back ${getAt} ms after the PAUSE, as if held to its end, on port ${port}`);
    // A write, then a read on the same connection: both wait, and come back in order.
    c.send('SET', 'k', 'w');
    c.send('GET', 'k');
    assert.equal(show(await c.next()), 'simple:"OK"');
    assert.equal(show(await c.next()), 'bulk:"w"');
    const setAt = performance.now() - paused;
    assert.ok(setAt >= 900, `SET came back ${setAt} ms after the PAUSE on port ${port}`);
    // EVAL and PUBLISH may write: they wait too; CLIENT UNPAUSE lets them go at once.
    await admin.call('CLIENT', 'PAUSE', '5000', 'WRITE');
    const held = Promise.all([timed(c, 'EVAL', 'return 1', '0'), timed(c, 'PUBLISH', 'ch', 'm')]);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await admin.call('CLIENT', 'UNPAUSE'), { t: 'simple', v: 'OK' });
    const [[evalReply, evalMs], [publishReply]] = await held;
    assert.equal(evalReply, 'int:"1"');
    assert.equal(publishReply, 'int:"0"');
    assert.ok(evalMs >= 150 && evalMs < 3000, `EVAL took ${evalMs} ms on port ${port}`);
    // A transaction with a write waits at EXEC (and its write as it is queued).
    const pausedAgain = performance.now();
    await admin.call('CLIENT', 'PAUSE', '300', 'WRITE');
    assert.equal(show(await c.call('MULTI')), 'simple:"OK"');
    assert.equal(show(await c.call('INCR', 'n')), 'simple:"QUEUED"');
    const queuedAt = performance.now() - pausedAgain;
    assert.ok(queuedAt >= 250, `INCR was queued ${queuedAt} ms after the PAUSE on port ${port}`);
    assert.equal(show(await c.call('EXEC')), 'array[int:"1"]');
  } finally {
    await admin.call('CLIENT', 'UNPAUSE');
    admin.close();
    c.close();
  }
}

test('CLIENT PAUSE WRITE holds what may write, in order, until the pause ends or CLIENT UNPAUSE', async () => {
  for (const port of [servers.depot.port, servers.redis.port]) await writePause(port);
});

test('CLIENT PAUSE ALL holds every command, CLIENT UNPAUSE too; expired keys stay until it ends', async () => {
  for (const port of [servers.depot.port, servers.redis.port]) {
    const admin = await RespClient.open(port);
    const other = await RespClient.open(port);
    try {
      await admin.call('FLUSHALL');
      const paused = performance.now();
      await admin.call('CLIENT', 'PAUSE', '400', 'ALL');
      assert.equal(show(await other.call('PING')), 'simple:"PONG"');
      const pongAt = performance.now() - paused;
      assert.ok(pongAt >= 350, `PING came back ${pongAt} ms after the PAUSE on port ${port}`);
      // The pause is over: nothing holds UNPAUSE any more (a round trip, even on a loaded machine).
      const [, unpauseMs] = await timed(other, 'CLIENT', 'UNPAUSE');
      assert.ok(unpauseMs < 1000, `UNPAUSE took ${unpauseMs} ms on port ${port}`);
      // A key that expires while writes are paused is not deleted (DBSIZE counts it), as in Redis.
      // Its 500 ms leave the PAUSE time to come first on a slow machine (else the expiry cycle
      // may delete it before); the pause outlasts the reads below by far.
      await admin.call('SET', 'short', 'x', 'PX', '500');
      await admin.call('CLIENT', 'PAUSE', '5000', 'WRITE');
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(show(await other.call('GET', 'short')), 'nil');
      assert.equal(show(await other.call('DBSIZE')), 'int:"1"', `port ${port}`);
      await admin.call('CLIENT', 'UNPAUSE');
      assert.equal(show(await other.call('GET', 'short')), 'nil');
      assert.equal(show(await other.call('DBSIZE')), 'int:"0"', `port ${port}`);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.close();
      other.close();
    }
  }
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, [
    ['CLIENT', 'PAUSE', 'x'],
    ['CLIENT', 'PAUSE', '-1'],
    ['CLIENT', 'PAUSE', '10', 'foo'],
    ['CLIENT', 'PAUSE', '10', 'write', 'x'],
    ['CLIENT', 'PAUSE'],
    ['CLIENT', 'UNPAUSE', 'x'],
    ['CLIENT', 'UNPAUSE'],
  ]);
  assert.deepEqual(d, r);
});

test('a client held by a pause that closes is dropped: its held write never runs, on both servers', async () => {
  for (const port of [servers.depot.port, servers.redis.port]) {
    const admin = await RespClient.open(port);
    const c = await RespClient.open(port);
    try {
      await admin.call('DEL', 'pause:gone');
      const id = show(await c.call('CLIENT', 'ID')).replace(/\D/g, '');
      await admin.call('CLIENT', 'PAUSE', '5000', 'WRITE');
      c.write('SET pause:gone 1\r\nPING\r\n');
      await new Promise((r) => setTimeout(r, 100));
      c.close();
      // The server must have seen the close before the pause ends, or the held SET runs.
      await eventually(async () => show(await admin.call('CLIENT', 'LIST', 'ID', id)) === 'bulk:""', `the closed client gone on port ${port}`);
      await admin.call('CLIENT', 'UNPAUSE');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await admin.call('EXISTS', 'pause:gone'), { t: 'int', v: '0' }, `port ${port}`);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.close();
    }
  }
});
