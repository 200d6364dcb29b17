// DUMP and RESTORE against redis-server 7.0.15: payloads cross both ways for every type and
// encoding (Redis 7's listpacks, intsets and quicklists, long strings, integers, binary bytes),
// payloads as Redis 6 wrote them (ziplists, quicklists of ziplists, the old sorted set with text
// scores), built here byte by byte and restored on both servers; every error and option compared
// line by line (BUSYKEY, TTL, ABSTTL, IDLETIME, FREQ, a bad checksum, a newer version, bad data);
// streams with their groups, consumers and pending entries, both ways; then what RESTORE does
// around the key (expiry, keyspace event, a blocked BLPOP woken, WATCH), OBJECT IDLETIME and
// FREQ after it, malformed payloads refused, and restored keys back after SIGKILL. MIGRATE both
// ways (Depot's to redis-server, redis-server's to Depot), its errors line by line, and what
// Depot does differently: it parks only the migrating client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { keyEvents } from '../helpers/cache-resp-client.js';
import { build, content } from '../helpers/cache-content.js';
import { depotAndRedis, freePort, startDepot, type ServerProcess } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';
import { crc64 } from '../../src/cache/rdb/crc64.js';
import { encodeLength, sealPayload } from '../../src/cache/rdb/payload.js';

const servers = depotAndRedis();

async function withBoth<T>(f: (depot: Redis, redis: Redis) => Promise<T>): Promise<T> {
  const d = new Redis(servers.depot.port);
  const r = new Redis(servers.redis.port);
  try {
    await Promise.all([d.flushall(), r.flushall()]);
    return await f(d, r);
  } finally {
    d.disconnect();
    r.disconnect();
  }
}

test("DUMP payloads cross both ways: Redis's restored by Depot, Depot's by Redis, every type and encoding", async () => {
  await withBoth(async (d, r) => {
    const keys = await build(r);
    for (const key of keys) {
      const payload = (await r.dumpBuffer(key))!;
      assert.equal(await d.restore(key, 0, payload), 'OK', key);
      assert.equal(await content(d, key), await content(r, key), key);
      // The encodings Depot picks for the value are the ones Redis picked.
      assert.equal(await d.object('ENCODING', key), await r.object('ENCODING', key), `${key}'s encoding`);
    }
    await r.flushall();
    for (const key of keys) {
      const payload = (await d.dumpBuffer(key))!;
      assert.equal(await r.restore(key, 0, payload), 'OK', key);
      assert.equal(await content(r, key), await content(d, key), key);
    }
    // And Depot's own payloads, back into Depot under other names.
    for (const key of keys) {
      await d.restore(`${key}:copy`, 0, (await d.dumpBuffer(key))!);
      assert.equal(await content(d, `${key}:copy`), await content(d, key));
    }
    assert.equal(await d.dumpBuffer('missing'), null);
  });
});

// ---------------------------------------------------------------------------------------------
// Payloads in older encodings, built byte by byte as Redis 6 wrote them.

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** A ziplist (ziplist.c) of strings and integers, each integer in the smallest encoding. */
function ziplist(items: ReadonlyArray<string | bigint>): Buffer {
  const entries: Buffer[] = [];
  let prev = 0;
  for (const item of items) {
    const prevlen = prev < 254 ? Buffer.of(prev) : Buffer.concat([Buffer.of(0xfe), u32le(prev)]);
    let enc: Buffer;
    if (typeof item === 'bigint') {
      const n = item;
      if (n >= 0n && n <= 12n) enc = Buffer.of(0xf1 + Number(n));
      else if (n >= -128n && n <= 127n) enc = Buffer.of(0xfe, Number(n) & 0xff);
      else if (n >= -32768n && n <= 32767n) (enc = Buffer.alloc(3)), (enc[0] = 0xc0), enc.writeInt16LE(Number(n), 1);
      else if (n >= -(2n ** 23n) && n < 2n ** 23n) (enc = Buffer.alloc(4)), (enc[0] = 0xf0), enc.writeIntLE(Number(n), 1, 3);
      else if (n >= -(2n ** 31n) && n < 2n ** 31n) (enc = Buffer.alloc(5)), (enc[0] = 0xd0), enc.writeInt32LE(Number(n), 1);
      else (enc = Buffer.alloc(9)), (enc[0] = 0xe0), enc.writeBigInt64LE(n, 1);
    } else {
      const bytes = Buffer.from(item, 'latin1');
      const len = bytes.length;
      const head = len < 64 ? Buffer.of(len) : len < 16384 ? Buffer.of(0x40 | (len >> 8), len & 0xff) : Buffer.concat([Buffer.of(0x80), Buffer.from([len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff])]);
      enc = Buffer.concat([head, bytes]);
    }
    const entry = Buffer.concat([prevlen, enc]);
    entries.push(entry);
    prev = entry.length;
  }
  const body = Buffer.concat(entries);
  const tail = 10 + body.length - (entries.length > 0 ? entries[entries.length - 1]!.length : 0);
  const head = Buffer.alloc(10);
  head.writeUInt32LE(10 + body.length + 1, 0);
  head.writeUInt32LE(tail, 4);
  head.writeUInt16LE(items.length, 8);
  return Buffer.concat([head, body, Buffer.of(0xff)]);
}

function intset(width: 2 | 4 | 8, values: readonly bigint[]): Buffer {
  const out = Buffer.alloc(8 + width * values.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => (width === 8 ? out.writeBigInt64LE(v, 8 + i * 8) : out.writeIntLE(Number(v), 8 + i * width, width)));
  return out;
}

/** An RDB string (length-prefixed, raw). */
function rdbString(bytes: Buffer | string): Buffer {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  return Buffer.concat([encodeLength(b.length), b]);
}

/** A payload as Redis 6.2 sealed it (RDB version 9). */
function v9(body: Buffer): Buffer {
  const out = Buffer.concat([body, Buffer.alloc(10)]);
  out.writeUInt16LE(9, body.length);
  out.writeBigUInt64LE(crc64(out.subarray(0, body.length + 2)), body.length + 2);
  return out;
}

test("a string's DUMP is redis-server's, byte for byte: integer encodings, LZF over 20 bytes when it saves space, raw otherwise", async () => {
  let seed = 11;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
  const text = (length: number, alphabet: number) => Array.from({ length }, () => String.fromCharCode(32 + Math.floor(random() * alphabet))).join('');
  const words = (length: number) => {
    const w = ['user', ':', 'id', '"name":', '{', '}', 'session', '1234', ' '];
    let out = '';
    while (out.length < length) out += w[Math.floor(random() * w.length)];
    return out.slice(0, length);
  };
  const values = [
    ...['0', '-1', '127', '128', '-128', '-129', '32767', '32768', '-32768', '-32769', '2147483647', '2147483648', '-2147483648', '-2147483649'],
    ...['007', '-0', '+5', ' 5', '1e3', '12345678901', '99999999999', '0x10', ''],
    'a'.repeat(20),
    'a'.repeat(21),
    'ab'.repeat(11),
    text(21, 95),
    text(25, 2),
    'x'.repeat(100_000),
    ...Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? words(1 + Math.floor(random() * 3000)) : text(1 + Math.floor(random() * 500), 1 + (i % 40)))),
    // Every byte value, repeated: a latin1 round trip through compression.
    Array.from({ length: 2048 }, (_, i) => String.fromCharCode(i % 256)).join(''),
  ];
  await withBoth(async (d, r) => {
    for (const [i, v] of values.entries()) {
      await Promise.all([d.set('s', v), r.set('s', v)]);
      const [ours, theirs] = await Promise.all([d.dumpBuffer('s'), r.dumpBuffer('s')]);
      assert.deepEqual(ours, theirs, `value ${i} (${v.length} bytes: ${JSON.stringify(v.slice(0, 30))})`);
    }
    // Compression did something: the long repeated value is a few hundred bytes.
    await d.set('s', 'x'.repeat(100_000));
    assert.ok((await d.dumpBuffer('s')).length < 2000);
    assert.equal(await d.restore('back', 0, await d.dumpBuffer('s')), 'OK');
    assert.equal(await d.get('back'), 'x'.repeat(100_000));
  });
});

test("payloads in Redis 6's encodings (ziplists, intsets, quicklists of ziplists, text scores) restore as on redis-server", async () => {
  const long = 'L'.repeat(100);
  const payloads: Record<string, Buffer> = {
    // RDB_TYPE_LIST_QUICKLIST: nodes of ziplists, integers of every width.
    quicklist: v9(Buffer.concat([Buffer.of(14), encodeLength(2), rdbString(ziplist(['a', 5n, -100n, 1000n, -70000n, 8_000_000n, -2_000_000_000n, 2n ** 40n])), rdbString(ziplist([long, 'z'.repeat(20_000), 12n, 0n]))])),
    // RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_ZSET_ZIPLIST (scores as text and as integers), RDB_TYPE_SET_INTSET of each width.
    hash: v9(Buffer.concat([Buffer.of(13), rdbString(ziplist(['f1', 'v1', 'f2', 7n, 'f3', long]))])),
    // In score order: Redis trusts a ziplist's order.
    zset: v9(Buffer.concat([Buffer.of(12), rdbString(ziplist(['d', '-inf', 'a', 1n, 'b', '2.5', 'c', 'inf']))])),
    intset16: v9(Buffer.concat([Buffer.of(11), rdbString(intset(2, [-3n, 1n, 300n]))])),
    intset32: v9(Buffer.concat([Buffer.of(11), rdbString(intset(4, [-70000n, 1n, 70000n]))])),
    intset64: v9(Buffer.concat([Buffer.of(11), rdbString(intset(8, [-(2n ** 40n), 2n ** 40n]))])),
    // RDB_TYPE_LIST_ZIPLIST (before quicklists) and RDB_TYPE_ZSET (scores as text, 253 NaN / 254 inf / 255 -inf).
    ziplistlist: v9(Buffer.concat([Buffer.of(10), rdbString(ziplist(['x', 'y', 3n]))])),
    textscores: v9(Buffer.concat([Buffer.of(3), encodeLength(3), rdbString('a'), Buffer.of(3), Buffer.from('1.5'), rdbString('b'), Buffer.of(254), rdbString('c'), Buffer.of(255)])),
    // A string stored as an integer (RDB_ENC_INT16) and as LZF.
    intstring: v9(Buffer.concat([Buffer.of(0, 0xc1), Buffer.from([0x39, 0x30])])),
  };
  await withBoth(async (d, r) => {
    for (const [key, payload] of Object.entries(payloads)) {
      const [rd, rr] = [await d.restore(key, 0, payload).catch((e: Error) => e.message), await r.restore(key, 0, payload).catch((e: Error) => e.message)];
      assert.equal(rd, rr, key);
      assert.equal(rr, 'OK', `${key}: redis-server restores it`);
      assert.equal(await content(d, key), await content(r, key), key);
    }
  });
});

test('RESTORE and DUMP: errors and options as on redis-server, line by line', async () => {
  await withBoth(async (d, r) => {
    await r.set('src', 'v');
    await r.rpush('srclist', 'a');
    const good = (await r.dumpBuffer('src'))!;
    const list = (await r.dumpBuffer('srclist'))!;
    const resealed = (data: Buffer, version = 10) => {
      const out = Buffer.concat([data, Buffer.alloc(10)]);
      out.writeUInt16LE(version, data.length);
      out.writeBigUInt64LE(crc64(out.subarray(0, data.length + 2)), data.length + 2);
      return out;
    };
    const data = good.subarray(0, good.length - 10);
    const lines: Array<Array<string | Buffer>> = [
      ['SET', 'k', 'old'],
      ['RESTORE', 'k', '0', good],
      ['RESTORE', 'k', '0', good, 'REPLACE'],
      ['GET', 'k'],
      ['RESTORE', 'k', '-1', good, 'REPLACE'],
      ['RESTORE', 'k', 'x', good, 'REPLACE'],
      ['RESTORE', 'k', '0', good, 'REPLACE', 'IDLETIME'],
      ['RESTORE', 'k', '0', good, 'REPLACE', 'IDLETIME', '-1'],
      ['RESTORE', 'k', '0', good, 'REPLACE', 'IDLETIME', 'x'],
      ['RESTORE', 'k', '0', good, 'REPLACE', 'FREQ', '256'],
      ['RESTORE', 'k', '0', good, 'REPLACE', 'FREQ', '1', 'IDLETIME', '1'],
      ['RESTORE', 'k', '0', good, 'REPLACE', 'foo'],
      ['RESTORE', 'k', '0', 'xyz', 'REPLACE'],
      ['RESTORE', 'k', '0', Buffer.concat([good.subarray(0, 2), Buffer.of(good[2]! ^ 1), good.subarray(3)]), 'REPLACE'],
      ['RESTORE', 'k', '0', resealed(data, 11), 'REPLACE'],
      ['RESTORE', 'k', '0', resealed(Buffer.of(0x63)), 'REPLACE'],
      ['RESTORE', 'k', '0', resealed(Buffer.of(2, 0)), 'REPLACE'],
      ['RESTORE', 'k', '0', resealed(Buffer.of(2, 2, 1, 0x61, 1, 0x61)), 'REPLACE'],
      ['RESTORE', 'k', '0', resealed(Buffer.concat([Buffer.of(5, 1, 1, 0x61), Buffer.from(new Float64Array([NaN]).buffer)])), 'REPLACE'],
      ['RESTORE', 'k', '0', resealed(Buffer.of(6)), 'REPLACE'],
      ['GET', 'k'],
      ['RESTORE', 'fresh', '0', list],
      ['LRANGE', 'fresh', '0', '-1'],
      ['RESTORE', 'ttl', '100000', good],
      ['PTTL', 'ttl'],
      ['RESTORE', 'abs', String(Date.now() + 3_600_000), good, 'ABSTTL'],
      ['TTL', 'abs'],
      ['RESTORE', 'abs', '1', good, 'ABSTTL', 'REPLACE'],
      ['EXISTS', 'abs'],
      ['RESTORE', 'gone', '1', good, 'ABSTTL'],
      ['EXISTS', 'gone'],
      ['RESTORE', 'idle', '0', good, 'IDLETIME', '1000'],
      ['OBJECT', 'IDLETIME', 'idle'],
      ['RESTORE', 'idle', '0', good, 'REPLACE', 'IDLETIME', '5', 'REPLACE', 'ABSTTL'],
      ['OBJECT', 'IDLETIME', 'idle'],
      ['DUMP', 'missing'],
      ['DUMP'],
      ['RESTORE', 'k'],
    ];
    let idleGiven = 0;
    for (const line of lines) {
      const [name, ...args] = line as [string, ...Array<string | Buffer>];
      if (name === 'RESTORE' && args.includes('IDLETIME')) idleGiven = Number(args[args.indexOf('IDLETIME') + 1]);
      const run = async (c: Redis) => {
        const reply = await c.callBuffer(name, ...args).catch((e: Error) => `error: ${e.message}`);
        // PTTL and TTL: the servers ran a moment apart.
        if (name === 'PTTL') return Number(reply) > 99_000 && Number(reply) <= 100_000 ? 'about 100000' : String(reply);
        if (name === 'TTL') return Number(reply) > 3590 ? 'about 3600' : String(reply);
        // The idle time RESTORE gave, or a second more if the clock's second moved in between.
        if (name === 'OBJECT' && args[0] === 'IDLETIME') return [0, 1].includes(Number(reply) - idleGiven) ? `about ${idleGiven}` : String(reply);
        return Buffer.isBuffer(reply) ? reply.toString('latin1') : JSON.stringify(reply);
      };
      const label = line.map((a) => (Buffer.isBuffer(a) ? `<${a.length} bytes>` : a)).join(' ');
      assert.equal(await run(d), await run(r), label);
    }
  });
});

test('RESTORE under an LFU policy sets OBJECT FREQ; it fires the restore event, wakes a blocked BLPOP and aborts a WATCH', async () => {
  await withBoth(async (d, r) => {
    await r.rpush('src', 'a', 'b');
    const payload = (await r.dumpBuffer('src'))!;
    for (const c of [d, r]) {
      await c.config('SET', 'maxmemory-policy', 'allkeys-lfu');
      try {
        await c.restore('f', 0, payload, 'FREQ', 100);
        assert.equal(await c.object('FREQ', 'f'), 100);
      } finally {
        await c.config('SET', 'maxmemory-policy', 'noeviction');
      }
    }
    // A client blocked on the key gets the restored list's head.
    const blocked = new Redis(servers.depot.port);
    const watcher = new Redis(servers.depot.port);
    try {
      const pop = blocked.blpop('waiting', 5);
      // Blocked before the key exists: a BLPOP that came after the RESTORE would pop it at once.
      await eventually(async () => (await d.info('clients')).includes('blocked_clients:1'), 'the BLPOP to block');
      await d.restore('waiting', 0, payload);
      assert.deepEqual(await pop, ['waiting', 'a']);
      await watcher.watch('w');
      await d.restore('w', 0, payload);
      assert.equal(await watcher.multi().get('x').exec(), null);
    } finally {
      blocked.disconnect();
      watcher.disconnect();
    }
  });
  const events = async (port: number) =>
    keyEvents(port, async (c) => {
      await c.call('RPUSH', 'src', 'x');
      const dump = await c.call('DUMP', 'src');
      assert.equal(dump.t, 'bulk');
      await c.call('RESTORE', 'dst', '0', dump.v as string);
      await c.call('SET', 'old', 'v');
      await c.call('RESTORE', 'old', '1', dump.v as string, 'ABSTTL', 'REPLACE');
    });
  assert.deepEqual(await events(servers.depot.port), await events(servers.redis.port));
});

test('restored keys come back after SIGKILL (appendfsync always)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-restore-kill-'));
  const args = ['--data', dir, '--fsync', 'always'];
  let server: ServerProcess | undefined;
  const r = new Redis(servers.redis.port);
  try {
    await r.flushall();
    const keys = [...(await build(r)), ...(await buildStreams(r))];
    server = await startDepot(args);
    let d = new Redis(server.port);
    for (const key of keys) await d.restore(key, key === 'str' ? 3_600_000 : 0, (await r.dumpBuffer(key))!);
    d.disconnect();
    await server.kill();
    server = await startDepot(args);
    d = new Redis(server.port);
    try {
      for (const key of keys) {
        const type = await r.type(key);
        if (type === 'stream') assert.equal(await streamState(d, key), await streamState(r, key), key);
        else assert.equal(await content(d, key), await content(r, key), key);
      }
      assert.ok((await d.pttl('str')) > 3_500_000);
    } finally {
      d.disconnect();
    }
  } finally {
    r.disconnect();
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Streams with deleted and trimmed entries, IDs near 2^64, groups, consumers and pending entries. */
async function buildStreams(c: Redis): Promise<string[]> {
  for (let i = 1; i <= 250; i++) await c.xadd('s', `${i}-${i % 3}`, ...(i % 7 === 0 ? ['other', 'x', 'n', String(i)] : ['f', 'v'.repeat(i % 5), 'n', String(i)]));
  await c.xadd('s', '18446744073709551615-5', 'big', 'id');
  await c.xdel('s', '5-2', '100-1', '250-1');
  await c.xgroup('CREATE', 's', 'g1', '0');
  await c.xgroup('CREATE', 's', 'g2', '50-2');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 10, 'STREAMS', 's', '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 5, 'STREAMS', 's', '>');
  await c.xack('s', 'g1', '2-2');
  await c.xgroup('CREATECONSUMER', 's', 'g2', 'idle');
  await c.xadd('deleted', '5-5', 'a', 'b');
  await c.xdel('deleted', '5-5');
  await c.xgroup('CREATE', 'deleted', 'ge', '$');
  await c.xadd('trimmed', '1-1', 'a', 'b');
  await c.xtrim('trimmed', 'MAXLEN', 0);
  return ['s', 'deleted', 'trimmed'];
}

/** What a stream shows: its entries, XINFO STREAM FULL and GROUPS, a group's PEL (times of day normalized). */
async function streamState(c: Redis, key: string): Promise<string> {
  const shown = [await c.xrange(key, '-', '+'), await c.call('XINFO', 'STREAM', key, 'FULL'), await c.call('XINFO', 'GROUPS', key), await c.xpending(key, 'g1', '-', '+', 100).catch(() => null)];
  return JSON.stringify(shown)
    .replace(/"(seen-time|active-time)",\d+/g, '"$1",T')
    .replace(/\["(\d+-\d+)","(\w+)",\d+,(\d+)\]/g, '["$1","$2",T,$3]');
}

test('streams cross both ways with their groups, consumers, pending entries and counters', async () => {
  await withBoth(async (d, r) => {
    const keys = await buildStreams(r);
    for (const key of keys) {
      assert.equal(await d.restore(key, 0, (await r.dumpBuffer(key))!), 'OK', key);
      assert.equal(await streamState(d, key), await streamState(r, key), key);
    }
    await r.flushall();
    for (const key of keys) {
      assert.equal(await r.restore(key, 0, (await d.dumpBuffer(key))!), 'OK', key);
      assert.equal(await streamState(r, key), await streamState(d, key), key);
    }
    // The group still delivers from where it was (the 15th entry, 16-1, went last), on both.
    const next = async (c: Redis) => c.xreadgroup('GROUP', 'g1', 'carol', 'COUNT', 1, 'STREAMS', 's', '>');
    const [fromDepot, fromRedis] = [await next(d), await next(r)];
    assert.deepEqual(fromDepot, fromRedis);
    assert.deepEqual(fromDepot, [['s', [['17-2', ['f', 'vv', 'n', '17']]]]]);
  });
});

test('RESTORE refuses streams and values that are malformed or cut short, and bytes after a value', async () => {
  const d = new Redis(servers.depot.port);
  try {
    await d.flushall();
    await d.xadd('s', '1-1', 'f', 'v');
    const stream = (await d.dumpBuffer('s'))!;
    const data = stream.subarray(0, stream.length - 10);
    for (let cut = 1; cut < data.length; cut++) {
      await assert.rejects(d.restore('s2', 0, sealPayload(data.subarray(0, cut))), /Bad data format/, `cut at ${cut}`);
    }
    // A node whose key is not a 16-byte ID.
    await assert.rejects(d.restore('s2', 0, sealPayload(Buffer.of(19, 1, 1, 0x61))), /Bad data format/);
    // Redis reads a value cut short on into the payload's version and CRC, and ignores bytes
    // after a value; Depot refuses both.
    await assert.rejects(d.restore('s2', 0, sealPayload(Buffer.of(0, 5, 0x61))), /Bad data format/);
    await assert.rejects(d.restore('s2', 0, sealPayload(Buffer.of(0, 1, 0x61, 0))), /Bad data format/);
    assert.equal(await d.exists('s2'), 0);
    // Valid payloads of every type with bytes changed (and sealed again): OK or Bad data format, never anything else.
    await d.flushall();
    const keys = [...(await build(d)), ...(await buildStreams(d))];
    const payloads = await Promise.all(keys.map(async (k) => (await d.dumpBuffer(k))!.subarray(0, -10)));
    await fc.assert(
      fc.asyncProperty(fc.nat(payloads.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), async (which, changes) => {
        const data = Buffer.from(payloads[which]!);
        for (const [at, byte] of changes) data[at % data.length] = byte;
        const reply = await d.restore('fuzzed', 0, sealPayload(data), 'REPLACE').catch((e: Error) => e.message);
        assert.ok(reply === 'OK' || reply === 'ERR Bad data format', String(reply));
      }),
      { numRuns: 300 },
    );
    assert.equal(await d.ping(), 'PONG');
  } finally {
    d.disconnect();
  }
});

// ---------------------------------------------------------------------------------------------
// MIGRATE

test('MIGRATE moves keys from Depot to redis-server and from redis-server to Depot, with COPY, REPLACE, KEYS, AUTH and TTLs', async () => {
  await withBoth(async (d, r) => {
    for (const [from, to, toPort] of [[d, r, servers.redis.port], [r, d, servers.depot.port]] as const) {
      await Promise.all([from.flushall(), to.flushall()]);
      await build(from);
      await from.pexpire('str', 100_000);
      // AUTH to a target with a password (first: redis-server keeps its MIGRATE connections for
      // 10 seconds, and one opened before the password was set stays authenticated).
      await to.config('SET', 'requirepass', 'secret');
      try {
        await assert.rejects(from.migrate('127.0.0.1', toPort, 'int', 2, 5000), /Target instance replied with error: NOAUTH/);
        assert.equal(await from.migrate('127.0.0.1', toPort, 'int', 2, 5000, 'AUTH', 'secret'), 'OK');
        assert.equal(await from.migrate('127.0.0.1', toPort, 'negative', 2, 5000, 'AUTH2', 'default', 'secret'), 'OK');
      } finally {
        await to.call('AUTH', 'secret');
        await to.config('SET', 'requirepass', '');
      }
      const before = await Promise.all(['str', 'list', 'zset', 'hash'].map((k) => content(from, k)));
      assert.equal(await from.migrate('127.0.0.1', toPort, '', 2, 5000, 'KEYS', 'str', 'list', 'zset', 'hash', 'missing'), 'OK');
      assert.equal(await from.exists('str', 'list', 'zset', 'hash'), 0);
      await to.select(2);
      assert.deepEqual(await Promise.all(['str', 'list', 'zset', 'hash'].map((k) => content(to, k))), before);
      assert.ok((await to.pttl('str')) > 90_000);
      // COPY keeps the key; without REPLACE the target refuses a name it has; REPLACE overwrites.
      assert.equal(await from.migrate('127.0.0.1', toPort, 'set', 2, 5000, 'COPY'), 'OK');
      assert.equal(await from.exists('set'), 1);
      await assert.rejects(from.migrate('127.0.0.1', toPort, 'set', 2, 5000), /^ReplyError: ERR Target instance replied with error: BUSYKEY Target key name already exists\.$/);
      assert.equal(await from.exists('set'), 1);
      assert.equal(await from.migrate('127.0.0.1', toPort, 'set', 2, 5000, 'REPLACE'), 'OK');
      assert.equal(await from.exists('set'), 0);
      assert.equal(await from.migrate('127.0.0.1', toPort, 'missing', 2, 5000), 'NOKEY');
      await to.select(2);
      assert.equal(await to.get('int'), '12345');
      await to.select(0);
    }
  });
});

test('MIGRATE: errors as on redis-server, line by line', async () => {
  const refused = await freePort();
  await withBoth(async (d, r) => {
    for (const c of [d, r]) await c.set('k', 'v');
    const lines: string[][] = [
      ['MIGRATE', '127.0.0.1', String(refused), 'k', '0', '500'],
      ['MIGRATE', '127.0.0.1', 'PORT', 'k', '0', '500'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '99', '500'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', 'x', '500'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '0', 'x'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '0', '500', 'KEYS', 'a'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '0', '500', 'AUTH'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '0', '500', 'AUTH2', 'u'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '0', '500', 'FOO'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k', '0', '500', 'AUTH', 'nopassword'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'nokey', '0', '500'],
      ['MIGRATE', '127.0.0.1', 'TARGET', '', '0', '500', 'KEYS'],
      ['MIGRATE', '127.0.0.1', 'TARGET', 'k'],
    ];
    for (const line of lines) {
      const run = async (c: Redis, target: number) => {
        const argv = line.map((a) => (a === 'TARGET' ? String(target) : a === 'PORT' ? 'notaport' : a));
        return c.call(argv[0]!, ...argv.slice(1)).catch((e: Error) => `error: ${e.message}`);
      };
      // Each server migrates to the other one.
      assert.equal(await run(d, servers.redis.port), await run(r, servers.depot.port), line.join(' '));
    }
  });
});

/**
 * A target that reads what MIGRATE sends and answers each command with `reply` after `delayMs`
 * (or never); `received` counts the commands it has read.
 */
async function fakeTarget(reply: string | null, delayMs: number): Promise<{ port: number; received: () => number; close: () => void }> {
  let received = 0;
  const server = createServer((socket) => {
    socket.on('data', (chunk) => {
      const commands = (chunk.toString('latin1').match(/^\*\d+\r\n/gm) ?? []).length;
      received += commands;
      if (reply !== null) setTimeout(() => socket.write(reply.repeat(commands)), delayMs);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { port: (server.address() as AddressInfo).port, received: () => received, close: () => server.close() };
}

test('MIGRATE parks only its client: a key changed while its payload was away is kept, and a silent target times out', async () => {
  const d = new Redis(servers.depot.port);
  const other = new Redis(servers.depot.port);
  const slow = await fakeTarget('+OK\r\n', 300);
  const silent = await fakeTarget(null, 0);
  try {
    await d.flushall();
    await d.set('moving', 'old');
    await d.set('staying', 'v');
    const migrating = d.migrate('127.0.0.1', slow.port, '', 0, 5000, 'KEYS', 'moving', 'staying');
    // Other clients are served meanwhile; one of them changes a key on its way (once the
    // target has it: a SET before the MIGRATE ran would be migrated itself).
    await eventually(() => slow.received() > 0, 'the payload at the target');
    assert.equal(await other.set('moving', 'new'), 'OK');
    assert.equal(await migrating, 'OK');
    assert.equal(await other.get('moving'), 'new');
    assert.equal(await other.exists('staying'), 0);
    const started = Date.now();
    await assert.rejects(d.migrate('127.0.0.1', silent.port, 'moving', 0, 200), /IOERR error or timeout reading to target instance/);
    assert.ok(Date.now() - started < 3000);
    assert.equal(await other.get('moving'), 'new');
  } finally {
    d.disconnect();
    other.disconnect();
    slow.close();
    silent.close();
  }
});

test('MIGRATE keeps its connection to a target: keys migrated one call at a time connect once; a connection the target closed is replaced', async () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk) => socket.write('+OK\r\n'.repeat((chunk.toString('latin1').match(/^\*\d+\r\n/gm) ?? []).length)));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  const d = new Redis(servers.depot.port);
  try {
    await d.flushall();
    for (let i = 0; i < 20; i++) await d.set(`k${i}`, `v${i}`);
    for (let i = 0; i < 10; i++) assert.equal(await d.migrate('127.0.0.1', port, `k${i}`, 0, 1000), 'OK');
    assert.equal(sockets.length, 1);
    // The target drops the connection while it is kept: the next MIGRATE finds it closed, and
    // sends again on a new one.
    sockets[0]!.destroy();
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(await d.migrate('127.0.0.1', port, 'k10', 0, 1000), 'OK');
    assert.equal(sockets.length, 2);
    assert.equal(await d.migrate('127.0.0.1', port, '', 0, 1000, 'KEYS', 'k11', 'k12'), 'OK');
    assert.equal(sockets.length, 2);
    assert.equal(await d.dbsize(), 7);
  } finally {
    d.disconnect();
    for (const s of sockets) s.destroy();
    server.close();
  }
});
