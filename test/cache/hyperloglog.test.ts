// PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST against redis-server 7.0.15 side by side: the same
// command lines on both, every reply compared byte for byte, values included (GET shows the
// representation: sparse opcodes, promotion to dense, the cached cardinality). Then keyspace
// events, ioredis, restart after SIGKILL, and what a PFADD on a dense value costs the log.
// (The random sequences of differential.test.ts run these commands too.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { keyEvents, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

const latin1 = (...b: number[]) => Buffer.from(b).toString('latin1');
const HEADER = 'HYLL' + latin1(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80);

test('HyperLogLog commands answer as redis-server does', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['PFADD', 'h', 'a', 'b', 'c', 'd', 'e'],
    ['GET', 'h'],
    ['PFCOUNT', 'h'],
    ['GET', 'h'],
    ['PFDEBUG', 'DECODE', 'h'],
    ['PFDEBUG', 'ENCODING', 'h'],
    ['PFADD', 'h', 'a', 'b'],
    ['PFADD', 'h'],
    ['PFADD', 'empty'],
    ['GET', 'empty'],
    ['PFCOUNT', 'empty'],
    ['PFCOUNT', 'nokey'],
    ['PFCOUNT', 'h', 'empty', 'nokey'],
    ['PFMERGE', 'm'],
    ['GET', 'm'],
    ['PFMERGE', 'm', 'h', 'nokey'],
    ['GET', 'm'],
    ['PFCOUNT', 'm'],
    ['EXPIRE', 'm', '100'],
    ['PFADD', 'm', 'z'],
    ['TTL', 'm'],
    ['PFDEBUG', 'TODENSE', 'm'],
    ['PFDEBUG', 'TODENSE', 'm'],
    ['PFDEBUG', 'ENCODING', 'm'],
    ['PFDEBUG', 'DECODE', 'm'],
    ['STRLEN', 'm'],
    ['TTL', 'm'],
    ['PFMERGE', 'h', 'm'],
    ['PFDEBUG', 'ENCODING', 'h'],
    ['PFCOUNT', 'h'],
    ['PFDEBUG', 'ENCODING', 'nokey'],
    ['PFDEBUG', 'FOO', 'h'],
    ['PFDEBUG', 'ENCODING'],
    ['PFADD'],
    ['PFCOUNT'],
    ['PFMERGE'],
    // Not a HyperLogLog: another type, a string without the header, a bad encoding, a dense value
    // of the wrong length, sparse opcodes that do not cover 16384 registers.
    ['SET', 's', 'foo'],
    ['PFADD', 's', 'x'],
    ['PFCOUNT', 's'],
    ['PFCOUNT', 'h', 's'],
    ['PFMERGE', 'h', 's'],
    ['PFMERGE', 's'],
    ['LPUSH', 'l', 'x'],
    ['PFADD', 'l', 'x'],
    ['PFCOUNT', 'h', 'l'],
    ['SET', 'badenc', 'HYLL' + latin1(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) + 'abc'],
    ['PFCOUNT', 'badenc'],
    ['SET', 'shortdense', 'HYLL' + latin1(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) + 'abc'],
    ['PFADD', 'shortdense', 'q'],
    ['SET', 'short', 'HYL'],
    ['PFCOUNT', 'short'],
    ['SET', 'corrupt', HEADER + latin1(0x7f, 0xf0)],
    ['PFCOUNT', 'corrupt'],
    ['PFADD', 'corrupt', 'x'],
    ['PFMERGE', 'z', 'corrupt'],
    ['EXISTS', 'z'],
    ['PFCOUNT', 'corrupt', 'h'],
    ['PFDEBUG', 'GETREG', 'corrupt'],
    ['PFDEBUG', 'DECODE', 'corrupt'],
    ['SET', 'overrun', HEADER + latin1(0x7f, 0xff, 0xff)],
    ['PFMERGE', 'z', 'overrun'],
    ['PFCOUNT', 'overrun'],
    // A value written by Redis reads the same in Depot: this is an 18-byte sparse one with register 0 at 1.
    ['SET', 'copied', HEADER + latin1(0x80, 0x7f, 0xfe)],
    ['PFCOUNT', 'copied'],
    ['PFADD', 'copied', 'a'],
    ['GET', 'copied'],
    // hll-sparse-max-bytes: past it, a sparse value becomes dense.
    ['CONFIG', 'GET', 'hll-sparse-max-bytes'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '40'],
    ['PFADD', 'tiny', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    ['PFDEBUG', 'ENCODING', 'tiny'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '-1'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test("PFSELFTEST passes, and fails as Redis's does when hll-sparse-max-bytes is too small for its sparse check", async () => {
  // Below about 40 bytes a HyperLogLog of 10 elements is dense already, where the test expects
  // it sparse (cardinality 10 < hll-sparse-max-bytes / 2): a failure both must find.
  const lines: string[][] = [
    ['PFSELFTEST'],
    ['PFSELFTEST', 'x'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '25'],
    ['PFSELFTEST'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '22'],
    ['PFSELFTEST'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'],
    ['PFSELFTEST'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'],
    ['EVAL', "return redis.pcall('pfselftest')", '0'],
    ['COMMAND', 'INFO', 'pfselftest'],
  ];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
});

test('values stay byte for byte equal through growth, promotion, merges and 100,000 elements', async () => {
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const element = () => {
    let s = '';
    for (let n = Math.floor(rnd() * 20); n > 0; n--) s += String.fromCharCode(Math.floor(rnd() * 256));
    return s;
  };
  const lines: string[][] = [['FLUSHALL']];
  for (let step = 0; step < 300; step++) {
    const key = `h${step % 5}`;
    lines.push(['PFADD', key, ...Array.from({ length: 1 + Math.floor(rnd() * 30) }, element)]);
    if (step % 3 === 0) lines.push(['PFCOUNT', key]);
    if (step % 7 === 0) lines.push(['GET', key]);
    if (step % 11 === 0) lines.push(['PFCOUNT', 'h0', 'h1', 'h2', 'nokey']);
    if (step % 13 === 0) lines.push(['PFMERGE', `m${step % 3}`, key, `h${(step + 2) % 5}`], ['GET', `m${step % 3}`]);
  }
  // One element at a time, each value compared: a change is logged as the bytes it changed.
  for (let i = 0; i < 400; i++) lines.push(['PFADD', 'one', String(Math.floor(rnd() * 1_000_000)).padStart(12, '0')], ['GET', 'one']);
  for (const key of ['big1', 'big2']) {
    for (let i = 0; i < 100; i++) {
      lines.push(['PFADD', key, ...Array.from({ length: 500 }, (_, j) => `${key}-${i}-${j}`)]);
      if (i % 20 === 0) lines.push(['PFCOUNT', key], ['GET', key]);
    }
    lines.push(['PFCOUNT', key], ['GET', key]);
  }
  lines.push(['PFMERGE', 'all', 'big1', 'big2', 'h0'], ['GET', 'all'], ['PFCOUNT', 'all'], ['PFCOUNT', 'big1', 'big2', 'h3']);
  lines.push(['PFDEBUG', 'GETREG', 'h4'], ['GET', 'h4']);
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
  // The estimates themselves are sound: 50,000 distinct elements each, 100,000 together.
  const counts = d.filter((l) => l.startsWith('PFCOUNT big1 ->') || l.startsWith('PFCOUNT all ->'));
  const last = counts.map((l) => Number(/(\d+)"$/.exec(l)![1]));
  assert.ok(Math.abs(last[last.length - 2]! - 50_000) < 1_500, counts.join('\n'));
  assert.ok(Math.abs(last[last.length - 1]! - 100_000) < 3_000, counts.join('\n'));
});

test('PFADD and PFMERGE publish pfadd events; PFCOUNT publishes none, as in Redis', async () => {
  const events = (port: number) =>
    keyEvents(port, async (c) => {
      await c.call('PFADD', 'e', 'a');
      await c.call('PFADD', 'e', 'a');
      await c.call('PFCOUNT', 'e');
      await c.call('PFMERGE', 'f', 'e');
    });
  const [d, r] = await Promise.all([events(servers.depot.port), events(servers.redis.port)]);
  assert.deepEqual(d, r);
  assert.deepEqual(d, ['__keyevent@0__:pfadd e', '__keyevent@0__:pfadd f']);
});

test('a PFCOUNT that caches its result aborts a WATCH on the key, as in Redis', async () => {
  for (const port of [servers.depot.port, servers.redis.port]) {
    const a = new Redis({ port, lazyConnect: true });
    const b = new Redis({ port, lazyConnect: true });
    try {
      await a.flushall();
      await a.pfadd('w', 'x', 'y');
      await a.watch('w');
      assert.equal(await b.pfcount('w'), 2);
      assert.equal(await a.multi().get('w').exec(), null, `port ${port}`);
      await a.watch('w');
      assert.equal(await b.pfcount('w'), 2); // cached now: nothing written
      assert.notEqual(await a.multi().get('w').exec(), null, `port ${port}`);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  }
});

/** Bytes of the files under `dir`. */
function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return total;
}

test('HyperLogLogs come back after SIGKILL (appendfsync always); a PFADD to a dense one logs bytes, not the value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-hll-kill-'));
  try {
    let server = await startDepot(['--data', dir, '--fsync', 'always']);
    let c = new Redis({ port: server.port });
    for (let i = 0; i < 20; i++) await c.pfadd('dense', ...Array.from({ length: 500 }, (_, j) => `e${i}-${j}`));
    assert.equal(await c.call('PFDEBUG', 'ENCODING', 'dense'), 'dense');
    await c.pfadd('sparse', 'a', 'b', 'c');
    assert.equal(await c.pfcount('sparse'), 3);
    await c.pfmerge('merged', 'sparse', 'dense');
    // 2,000 single-element PFADDs to a 12 KB dense value: the log grows by their records, not by 24 MB.
    const logBefore = dirBytes(dir);
    for (let i = 0; i < 2000; i++) await c.pfadd('dense', `more-${i}`);
    const grown = dirBytes(dir) - logBefore;
    assert.ok(grown < 1024 * 1024, `the log grew by ${grown} bytes`);
    const counts = await Promise.all(['dense', 'sparse', 'merged'].map((k) => c.pfcount(k)));
    const expected = await Promise.all(['dense', 'sparse', 'merged'].map((k) => c.getBuffer(k)));
    c.disconnect();
    await server.kill();
    server = await startDepot(['--data', dir, '--fsync', 'always']);
    c = new Redis({ port: server.port });
    try {
      assert.deepEqual(await Promise.all(['dense', 'sparse', 'merged'].map((k) => c.getBuffer(k))), expected);
      assert.deepEqual(await Promise.all(['dense', 'sparse', 'merged'].map((k) => c.pfcount(k))), counts);
      assert.ok(Math.abs(counts[0]! - 12_000) < 400, `PFCOUNT dense = ${counts[0]}`);
    } finally {
      c.disconnect();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
