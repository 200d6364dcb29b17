// Client-side caching (CLIENT TRACKING) against Debian's redis-server 7.0.15, side by side: the
// same reads and writes on both must send the same invalidations (RESP3 pushes; RESP2 messages
// through a redirect to a __redis__:invalidate subscriber) in the same order, for the default
// mode, NOLOOP, OPTIN, BCAST with prefixes, flushes and expiry; the same errors and TRACKINGINFO.
// Then node-redis's client-side cache serving reads from its cache and dropping what Depot
// invalidates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { RespClient, show, type Reply } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';

let depot: ServerProcess;
let redis: ServerProcess;
type Pair = [RespClient, RespClient];

before(async () => {
  [depot, redis] = await Promise.all([startDepot(), startRedis()]);
});

after(async () => {
  await Promise.all([depot.stop(), redis.stop()]);
});

/** One connection to each server, Depot's first, in RESP3 unless asked otherwise. */
async function pair(resp: 2 | 3 = 3): Promise<Pair> {
  const p = (await Promise.all([RespClient.open(depot.port), RespClient.open(redis.port)])) as Pair;
  if (resp === 3) await Promise.all(p.map((c) => c.call('HELLO', '3')));
  return p;
}

/** Runs a command on both and asserts the same reply (and the same pushes before it). */
async function same(p: Pair, ...args: string[]): Promise<string> {
  const [d, r] = await Promise.all(p.map((c) => c.call(...args)));
  assert.equal(show(d!), show(r!), args.join(' '));
  return show(d!);
}

/** The frames a connection has received up to the reply to a PING, which marks the end. */
async function framesUntilPong(p: Pair): Promise<string[]> {
  const read = async (c: RespClient) => {
    c.send('PING');
    const out: string[] = [];
    for (;;) {
      const r: Reply = await c.next();
      if (r.t === 'simple' && r.v === 'PONG') return out;
      out.push(show(r));
    }
  };
  const [d, r] = await Promise.all(p.map(read));
  assert.deepEqual(d, r);
  return d!;
}

const push = (...keys: string[]) => `push[bulk:"invalidate", array[${keys.map((k) => `bulk:"${k}"`).join(', ')}]]`;

test('default mode: a read key is invalidated once by the next write, from any client, then forgotten', async () => {
  const c = await pair();
  const w = await pair();
  await same(c, 'CLIENT', 'TRACKING', 'ON');
  await same(c, 'GET', 'd:k1');
  await same(c, 'MGET', 'd:k2', 'd:k3');
  await same(c, 'HGET', 'd:h', 'f');
  await same(w, 'SET', 'd:k1', 'x');
  await same(w, 'SET', 'd:k1', 'y');
  await same(w, 'MSET', 'd:k2', 'a', 'd:k3', 'b');
  await same(w, 'HSET', 'd:h', 'f', 'v');
  await same(w, 'SET', 'd:unread', 'v');
  assert.deepEqual(await framesUntilPong(c), [push('d:k1'), push('d:k2'), push('d:k3'), push('d:h')]);
  // Its own write: the push comes after the reply.
  await same(c, 'GET', 'd:k4');
  const [d, r] = await Promise.all(c.map(async (x) => [show(await x.call('SET', 'd:k4', 'v')), show(await x.next())]));
  assert.deepEqual(d, r);
  assert.deepEqual(d, ['simple:"OK"', push('d:k4')]);
  // An expired key is deleted (when read, or by the expiry cycle), and that is a write. Its
  // second leaves the GET time to read (and track) it first on a slow machine.
  await same(w, 'SET', 'd:exp', 'v', 'PX', '1000');
  await same(c, 'GET', 'd:exp');
  await new Promise((res) => setTimeout(res, 1100));
  await same(w, 'GET', 'd:exp');
  // A flush invalidates everything (null), once, even for FLUSHALL's many databases.
  await same(w, 'FLUSHALL');
  assert.deepEqual(await framesUntilPong(c), [push('d:exp'), 'push[bulk:"invalidate", nil]']);
  const info = await Promise.all(c.map((x) => x.call('INFO', 'clients')));
  for (const i of info) assert.match(show(i), /tracking_clients:1/);
  await same(c, 'CLIENT', 'TRACKING', 'OFF');
  await same(c, 'GET', 'd:k5');
  await same(w, 'SET', 'd:k5', 'v');
  assert.deepEqual(await framesUntilPong(c), []);
  for (const x of [...c, ...w]) x.close();
});

test('NOLOOP, OPTIN and OPTOUT, BCAST with prefixes', async () => {
  const n = await pair();
  const o = await pair();
  const out = await pair();
  const b = await pair();
  const w = await pair();
  await same(n, 'CLIENT', 'TRACKING', 'ON', 'NOLOOP');
  await same(n, 'GET', 'n:1');
  await same(n, 'GET', 'n:2');
  await same(n, 'SET', 'n:1', 'own write: not told');
  await same(w, 'SET', 'n:2', 'x');
  assert.deepEqual(await framesUntilPong(n), [push('n:2')]);

  await same(o, 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
  await same(o, 'GET', 'o:1');
  await same(o, 'CLIENT', 'CACHING', 'YES');
  await same(o, 'GET', 'o:2');
  await same(o, 'GET', 'o:3');
  await same(w, 'MSET', 'o:1', 'a', 'o:2', 'b', 'o:3', 'c');
  assert.deepEqual(await framesUntilPong(o), [push('o:2')]);
  await same(o, 'CLIENT', 'TRACKINGINFO');

  await same(out, 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
  await same(out, 'CLIENT', 'CACHING', 'NO');
  await same(out, 'GET', 'u:1');
  await same(out, 'GET', 'u:2');
  await same(w, 'MSET', 'u:1', 'a', 'u:2', 'b');
  assert.deepEqual(await framesUntilPong(out), [push('u:2')]);

  await same(b, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj:');
  await same(w, 'SET', 'user:1', 'x');
  await same(w, 'SET', 'other', 'x');
  await same(w, 'DEL', 'obj:9', 'obj:8');
  await same(w, 'SET', 'obj:9', 'x');
  assert.deepEqual(await framesUntilPong(b), [push('user:1'), push('obj:9')]);
  await same(b, 'CLIENT', 'TRACKINGINFO');
  const stats = await Promise.all(w.map((x) => x.call('INFO', 'stats')));
  for (const s of stats) assert.match(show(s), /tracking_total_prefixes:2/);
  for (const x of [...n, ...o, ...out, ...b, ...w]) x.close();
});

test("a stream's consumer groups and XSETID invalidate nothing; its entries and a created key do, as on redis-server", async () => {
  const c = await pair();
  const w = await pair();
  await same(w, 'XADD', 'x:s', '1-0', 'f', 'v');
  await same(w, 'XADD', 'x:s', '2-0', 'f', 'v');
  await same(w, 'XGROUP', 'CREATE', 'x:s', 'g', '0');
  await same(c, 'CLIENT', 'TRACKING', 'ON');
  await same(c, 'XLEN', 'x:s');
  await same(c, 'XLEN', 'x:new');
  // Redis's signalModifiedKey is not called for these: the key stays cached.
  await same(w, 'XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '1', 'STREAMS', 'x:s', '>');
  await same(w, 'XACK', 'x:s', 'g', '1-0');
  await same(w, 'XCLAIM', 'x:s', 'g', 'c2', '0', '1-0');
  await same(w, 'XAUTOCLAIM', 'x:s', 'g', 'c2', '0', '0');
  await same(w, 'XGROUP', 'CREATECONSUMER', 'x:s', 'g', 'c3');
  await same(w, 'XGROUP', 'DELCONSUMER', 'x:s', 'g', 'c3');
  await same(w, 'XGROUP', 'SETID', 'x:s', 'g', '0');
  await same(w, 'XGROUP', 'CREATE', 'x:s', 'g2', '$');
  await same(w, 'XGROUP', 'DESTROY', 'x:s', 'g2');
  await same(w, 'XSETID', 'x:s', '5-0');
  assert.deepEqual(await framesUntilPong(c), []);
  // An entry added, and a group created with MKSTREAM (which creates the key), are.
  await same(w, 'XADD', 'x:s', '6-0', 'f', 'v');
  await same(w, 'XGROUP', 'CREATE', 'x:new', 'g', '$', 'MKSTREAM');
  assert.deepEqual(await framesUntilPong(c), [push('x:s'), push('x:new')]);
  for (const x of [...c, ...w]) x.close();
});

test('RESP2: invalidations go as __redis__:invalidate messages to the redirect; a vanished redirect is reported', async () => {
  const sub = await pair(2);
  const c = await pair(2);
  const w = await pair(2);
  const ids = (await Promise.all(sub.map((x) => x.call('CLIENT', 'ID')))).map(show).map((s) => s.replace(/\D/g, ''));
  await same(sub, 'SUBSCRIBE', '__redis__:invalidate');
  await Promise.all(c.map((x, i) => x.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', ids[i]!)));
  const redirs = await Promise.all(c.map((x) => x.call('CLIENT', 'GETREDIR')));
  assert.deepEqual(redirs.map(show), ids.map((id) => `int:"${id}"`));
  await same(c, 'GET', 'r:1');
  await same(w, 'SET', 'r:1', 'x');
  const [d, r] = await Promise.all(sub.map((x) => x.next()));
  assert.equal(show(d!), show(r!));
  assert.equal(show(d!), 'array[bulk:"message", bulk:"__redis__:invalidate", array[bulk:"r:1"]]');
  // A RESP2 client tracking without a redirect is told nothing (RESP2 has no pushes).
  const plain = await pair(2);
  await same(plain, 'CLIENT', 'TRACKING', 'ON');
  await same(plain, 'GET', 'r:2');
  await same(w, 'SET', 'r:2', 'x');
  await same(plain, 'PING');
  // The redirect goes away: the next invalidation marks the redirect broken.
  sub.forEach((x) => x.close());
  await same(c, 'GET', 'r:3');
  // Until a server has seen the close, the redirect is still there to take the message.
  await eventually(async () => (await Promise.all(w.map((x, i) => x.call('CLIENT', 'LIST', 'ID', ids[i]!)))).every((r) => show(r) === 'bulk:""'), 'both servers to drop the closed redirect');
  await same(w, 'SET', 'r:3', 'x');
  const infos = await Promise.all(c.map((x) => x.call('CLIENT', 'TRACKINGINFO')));
  assert.deepEqual(infos.map((i) => show(i).replace(/int:"\d+"/, 'ID')), infos.map(() => 'array[bulk:"flags", array[bulk:"on", bulk:"broken_redirect"], bulk:"redirect", ID, bulk:"prefixes", array[]]'));
  for (const x of [...c, ...w, ...plain]) x.close();
});

test('CLIENT TRACKING and CLIENT CACHING refuse what Redis refuses, with its texts', async () => {
  const c = await pair();
  await same(c, 'CLIENT', 'TRACKINGINFO');
  await same(c, 'CLIENT', 'GETREDIR');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '999999');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'x');
  await same(c, 'CLIENT', 'TRACKING', 'MAYBE');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'FOO');
  await same(c, 'CLIENT', 'CACHING', 'YES');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'b', 'NOLOOP');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'bc');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'c');
  await same(c, 'CLIENT', 'TRACKINGINFO');
  await same(c, 'CLIENT', 'GETREDIR');
  await same(c, 'CLIENT', 'TRACKING', 'ON');
  await same(c, 'CLIENT', 'CACHING', 'YES');
  await same(c, 'CLIENT', 'TRACKING', 'OFF');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
  await same(c, 'CLIENT', 'CACHING', 'NO');
  await same(c, 'CLIENT', 'CACHING', 'MAYBE');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
  await same(c, 'CLIENT', 'TRACKING', 'ON', 'BCAST');
  await same(c, 'RESET');
  await same(c, 'CLIENT', 'TRACKINGINFO');
  for (const x of c) x.close();
});

test("node-redis's client-side cache reads from its cache until Depot invalidates the key", async () => {
  const cached = createClient({ RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 }, socket: { port: depot.port, host: '127.0.0.1' } });
  const writer = createClient({ socket: { port: depot.port, host: '127.0.0.1' } });
  await Promise.all([cached.connect(), writer.connect()]);
  try {
    await writer.set('csc:k', 'first');
    assert.equal(await cached.get('csc:k'), 'first');
    assert.equal(await cached.get('csc:k'), 'first');
    const cache = cached.clientSideCache!;
    assert.equal(cache.stats().hitCount, 1, 'the second read came from the cache');
    await writer.set('csc:k', 'second');
    let value: string | null = 'first';
    await eventually(async () => (value = await cached.get('csc:k')) !== 'first', 'the invalidation to drop the cached value');
    assert.equal(value, 'second');
  } finally {
    await Promise.all([cached.disconnect(), writer.disconnect()]);
  }
});
