// @socket.io/redis-adapter, which lets several Socket.IO servers share their clients through
// Redis pub/sub, run unchanged against Depot and against redis-server 7.0 side by side: two
// Socket.IO servers on loopback sharing one server, each with clients (socket.io-client over
// WebSocket). The classic adapter (PSUBSCRIBE for broadcasts, SUBSCRIBE for requests and
// responses, PUBSUB NUMSUB for the server count) with ioredis and with node-redis, and the sharded
// adapter (SSUBSCRIBE per room, SPUBLISH, PUBSUB SHARDNUMSUB) with node-redis. Each scenario's
// outcome must come out the same on both servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Server, type ServerOptions } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { depotAndRedis, onBoth } from '../helpers/cache-servers.js';
import { closedAfterEach, eventually, within } from '../helpers/wait.js';

const servers = depotAndRedis();
const track = closedAfterEach();

/** How a Socket.IO server reaches Redis: an adapter made from its own pair of connections. */
type AdapterMaker = (port: number) => Promise<ServerOptions['adapter']>;

const classicIoredis: AdapterMaker = async (port) => {
  const pub = track(new Redis({ host: '127.0.0.1', port }), (c) => c.quit());
  const sub = track(pub.duplicate(), (c) => c.quit());
  return createAdapter(pub, sub, { requestsTimeout: 3000 });
};

async function nodeRedisPair(port: number, RESP: 2 | 3) {
  const pub = track(createClient({ socket: { host: '127.0.0.1', port }, RESP }), (c) => c.close());
  const sub = track(pub.duplicate(), (c) => c.close());
  await Promise.all([pub.connect(), sub.connect()]);
  return [pub, sub] as const;
}

const classicNodeRedis =
  (RESP: 2 | 3): AdapterMaker =>
  async (port) =>
    createAdapter(...(await nodeRedisPair(port, RESP)), { requestsTimeout: 3000 });
const shardedNodeRedis =
  (RESP: 2 | 3): AdapterMaker =>
  async (port) =>
    createShardedAdapter(...(await nodeRedisPair(port, RESP)));

/** A Socket.IO server on a free loopback port: each client joins the room and takes the name of its query. */
async function socketServer(adapter: ServerOptions['adapter']): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = track(new Server(http, { adapter }), (s) => s.close());
  io.on('connection', (socket) => {
    socket.data = { name: String(socket.handshake.query['name']) };
    void socket.join(String(socket.handshake.query['room']));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** A client of `url` named `name` in `room`, recording each event it receives as `event data`, answering `ask` with its name. */
async function client(url: string, name: string, room: string): Promise<{ socket: ClientSocket; heard: string[] }> {
  const socket = track(connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, query: { name, room } }), (s) => s.disconnect());
  const heard: string[] = [];
  socket.on('ask', (answer: (name: string) => void) => answer(name));
  socket.onAny((event: string, ...args: unknown[]) => heard.push(`${event} ${args.map((a) => (Buffer.isBuffer(a) ? `<${a.toString('hex')}>` : JSON.stringify(a))).join(' ')}`));
  await within(new Promise((r) => socket.once('connect', () => r(undefined))), `${name} connecting`);
  return { socket, heard };
}

/** Sockets as `name:rooms` (their own id's room left out), sorted. */
function listed(sockets: readonly { id: string; rooms: Set<string>; data: { name: string } }[]): string[] {
  return sockets.map((s) => `${s.data.name}:${[...s.rooms].filter((r) => r !== s.id).join(',')}`).sort();
}

/** Two Socket.IO servers sharing the server at `port`, three clients, and what crosses between them. */
async function scenario(port: number, makeAdapter: AdapterMaker, sharded: boolean): Promise<unknown> {
  const a = await socketServer(await makeAdapter(port));
  const b = await socketServer(await makeAdapter(port));
  const a1 = await client(a.url, 'a1', 'red');
  const b1 = await client(b.url, 'b1', 'red');
  const b2 = await client(b.url, 'b2', 'blue');
  // Subscriptions are made in the background: wait until the server reports them all (the
  // sharded adapter has a channel per room, the classic one a pattern per server).
  const probe = track(new Redis({ host: '127.0.0.1', port }), (c) => c.quit());
  const shardSubscribers = async (room: string) => ((await probe.call('PUBSUB', 'SHARDNUMSUB', `socket.io#/#${room}#`)) as [string, number])[1];
  await eventually(async () => (await a.io.of('/').adapter.serverCount()) === 2, 'both Socket.IO servers subscribed');
  if (sharded) await eventually(async () => (await shardSubscribers('red')) === 2 && (await shardSubscribers('blue')) === 1, 'the room subscriptions');
  const patterns = await probe.call('PUBSUB', 'NUMPAT');
  const serverCount = await b.io.of('/').adapter.serverCount();

  a.io.emit('news', 'hello', { n: 1 });
  a.io.to('red').emit('red', Buffer.from([0, 1, 255]));
  a.io.except('red').emit('not red');
  b.io.to(a1.socket.id!).emit('direct', 'to a1 from b');
  // Last from each server, to every client: one server's messages reach the other's clients in
  // the order it published them, so what a client heard before both ends is all it will hear.
  a.io.emit('end', 'a');
  b.io.emit('end', 'b');
  await eventually(() => [a1, b1, b2].every((c) => c.heard.includes('end "a"') && c.heard.includes('end "b"')), 'every client hearing both ends');
  // Local deliveries and those through Redis interleave as they may: compared as sets.
  const heard = [a1, b1, b2].map((c) => [...c.heard].sort());

  const everyone = listed(await a.io.fetchSockets());
  const blue = listed(await a.io.in('blue').fetchSockets());
  a.io.in('blue').socketsJoin('green');
  await eventually(async () => (await b.io.in('green').fetchSockets()).length === 1, 'b2 in green');
  const green = listed(await b.io.in('green').fetchSockets());
  b.io.on('hello', (arg: string, ack: (reply: string) => void) => ack(`b got ${arg}`));
  const acks = (await a.io.serverSideEmitWithAck('hello', 'x')) as unknown;
  // Every client's answer, those of the other server's clients sent back through Redis. The
  // adapter keeps the request for the whole timeout, holding the test process open that long.
  const answers = ((await a.io.timeout(2000).emitWithAck('ask')) as string[]).sort();
  // The rooms of both servers (the classic adapter's request; the sharded one has none), socket ids left out.
  const adapter = a.io.of('/').adapter as { allRooms?: () => Promise<Set<string>> };
  const rooms = sharded ? null : [...(await adapter.allRooms!())].filter((r) => ![a1, b1, b2].some((c) => c.socket.id === r)).sort();
  a.io.in('green').disconnectSockets();
  await eventually(() => b2.socket.disconnected, 'b2 disconnected');
  const left = listed(await b.io.fetchSockets());
  return { serverCount, patterns, heard, everyone, blue, green, acks, answers, rooms, left };
}

/** What each scenario comes to; `patterns` is PUBSUB NUMPAT, unique patterns (the classic adapters share one). */
function expected(sharded: boolean): unknown {
  const end = ['end "a"', 'end "b"', 'news "hello" {"n":1}'];
  return {
    serverCount: 2,
    patterns: sharded ? 0 : 1,
    heard: [['direct "to a1 from b"', ...end, 'red <0001ff>'], [...end, 'red <0001ff>'], [...end, 'not red ']],
    everyone: ['a1:red', 'b1:red', 'b2:blue'],
    blue: ['b2:blue'],
    green: ['b2:blue,green'],
    acks: ['b got x'],
    answers: ['a1', 'b1', 'b2'],
    rooms: sharded ? null : ['blue', 'green', 'red'],
    left: ['a1:red', 'b1:red'],
  };
}

test('classic adapter on ioredis: broadcasts, rooms, binary, a private room across servers, fetchSockets, socketsJoin, serverSideEmit, disconnectSockets', async () => {
  const { depot, redis } = await onBoth(servers, 'sio-io', (port) => scenario(port, classicIoredis, false));
  assert.deepEqual(depot, expected(false));
  assert.deepEqual(depot, redis);
});

for (const RESP of [2, 3] as const) {
  test(`classic adapter on node-redis over RESP${RESP}: the same`, async () => {
    const { depot, redis } = await onBoth(servers, `sio-nr${RESP}`, (port) => scenario(port, classicNodeRedis(RESP), false));
    assert.deepEqual(depot, expected(false));
    assert.deepEqual(depot, redis);
  });

  test(`sharded adapter on node-redis over RESP${RESP}: the same over SSUBSCRIBE, SPUBLISH and SHARDNUMSUB`, async () => {
    const { depot, redis } = await onBoth(servers, `sio-sharded${RESP}`, (port) => scenario(port, shardedNodeRedis(RESP), true));
    assert.deepEqual(depot, expected(true));
    assert.deepEqual(depot, redis);
  });
}
