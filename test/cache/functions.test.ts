// Functions (FUNCTION LOAD DELETE FLUSH LIST STATS KILL DUMP RESTORE, FCALL, FCALL_RO) against
// redis-server 7.0.15 side by side: every reply of the same lines compared (the metadata line's
// errors, redis.register_function's argument errors, what a library's code can reach while it
// loads and what its functions can reach when they run, the load time limit, name clashes, flags,
// FCALL's key counts, errors with their line, SELECT inside a function, REPLACE), payloads of
// FUNCTION DUMP crossing both ways (LZF-compressed on both, the same bytes for one library), the restore
// policies, ACL key checks, maxmemory and allow-oom, MULTI, ioredis, INFO; and restart after
// SIGKILL from the log and from a snapshot, FLUSHALL keeping the libraries.
//
// One difference is left out of the compared lines: Lua 5.4's text for calling a nil field
// ("attempt to call a nil value (field 'x')", Lua 5.1: "attempt to call field 'x' (a nil
// value)"), the engine's own wording. FUNCTION LIST's order is a hash table's in Redis: each
// comparison lists one library (LIBRARYNAME) or sorts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RespClient, show, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot, type ServerProcess } from '../helpers/cache-servers.js';
import { OPCODE_FUNCTION2, sealPayload } from '../../src/cache/rdb/payload.js';
import { crc64 } from '../../src/cache/rdb/crc64.js';

const servers = depotAndRedis();

/** A library's code: its metadata line, then `body` from line 2. */
function lib(name: string, body: string): string {
  return `#!lua name=${name}\n${body}`;
}

/** Runs `lines` on both servers and asserts the same replies (HELLO's connection id aside: the servers number them apart). */
async function compare(lines: readonly (readonly string[])[]): Promise<void> {
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  const id = (l: string) => l.replace(/^(HELLO .*bulk:"id", )int:"\d+"/, '$1int:"?"');
  assert.deepEqual(depot.map(id), redis.map(id));
}

async function both<T>(f: (c: Redis) => Promise<T>): Promise<{ depot: T; redis: T }> {
  const d = new Redis(servers.depot.port, { lazyConnect: true });
  const r = new Redis(servers.redis.port, { lazyConnect: true });
  try {
    return { depot: await f(d), redis: await f(r) };
  } finally {
    d.disconnect();
    r.disconnect();
  }
}

/** A settled promise's value, or its error's message. */
async function outcome<T>(p: Promise<T>): Promise<T | string> {
  try {
    return await p;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

test('FUNCTION LOAD: the metadata line, register_function and what loading code can reach, as on redis-server', async () => {
  await compare([
    ['FUNCTION', 'FLUSH'],
    ['FUNCTION', 'LOAD', 'return 1'],
    ['FUNCTION', 'LOAD', '#!lua'],
    ['FUNCTION', 'LOAD', '#!lua name=l2 foo=bar\n'],
    ['FUNCTION', 'LOAD', '#!lua name=l2 name=l3\n'],
    ['FUNCTION', 'LOAD', '#!lua name="l 2"\n'],
    ['FUNCTION', 'LOAD', '#!lua name="l2\n'],
    ['FUNCTION', 'LOAD', '#!js name=l2\n'],
    ['FUNCTION', 'LOAD', '#!lua name=l-2\n'],
    ['FUNCTION', 'LOAD', '#!lua name=\n'],
    ['FUNCTION', 'LOAD', '#!lua name=l2'],
    ['FUNCTION', 'LOAD', lib('l2', 'local a = 1')],
    ['FUNCTION', 'LOAD', lib('l1', "redis.register_function('f1', function(keys, args) return {keys, args, redis.call('ping')} end)")],
    ['FUNCTION', 'LOAD', lib('l1', "redis.register_function('f9', function() return 1 end)")],
    ['FUNCTION', 'LOAD', lib('l2', "redis.register_function('f1', function() return 1 end)")],
    ['FUNCTION', 'LOAD', lib('l2', "redis.register_function('F1', function() return 1 end)")],
    ['FUNCTION', 'LOAD', lib('l2', "redis.register_function('f-1', function() return 1 end)")],
    ['FUNCTION', 'LOAD', lib('l2', "redis.register_function('f2', function() return 1 end) redis.register_function('f2', function() return 1 end)")],
    ['FUNCTION', 'LOAD', lib('l2', "redis.register_function{function_name='f2', callback=function() return 1 end, flags={'no-writes', 'bad'}}")],
    ['FUNCTION', 'LOAD', lib('l2', "redis.register_function{function_name='f2', callback=function() return 1 end, flags={'NO-WRITES', 'allow-oom'}, description='d'}")],
    ['FUNCTION', 'LOAD', lib('l3', "redis.register_function('f3')")],
    ['FUNCTION', 'LOAD', lib('l3', 'redis.register_function()')],
    ['FUNCTION', 'LOAD', lib('l3', 'redis.register_function(1, function() end)')],
    ['FUNCTION', 'LOAD', lib('l4', "redis.register_function('x', 1)")],
    ['FUNCTION', 'LOAD', lib('l11', 'redis.register_function{callback=function() end}')],
    ['FUNCTION', 'LOAD', lib('l12', "redis.register_function{function_name='x'}")],
    ['FUNCTION', 'LOAD', lib('l13', "redis.register_function{function_name='x', foo=1}")],
    ['FUNCTION', 'LOAD', lib('l14', "redis.register_function({function_name='x'}, 2, 3)")],
    ['FUNCTION', 'LOAD', lib('l15', "error('boom')")],
    ['FUNCTION', 'LOAD', lib('l17', "redis.log(redis.LOG_WARNING, 'loading l17') redis.register_function('f17', function(k, a) return redis.REDIS_VERSION end)")],
    ['FUNCTION', 'LOAD', lib('l18', 'redis.setresp(3)')],
    ['FUNCTION', 'LOAD', lib('l19', 'local x = KEYS')],
    ['FUNCTION', 'LOAD', lib('l20', 'local x = redis.nope')],
    ['FUNCTION', 'LOAD', lib('l21', "redis.register_function{function_name='x', callback=function() end, flags='no-writes'}")],
    ['FUNCTION', 'LOAD', lib('l22', 'redis.register_function{function_name=1, callback=function() end, description=2}')],
    ['FUNCTION', 'LOAD', lib('l23', 'redis.register_function{function_name={}, callback=function() end}')],
    ['FUNCTION', 'LOAD', lib('l24', 'redis.register_function{function_name=\'y\', callback=function() end, description={}}')],
    ['FUNCTION', 'LOAD', lib('l25', "redis.register_function('z', function() end) error('after')")],
    ['FUNCTION', 'LOAD', lib('l26', "local t = redis.REDIS_VERSION_NUM redis.register_function('zz', function() return t end) redis.sha1hex('x')")],
    ['FUNCTION', 'LOAD', lib('l27', "local r = redis redis.register_function('zz', function() return r.call('ping') end)")],
    ['FUNCTION', 'LOAD', lib('l28', "return redis.register_function('zz', function() return 1 end)")],
    ['FUNCTION', 'LOAD', lib('l29', 'while true do end')],
    ['FUNCTION', 'LOAD', lib('l30', 'x = 1')],
    ['FUNCTION', 'LOAD', lib('l31', "local x = string.len('a')")],
    ['FUNCTION', 'LOAD', "#!LUA NAME=l32\nredis.register_function('f32', function() return 32 end)"],
    ['FUNCTION', 'LOAD', 'foo', lib('x', '')],
    ['FUNCTION', 'LOAD', 'replace', 'replace', lib('x', '')],
    ['FUNCTION', 'LOAD', 'replace'],
    ['FUNCTION', 'LOAD'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'l1'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'l2', 'WITHCODE'],
    ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'L3'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nothing*'],
    ['FUNCTION', 'STATS'],
  ]);
  const { depot, redis } = await both(async (c) => ((await c.call('FUNCTION', 'LIST')) as unknown[][]).map((l) => JSON.stringify(l)).sort());
  assert.deepEqual(depot, redis);
  assert.equal(depot.length, 6);
});

test('FCALL and FCALL_RO: keys and arguments, flags, errors with their line, SELECT, REPLACE, DELETE, as on redis-server', async () => {
  const rt = lib(
    'rt',
    [
      "redis.register_function('e1', function(k, a) error('boom') end)",
      "redis.register_function('e2', function(k, a) return KEYS end)",
      "redis.register_function('e3', function(k, a) return redis.call('nocmd') end)",
      "redis.register_function{function_name='ro', callback=function(k, a) return redis.call('set', k[1], a[1]) end, flags={'no-writes'}}",
      "redis.register_function('w', function(k, a) return redis.call('set', k[1], a[1]) end)",
      "redis.register_function('g', function(k, a) x = 1 end)",
      "redis.register_function('s', function(k, a) return string.format('%d %d', #k, #a) end)",
      "redis.register_function('sel', function(k, a) redis.call('select', 3) return redis.call('set', 'insel', 1) end)",
      "redis.register_function('resp', function(k, a) redis.setresp(3) return {redis.call('hgetall', k[1]), {double=1.5}, redis.call('get', 'missing')} end)",
      "redis.register_function('pc', function(k, a) return redis.pcall('incr', k[1]) end)",
      "redis.register_function('er', function(k, a) return redis.error_reply('MY custom') end)",
      "redis.register_function('rd', function(k, a) return redis.call('get', k[1]) end)",
      "redis.register_function{function_name='rdro', callback=function(k, a) return redis.call('get', k[1]) end, flags={'no-writes'}}",
      "redis.register_function('blk', function(k, a) return redis.call('blpop', k[1], 0) end)",
      "redis.register_function('nested', function(k, a) return redis.call('fcall', 'rd', 1, k[1]) end)",
    ].join('\n'),
  );
  await compare([
    ['FUNCTION', 'FLUSH'],
    ['FLUSHALL'],
    ['FUNCTION', 'LOAD', rt],
    ['FUNCTION', 'LOAD', lib('other', "redis.register_function('f1', function(keys, args) return {keys, args} end)")],
    ['FCALL', 'f1', '2', 'a', 'b', 'c', 'd'],
    ['FCALL', 'F1', '0'],
    ['FCALL', 'nope', '0'],
    ['FCALL', 'f1', 'x'],
    ['FCALL', 'f1', '-1'],
    ['FCALL', 'f1', '2', 'a'],
    ['FCALL', 'f1', '01'],
    ['FCALL', 'f1', '1.5'],
    ['FCALL', 'f1'],
    ['FCALL_RO', 'f1', '0'],
    ['FCALL', 'e1', '0'],
    ['FCALL', 'e2', '0'],
    ['FCALL', 'e3', '0'],
    ['FCALL', 'ro', '1', 'k', 'v'],
    ['FCALL_RO', 'ro', '1', 'k', 'v'],
    ['FCALL', 'w', '1', 'k', 'v'],
    ['FCALL_RO', 'w', '1', 'k', 'v'],
    ['GET', 'k'],
    ['FCALL', 'rd', '1', 'k'],
    ['FCALL_RO', 'rdro', '1', 'k'],
    ['FCALL', 'g', '0'],
    ['FCALL', 's', '2', 'a', 'b', 'c'],
    ['FCALL', 'sel', '0'],
    ['EXISTS', 'insel'],
    ['SELECT', '3'],
    ['EXISTS', 'insel'],
    ['SELECT', '0'],
    ['HSET', 'h', 'f', 'v'],
    ['FCALL', 'resp', '1', 'h'],
    ['HELLO', '3'],
    ['FCALL', 'resp', '1', 'h'],
    ['HELLO', '2'],
    ['FCALL', 'pc', '1', 'h'],
    ['FCALL', 'er', '0'],
    ['FCALL', 'blk', '1', 'emptylist'],
    ['FCALL', 'nested', '1', 'k'],
    ['EVAL', "return redis.call('fcall', 'rd', 1, 'k')", '0'],
    ['FUNCTION', 'LOAD', 'REPLACE', lib('rt', "redis.register_function('s', function(k, a) return 'new' end)")],
    ['FCALL', 's', '0'],
    ['FCALL', 'e1', '0'],
    ['FUNCTION', 'LOAD', 'REPLACE', lib('rt', "redis.register_function('f1', function(k, a) return 'taken' end)")],
    ['FCALL', 's', '0'],
    ['FUNCTION', 'LOAD', 'replace', lib('other', "redis.register_function('f1', function(k, a) return 'replaced' end)")],
    ['FCALL', 'f1', '0'],
    ['FUNCTION', 'DELETE', 'nope'],
    ['FUNCTION', 'DELETE', 'RT'],
    ['FUNCTION', 'DELETE', 'rt'],
    ['FCALL', 's', '0'],
    ['FUNCTION', 'DELETE'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME'],
    ['FUNCTION', 'LIST', 'foo'],
    ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
    ['FUNCTION', 'KILL'],
    ['FUNCTION', 'STATS', 'x'],
    ['FUNCTION', 'STATS'],
    ['FUNCTION', 'FLUSH', 'x'],
    ['FUNCTION', 'FLUSH', 'async', 'x'],
    ['FUNCTION', 'FLUSH', 'SYNC'],
    ['FUNCTION', 'LIST'],
    ['FCALL', 'f1', '0'],
    ['FUNCTION', 'STATS'],
    ['COMMAND', 'GETKEYS', 'FCALL', 'f1', '2', 'a', 'b', 'c'],
    ['COMMAND', 'GETKEYS', 'FCALL_RO', 'f1', '0', 'c'],
    ['COMMAND', 'GETKEYS', 'EVAL', 'return 1', '0'],
  ]);
});

test('FUNCTION DUMP and RESTORE: payloads cross both ways, with the restore policies and their errors as on redis-server', async () => {
  const padded = lib('big', `${'-- a comment that LZF compresses well\n'.repeat(30)}redis.register_function('bigf', function(k, a) return 'big' end)`);
  const small = lib('small', "redis.register_function{function_name='sm', callback=function() return 'sm' end, flags={'no-writes', 'allow-stale'}, description='a small one'}");
  const r = new Redis(servers.redis.port);
  const d = new Redis(servers.depot.port);
  try {
    for (const c of [r, d]) await c.call('FUNCTION', 'FLUSH');
    // Empty: the same bytes (RDB version 10, then the CRC-64 of the version).
    const empty = await r.callBuffer('FUNCTION', 'DUMP');
    assert.deepEqual(await d.callBuffer('FUNCTION', 'DUMP'), empty);
    await r.call('FUNCTION', 'LOAD', padded);
    await r.call('FUNCTION', 'LOAD', small);
    const fromRedis = (await r.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    // Redis compressed the long library: Depot reads LZF.
    assert.ok(fromRedis.length < padded.length, `Redis's payload is compressed (${fromRedis.length} bytes)`);
    assert.equal(await d.call('FUNCTION', 'RESTORE', fromRedis), 'OK');
    assert.equal(await d.call('FCALL', 'bigf', '0'), 'big');
    assert.equal(await d.call('FCALL_RO', 'sm', '0'), 'sm');
    const listOf = async (c: Redis) => ((await c.call('FUNCTION', 'LIST', 'WITHCODE')) as unknown[]).map((l) => JSON.stringify(l)).sort();
    assert.deepEqual(await listOf(d), await listOf(r));
    // And back: Redis restores what Depot dumps.
    const fromDepot = (await d.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    await r.call('FUNCTION', 'FLUSH');
    assert.equal(await r.call('FUNCTION', 'RESTORE', fromDepot), 'OK');
    assert.deepEqual(await listOf(r), await listOf(d));
    // One library (the order of several is Redis's hash order): the same bytes, compressed alike.
    for (const c of [r, d]) {
      await c.call('FUNCTION', 'FLUSH');
      await c.call('FUNCTION', 'LOAD', padded);
    }
    const one = (await r.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    assert.ok(one.length < padded.length);
    assert.deepEqual(await d.callBuffer('FUNCTION', 'DUMP'), one);
    for (const c of [r, d]) await c.call('FUNCTION', 'FLUSH');

    // The policies and their errors, each on both servers from the same state.
    const cases: Array<{ setup: string[]; args: Array<string | Buffer> }> = [
      { setup: [], args: [fromRedis] },
      { setup: [], args: [fromRedis, 'APPEND'] },
      { setup: [], args: [fromRedis, 'replace'] },
      { setup: [], args: [fromRedis, 'FLUSH'] },
      { setup: [], args: [fromRedis, 'bad'] },
      { setup: [], args: [fromRedis, 'FLUSH', 'x'] },
      { setup: [lib('other', "redis.register_function('bigf', function() return 1 end)")], args: [fromRedis, 'REPLACE'] },
      { setup: [lib('other', "redis.register_function('bigf', function() return 1 end)")], args: [fromRedis, 'FLUSH'] },
      { setup: [lib('big', "redis.register_function('bigf', function() return 'old' end)")], args: [fromRedis, 'REPLACE'] },
      { setup: [], args: [Buffer.from('xyz')] },
      { setup: [], args: [Buffer.concat([fromRedis.subarray(0, 5), Buffer.from([fromRedis[5]! ^ 1]), fromRedis.subarray(6)])] },
      // A newer RDB version, a key's record, a library payload cut short, and two libraries of one name.
      { setup: [], args: [withVersion(fromRedis, 11)] },
      { setup: [], args: [sealPayload(Buffer.from([0, 1, 0x61, 1, 0x62]))] },
      { setup: [], args: [sealPayload(Buffer.from([OPCODE_FUNCTION2, 0x40]))] },
      { setup: [], args: [sealPayload(Buffer.concat([functionRecord(small), functionRecord(small)]))] },
      { setup: [], args: [sealPayload(Buffer.concat([functionRecord(small), functionRecord(small.replace('small', 'small2'))]))] },
      { setup: [], args: [sealPayload(functionRecord(lib('broken', 'x = 1')))] },
    ];
    for (const { setup, args } of cases) {
      const run = async (c: Redis) => {
        await c.call('FUNCTION', 'FLUSH');
        for (const code of setup) await c.call('FUNCTION', 'LOAD', code);
        const reply = await outcome(c.call('FUNCTION', 'RESTORE', ...args));
        return { reply, list: await listOf(c) };
      };
      const label = args.map((a) => (Buffer.isBuffer(a) ? `<${a.length} bytes>` : a)).join(' ');
      assert.deepEqual(await run(d), await run(r), `FUNCTION RESTORE ${label} after ${setup.length} loads`);
    }
  } finally {
    r.disconnect();
    d.disconnect();
  }
});

/** A payload's data under another RDB version, sealed again. */
function withVersion(payload: Buffer, version: number): Buffer {
  const out = Buffer.from(payload);
  out.writeUInt16LE(version, out.length - 10);
  out.writeBigUInt64LE(crc64(out.subarray(0, out.length - 8)), out.length - 8);
  return out;
}

/** One library as FUNCTION DUMP writes it: the opcode, then the code as an RDB string (lengths under 16 KiB). */
function functionRecord(code: string): Buffer {
  const n = Buffer.byteLength(code, 'latin1');
  assert.ok(n < 1 << 14);
  const len = n < 64 ? Buffer.of(n) : Buffer.of(0x40 | (n >> 8), n & 0xff);
  return Buffer.concat([Buffer.of(OPCODE_FUNCTION2), len, Buffer.from(code, 'latin1')]);
}

test('FCALL checks keys against ACLs, writing functions are refused over maxmemory unless allow-oom, and MULTI runs them, as on redis-server', async () => {
  const code = lib(
    'guard',
    [
      "redis.register_function('put', function(k, a) return redis.call('set', k[1], a[1]) end)",
      "redis.register_function{function_name='put_oom', callback=function(k, a) return redis.call('set', k[1], a[1]) end, flags={'allow-oom'}}",
      "redis.register_function{function_name='peek', callback=function(k, a) return redis.call('get', k[1]) end, flags={'no-writes'}}",
      "redis.register_function('sneak', function(k, a) return redis.call('get', a[1]) end)",
    ].join('\n'),
  );
  await compare([
    ['FUNCTION', 'FLUSH'],
    ['FLUSHALL'],
    ['FUNCTION', 'LOAD', code],
    ['ACL', 'SETUSER', 'fnuser', 'on', '>pw', '~app:*', '+@all'],
    ['AUTH', 'fnuser', 'pw'],
    ['FCALL', 'put', '1', 'app:1', 'v'],
    ['FCALL', 'put', '1', 'other', 'v'],
    ['FCALL', 'sneak', '1', 'app:1', 'other'],
    ['FCALL', 'sneak', '1', 'app:1', 'app:1'],
    ['AUTH', 'default', ''],
    ['ACL', 'DELUSER', 'fnuser'],
    ['CONFIG', 'SET', 'maxmemory', '1'],
    ['FCALL', 'put', '1', 'k', 'v'],
    ['FCALL', 'put_oom', '1', 'k', 'v'],
    ['FCALL', 'peek', '1', 'k'],
    ['FCALL_RO', 'peek', '1', 'k'],
    ['CONFIG', 'SET', 'maxmemory', '0'],
    ['MULTI'],
    ['FUNCTION', 'LOAD', lib('inmulti', "redis.register_function('im', function(k, a) return redis.call('incr', k[1]) end)")],
    ['FCALL', 'im', '1', 'n'],
    ['FCALL', 'im', '1', 'n'],
    ['FUNCTION', 'DELETE', 'inmulti'],
    ['FCALL', 'im', '1', 'n'],
    ['EXEC'],
    ['GET', 'n'],
  ]);
});

test('functions through ioredis, INFO and FUNCTION STATS counts, and a function that loops is stopped', async () => {
  const c = new Redis(servers.depot.port);
  try {
    await c.function('FLUSH');
    assert.equal(await c.function('LOAD', lib('io', "redis.register_function('hello', function(k, a) return 'hello ' .. a[1] end)\nredis.register_function('spin', function() while true do end end)")), 'io');
    assert.equal(await c.fcall('hello', 0, 'world'), 'hello world');
    assert.equal(await c.fcall_ro('hello', 0, 'x').catch((e: Error) => e.message), 'ERR Can not execute a script with write flag using *_ro command.');
    const info = await c.info('memory');
    assert.match(info, /number_of_functions:2\r\n/);
    assert.match(info, /used_memory_vm_functions:\d+\r\n/);
    assert.match(info, /used_memory_functions:\d+\r\n/);
    // No other client is served while a function runs: past busy-reply-threshold Depot stops it.
    await c.config('SET', 'busy-reply-threshold', '100');
    assert.match(String(await c.fcall('spin', 0).catch((e: Error) => e.message)), /Script killed after running for busy-reply-threshold \(100 ms\)/);
    assert.equal(await c.ping(), 'PONG');
    await c.config('SET', 'busy-reply-threshold', '5000');
    // SCRIPT FLUSH empties EVAL's cache only.
    await c.script('FLUSH');
    assert.equal(await c.fcall('hello', 0, 'again'), 'hello again');
  } finally {
    c.disconnect();
  }
});

for (const mode of ['the log', 'a snapshot and the log'] as const) {
  test(`function libraries come back after SIGKILL from ${mode}, and FLUSHALL keeps them (appendfsync always)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'depot-functions-kill-'));
    const args = ['--data', dir, '--fsync', 'always', '--snapshot-entries', mode === 'the log' ? '1000000' : '10'];
    let server: ServerProcess | undefined;
    const state = async (port: number): Promise<string[]> => {
      const c = await RespClient.open(port);
      try {
        const out: string[] = [];
        for (const line of [['FUNCTION', 'LIST', 'LIBRARYNAME', 'keep', 'WITHCODE'], ['FUNCTION', 'LIST', 'LIBRARYNAME', 'gone'], ['FUNCTION', 'LIST', 'LIBRARYNAME', 'later'], ['FCALL', 'bump', '1', 'n'], ['FCALL_RO', 'look', '1', 'n']]) {
          out.push(`${line.join(' ')} -> ${show(await c.call(...line))}`);
        }
        return out;
      } finally {
        c.close();
      }
    };
    try {
      server = await startDepot(args);
      let c = await RespClient.open(server.port);
      const ok = async (...line: string[]) => assert.notEqual((await c.call(...line)).t, 'error', line.join(' '));
      await ok('FUNCTION', 'LOAD', lib('keep', "redis.register_function('bump', function(k) return redis.call('incr', k[1]) end)\nredis.register_function{function_name='look', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}"));
      await ok('FUNCTION', 'LOAD', lib('gone', "redis.register_function('g', function() return 1 end)"));
      // Past 10 entries: with --snapshot-entries 10 a snapshot is taken on the way.
      for (let i = 0; i < 12; i++) await ok('FCALL', 'bump', '1', 'n');
      await ok('FUNCTION', 'DELETE', 'gone');
      await ok('FUNCTION', 'LOAD', lib('later', "redis.register_function('l', function() return 2 end)"));
      await ok('FUNCTION', 'LOAD', 'REPLACE', lib('later', "redis.register_function('l2', function() return 3 end)"));
      c.close();
      const before = await state(server.port);
      assert.match(before[3]!, /int:"13"/);
      await server.kill();
      if (mode === 'a snapshot and the log') {
        const snapshots = join(dir, 'groups', 'cache-1', 'raft', 'snapshots');
        assert.ok(existsSync(snapshots) && readdirSync(snapshots).length > 0, 'a snapshot was taken');
      }
      server = await startDepot(args);
      const after = await state(server.port);
      // The FCALL bump of `before` ran once more.
      assert.deepEqual(after.map((l) => l.replace(/FCALL bump 1 n -> int:"\d+"/, 'bump').replace(/FCALL_RO look 1 n -> bulk:"\d+"/, 'look')), before.map((l) => l.replace(/FCALL bump 1 n -> int:"\d+"/, 'bump').replace(/FCALL_RO look 1 n -> bulk:"\d+"/, 'look')));
      assert.match(after[3]!, /int:"14"/);
      c = await RespClient.open(server.port);
      try {
        assert.equal(show(await c.call('FLUSHALL')), 'simple:"OK"');
        assert.equal(show(await c.call('FCALL', 'l2', '0')), 'int:"3"');
      } finally {
        c.close();
      }
      await server.kill();
      server = await startDepot(args);
      c = await RespClient.open(server.port);
      try {
        assert.equal(show(await c.call('FCALL', 'bump', '1', 'n')), 'int:"1"');
        assert.equal(show(await c.call('FCALL', 'l', '0')), 'error:"ERR Function not found"');
      } finally {
        c.close();
      }
    } finally {
      await server?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
