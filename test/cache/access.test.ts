// Which commands count as an access of the keys they name, against redis-server 7.0.15: under
// allkeys-lfu with lfu-log-factor 0 and no decay every access adds exactly one to OBJECT FREQ,
// so each command's effect on its key's counter is compared. Lookups count (Redis's lookupKey),
// EXISTS, TYPE and the TTL family do not (LOOKUP_NOTOUCH), a store's new value keeps the
// replaced one's counter (dbOverwrite), SET ... GET and LMOVE of a list onto itself count twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

/** Each command line; the key whose counter is read is its first argument unless `measured` names another. */
const commands: string[][] = [
  ['GET', 'a'], ['EXISTS', 'a'], ['TYPE', 'a'], ['TTL', 'a'], ['PTTL', 'a'], ['EXPIRETIME', 'a'], ['OBJECT', 'ENCODING', 'a'],
  ['OBJECT', 'IDLETIME', 'a'], ['STRLEN', 'a'], ['DUMP', 'a'], ['TOUCH', 'a'], ['SET', 'a', 'v'], ['APPEND', 'a', 'x'],
  ['SETRANGE', 'a', '0', 'y'], ['GETRANGE', 'a', '0', '1'], ['MGET', 'a'], ['SET', 'a', 'v', 'GET'], ['EXPIRE', 'a', '100'],
  ['PERSIST', 'a'], ['SET', 'a', 'w', 'KEEPTTL'], ['GETEX', 'a'], ['SETNX', 'a', '1'], ['INCR', 'a'], ['LPUSH', 'l', 'x'], ['LLEN', 'l'],
  ['LRANGE', 'l', '0', '-1'], ['LPOS', 'l', 'x'], ['RPOPLPUSH', 'l', 'l'], ['SORT', 'l', 'ALPHA'], ['HSET', 'h', 'f', 'v'],
  ['HGET', 'h', 'f'], ['HGETALL', 'h'], ['HEXISTS', 'h', 'f'], ['HSCAN', 'h', '0'], ['SADD', 's', 'x'], ['SISMEMBER', 's', 'x'],
  ['SINTER', 's'], ['SINTERSTORE', 'd', 's'], ['SCARD', 's'], ['ZADD', 'z', '1', 'x'], ['ZSCORE', 'z', 'x'], ['ZRANGE', 'z', '0', '-1'],
  ['ZUNIONSTORE', 'z2', '1', 'z'], ['COPY', 'a', 'a2'], ['RENAME', 'a2', 'a3'], ['SCAN', '0'], ['KEYS', '*'], ['RANDOMKEY'],
  ['MEMORY', 'USAGE', 'a'], ['PFCOUNT', 'a'], ['WATCH', 'a'], ['BITCOUNT', 'a'], ['GETBIT', 'a', '0'], ['SETBIT', 'a', '0', '1'],
  ['BITOP', 'NOT', 'a4', 'a'], ['GETSET', 'a', 'v'], ['GETDEL', 'a2x'], ['LMOVE', 'l', 'l', 'LEFT', 'RIGHT'], ['RPUSH', 'm', 'x'],
  ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'], ['SMOVE', 's', 's2', 'm'], ['SADD', 's', 'm'], ['SMOVE', 's', 's', 'm'],
  ['HINCRBY', 'h', 'n', '1'], ['HDEL', 'h', 'n'], ['ZINCRBY', 'z', '1', 'x'], ['ZREM', 'z', 'nox'], ['LSET', 'l', '0', 'q'],
  ['LINSERT', 'l', 'BEFORE', 'q', 'r'], ['RENAME', 'a', 'a5'], ['RENAME', 'a5', 'a'], ['MSET', 'a', '1', 'b', '2'], ['MSETNX', 'a', '1'],
  ['SETEX', 'a', '100', 'v'], ['PSETEX', 'a', '100000', 'v'], ['INCRBYFLOAT', 'a', '1'], ['DECRBY', 'a', '1'],
  ['SORT', 'l', 'ALPHA', 'STORE', 'l'], ['LTRIM', 'l', '0', '-1'], ['LREM', 'l', '0', 'zz'], ['SPOP', 's2'], ['HRANDFIELD', 'h'],
  ['ZPOPMIN', 'z', '0'], ['XADD', 'st', '*', 'f', 'v'], ['XLEN', 'st'], ['XRANGE', 'st', '-', '+'], ['PFADD', 'p', 'x'], ['PFCOUNT', 'p'],
  ['PFMERGE', 'p', 'p'], ['GEOADD', 'g', '0', '0', 'x'], ['GEOPOS', 'g', 'x'], ['SINTERSTORE', 's', 's', 'nos'],
  ['SINTERSTORE', 's', 's', 's'], ['SUNIONSTORE', 'h2', 's'], ['ZUNIONSTORE', 'z', '1', 'z'], ['ZRANGESTORE', 'z', 'z', '0', '0'],
  ['SDIFFSTORE', 's', 's'], ['BITOP', 'AND', 'a', 'a'], ['PFMERGE', 'p', 'p'], ['PFMERGE', 'a2', 'p'],
  ['GEOSEARCHSTORE', 'g', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '10', 'km'], ['COPY', 'a2', 'a', 'REPLACE'], ['RENAME', 'a2', 'a'],
  ['OBJECT', 'FREQ', 'a'],
];

/** The key a command line is measured on, where it is not the line's second word. */
const measured: Readonly<Record<string, string>> = {
  RANDOMKEY: 'a', SCAN: 'a', KEYS: 'a', EVAL: 'a', MEMORY: 'a', OBJECT: 'a', SINTERSTORE: 's', ZUNIONSTORE: 'z', COPY: 'a', RENAME: 'a3', BITOP: 'a',
};

function keyOf(argv: readonly string[]): string {
  return measured[argv[0]!] ?? argv[1]!;
}

async function counts(port: number): Promise<string[]> {
  const c = await RespClient.open(port);
  const out: string[] = [];
  try {
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    await c.call('CONFIG', 'SET', 'lfu-log-factor', '0');
    await c.call('CONFIG', 'SET', 'lfu-decay-time', '0');
    const freq = async (key: string) => show(await c.call('OBJECT', 'FREQ', key));
    for (const argv of commands) {
      await c.call('FLUSHALL');
      await c.call('SET', 'a', 'abc');
      await c.call('RPUSH', 'l', 'a', 'b');
      await c.call('HSET', 'h', 'f', 'v', 'n', '1');
      await c.call('SADD', 's', 'm', 'x');
      await c.call('ZADD', 'z', '1', 'm', '2', 'x');
      await c.call('SET', 'a2', 'x');
      await c.call('SET', 'a3', 'x');
      await c.call('RPUSH', 'm', 'x');
      await c.call('PFADD', 'p', 'x');
      await c.call('GEOADD', 'g', '0', '0', 'x');
      await c.call('XADD', 'st', '1-1', 'f', 'v');
      const key = keyOf(argv);
      const before = await freq(key);
      await c.call(...argv);
      out.push(`${argv.join(' ')} [${key}]: ${before} -> ${await freq(key)}`);
    }
  } finally {
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await c.call('CONFIG', 'SET', 'lfu-log-factor', '10');
    await c.call('CONFIG', 'SET', 'lfu-decay-time', '1');
    c.close();
  }
  return out;
}

test('each command counts as an access of its key (OBJECT FREQ) as in Redis', async () => {
  const [depot, redis] = await Promise.all([counts(servers.depot.port), counts(servers.redis.port)]);
  assert.deepEqual(depot, redis);
});
