// Key eviction under maxmemory through a real server process and ioredis: LRU keeps the keys
// read lately, volatile-ttl gives up the keys closest to expiring and never a key without a
// TTL, noeviction and a volatile policy with nothing volatile refuse writes with OOM (reads and
// DEL still work), evictions publish `evicted` events, and they are logged as DELs: a restart
// after SIGKILL has exactly the keys that were left.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDepot, type ServerProcess } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';

const opened: Redis[] = [];
const servers: ServerProcess[] = [];

function connect(server: ServerProcess): Redis {
  const r = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  opened.push(r);
  return r;
}

async function start(args: string[]): Promise<{ server: ServerProcess; r: Redis }> {
  const server = await startDepot(args);
  servers.push(server);
  return { server, r: connect(server) };
}

after(async () => {
  for (const r of opened) r.disconnect();
  for (const s of servers) await s.stop();
});

async function info(r: Redis, field: string): Promise<number> {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(await r.info());
  assert.ok(m !== null, `INFO has no ${field}`);
  return Number(m[1]);
}

/**
 * After writes: a command evicts before it runs, so the last one may leave the data set just
 * over maxmemory, and the server's timer (every 100 ms) evicts once more. Waits for that.
 */
async function settled(r: Redis): Promise<void> {
  const limit = Number((await r.config('GET', 'maxmemory'))[1]);
  await eventually(async () => (await info(r, 'used_memory_dataset')) <= limit, 'the data set to come under maxmemory');
}

/** Writes `count` keys `${prefix}${i}` with 40-byte values, in pipelines. */
async function fill(r: Redis, prefix: string, count: number, ttlSeconds?: (i: number) => number): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const p = r.pipeline();
    for (let j = i; j < Math.min(count, i + 500); j++) {
      if (ttlSeconds === undefined) p.set(`${prefix}${j}`, 'v'.repeat(40));
      else p.set(`${prefix}${j}`, 'v'.repeat(40), 'EX', ttlSeconds(j));
    }
    const results = await p.exec();
    for (const [err] of results ?? []) assert.equal(err, null);
  }
}

describe('maxmemory and eviction', () => {
  test('allkeys-lru keeps the keys read or written lately and holds the data set under maxmemory', async () => {
    const limit = 1_000_000;
    const { r } = await start(['--maxmemory', String(limit), '--maxmemory-policy', 'allkeys-lru']);
    assert.deepEqual(await r.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'allkeys-lru']);
    // The most samples: a round that samples no old key (most of them) never happens.
    await r.config('SET', 'maxmemory-samples', '64');
    await fill(r, 'old:', 5_000);
    await fill(r, 'hot:', 100);
    assert.equal(await info(r, 'evicted_keys'), 0);
    // Access times count in seconds, as Redis's LRU clock does, and a pooled candidate keeps the
    // idle time it had when sampled: two seconds apart, every old key scores above every new one.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (let i = 0; i < 100; i++) await r.get(`hot:${i}`);
    await fill(r, 'new:', 1_500);
    await fill(r, 'new2:', 1_500);
    await settled(r);
    const evicted = await info(r, 'evicted_keys');
    assert.ok(evicted > 0, 'nothing was evicted');
    assert.ok((await info(r, 'used_memory_dataset')) <= limit + 1_000, 'the data set stayed over maxmemory');
    const hot = await r.exists(...Array.from({ length: 100 }, (_, i) => `hot:${i}`));
    assert.equal(hot, 100, 'a key read lately was evicted');
    for (const prefix of ['new:', 'new2:']) {
      const written = await r.exists(...Array.from({ length: 1_500 }, (_, i) => `${prefix}${i}`));
      assert.equal(written, 1_500, 'a key written lately was evicted');
    }
    const old = await r.exists(...Array.from({ length: 5_000 }, (_, i) => `old:${i}`));
    assert.equal(old + 3_100, await r.dbsize());
    assert.equal(5_000 - old, evicted, 'keys other than the old ones were evicted');
  });

  test('volatile-ttl evicts the keys closest to expiring, never a key without a TTL, then refuses writes', async () => {
    const { r } = await start(['--maxmemory', '600000', '--maxmemory-policy', 'volatile-ttl']);
    await r.config('SET', 'maxmemory-samples', '64');
    await fill(r, 'keep:', 1_000);
    await fill(r, 'ttl:', 4_000, (i) => 10_000 + i);
    assert.ok((await info(r, 'evicted_keys')) > 0);
    assert.equal(await r.exists(...Array.from({ length: 1_000 }, (_, i) => `keep:${i}`)), 1_000);
    assert.equal(await r.exists('ttl:0'), 0, 'the key with the shortest TTL is still there');
    assert.equal(await r.exists('ttl:3999'), 1, 'the key with the longest TTL was evicted');
    // Below what the keys without a TTL hold: a command evicts up to 1,000 keys and runs, the
    // timer evicts the rest, and then nothing volatile is left to evict.
    await r.config('SET', 'maxmemory', '100000');
    await eventually(async () => (await r.exists(...Array.from({ length: 4_000 }, (_, i) => `ttl:${i}`))) === 0, 'the timer to evict every volatile key');
    await assert.rejects(r.set('one-more', 'x'), /^ReplyError: OOM command not allowed when used memory > 'maxmemory'\.$/);
    assert.equal(await r.get('keep:1'), 'v'.repeat(40));
    assert.equal(await r.exists(...Array.from({ length: 1_000 }, (_, i) => `keep:${i}`)), 1_000);
  });

  test('noeviction refuses what may grow memory, and takes writes again once DEL made room', async () => {
    const { r } = await start(['--maxmemory', '200000']);
    assert.deepEqual(await r.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
    await assert.rejects(fill(r, 'k:', 5_000), /OOM command not allowed/);
    const before = await r.dbsize();
    assert.ok(before > 0 && before < 5_000);
    await assert.rejects(r.lpush('list', 'a'), /^ReplyError: OOM command not allowed when used memory > 'maxmemory'\.$/);
    assert.equal(await r.get('k:0'), 'v'.repeat(40));
    assert.equal(await info(r, 'evicted_keys'), 0);
    const dropped = await r.del(...Array.from({ length: 500 }, (_, i) => `k:${i}`));
    assert.equal(dropped, 500);
    assert.equal(await r.set('after', 'ok'), 'OK');
    assert.equal(await r.dbsize(), before - 500 + 1);
  });

  test('bad values are refused with Redis\'s errors; the eviction parameters read back', async () => {
    const { r } = await start([]);
    await assert.rejects(r.config('SET', 'maxmemory-policy', 'bogus'), /must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction/);
    await assert.rejects(r.config('SET', 'maxmemory-samples', '0'), /argument must be between 1 and 2147483647 inclusive/);
    await assert.rejects(r.config('SET', 'lfu-log-factor', '-1'), /argument must be between 0 and 2147483647 inclusive/);
    assert.equal(await r.config('SET', 'maxmemory-policy', 'ALLKEYS-RANDOM'), 'OK');
    assert.equal(await r.config('SET', 'maxmemory-samples', '10'), 'OK');
    assert.deepEqual(await r.config('GET', 'maxmemory-policy', 'maxmemory-samples'), ['maxmemory-policy', 'allkeys-random', 'maxmemory-samples', '10']);
    assert.deepEqual(await r.config('GET', 'lfu-*'), ['lfu-log-factor', '10', 'lfu-decay-time', '1']);
    assert.match(await r.info('memory'), /^maxmemory_policy:allkeys-random\r$/m);
  });

  test('LFU: OBJECT FREQ counts accesses as Redis does, and allkeys-lfu keeps the keys read often', async () => {
    const { r } = await start(['--maxmemory', '1000000', '--maxmemory-policy', 'allkeys-lfu']);
    // A log factor of 0 makes every access count, and no decay keeps the test from depending on
    // when a minute ends: the counters are then exact.
    await r.config('SET', 'lfu-log-factor', '0');
    await r.config('SET', 'lfu-decay-time', '0');
    await r.config('SET', 'maxmemory-samples', '64');
    // The figures redis-server 7 gives for the same commands.
    await r.set('k', 'v');
    assert.equal(await r.object('FREQ', 'k'), 5);
    await r.get('k');
    assert.equal(await r.object('FREQ', 'k'), 6);
    await r.set('k', 'v2');
    assert.equal(await r.object('FREQ', 'k'), 7);
    await r.rpush('l', 'a');
    await r.rpush('l', 'b');
    assert.equal(await r.object('FREQ', 'l'), 6);
    await assert.rejects(r.object('IDLETIME', 'k'), /^ReplyError: ERR An LFU maxmemory policy is selected, idle time not tracked\./);
    assert.equal(await r.object('FREQ', 'missing'), null);
    await fill(r, 'cold:', 4_000);
    await fill(r, 'hot:', 100);
    for (let n = 0; n < 3; n++) {
      const p = r.pipeline();
      for (let i = 0; i < 100; i++) p.get(`hot:${i}`);
      await p.exec();
    }
    assert.equal(await r.object('FREQ', 'hot:7'), 8);
    await fill(r, 'cold2:', 4_000);
    await settled(r);
    const evicted = await info(r, 'evicted_keys');
    assert.ok(evicted > 1_000, `only ${evicted} keys evicted`);
    assert.equal(await r.exists(...Array.from({ length: 100 }, (_, i) => `hot:${i}`)), 100, 'a key read often was evicted');
    assert.equal(await r.exists('k', 'l'), 2);
    // Back to LRU: idle times again, no counts.
    await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await assert.rejects(r.object('FREQ', 'k'), /^ReplyError: ERR An LFU maxmemory policy is not selected, access frequency not tracked\./);
    assert.equal(typeof (await r.object('IDLETIME', 'k')), 'number');
  });

  test('a transaction runs whole: room is made as commands are queued, none evicted inside EXEC', async () => {
    const { r } = await start(['--maxmemory', '20000', '--maxmemory-policy', 'allkeys-random']);
    await fill(r, 'base:', 100);
    const p = r.pipeline();
    p.call('MULTI');
    for (let i = 0; i < 50; i++) p.set(`x:${i}`, 'y'.repeat(100));
    // In the transaction: the next command, a read too, evicts first.
    p.exists(...Array.from({ length: 50 }, (_, i) => `x:${i}`));
    p.call('EXEC');
    const replies = await p.exec();
    assert.deepEqual(replies!.at(-1), [null, [...Array.from({ length: 50 }, () => 'OK'), 50]]);
    await settled(r);
    // Over the limit with noeviction: refused as it is queued, and EXEC aborts.
    await r.config('SET', 'maxmemory-policy', 'noeviction');
    await r.config('SET', 'maxmemory', '1000');
    const q = r.pipeline();
    q.call('MULTI');
    q.set('z', '1');
    q.call('EXEC');
    const aborted = await q.exec();
    assert.match(String(aborted![1]![0]), /OOM command not allowed/);
    assert.match(String(aborted![2]![0]), /EXECABORT Transaction discarded because of previous errors/);
  });

  test('MEMORY USAGE reports what a key counts, long values included, with Redis\'s errors', async () => {
    const { r } = await start([]);
    await r.set('a', '1');
    // 94 for the key's slot, 1 for its name, 16 + 1 for the short string (machine/memory.ts).
    assert.equal(await r.memory('USAGE', 'a'), 112);
    await r.set('b', 'x'.repeat(1_000), 'EX', 100);
    // A long value counts its bytes (it lives in the blob store), a TTL 80.
    assert.equal(await r.memory('USAGE', 'b'), 94 + 1 + 1_000 + 80);
    // Values over hash-max-listpack-value make a table: 461, 140 a field, the long values' bytes.
    await r.hset('h', 'f1', 'y'.repeat(200), 'f2', 'z'.repeat(300), 'f3', 'short');
    assert.equal(await r.call('MEMORY', 'USAGE', 'h', 'SAMPLES', '0'), 94 + 1 + 461 + 3 * 140 + 500);
    // A packed hash counts 61 and its string: a length unit and the bytes of each field and value.
    await r.hset('p', 'f1', 'v', 'f2', 'value');
    assert.equal(await r.memory('USAGE', 'p'), 94 + 1 + 61 + (1 + 2 + 1 + 1) + (1 + 2 + 1 + 5));
    assert.equal(await r.memory('USAGE', 'missing'), null);
    await assert.rejects(r.call('MEMORY', 'USAGE', 'a', 'SAMPLES', '-1'), /^ReplyError: ERR syntax error$/);
    await assert.rejects(r.call('MEMORY', 'USAGE', 'a', 'SAMPLES', 'x'), /^ReplyError: ERR value is not an integer or out of range$/);
    await assert.rejects(r.call('MEMORY', 'USAGE', 'a', 'BOGUS'), /^ReplyError: ERR syntax error$/);
  });

  test('evictions publish evicted events, and a restart after SIGKILL has exactly the keys left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'depot-evict-'));
    try {
      const args = ['--data', dir, '--fsync', 'always', '--maxmemory', '400000', '--maxmemory-policy', 'allkeys-random'];
      const first = await start(args);
      await first.r.config('SET', 'notify-keyspace-events', 'Ee');
      const sub = connect(first.server);
      const events: string[] = [];
      sub.on('message', (_channel: string, key: string) => events.push(key));
      await sub.subscribe('__keyevent@0__:evicted');
      await fill(first.r, 'k:', 6_000);
      await settled(first.r);
      const evicted = await info(first.r, 'evicted_keys');
      assert.ok(evicted > 0);
      await eventually(() => events.length >= evicted, `${evicted} evicted events`);
      assert.equal(events.length, evicted);
      for (const key of events) assert.equal(await first.r.exists(key), 0, `${key} was announced evicted and is there`);
      const left = (await first.r.keys('*')).sort();
      assert.equal(left.length + evicted, 6_000);
      await first.server.kill();
      const second = await start(args);
      assert.deepEqual((await second.r.keys('*')).sort(), left);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
