// LCS, ZINTERCARD (both new in Redis 7) and SUBSTR against redis-server 7.0.15 side by side:
// the same command lines on both, every reply compared byte for byte, including LCS's IDX
// ranges for 40 random pairs of strings (two-letter and eight-letter alphabets, so that matches
// are many and short, or few) with MINMATCHLEN and WITHMATCHLEN, and RESP3's map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

test('LCS, ZINTERCARD and SUBSTR answer as redis-server does', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['MSET', 'key1', 'ohmytext', 'key2', 'mynewtext'],
    ['LCS', 'key1', 'key2'],
    ['LCS', 'key1', 'key2', 'LEN'],
    ['LCS', 'key1', 'key2', 'IDX'],
    ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4'],
    ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
    ['LCS', 'key1', 'key2', 'IDX', 'WITHMATCHLEN'],
    ['LCS', 'key1', 'nokey'],
    ['LCS', 'nokey', 'nokey2', 'IDX'],
    ['LCS', 'key1', 'key2', 'LEN', 'IDX'],
    ['LCS', 'key1', 'key2', 'FOO'],
    ['LCS', 'key1', 'key2', 'MINMATCHLEN'],
    ['LCS', 'key1', 'key2', 'MINMATCHLEN', 'x'],
    ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '-3'],
    ['LPUSH', 'l', 'a'],
    ['LCS', 'key1', 'l'],
    ['LCS', 'l', 'key1', 'FOO'],
    ['SUBSTR', 'key1', '0', '3'],
    ['SUBSTR', 'key1', '-3', '-1'],
    ['SUBSTR', 'nokey', '0', '1'],
    ['SUBSTR', 'key1', 'x', '1'],
    ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'z2', '1', 'b', '2', 'c', '3', 'd'],
    ['SADD', 's1', 'c', 'b', 'x'],
    ['ZINTERCARD', '2', 'z1', 'z2'],
    ['ZINTERCARD', '3', 'z1', 'z2', 's1'],
    ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '1'],
    ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '0'],
    ['ZINTERCARD', '2', 'z1', 'nokey'],
    ['ZINTERCARD', '0', 'z1'],
    ['ZINTERCARD', '3', 'z1', 'z2'],
    ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '-1'],
    ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', 'x'],
    ['ZINTERCARD', '2', 'z1', 'z2', 'WEIGHTS', '1', '2'],
    ['ZINTERCARD', '2', 'z1', 'l'],
    ['ZINTERCARD', '2', 'z1', 'l', 'FOO'],
    ['ZINTERCARD', 'x', 'z1'],
    ['COMMAND', 'GETKEYS', 'ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
    ['COMMAND', 'GETKEYS', 'LCS', 'a', 'b'],
  ];
  let seed = 5;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const text = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  for (let k = 0; k < 40; k++) {
    const alphabet = k % 2 ? 'ab' : 'abcdefgh';
    lines.push(['MSET', 'x', text(Math.floor(rnd() * 40), alphabet), 'y', text(Math.floor(rnd() * 40), alphabet)]);
    lines.push(['LCS', 'x', 'y'], ['LCS', 'x', 'y', 'IDX', 'WITHMATCHLEN'], ['LCS', 'x', 'y', 'IDX', 'MINMATCHLEN', String(Math.floor(rnd() * 4))], ['LCS', 'x', 'y', 'LEN']);
  }
  lines.push(['HELLO', '3'], ['LCS', 'key1', 'key2', 'IDX']);
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  // HELLO's reply carries the connection's id, which the two servers number apart.
  const noId = (l: string) => l.replace(/bulk:"id", int:"\d+"/, 'bulk:"id", int:"?"');
  assert.deepEqual(d.map(noId), r.map(noId));
});
