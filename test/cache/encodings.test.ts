// Small hashes, sets and sorted sets are packed (machine/hash.ts, member-set.ts, zset.ts), as
// Redis keeps small hashes and sorted sets in a listpack: the same commands against Depot and
// Debian's redis-server 7.0.15 must give the
// same replies, byte for byte and in the same order, including OBJECT ENCODING through the
// conversions Redis makes (a long field, value or member; more entries than the limit; a limit
// lowered by CONFIG SET), HGETALL's order (insertion order, an overwrite keeping its place),
// HSCAN and ZSCAN answering a packed value whole with cursor 0, and HRANDFIELD and ZRANDMEMBER
// with a count covering the value. Sets (which Redis 7.0 keeps as an intset or a hash table, in
// its own order) are compared with their members sorted, through a set's growth past 128 members.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, show, type Reply } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';

let depot: ServerProcess;
let redis: ServerProcess;
let cd: RespClient;
let cr: RespClient;

before(async () => {
  [depot, redis] = await Promise.all([startDepot(), startRedis()]);
  [cd, cr] = await Promise.all([RespClient.open(depot.port), RespClient.open(redis.port)]);
});

after(async () => {
  cd.close();
  cr.close();
  await Promise.all([depot.stop(), redis.stop()]);
});

/** Runs each command on both servers and asserts the same reply (an array's elements sorted, with `sorted`). */
async function same(...commands: string[][]): Promise<void> {
  await compare(commands, (r) => show(r));
}

async function sameSorted(...commands: string[][]): Promise<void> {
  await compare(commands, (r) => (r.t === 'array' || r.t === 'set' ? r.v.map(show).sort().join(', ') : show(r)));
}

async function compare(commands: string[][], text: (r: Reply) => string): Promise<void> {
  for (const args of commands) {
    const [d, r] = await Promise.all([cd.call(...args), cr.call(...args)]);
    assert.equal(text(d), text(r), args.join(' '));
  }
}

const encoding = (key: string) => ['OBJECT', 'ENCODING', key];

test('a small hash reads in insertion order; an overwrite keeps its place; HSCAN and HRANDFIELD answer it whole', async () => {
  await same(
    ['HSET', 'h1', 'a', '1', 'b', '2', 'c', '3'],
    encoding('h1'),
    ['HSET', 'h1', 'b', '22'],
    ['HDEL', 'h1', 'a'],
    ['HSET', 'h1', 'a', '11', 'd', ''],
    ['HGETALL', 'h1'],
    ['HKEYS', 'h1'],
    ['HVALS', 'h1'],
    ['HMGET', 'h1', 'a', 'nope', 'd'],
    ['HSCAN', 'h1', '0', 'COUNT', '1'],
    ['HSCAN', 'h1', '0', 'MATCH', '[ab]'],
    ['HRANDFIELD', 'h1', '10', 'WITHVALUES'],
    ['HINCRBY', 'h1', 'n', '5'],
    ['HINCRBYFLOAT', 'h1', 'n', '0.5'],
    ['HSTRLEN', 'h1', 'n'],
    ['HGETALL', 'h1'],
    encoding('h1'),
  );
});

test('a field or value over hash-max-listpack-value makes a table for good', async () => {
  await same(
    ['HSET', 'h2', 'f', 'v'.repeat(64)],
    encoding('h2'),
    ['HSET', 'h2', 'g', 'w'.repeat(65)],
    encoding('h2'),
    ['HDEL', 'h2', 'g'],
    encoding('h2'),
    ['HSET', 'h3', 'x'.repeat(65), '1'],
    encoding('h3'),
    ['HGET', 'h2', 'f'],
  );
});

test('more fields than hash-max-listpack-entries make a table; a lowered limit converts a hash at its next write', async () => {
  const fields = Array.from({ length: 512 }, (_, i) => [`field:${i}`, `${i}`]).flat();
  await same(
    ['CONFIG', 'GET', 'hash-max-listpack-entries'],
    ['CONFIG', 'GET', 'hash-max-ziplist-value'],
    ['HSET', 'h4', ...fields],
    encoding('h4'),
    ['HSET', 'h4', 'one more', 'x'],
    encoding('h4'),
    ['HDEL', 'h4', 'one more', 'field:0'],
    encoding('h4'),
    ['HSET', 'h5', 'a', '1', 'b', '2', 'c', '3'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '2'],
    ['CONFIG', 'GET', 'hash-max-ziplist-entries'],
    encoding('h5'),
    ['HGET', 'h5', 'a'],
    encoding('h5'),
    ['HSET', 'h5', 'a', 'overwritten'],
    encoding('h5'),
    ['HSET', 'h6', 'a', '1', 'b', '2'],
    encoding('h6'),
    ['CONFIG', 'SET', 'hash-max-ziplist-value', '3'],
    ['CONFIG', 'GET', 'hash-max-listpack-value'],
    ['HSET', 'h6', 'a', 'four'],
    encoding('h6'),
    ['CONFIG', 'SET', 'hash-max-listpack-value', '1kb'],
    ['CONFIG', 'GET', 'hash-max-listpack-value'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '-1'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '128', 'hash-max-listpack-value', '64'],
  );
});

test('a small sorted set: order, ranks, ranges, pops and scans as Redis gives them', async () => {
  await same(
    ['ZADD', 'z1', '2', 'b', '1', 'a', '1', 'c', '-0', 'zero', 'inf', 'top', '-inf', 'bottom', '1.5', 'x'],
    encoding('z1'),
    ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'],
    ['ZREVRANGE', 'z1', '1', '3', 'WITHSCORES'],
    ['ZRANK', 'z1', 'c'],
    ['ZREVRANK', 'z1', 'c'],
    ['ZSCORE', 'z1', 'zero'],
    ['ZMSCORE', 'z1', 'a', 'nope', 'top'],
    ['ZRANGEBYSCORE', 'z1', '(1', '+inf', 'WITHSCORES', 'LIMIT', '1', '2'],
    ['ZREVRANGEBYSCORE', 'z1', '2', '-inf'],
    ['ZCOUNT', 'z1', '-inf', '(2'],
    ['ZADD', 'same', '0', 'b', '0', 'a', '0', 'd', '0', 'c'],
    ['ZRANGEBYLEX', 'same', '[b', '+'],
    ['ZLEXCOUNT', 'same', '(a', '[c'],
    ['ZINCRBY', 'z1', '5', 'a'],
    ['ZADD', 'z1', 'XX', 'CH', '-5', 'b'],
    ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'],
    ['ZSCAN', 'z1', '0', 'COUNT', '1'],
    ['ZSCAN', 'z1', '0', 'MATCH', '[abc]'],
    ['ZRANDMEMBER', 'z1', '20', 'WITHSCORES'],
    ['ZPOPMIN', 'z1', '2'],
    ['ZPOPMAX', 'z1'],
    ['ZREM', 'z1', 'x', 'nope'],
    ['ZREMRANGEBYSCORE', 'z1', '-inf', '1'],
    ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'],
    ['ZUNIONSTORE', 'u', '2', 'z1', 'same', 'WEIGHTS', '2', '1'],
    encoding('u'),
    ['ZRANGE', 'u', '0', '-1', 'WITHSCORES'],
    encoding('z1'),
  );
});

test('a long member or more members than zset-max-listpack-entries make a sorted set a skiplist for good', async () => {
  const members = Array.from({ length: 128 }, (_, i) => [`${i % 7}`, `member:${i}`]).flat();
  await same(
    ['CONFIG', 'GET', 'zset-max-listpack-entries'],
    ['CONFIG', 'GET', 'zset-max-ziplist-value'],
    ['ZADD', 'z2', '1', 'm'.repeat(64)],
    encoding('z2'),
    ['ZADD', 'z2', '2', 'n'.repeat(65)],
    encoding('z2'),
    ['ZREM', 'z2', 'n'.repeat(65)],
    encoding('z2'),
    ['ZADD', 'z3', ...members],
    encoding('z3'),
    ['ZADD', 'z3', '9', 'one more'],
    encoding('z3'),
    ['ZREMRANGEBYRANK', 'z3', '0', '100'],
    encoding('z3'),
    ['ZRANGESTORE', 'small', 'z3', '0', '2'],
    encoding('small'),
    ['ZRANGE', 'small', '0', '-1', 'WITHSCORES'],
  );
});

test('a lowered zset-max-listpack-entries converts at the next new member; a score update leaves a packed set packed', async () => {
  await same(
    ['ZADD', 'z4', '1', 'a', '2', 'b', '3', 'c'],
    ['CONFIG', 'SET', 'zset-max-listpack-entries', '2'],
    ['ZADD', 'z4', '10', 'a'],
    encoding('z4'),
    ['ZINCRBY', 'z4', '1', 'b'],
    encoding('z4'),
    ['ZADD', 'z4', '4', 'd'],
    encoding('z4'),
    ['ZRANGE', 'z4', '0', '-1', 'WITHSCORES'],
    ['CONFIG', 'SET', 'zset-max-ziplist-value', '2'],
    ['ZADD', 'z5', '1', 'abc'],
    encoding('z5'),
    ['CONFIG', 'SET', 'zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64'],
    ['CONFIG', 'GET', 'zset-max-listpack-value'],
  );
});

test('a set growing past 128 members and shrinking again answers as Redis does (members compared sorted)', async () => {
  const reads = (key: string) => [
    ['SCARD', key],
    ['SISMEMBER', key, 'm:5'],
    ['SMISMEMBER', key, 'm:0', 'nope', 'm:127', 'm:128'],
    ['SMEMBERS', key],
    ['SINTERCARD', '2', key, 'other'],
    ['SINTER', key, 'other'],
    ['SDIFF', key, 'other'],
    encoding(key),
  ];
  await sameSorted(['SADD', 'other', 'm:1', 'm:100', 'm:200', 'x'], ['SADD', 's1', 'only'], ...reads('s1'));
  for (let i = 0; i < 200; i += 50) {
    await sameSorted(['SADD', 's1', ...Array.from({ length: 50 }, (_, k) => `m:${i + k}`)], ...reads('s1'));
  }
  await sameSorted(['SREM', 's1', ...Array.from({ length: 190 }, (_, k) => `m:${k}`)], ...reads('s1'));
  await sameSorted(['SADD', 's2', '1', '2', '3'], encoding('s2'), ['SADD', 's2', 'x'.repeat(65)], encoding('s2'), ['SMEMBERS', 's2']);
});

test('strings holding 0 to 9999 report the shared integer reference count, unless maxmemory evicts by LRU or LFU', async () => {
  const lines = ['0', '1', '9999', '10000', '-1', '01', 'abc'].flatMap((v) => [['SET', 'n', v], ['OBJECT', 'REFCOUNT', 'n']]);
  await same(['FLUSHALL'], ...lines, ['HSET', 'h', 'f', '1'], ['OBJECT', 'REFCOUNT', 'h']);
  await same(['CONFIG', 'SET', 'maxmemory', '1gb'], ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'], ['SET', 'n', '5'], ['OBJECT', 'REFCOUNT', 'n']);
  await same(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'], ['SET', 'n', '5'], ['OBJECT', 'REFCOUNT', 'n'], ['CONFIG', 'SET', 'maxmemory', '0']);
});
