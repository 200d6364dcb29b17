// SETBIT GETBIT BITCOUNT BITPOS BITOP against redis-server 7.0.15 side by side: the same command
// lines on both, every reply compared byte for byte, then the keyspace events they publish.
// (The random sequences of differential.test.ts run them too.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyEvents, RespClient, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

const bytes = (...b: number[]) => Buffer.from(b).toString('latin1');

test('bit commands answer as redis-server does', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['SETBIT', 'b', '7', '1'],
    ['SETBIT', 'b', '100', '1'],
    ['SETBIT', 'b', '100', '1'],
    ['SETBIT', 'b', '7', '0'],
    ['GET', 'b'],
    ['GETBIT', 'b', '100'],
    ['GETBIT', 'b', '101'],
    ['GETBIT', 'b', '100000'],
    ['GETBIT', 'nokey', '3'],
    ['SETBIT', 'b', '-1', '1'],
    ['SETBIT', 'b', '4294967296', '1'],
    ['SETBIT', 'b', 'x', '1'],
    ['SETBIT', 'b', '007', '1'],
    ['SETBIT', 'b', '+7', '1'],
    ['GETBIT', 'b', '0100'],
    ['SETBIT', 'b', '1', '2'],
    ['SETBIT', 'b', '1', '-1'],
    ['GETBIT', 'b', 'x'],
    ['SET', 'f', bytes(0xff, 0xf0, 0x00, 0x0f, 0xff)],
    ['BITCOUNT', 'f'],
    ['BITCOUNT', 'f', '1', '3'],
    ['BITCOUNT', 'f', '-2', '-1'],
    ['BITCOUNT', 'f', '-1', '-2'],
    ['BITCOUNT', 'f', '5', '30', 'BIT'],
    ['BITCOUNT', 'f', '-12', '-3', 'bit'],
    ['BITCOUNT', 'f', '0', '100', 'BYTE'],
    ['BITCOUNT', 'f', '0'],
    ['BITCOUNT', 'f', '0', 'x'],
    ['BITCOUNT', 'f', '0', '1', 'FOO'],
    ['BITCOUNT', 'nokey', '0'],
    ['BITPOS', 'f', '0'],
    ['BITPOS', 'f', '1'],
    ['BITPOS', 'f', '1', '2'],
    ['BITPOS', 'f', '0', '0', '0'],
    ['BITPOS', 'f', '1', '2', '2'],
    ['BITPOS', 'f', '0', '3', '4'],
    ['BITPOS', 'f', '0', '3'],
    ['BITPOS', 'f', '1', '13', '27', 'BIT'],
    ['BITPOS', 'f', '0', '0', '11', 'BIT'],
    ['BITPOS', 'f', '0', '-8', '-1', 'BIT'],
    ['BITPOS', 'f', '1', '-1', '-2'],
    ['BITPOS', 'f', '2'],
    ['BITPOS', 'f', '1', '0', '1', 'FOO'],
    ['BITPOS', 'nokey', '0'],
    ['BITPOS', 'nokey', '1'],
    ['SET', 'ones', bytes(0xff, 0xff)],
    ['BITPOS', 'ones', '0'],
    ['BITPOS', 'ones', '0', '0', '-1'],
    ['SET', 'empty', ''],
    ['BITPOS', 'empty', '0'],
    ['BITCOUNT', 'empty'],
    ['SET', 'x', bytes(0x0f, 0x55)],
    ['SET', 'y', bytes(0xf0)],
    ['BITOP', 'AND', 'dest', 'x', 'y'],
    ['GET', 'dest'],
    ['BITOP', 'OR', 'dest', 'x', 'y', 'nokey'],
    ['GET', 'dest'],
    ['BITOP', 'XOR', 'dest', 'x', 'y'],
    ['GET', 'dest'],
    ['BITOP', 'NOT', 'dest', 'x'],
    ['GET', 'dest'],
    ['BITOP', 'NOT', 'dest', 'x', 'y'],
    ['BITOP', 'NAND', 'dest', 'x'],
    ['EXPIRE', 'dest', '100'],
    ['BITOP', 'and', 'dest', 'x'],
    ['TTL', 'dest'],
    ['BITOP', 'OR', 'dest', 'nokey', 'nokey2'],
    ['EXISTS', 'dest'],
    ['LPUSH', 'list', 'a'],
    ['GETBIT', 'list', '0'],
    ['SETBIT', 'list', '0', '1'],
    ['BITCOUNT', 'list'],
    ['BITPOS', 'list', '1'],
    ['BITOP', 'OR', 'dest', 'x', 'list'],
    ['SETBIT', 'big', '1048575', '1'],
    ['STRLEN', 'big'],
    ['BITCOUNT', 'big'],
    ['BITPOS', 'big', '1'],
    ['BITPOS', 'big', '0', '-1'],
    ['SETBIT', 'big', '0', '1'],
    ['BITCOUNT', 'big', '0', '0'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test('BITFIELD and BITFIELD_RO answer as redis-server does', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['BITFIELD', 'bf', 'SET', 'u8', '0', '255', 'GET', 'u8', '0', 'GET', 'i8', '0', 'GET', 'u4', '4', 'GET', 'i64', '0'],
    ['GET', 'bf'],
    ['BITFIELD', 'bf', 'INCRBY', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '102', '1'],
    ['STRLEN', 'bf'],
    ['BITFIELD', 'bf', 'SET', 'i16', '#3', '-1234', 'GET', 'i16', '#3', 'GET', 'u16', '#3', 'GET', 'u63', '0', 'GET', 'i1', '0'],
    ['GET', 'bf'],
    // Overflow: WRAP (default), SAT, FAIL, for INCRBY and SET, signed and unsigned, at 64 bits too.
    ...['WRAP', 'SAT', 'FAIL'].flatMap((o) => [
      ['BITFIELD', `o-${o}`, 'OVERFLOW', o, 'INCRBY', 'u8', '0', '200', 'INCRBY', 'u8', '0', '200', 'INCRBY', 'u8', '0', '-500'],
      ['BITFIELD', `o-${o}`, 'OVERFLOW', o, 'INCRBY', 'i8', '8', '100', 'INCRBY', 'i8', '8', '100', 'INCRBY', 'i8', '8', '-300'],
      ['BITFIELD', `o-${o}`, 'OVERFLOW', o, 'SET', 'u8', '16', '256', 'SET', 'u8', '16', '-1', 'SET', 'i8', '24', '128', 'SET', 'i8', '24', '-129'],
      ['BITFIELD', `o-${o}`, 'OVERFLOW', o, 'SET', 'i64', '32', '9223372036854775807', 'INCRBY', 'i64', '32', '1', 'INCRBY', 'i64', '32', '-1'],
      ['BITFIELD', `o-${o}`, 'OVERFLOW', o, 'SET', 'u63', '96', '9223372036854775807', 'INCRBY', 'u63', '96', '-9223372036854775808', 'INCRBY', 'u63', '96', '1'],
      ['GET', `o-${o}`],
    ]),
    // A new key is created (zero bytes) even when every write fails.
    ['BITFIELD', 'fresh', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '10', '5'],
    ['GET', 'fresh'],
    ['BITFIELD', 'same', 'SET', 'u8', '0', '0'],
    ['BITFIELD', 'same', 'SET', 'u8', '0', '0'],
    ['BITFIELD', 'nokey', 'GET', 'u8', '0'],
    ['EXISTS', 'nokey'],
    ['BITFIELD', 'nokey'],
    ['BITFIELD_RO', 'bf', 'GET', 'i16', '#3', 'GET', 'u8', '1000'],
    ['BITFIELD_RO', 'bf', 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', 'bf', 'GET', 'u8', '0', 'INCRBY', 'u8', '0', '1'],
    ['EXPIRE', 'bf', '100'],
    ['BITFIELD', 'bf', 'SET', 'u8', '200', '1'],
    ['TTL', 'bf'],
    ['STRLEN', 'bf'],
    // Errors, found before anything is written.
    ['BITFIELD', 'err', 'SET', 'u64', '0', '1'],
    ['BITFIELD', 'err', 'GET', 'i65', '0'],
    ['BITFIELD', 'err', 'GET', 'u0', '0'],
    ['BITFIELD', 'err', 'GET', 'U8', '0'],
    ['BITFIELD', 'err', 'GET', 'u8', '-1'],
    ['BITFIELD', 'err', 'GET', 'u8', '#-1'],
    ['BITFIELD', 'err', 'GET', 'u8', 'x'],
    ['BITFIELD', 'err', 'GET', 'u8', '4294967296'],
    ['BITFIELD', 'err', 'GET', 'u8', '#536870912'],
    ['BITFIELD', 'err', 'SET', 'u8', '0', 'x'],
    ['BITFIELD', 'err', 'SET', 'u8', '0', '1', 'GET', 'u8'],
    ['BITFIELD', 'err', 'OVERFLOW', 'UP', 'SET', 'u8', '0', '1'],
    ['BITFIELD', 'err', 'SET', 'u8', '0', '1', 'OVERFLOW'],
    ['BITFIELD', 'err', 'FOO', 'u8', '0'],
    ['EXISTS', 'err'],
    ['LPUSH', 'list', 'a'],
    ['BITFIELD', 'list', 'GET', 'u8', '0'],
    ['BITFIELD', 'list', 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', 'list', 'GET', 'u8', '0'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test('SETBIT, BITOP and BITFIELD publish the keyspace events Redis publishes', async () => {
  const events = (port: number) =>
    keyEvents(port, async (c) => {
      await c.call('SETBIT', 'e', '3', '1');
      await c.call('SET', 'src', 'ab');
      await c.call('BITOP', 'NOT', 'dst', 'src');
      await c.call('BITOP', 'AND', 'dst', 'missing');
      await c.call('BITFIELD', 'bf', 'SET', 'u8', '0', '1');
      await c.call('BITFIELD', 'bf', 'SET', 'u8', '0', '1');
      await c.call('BITFIELD', 'bf', 'GET', 'u8', '0');
    });
  const [d, r] = await Promise.all([events(servers.depot.port), events(servers.redis.port)]);
  assert.deepEqual(d, r);
  assert.deepEqual(d, ['__keyevent@0__:setbit e', '__keyevent@0__:set src', '__keyevent@0__:set dst', '__keyevent@0__:del dst', '__keyevent@0__:setbit bf']);
});

test('bitmaps come back after SIGKILL (appendfsync always): SETBIT replays as one byte, BITOP as its result', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bitmaps-kill-'));
  try {
    let server = await startDepot(['--data', dir, '--fsync', 'always']);
    let c = await RespClient.open(server.port);
    for (const offset of ['5', '70000', '3']) await c.call('SETBIT', 'bm', offset, '1');
    await c.call('SETBIT', 'bm', '5', '0');
    await c.call('BITOP', 'NOT', 'inv', 'bm');
    c.close();
    await server.kill();
    server = await startDepot(['--data', dir, '--fsync', 'always']);
    c = await RespClient.open(server.port);
    try {
      assert.deepEqual(await c.call('STRLEN', 'bm'), { t: 'int', v: '8751' });
      assert.deepEqual(await c.call('BITCOUNT', 'bm'), { t: 'int', v: '2' });
      assert.deepEqual(await c.call('BITPOS', 'bm', '1', '1'), { t: 'int', v: '70000' });
      assert.deepEqual(await c.call('BITCOUNT', 'inv'), { t: 'int', v: String(8751 * 8 - 2) });
    } finally {
      c.close();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
