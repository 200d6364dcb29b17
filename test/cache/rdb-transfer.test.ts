// RDB files from Depot as redis-cli --rdb and --functions-rdb fetch them (REPLCONF rdb-only,
// SYNC, PSYNC): checked by redis-check-rdb and loaded by redis-server 7.0.15, every type,
// database, expiry and function library; the file of a transfer that a slow reader holds open
// while other clients write is the keyspace as it was when the transfer began, and the server
// answers meanwhile; a SAVE runs beside it; a reader that disconnects mid-file leaves nothing
// held; and REPLCONF's, SYNC's and PSYNC's errors line by line against redis-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { build, content } from '../helpers/cache-content.js';
import { encodeCommand } from '../helpers/cache-resp-client.js';
import { ensureRedisInstalled, startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';
import { Crc64, crc64 } from '../../src/cache/rdb/crc64.js';

const run = promisify(execFile);
let depot: ServerProcess;
let reference: ServerProcess;
let dir: string;

before(async () => {
  ensureRedisInstalled();
  dir = mkdtempSync(join(tmpdir(), 'depot-rdb-'));
  [depot, reference] = await Promise.all([startDepot(), startRedis()]);
});

after(async () => {
  await Promise.all([depot?.stop(), reference?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function withClient<T>(port: number, f: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(port, { lazyConnect: true });
  await c.connect();
  try {
    return await f(c);
  } finally {
    c.disconnect();
  }
}

/** redis-check-rdb's verdict on a file. */
async function check(file: string): Promise<string> {
  const { stdout } = await run('redis-check-rdb', [file], { timeout: 30_000 });
  assert.match(stdout, /RDB looks OK/, stdout);
  return stdout;
}

/** Runs `f` against a redis-server that loaded `file` at its start. */
async function loaded<T>(file: string, f: (c: Redis) => Promise<T>): Promise<T> {
  const server = await startRedis(['--dir', dir, '--dbfilename', file.slice(dir.length + 1)]);
  try {
    return await withClient(server.port, f);
  } finally {
    await server.stop();
  }
}

/**
 * A kilobyte that LZF cannot shrink (the file writes long strings compressed): files of many
 * such values are far larger than the loopback socket's buffers.
 */
const PAD = randomBytes(768).toString('base64');

/** A raw connection that records every byte the server sends. */
class RawClient {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.bytes += d.length;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(...argv: string[]): void {
    this.socket.write(encodeCommand(argv));
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }

  /** Waits until `done(received)` holds, or the connection closed (then returns false). */
  async until(done: (b: Buffer) => boolean, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (this.closed) return false;
      if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(this.received.subarray(0, 200).toString('latin1'))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return true;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The file inside a diskless transfer: after "$EOF:<mark>\r\n", up to the mark again; null until it is whole. */
function fileOf(received: Buffer, after = 0): Buffer | null {
  const head = received.indexOf('$EOF:', after, 'latin1');
  if (head < 0 || received.length < head + 5 + 40 + 2) return null;
  const mark = received.subarray(head + 5, head + 45);
  const start = head + 47;
  if (received.length < start + 40 || !received.subarray(received.length - 40).equals(mark)) return null;
  return received.subarray(start, received.length - 40);
}

/**
 * A transfer whose reader stops reading once its first bytes arrive, so that the server's
 * socket fills and its capture stays open while the test writes.
 */
async function pausedTransfer(): Promise<RawClient> {
  const raw = await RawClient.open(depot.port);
  raw.send('REPLCONF', 'rdb-only', '1');
  raw.send('SYNC');
  await raw.until((b) => b.includes('$EOF:'));
  raw.socket.pause();
  return raw;
}

/** Reads a paused transfer to its end; the file, saved as `name` and checked by redis-check-rdb. */
async function finishTransfer(raw: RawClient, name: string): Promise<string> {
  raw.socket.resume();
  assert.equal(await raw.until((b) => fileOf(b) !== null, 60_000), true);
  const file = join(dir, name);
  writeFileSync(file, fileOf(raw.received)!);
  raw.close();
  await check(file);
  return file;
}

test('redis-cli --rdb saves a file redis-check-rdb accepts and redis-server loads: every type, databases, expiries, functions', async () => {
  const file = join(dir, 'full.rdb');
  const keys = await withClient(depot.port, async (c) => {
    await c.flushall();
    const keys = await build(c);
    await c.set('ttl', 'v', 'PX', 3_600_000);
    await c.xadd('stream', '1-1', 'f', 'v');
    await c.xadd('stream', '2-1', 'g', 'w');
    await c.xgroup('CREATE', 'stream', 'grp', '0');
    await c.xreadgroup('GROUP', 'grp', 'alice', 'COUNT', 1, 'STREAMS', 'stream', '>');
    await c.select(5);
    await c.set('other-db', 'five');
    await c.select(0);
    await c.function('LOAD', "#!lua name=rdblib\nredis.register_function('rdbf', function() return 7 end)");
    return keys;
  });
  const { stderr } = await run('redis-cli', ['-p', String(depot.port), '--rdb', file], { timeout: 30_000 });
  assert.match(stderr, /Transfer finished with success/);
  const report = await check(file);
  assert.match(report, /Selecting DB ID 5/);
  assert.match(report, /AUX FIELD redis-ver = '7\.0\.15'/);
  const expected = await withClient(depot.port, async (c) => {
    const out = new Map<string, string>();
    for (const key of keys) out.set(key, await content(c, key));
    out.set('stream', JSON.stringify([await c.xrange('stream', '-', '+'), await c.xpending('stream', 'grp')]));
    return out;
  });
  await loaded(file, async (r) => {
    for (const key of keys) assert.equal(await content(r, key), expected.get(key), key);
    assert.equal(JSON.stringify([await r.xrange('stream', '-', '+'), await r.xpending('stream', 'grp')]), expected.get('stream'));
    const ttl = await r.pttl('ttl');
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `ttl ${ttl}`);
    assert.equal(await r.pttl('str'), -1);
    assert.equal(await r.fcall('rdbf', 0), 7);
    assert.equal(await r.dbsize(), keys.length + 2);
    await r.select(5);
    assert.equal(await r.get('other-db'), 'five');
    assert.equal(await r.dbsize(), 1);
  });
});

test('redis-cli --functions-rdb saves the libraries only; rdb-filter-only "" an empty file', async () => {
  const file = join(dir, 'functions.rdb');
  await withClient(depot.port, async (c) => {
    await c.function('FLUSH');
    await c.function('LOAD', "#!lua name=onlylib\nredis.register_function('onlyf', function() return 'only' end)");
    await c.set('a-key', 'x');
  });
  await run('redis-cli', ['-p', String(depot.port), '--functions-rdb', file], { timeout: 30_000 });
  assert.match(await check(file), /0 keys read/);
  await loaded(file, async (r) => {
    assert.equal(await r.fcall('onlyf', 0), 'only');
    assert.equal(await r.dbsize(), 0);
  });

  const raw = await RawClient.open(depot.port);
  raw.send('REPLCONF', 'rdb-only', '1');
  raw.send('REPLCONF', 'rdb-filter-only', '');
  raw.send('SYNC');
  assert.equal(await raw.until((b) => fileOf(b) !== null), true);
  const empty = join(dir, 'empty.rdb');
  writeFileSync(empty, fileOf(raw.received)!);
  await check(empty);
  assert.match(raw.received.toString('latin1'), /^\+OK\r\n\+OK\r\n\$EOF:/);
  assert.equal(await raw.until(() => false, 10_000), false, 'the connection closes after the file');
  await loaded(empty, async (r) => {
    assert.equal(await r.dbsize(), 0);
    assert.deepEqual(await r.function('LIST'), []);
  });
});

test('PSYNC answers +FULLRESYNC with the replication ID of INFO, then the file', async () => {
  const replid = await withClient(depot.port, async (c) => {
    await c.flushall();
    await c.set('psync-key', 'value');
    return /master_replid:(\w+)/.exec(await c.info('replication'))![1]!;
  });
  const raw = await RawClient.open(depot.port);
  raw.send('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
  raw.send('REPLCONF', 'rdb-only', '1');
  raw.send('PSYNC', '?', '-1');
  assert.equal(await raw.until((b) => fileOf(b) !== null), true);
  assert.match(raw.received.toString('latin1'), new RegExp(`^\\+OK\\r\\n\\+OK\\r\\n\\+FULLRESYNC ${replid} 0\\r\\n\\$EOF:`));
  const file = join(dir, 'psync.rdb');
  writeFileSync(file, fileOf(raw.received)!);
  await check(file);
  await loaded(file, async (r) => assert.equal(await r.get('psync-key'), 'value'));
  raw.close();
});

test('a slow reader gets the keyspace as it was when its transfer began; the server answers and SAVEs meanwhile', async () => {
  const n = 20_000;
  const value = (i: number, v: string) => `${v}:${i}:${PAD}`;
  await withClient(depot.port, async (c) => {
    await c.flushall();
    for (let i = 0; i < n; i += 1000) {
      const p = c.pipeline();
      for (let j = i; j < i + 1000; j++) p.set(`k${j}`, value(j, 'old'));
      await p.exec();
    }
    await c.rpush('list', 'a', 'b');
  });
  // 20 MB of values is far more than the loopback buffers hold.
  const raw = await pausedTransfer();
  await withClient(depot.port, async (c) => {
    for (let i = 0; i < n; i += 1000) {
      const p = c.pipeline();
      for (let j = i; j < i + 1000; j++) {
        if (j % 3 === 0) p.del(`k${j}`);
        else p.set(`k${j}`, value(j, 'new'));
      }
      p.set(`added${i}`, 'x');
      await p.exec();
    }
    await c.rpush('list', 'c');
    await c.flushdb();
    assert.equal(await c.save(), 'OK', 'a SAVE captures beside the transfer');
    assert.equal(await c.dbsize(), 0);
  });
  assert.ok(raw.received.length < n * 1024 / 2, `the reader has not read most of the file yet (${raw.received.length} bytes)`);
  const file = await finishTransfer(raw, 'consistent.rdb');
  await loaded(file, async (r) => {
    assert.equal(await r.dbsize(), n + 1);
    for (let j = 0; j < n; j += 97) assert.equal(await r.get(`k${j}`), value(j, 'old'), `k${j}`);
    assert.deepEqual(await r.lrange('list', 0, -1), ['a', 'b']);
    assert.equal(await r.exists('added0'), 0);
  });
});

test('large collections and a long stream go a chunk at a time; writes to them and to keys of other databases meanwhile leave the file as at the start', async () => {
  const n = 8000;
  const member = (i: number) => `m${i}:${PAD.slice(0, 200)}`;
  await withClient(depot.port, async (c) => {
    await c.flushall();
    for (let i = 0; i < n; i += 500) {
      const p = c.pipeline();
      for (let j = i; j < i + 500; j++) {
        p.hset('big-hash', `f${j}`, `${j}:${PAD}`);
        p.rpush('big-list', `${j}:${PAD}`);
        p.sadd('big-set', member(j));
        p.zadd('big-zset', j, member(j));
        if (j < n / 2) p.xadd('big-stream', `${j + 1}-0`, 'f', `${j}:${PAD}`);
      }
      await p.exec();
    }
    await c.xgroup('CREATE', 'big-stream', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 100, 'STREAMS', 'big-stream', '>');
    for (let i = 0; i < 50; i++) await c.set(`k${i}`, 'old');
    await c.select(1);
    for (let i = 0; i < 50; i++) await c.set(`x${i}`, 'old');
  });
  const raw = await pausedTransfer();
  // The server's socket fills while the walk is inside one of the collections (about 24 MB of
  // them, against 100 small keys): its record is open when the writes below come.
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(raw.received.length < 10e6, `the reader has not read most of the file yet (${raw.received.length} bytes)`);
  await withClient(depot.port, async (c) => {
    for (let i = 0; i < 50; i++) await c.set(`k${i}`, 'new');
    await c.select(1);
    for (let i = 0; i < 50; i++) await c.set(`x${i}`, 'new');
    await c.select(0);
    await c.hset('big-hash', 'f0', 'new', 'added', 'x');
    await c.lpush('big-list', 'new');
    await c.srem('big-set', member(0));
    await c.zadd('big-zset', -1, member(1));
    await c.xadd('big-stream', '*', 'f', 'new');
    await c.xack('big-stream', 'g', '1-0');
    await c.del('big-list');
  });
  const file = await finishTransfer(raw, 'large.rdb');
  await loaded(file, async (r) => {
    assert.equal(await r.dbsize(), 55);
    assert.equal(await r.xlen('big-stream'), n / 2);
    assert.deepEqual(await r.xrange('big-stream', '-', '+', 'COUNT', 1), [['1-0', ['f', `0:${PAD}`]]]);
    assert.deepEqual(await r.xrevrange('big-stream', '+', '-', 'COUNT', 1), [[`${n / 2}-0`, ['f', `${n / 2 - 1}:${PAD}`]]]);
    assert.equal(((await r.xpending('big-stream', 'g')) as unknown[])[0], 100);
    assert.equal(await r.hlen('big-hash'), n);
    assert.equal(await r.hget('big-hash', 'f0'), `0:${PAD}`);
    assert.equal(await r.hget('big-hash', `f${n - 1}`), `${n - 1}:${PAD}`);
    assert.deepEqual(await r.lrange('big-list', 0, 1), [`0:${PAD}`, `1:${PAD}`]);
    assert.equal(await r.llen('big-list'), n);
    assert.equal(await r.scard('big-set'), n);
    assert.equal(await r.sismember('big-set', member(0)), 1);
    assert.equal(await r.zcard('big-zset'), n);
    assert.equal(await r.zscore('big-zset', member(1)), '1');
    assert.deepEqual(await r.mget('k0', 'k49'), ['old', 'old']);
    await r.select(1);
    assert.equal(await r.dbsize(), 50);
    assert.deepEqual(await r.mget('x0', 'x49'), ['old', 'old']);
  });
});

test('seven transfers at once; an eighth refused while SAVE still runs; readers gone mid-file leave nothing held', async () => {
  await withClient(depot.port, async (c) => {
    await c.flushall();
    for (let i = 0; i < 20_000; i += 1000) {
      const p = c.pipeline();
      for (let j = i; j < i + 1000; j++) p.set(`k${j}`, PAD);
      await p.exec();
    }
  });
  const readers: RawClient[] = [];
  for (let i = 0; i < 7; i++) readers.push(await pausedTransfer());
  const eighth = await RawClient.open(depot.port);
  eighth.send('REPLCONF', 'rdb-only', '1');
  eighth.send('SYNC');
  await eighth.until((b) => b.toString('latin1').split('\r\n').length > 2);
  assert.equal(eighth.received.toString('latin1'), '+OK\r\n-ERR 7 RDB transfers are in progress, the most Depot runs at once: try again when one has finished\r\n');
  eighth.close();
  await withClient(depot.port, async (c) => assert.equal(await c.save(), 'OK'));
  for (const raw of readers) raw.close();
  const file = join(dir, 'after-abandoned.rdb');
  // The server learns of the closes on its own time: redis-cli is retried until a transfer starts.
  for (const deadline = Date.now() + 20_000; ; ) {
    try {
      await run('redis-cli', ['-p', String(depot.port), '--rdb', file], { timeout: 30_000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.match(await check(file), /20000 keys read/);
});

test("REPLCONF, SYNC and PSYNC errors as redis-server's; SYNC without rdb-only refused with Depot's reason", async () => {
  const lines = [
    ['REPLCONF'],
    ['REPLCONF', 'a'],
    ['REPLCONF', 'foo', 'bar'],
    ['REPLCONF', 'rdb-only', '2'],
    ['REPLCONF', 'rdb-only', 'x'],
    ['REPLCONF', 'rdb-filter-only', 'foo'],
    ['REPLCONF', 'rdb-filter-only', 'functions keys'],
    ['REPLCONF', 'listening-port', 'abc'],
    ['REPLCONF', 'listening-port', '6380', 'capa', 'eof', 'ip-address', '127.0.0.1'],
    ['PSYNC'],
    ['PSYNC', 'a'],
    ['PSYNC', 'a', 'b'],
    ['SYNC', 'extra'],
  ];
  const replies = async (port: number) => {
    const out: string[] = [];
    const raw = await RawClient.open(port);
    for (const argv of lines) {
      const before = raw.received.length;
      raw.send(...argv);
      await raw.until((b) => b.length > before && b.subarray(before).includes('\r\n'));
      out.push(`${argv.join(' ')} -> ${raw.received.subarray(before).toString('latin1').trim()}`);
    }
    const before = raw.received.length;
    raw.send('MULTI');
    raw.send('SYNC');
    await raw.until((b) => b.subarray(before).toString('latin1').split('\r\n').length > 2);
    out.push(`MULTI SYNC -> ${raw.received.subarray(before).toString('latin1').trim()}`);
    raw.close();
    return out;
  };
  assert.deepEqual(await replies(depot.port), await replies(reference.port));

  const raw = await RawClient.open(depot.port);
  raw.send('SYNC');
  await raw.until((b) => b.includes('\r\n'));
  assert.match(raw.received.toString('latin1'), /^-ERR Depot does not stream its writes to Redis replicas.*REPLCONF rdb-only 1/);
  raw.send('PING');
  await raw.until((b) => b.includes('+PONG'));
  raw.close();
});

test('the CRC-64 over pieces is the CRC-64 of the whole', () => {
  const bytes = Buffer.from('123456789');
  // crc64.c's check value for "123456789".
  assert.equal(crc64(bytes), 0xe9c6d914c4b8d9can);
  assert.equal(new Crc64().update(bytes.subarray(0, 4)).update(bytes.subarray(4)).value, crc64(bytes));
  const big = Buffer.from(readFileSync(new URL(import.meta.url)));
  const c = new Crc64();
  for (let i = 0; i < big.length; i += 1000) c.update(big.subarray(i, i + 1000));
  assert.equal(c.value, crc64(big));
});
