// The random command generator of the differential tests (test/cache/*differential.test.ts):
// commands whose replies, run on Depot and on redis-server 7.0 side by side, must be the same
// once normalized (normalize). Replies whose order Redis does not define (set members, hash
// fields, KEYS) are sorted; random commands (SPOP, SRANDMEMBER, ...) appear only with results
// that are determined; timing-dependent values (TTL, EXPIRETIME) are compared by shape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { show, type Reply, type RespClient } from './cache-resp-client.js';
import { repoRoot } from './cache-servers.js';

export const key = fc.constantFrom('k1', 'k2', 'k3', 'l1', 'l2', 'h1', 's1', 's2', 'z1', 'z2');
export const member = fc.constantFrom('a', 'b', 'c', 'd', '1', '2', '10', '-1', '');
// Values of 64 bytes or more are blobs in Depot (machine/blobs.ts): at and around that bound.
const value = fc.constantFrom('v', '1', '42', '-7', '3.5', 'abc', '9223372036854775807', '0.1', '', 'w'.repeat(63), 'x'.repeat(64), 'long-'.repeat(30));
const int = fc.constantFrom('0', '1', '2', '-1', '-2', '5', '100', 'x', '1.5', '-100');
const score = fc.constantFrom('0', '-0', '1', '2.5', '-3', '1e3', 'inf', '-inf', '(1', 'x', '+inf', '0x10', '(0x1p-2', '1e-400', '', ' 1', '1e400');
const lex = fc.constantFrom('-', '+', '[a', '(b', '[c', 'a', '(');
export const side = fc.constantFrom('LEFT', 'RIGHT', 'UP');
// Stream IDs and bounds given explicitly ("*" would take each server's clock).
const sid = fc.constantFrom('1-1', '1-2', '2', '2-*', '3-0', '0-0', '0-1', '5', 'x', '18446744073709551615-18446744073709551615');
const sbound = fc.constantFrom('-', '+', '1', '2-0', '(1-1', '(2', '0', 'x', '(-');
export const sgroup = fc.constantFrom('g1', 'g2');
export const sconsumer = fc.constantFrom('c1', 'c2');
const script = fc.constantFrom(
  "return(redis.call('GET',KEYS[1]))",
  "return(redis.call('INCR',KEYS[1]))",
  "return(redis.pcall('LPUSH',KEYS[1],'a'))",
  "return(redis.call('LPUSH',KEYS[1],'a'))",
  "return(redis.call('TYPE',KEYS[1]))",
  "return(redis.call('ZRANGE',KEYS[1],0,-1,'WITHSCORES'))",
  "return(redis.call('LRANGE',KEYS[1],0,-1))",
  "return(redis.call('EXISTS',KEYS[1],KEYS[2]))",
  "redis.call('SET',KEYS[1],ARGV[1]);return(redis.call('STRLEN',KEYS[1]))",
  "return{1,2.9,-3.5,'x',false,true,{3,{}},nil,4}",
  "return(redis.error_reply('my-error'))",
  "return(redis.status_reply('FINE'))",
  "return{err='E1'}",
  "return{ok='fine'}",
  // Not tonumber(ARGV[1]) alone: Lua 5.4 keeps 9223372036854775807 an integer (docs/cache.md).
  "return(tonumber(ARGV[1])+0.5)",
  "return(#KEYS+#ARGV)",
  "return(cjson.encode({1,'a',true}))",
  "return(redis.sha1hex('abc'))",
  "return(redis.call('NOPE'))",
  "return(redis.call())",
  "return(redis.call('GET'))",
  'return(',
  "error('boom')",
  "return(1/0)",
);
// Large collections, past Redis's listpack and intset limits (128 entries, 512 integers), whose
// commands then work on the tables and the sorted set's tree; one argument of many words (the
// generator splits arguments at spaces).
const words = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');
const many = fc.constantFrom(
  words(300, (i) => (i % 7 === 0 ? 'a' : `e${i}`)),
  words(200, (i) => `f${i} v${i % 13}`),
  words(600, (i) => String(i * 3 - 200)),
  words(200, (i) => `m${i}`),
  words(250, (i) => `${i % 40} z${i}`),
  words(130, (i) => `${(i % 9) - 4}.5 ${i % 5 === 0 ? 'a' : `y${i}`}`),
);
const t = <T extends string[]>(...parts: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.tuple(...parts) as fc.Arbitrary<string[]>;
const c = (name: string) => fc.constant(name);

export const command: fc.Arbitrary<string[]> = fc.oneof(
  // strings
  t(c('SET'), key, value),
  t(c('SET'), key, value, fc.constantFrom('NX', 'XX', 'GET', 'KEEPTTL', 'EX', 'PX', 'NX GET')),
  t(c('GET'), key),
  t(c('GETSET'), key, value),
  t(c('GETDEL'), key),
  t(c('MGET'), key, key, key),
  t(c('MSET'), key, value, key, value),
  t(c('MSETNX'), key, value, key, value),
  t(c('APPEND'), key, value),
  t(c('STRLEN'), key),
  // bitmaps
  t(c('SETBIT'), key, fc.constantFrom('0', '1', '7', '8', '13', '100', '600', '-1', 'x', '4294967296'), fc.constantFrom('0', '1', '2', 'x')),
  t(c('GETBIT'), key, fc.constantFrom('0', '1', '7', '13', '600', '-1', 'x')),
  t(c('BITCOUNT'), key),
  t(c('BITCOUNT'), key, int, int),
  t(c('BITCOUNT'), key, int, int, fc.constantFrom('BYTE', 'BIT', 'bit', 'FOO')),
  t(c('BITCOUNT'), key, int),
  t(c('BITPOS'), key, fc.constantFrom('0', '1', '2', 'x')),
  t(c('BITPOS'), key, fc.constantFrom('0', '1'), int),
  t(c('BITPOS'), key, fc.constantFrom('0', '1'), int, int),
  t(c('BITPOS'), key, fc.constantFrom('0', '1'), int, int, fc.constantFrom('BYTE', 'BIT', 'FOO')),
  t(c('BITOP'), fc.constantFrom('AND', 'OR', 'XOR', 'NOT', 'nand'), key, key, key),
  t(c('BITOP'), c('NOT'), key, key),
  t(c('ZINTERCARD'), fc.constantFrom('1', '2', '0', 'x'), key, key, fc.constantFrom('LIMIT', 'FOO'), int),
  t(c('LCS'), key, key, fc.constantFrom('LEN', 'IDX', 'IDX WITHMATCHLEN', 'IDX MINMATCHLEN 2')),
  t(c('SORT'), key, fc.constantFrom('ALPHA', 'DESC', 'ALPHA DESC', 'LIMIT 1 2', 'ALPHA LIMIT 0 1', 'STORE k1')),
  t(c('BITFIELD'), key, fc.constantFrom('GET', 'SET', 'INCRBY', 'OVERFLOW SAT INCRBY', 'OVERFLOW FAIL SET'), fc.constantFrom('u8', 'i5', 'u63', 'i64', 'u64'), fc.constantFrom('0', '7', '#2', '-1'), int),
  t(c('BITFIELD_RO'), key, c('GET'), fc.constantFrom('u8', 'i16'), fc.constantFrom('0', '#1')),
  t(c('GEOADD'), key, fc.constantFrom('13.361389', '200', 'x', '-0'), fc.constantFrom('38.115556', '85.06', '0'), member),
  t(c('GEOPOS'), key, member, member),
  t(c('GEODIST'), key, member, member, fc.constantFrom('m', 'km', 'yd')),
  t(c('GEOHASH'), key, member),
  t(c('GEOSEARCH'), key, c('FROMLONLAT'), c('13'), c('38'), c('BYRADIUS'), fc.constantFrom('100', '-1', 'x'), c('km'), fc.constantFrom('ASC', 'WITHDIST', 'WITHCOORD', 'COUNT 1', 'COUNT 1 ANY')),
  t(c('GEOSEARCHSTORE'), key, key, c('FROMMEMBER'), member, c('BYBOX'), c('500'), c('500'), c('km'), fc.constantFrom('STOREDIST', 'ASC', 'COUNT 1')),
  t(fc.constantFrom('GEORADIUS', 'GEORADIUS_RO'), key, c('13'), c('38'), fc.constantFrom('100', '-1', 'x'), c('km'), fc.constantFrom('ASC', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'COUNT 1', 'STORE k1')),
  t(fc.constantFrom('GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO'), key, member, c('500'), fc.constantFrom('km', 'mi', 'parsec'), fc.constantFrom('DESC', 'WITHDIST', 'COUNT 1 ANY', 'STOREDIST k2')),
  t(c('SUBSTR'), key, int, int),
  t(c('SORT_RO'), key, fc.constantFrom('ALPHA', 'DESC', 'LIMIT 1 2', 'STORE k1')),
  t(c('BRPOPLPUSH'), key, key, fc.constantFrom('0.01', '-1', 'x')),
  // Scripts (no spaces: the generator splits arguments at spaces). Lua runs in both servers, so
  // these compare redis.call's conversions both ways and its errors.
  t(c('EVAL'), script, c('1'), key, value),
  t(c('EVAL'), script, c('2'), key, key),
  t(c('EVAL'), script, fc.constantFrom('0', '-1', '3', 'x')),
  t(c('EVALSHA'), fc.constantFrom('e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'ffffffffffffffffffffffffffffffffffffffff', 'x'), c('0')),
  t(c('SCRIPT'), fc.constantFrom('LOAD', 'EXISTS'), fc.constantFrom('return(1)', 'return(', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db')),
  t(c('SCRIPT'), c('LOAD'), c('return 1')),
  t(fc.constantFrom('RPUSH', 'LPUSH', 'SADD', 'HSET', 'ZADD', 'SREM', 'ZREM', 'HDEL', 'HMGET', 'SMISMEMBER', 'ZMSCORE'), key, many),
  t(fc.constantFrom('ZRANGE', 'LRANGE'), key, fc.constantFrom('0', '5', '-70', '100', '-1'), fc.constantFrom('-1', '63', '64', '65', '130', '-129'), fc.constantFrom('WITHSCORES', 'REV')),
  t(fc.constantFrom('ZREMRANGEBYRANK', 'LTRIM'), key, fc.constantFrom('0', '60', '-64', '3'), fc.constantFrom('-1', '64', '-130', '200')),
  t(fc.constantFrom('ZRANK', 'ZREVRANK', 'ZSCORE'), key, fc.constantFrom('z17', 'z249', 'y3', 'a', 'm5')),
  t(c('ZCOUNT'), key, fc.constantFrom('-inf', '(3', '10', '-2.5'), fc.constantFrom('+inf', '(20', '3', '39')),
  t(c('ZRANGEBYSCORE'), key, fc.constantFrom('-inf', '(3', '10', '-2.5'), fc.constantFrom('+inf', '(20', '39'), c('LIMIT'), fc.constantFrom('0', '7', '70'), fc.constantFrom('5', '-1', '100')),
  t(c('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER'), fc.constantFrom('e150', 'a', 'e299', 'e1'), member),
  t(c('LREM'), key, fc.constantFrom('2', '-3', '0'), fc.constantFrom('a', 'e8')),
  t(c('LPOS'), key, fc.constantFrom('a', 'e290'), c('RANK'), fc.constantFrom('1', '-2', '5'), c('COUNT'), fc.constantFrom('0', '3')),
  t(c('LSET'), key, fc.constantFrom('150', '-150', '299'), member),
  t(c('LINDEX'), key, fc.constantFrom('150', '-150', '299')),
  t(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key),
  t(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, c('2'), key, key),
  // streams: nothing that replies with idle times (XPENDING's extended form, XINFO CONSUMERS, FULL)
  t(c('XADD'), key, sid, member, value),
  t(c('XADD'), key, fc.constantFrom('MAXLEN 1', 'MAXLEN ~ 1', 'MINID 2', 'MAXLEN = 2', 'NOMKSTREAM', 'MINID ~ 3 LIMIT 1', 'LIMIT 1'), sid, member, value),
  t(fc.constantFrom('XRANGE', 'XREVRANGE'), key, sbound, sbound),
  t(fc.constantFrom('XRANGE', 'XREVRANGE'), key, sbound, sbound, c('COUNT'), int),
  t(c('XLEN'), key),
  t(c('XDEL'), key, sid, sid),
  t(c('XTRIM'), key, fc.constantFrom('MAXLEN', 'MINID', 'MAXLEN ~', 'MINID =', 'FOO'), fc.constantFrom('0', '1', '2-0', 'x')),
  t(c('XSETID'), key, sid, fc.constantFrom('ENTRIESADDED 10', 'MAXDELETEDID 1-1', 'ENTRIESADDED -1', 'ENTRIESADDED 0', 'FOO')),
  t(c('XGROUP'), c('CREATE'), key, sgroup, fc.constantFrom('0', '$', '1-1', 'x'), fc.constantFrom('MKSTREAM', 'ENTRIESREAD 1', 'ENTRIESREAD 0', 'FOO')),
  t(c('XGROUP'), c('SETID'), key, sgroup, fc.constantFrom('0', '$', '1-1')),
  t(c('XGROUP'), c('DESTROY'), key, sgroup),
  t(c('XGROUP'), fc.constantFrom('CREATECONSUMER', 'DELCONSUMER'), key, sgroup, sconsumer),
  t(c('XREADGROUP'), c('GROUP'), sgroup, sconsumer, fc.constantFrom('COUNT 1', 'NOACK', 'COUNT 2 NOACK', 'COUNT 0'), c('STREAMS'), key, fc.constantFrom('>', '0', '1-1', '$')),
  t(c('XREAD'), fc.constantFrom('COUNT 1', 'COUNT 5'), c('STREAMS'), key, key, sid, fc.constantFrom('0', '$')),
  t(c('XACK'), key, sgroup, sid, sid),
  t(c('XPENDING'), key, sgroup),
  t(c('XCLAIM'), key, sgroup, sconsumer, c('0'), sid, sid, fc.constantFrom('JUSTID', 'FORCE JUSTID', 'RETRYCOUNT 3', 'LASTID 9-0 JUSTID', 'BOGUS')),
  t(c('XAUTOCLAIM'), key, sgroup, sconsumer, c('0'), sbound, fc.constantFrom('JUSTID', 'COUNT 1', 'COUNT 0')),
  t(c('XINFO'), fc.constantFrom('STREAM', 'GROUPS'), key),
  t(c('PFADD'), key, member, member, value),
  t(c('PFADD'), key),
  t(c('PFCOUNT'), key),
  t(c('PFCOUNT'), key, key),
  t(c('PFMERGE'), key, key, key),
  t(c('PFDEBUG'), fc.constantFrom('ENCODING', 'DECODE', 'TODENSE', 'GETREG', 'foo'), key),
  t(fc.constantFrom('BZPOPMIN', 'BZPOPMAX'), key, key, fc.constantFrom('0.01', '-1', 'x')),
  t(c('BLMPOP'), fc.constantFrom('0.01', '-1'), c('2'), key, key, side, c('COUNT'), int),
  t(c('BZMPOP'), fc.constantFrom('0.01', '-1'), c('2'), key, key, fc.constantFrom('MIN', 'MAX', 'UP'), c('COUNT'), int),
  t(c('FLUSHDB'), fc.constantFrom('ASYNC', 'SYNC', 'FOO')),
  t(c('PUBLISH'), key, value),
  t(c('PUBSUB'), fc.constantFrom('CHANNELS', 'NUMPAT', 'NUMSUB', 'FOO')),
  t(c('FUNCTION'), c('LIST')),
  t(c('SET'), key, value, c('GET'), fc.constantFrom('NX', 'XX', 'KEEPTTL')),
  t(c('LSET'), key, fc.constantFrom('-1', '0', '100', 'x'), member),
  t(c('LREM'), key, fc.constantFrom('-1', '-2', '0'), member),
  t(c('RPOPLPUSH'), key, key),
  t(c('LTRIM'), key, fc.constantFrom('-100', '1', '9223372036854775807'), fc.constantFrom('-1', '-100', '0')),
  t(c('HSETNX'), key, member, value),
  t(c('HSET'), key, member),
  t(c('ZREMRANGEBYRANK'), key, fc.constantFrom('-100', '-1', '0', 'x'), fc.constantFrom('-1', '100')),
  t(c('ZRANGESTORE'), key, key, fc.constantFrom('0', '-1'), fc.constantFrom('-1', '0'), c('REV')),
  t(c('SINTERCARD'), c('1'), key, c('LIMIT')),
  t(c('APPEND'), key, c('')),
  t(c('MSET'), key),
  t(c('MSETNX'), key, value, key),
  t(c('WATCH'), key, key),
  // Random picks whose result is determined: a count covering the whole collection (the large
  // ones below hold at most 600 elements), zero, or a bad count. Compared without their order.
  t(fc.constantFrom('SPOP', 'SRANDMEMBER', 'HRANDFIELD', 'ZRANDMEMBER'), key, fc.constantFrom('1000', '0', 'x', '-0')),
  t(c('HRANDFIELD'), key, c('1000'), fc.constantFrom('WITHVALUES', 'FOO')),
  t(c('ZRANDMEMBER'), key, c('1000'), fc.constantFrom('WITHSCORES', 'FOO')),
  // Wrong arity and unknown subcommands, which inside MULTI make EXEC abort.
  t(fc.constantFrom('GET', 'SET', 'LPUSH', 'ZADD', 'HSET', 'SADD', 'EXPIRE', 'OBJECT', 'ZRANGE', 'LMPOP'), key),
  t(c('OBJECT'), c('NOPE'), key),
  t(c('ZADD'), key, score),
  t(c('ZADD'), key, c('INCR'), score, member, score, member),
  t(c('HMGET'), key),
  t(c('SMOVE'), key, key),
  t(c('GETRANGE'), key, int, int),
  t(c('SETRANGE'), key, int, value),
  t(c('GETEX'), key, fc.constantFrom('PERSIST', 'EX', 'EX 100', 'PX 5000', 'EXAT 1', 'EX 0', 'PX x', 'FOO')),
  t(fc.constantFrom('SETEX', 'PSETEX'), key, fc.constantFrom('100', '0', '-5', 'x', '100000'), value),
  t(c('SET'), key, value, fc.constantFrom('EX', 'PX'), fc.constantFrom('100', '0', '-1', 'x', '9999999999999')),
  // Not a time already past: Redis 7.0 keeps such a key until it expires it, which DBSIZE shows.
  t(c('SET'), key, value, fc.constantFrom('EXAT', 'PXAT'), fc.constantFrom('0', '-1', 'x', '9999999999999', '9223372036854775807')),
  t(c('OBJECT'), c('ENCODING'), key),
  t(fc.constantFrom('EXPIRETIME', 'PEXPIRETIME'), key),
  // A time long past deletes the key at once; one far ahead sets a TTL that EXPIRETIME reads back.
  t(c('EXPIREAT'), key, fc.constantFrom('1', '4102444800', '9999999999', '-1', 'x', '9223372036854775807')),
  t(c('EXPIREAT'), key, fc.constantFrom('4102444800', '4102444801'), fc.constantFrom('NX', 'XX', 'GT', 'LT', 'NX XX', 'GT LT', 'FOO')),
  t(c('PEXPIREAT'), key, fc.constantFrom('1', '4102444800000', '4102444800001', 'x'), fc.constantFrom('NX', 'XX', 'GT', 'LT')),
  // A COUNT above the collection's size walks all of it in one call: cursor 0 and every match.
  t(c('SCAN'), c('0'), c('COUNT'), c('1000'), c('MATCH'), fc.constantFrom('*', 'k*', '?1', '[hs]*', 'z[^1]', 'nope')),
  t(c('SCAN'), c('0'), c('COUNT'), c('1000'), c('TYPE'), fc.constantFrom('string', 'list', 'hash', 'set', 'zset', 'stream', 'nope')),
  t(c('SCAN'), fc.constantFrom('x', '-1', '0'), c('COUNT'), fc.constantFrom('0', '-1', 'x')),
  t(fc.constantFrom('HSCAN', 'SSCAN', 'ZSCAN'), key, c('0'), c('COUNT'), c('1000')),
  t(fc.constantFrom('HSCAN', 'SSCAN', 'ZSCAN'), key, c('0'), c('COUNT'), c('1000'), c('MATCH'), fc.constantFrom('*', '1*', '?', '[a-c]', '-*')),
  t(fc.constantFrom('HSCAN', 'SSCAN', 'ZSCAN'), key, fc.constantFrom('x', '0'), c('COUNT'), fc.constantFrom('0', 'x')),
  t(c('MOVE'), key, fc.constantFrom('0', '1', '16', 'x')),
  t(c('SWAPDB'), fc.constantFrom('0', '1'), fc.constantFrom('0', '1', '99')),
  t(c('HMSET'), key, member, value),
  t(c('HINCRBY'), key, member, fc.constantFrom('9223372036854775807', '-9223372036854775808', '1')),
  t(c('INCRBY'), key, fc.constantFrom('9223372036854775807', '-9223372036854775808', '9223372036854775808')),
  t(c('LPOS'), key, member, c('RANK'), int, c('COUNT'), int, c('MAXLEN'), int),
  t(c('ZRANGE'), key, score, score, c('BYSCORE'), c('REV'), c('LIMIT'), int, int, c('WITHSCORES')),
  t(c('ZRANGESTORE'), key, key, score, score, c('BYSCORE'), c('LIMIT'), int, int),
  t(c('ZADD'), key, c('INCR'), fc.constantFrom('NX', 'XX', 'GT', 'LT'), score, member),
  t(c('LMPOP'), c('2'), key, key, side, c('COUNT'), int),
  t(c('INCRBYFLOAT'), key, fc.constantFrom('1e308', '-1e308', 'inf', '5.0e3', '0x10', ' 1', '1e-320')),
  t(c('GETRANGE'), key, fc.constantFrom('-100', '-1', '0', '9223372036854775807'), fc.constantFrom('-100', '-1', '0', '9223372036854775807')),
  t(c('SETRANGE'), key, fc.constantFrom('-1', '536870912', '5'), value),
  t(c('COPY'), key, key, c('DB'), fc.constantFrom('0', '1', '16', 'x')),
  t(c('OBJECT'), fc.constantFrom('REFCOUNT', 'FREQ', 'FOO'), key),
  t(c('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER'), fc.constantFrom('zz', 'a'), member),
  t(c('LPOS'), key, member, c('RANK'), fc.constantFrom('-1', '-9223372036854775808', '0', '2')),
  t(c('LRANGE'), key, fc.constantFrom('-100', '9223372036854775807', '-9223372036854775808'), fc.constantFrom('-1', '100')),
  t(fc.constantFrom('BLPOP', 'BRPOP'), key, key, fc.constantFrom('0.01', '-1', 'x')),
  t(c('BLMOVE'), key, key, side, side, fc.constantFrom('0.01', '-1')),
  t(c('HINCRBYFLOAT'), key, member, fc.constantFrom('1e308', 'inf', '-0.5')),
  t(c('HSTRLEN'), key, member),
  t(c('ZINCRBY'), key, fc.constantFrom('inf', '-inf', 'nan'), member),
  t(c('ZADD'), key, fc.constantFrom('NX XX', 'GT LT', 'NX GT', 'XX CH INCR'), score, member),
  t(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), key, score, score, c('LIMIT'), int, int),
  t(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), key, lex, lex, c('LIMIT'), int, int),
  t(fc.constantFrom('ZINTERSTORE', 'ZUNIONSTORE'), key, c('2'), key, key, c('WEIGHTS'), fc.constantFrom('2', 'inf', 'x'), fc.constantFrom('-1', '0')),
  t(fc.constantFrom('ZINTER', 'ZUNION', 'ZDIFF'), c('2'), key, key, c('AGGREGATE'), fc.constantFrom('MIN', 'MAX', 'SUM', 'X'), c('WITHSCORES')),
  t(c('ZRANGESTORE'), key, key, lex, lex, c('BYLEX'), c('REV')),
  t(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.constantFrom('-1', '0', '100')),
  t(c('SMOVE'), key, key, member),
  t(fc.constantFrom('SINTERSTORE', 'SDIFFSTORE'), key, key),
  t(fc.constantFrom('RENAME', 'RENAMENX'), key, c('k1')),
  t(fc.constantFrom('HGETALL', 'HKEYS'), key),
  t(c('EXISTS'), key, key, key),
  t(c('TYPE'), key),
  t(c('STRLEN'), key),
  t(c('SETRANGE'), key, int, value),
  t(fc.constantFrom('INCR', 'DECR'), key),
  t(fc.constantFrom('INCRBY', 'DECRBY'), key, int),
  t(c('INCRBYFLOAT'), key, fc.constantFrom('0.1', '1.5', '-2.25', '1e2', 'x', '3')),
  t(c('SETNX'), key, value),
  // keys
  t(fc.constantFrom('DEL', 'EXISTS', 'UNLINK', 'TOUCH'), key, key),
  t(c('TYPE'), key),
  t(fc.constantFrom('EXPIRE', 'PEXPIRE'), key, fc.constantFrom('1000', '100000', '-1', 'x'), fc.constantFrom('NX', 'XX', 'GT', 'LT', 'NX')),
  t(c('EXPIRE'), key, fc.constantFrom('1000', '2000')),
  t(c('TTL'), key),
  t(c('PERSIST'), key),
  t(fc.constantFrom('RENAME', 'RENAMENX'), key, key),
  t(c('COPY'), key, key),
  t(c('COPY'), key, key, c('REPLACE')),
  t(c('KEYS'), fc.constantFrom('*', 'k*', '?1', '[hs]*')),
  t(c('DBSIZE')),
  // lists
  t(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, member, member),
  t(fc.constantFrom('LPOP', 'RPOP'), key),
  t(fc.constantFrom('LPOP', 'RPOP'), key, int),
  t(c('LLEN'), key),
  t(c('LRANGE'), key, int, int),
  t(c('LINDEX'), key, int),
  t(c('LSET'), key, int, member),
  t(c('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER', 'X'), member, member),
  t(c('LREM'), key, int, member),
  t(c('LTRIM'), key, int, int),
  t(c('LPOS'), key, member, fc.constantFrom('RANK', 'COUNT', 'MAXLEN'), int),
  t(c('LMOVE'), key, key, side, side),
  t(c('RPOPLPUSH'), key, key),
  t(c('LMPOP'), fc.constantFrom('1', '2', '0'), key, key, side),
  // hashes
  t(c('HSET'), key, member, value),
  t(c('HSET'), key, member, value, member, value),
  t(c('HSETNX'), key, member, value),
  t(c('HGET'), key, member),
  t(c('HMGET'), key, member, member),
  t(c('HDEL'), key, member, member),
  t(fc.constantFrom('HLEN', 'HGETALL', 'HKEYS', 'HVALS'), key),
  t(c('HEXISTS'), key, member),
  t(c('HSTRLEN'), key, member),
  t(c('HINCRBY'), key, member, int),
  t(c('HINCRBYFLOAT'), key, member, fc.constantFrom('0.1', '2', 'x')),
  // sets
  t(fc.constantFrom('SADD', 'SREM'), key, member, member),
  t(fc.constantFrom('SMEMBERS', 'SCARD'), key),
  t(c('SISMEMBER'), key, member),
  t(c('SMISMEMBER'), key, member, member),
  t(c('SMOVE'), key, key, member),
  t(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), key, key),
  t(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key),
  t(c('SINTERCARD'), fc.constantFrom('1', '2', '0'), key, key),
  t(c('SINTERCARD'), c('2'), key, key, c('LIMIT'), fc.constantFrom('0', '1', '2', '-1', 'x')),
  // sorted sets
  t(c('ZADD'), key, score, member),
  t(c('ZADD'), key, fc.constantFrom('NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'GT CH'), score, member),
  t(c('ZADD'), key, score, member, score, member),
  t(c('ZINCRBY'), key, score, member),
  t(c('ZREM'), key, member, member),
  t(c('ZSCORE'), key, member),
  t(c('ZMSCORE'), key, member, member),
  t(fc.constantFrom('ZCARD'), key),
  t(c('ZCOUNT'), key, score, score),
  t(c('ZLEXCOUNT'), key, lex, lex),
  t(c('ZRANGE'), key, int, int),
  t(c('ZRANGE'), key, int, int, fc.constantFrom('WITHSCORES', 'REV')),
  t(c('ZRANGE'), key, score, score, c('BYSCORE'), fc.constantFrom('WITHSCORES', 'REV')),
  t(c('ZRANGE'), key, lex, lex, c('BYLEX'), c('LIMIT'), int, int),
  t(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), key, score, score, c('WITHSCORES')),
  t(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), key, lex, lex),
  t(c('ZREVRANGE'), key, int, int, c('WITHSCORES')),
  t(fc.constantFrom('ZRANK', 'ZREVRANK'), key, member),
  t(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key),
  t(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, int),
  t(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, fc.constantFrom('1', '2', '3'), key, key),
  t(fc.constantFrom('ZUNION', 'ZINTER', 'ZDIFF'), fc.constantFrom('1', '2'), key, key, c('WITHSCORES')),
  t(c('ZUNIONSTORE'), key, c('2'), key, key, c('WEIGHTS'), score, score, c('AGGREGATE'), fc.constantFrom('MIN', 'MAX', 'SUM')),
  t(fc.constantFrom('ZREMRANGEBYSCORE'), key, score, score),
  t(fc.constantFrom('ZREMRANGEBYRANK'), key, int, int),
  t(fc.constantFrom('ZREMRANGEBYLEX'), key, lex, lex),
  // A small set with different scores, and lexicographic ranges of it: undefined in Redis, but
  // both servers walk a listpack alike (docs/cache.md). Weighted, so that a short sequence often
  // holds both.
  { arbitrary: t(c('ZADD'), c('z1'), fc.constantFrom('0 c 2.5 a 1 b', '1 e 3 d -1 (', '2 a 2 [c 0 b')), weight: 6 },
  { arbitrary: t(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZLEXCOUNT', 'ZREMRANGEBYLEX'), c('z1'), lex, lex), weight: 6 },
  t(c('ZRANGE'), c('z1'), lex, lex, c('BYLEX'), fc.constantFrom('REV', 'LIMIT 1 2', 'REV LIMIT 0 1')),
  t(c('ZRANGESTORE'), key, c('z1'), lex, lex, c('BYLEX'), fc.constantFrom('REV', 'LIMIT 1 -1')),
  t(c('ZRANGESTORE'), key, key, int, int),
  t(c('ZMPOP'), fc.constantFrom('1', '2'), key, key, fc.constantFrom('MIN', 'MAX'), c('COUNT'), int),
  // transactions and misc
  t(c('MULTI')),
  t(c('EXEC')),
  t(c('DISCARD')),
  t(c('WATCH'), key),
  t(c('UNWATCH')),
  t(c('SELECT'), fc.constantFrom('0', '1', '16', '2147483648')),
  t(c('PING')),
  t(c('ECHO'), value),
  t(c('FOO'), value),
);

/** Commands that answer a time, which differs by the milliseconds between the two servers' calls. */
const TIMES = new Set(['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']);

/** Commands whose reply order Redis leaves to its hash tables. */
const UNORDERED = new Set(['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF', 'KEYS', 'HKEYS', 'HVALS']);

/** Cursor scans, run here with a COUNT that walks the whole (small) collection in one call. */
const SCANS = new Set(['SCAN', 'HSCAN', 'SSCAN', 'ZSCAN']);

/** Random picks, compared without their order (and in pairs WITHVALUES / WITHSCORES). */
const PICKS = new Set(['SPOP', 'SRANDMEMBER', 'HRANDFIELD', 'ZRANDMEMBER']);

/** A reply as a comparable text: the same for Depot and Redis when they agree. */
export function normalize(argv: readonly string[], r: Reply): string {
  const name = argv[0]!.toUpperCase();
  if (PICKS.has(name) && (r.t === 'array' || r.t === 'set')) {
    const paired = argv.length === 4 && r.v.length > 0 && r.v[0]!.t !== 'array';
    const items: string[] = [];
    for (let i = 0; i < r.v.length; i += paired ? 2 : 1) items.push(paired ? `${show(r.v[i]!)}=${show(r.v[i + 1]!)}` : show(r.v[i]!));
    return `${r.t}{${items.sort().join(', ')}}`;
  }
  if (TIMES.has(name) && r.t === 'int' && Number(r.v) > 0) return 'int:positive';
  // Redis makes APPEND's and SETRANGE's results raw whatever they hold (docs/cache.md): string
  // encodings are compared as one.
  // So are the reference counts that follow from them (a shared integer's, or 1).
  if (name === 'OBJECT' && r.t === 'bulk' && (r.v === 'raw' || r.v === 'embstr' || r.v === 'int')) return 'bulk:string-encoding';
  if (name === 'OBJECT' && argv[1]?.toUpperCase() === 'REFCOUNT' && r.t === 'int' && (r.v === '1' || r.v === '2147483647')) return 'int:string-refcount';
  if (UNORDERED.has(name) && (r.t === 'array' || r.t === 'set')) return `${r.t}{${r.v.map(show).sort().join(', ')}}`;
  if (name === 'HGETALL' && (r.t === 'array' || r.t === 'map')) {
    const pairs: string[] = [];
    for (let i = 0; i < r.v.length; i += 2) pairs.push(`${show(r.v[i]!)}=${show(r.v[i + 1]!)}`);
    return `${r.t}{${pairs.sort().join(', ')}}`;
  }
  // A whole collection in one SCAN call: the cursor, then the items (pairs for HSCAN and ZSCAN)
  // in any order.
  if (SCANS.has(name) && r.t === 'array' && r.v.length === 2) {
    const [cursor, list] = r.v as [Reply, Reply];
    if (list.t === 'array') {
      const paired = name === 'HSCAN' || name === 'ZSCAN';
      const items: string[] = [];
      for (let i = 0; i < list.v.length; i += paired ? 2 : 1) items.push(paired ? `${show(list.v[i]!)}=${show(list.v[i + 1]!)}` : show(list.v[i]!));
      return `scan ${show(cursor)} {${items.sort().join(', ')}}`;
    }
  }
  // Lua 5.4 (Depot) and Redis's Lua 5.1 word their syntax errors differently; clients read the prefix.
  if (r.t === 'error' && r.v.startsWith('ERR Error compiling script')) return 'error:compiling';
  // Lua 5.4 keeps an integer past 2^53 exact, 5.1 rounds it to a double (docs/cache.md).
  if (name.startsWith('EVAL') && r.t === 'int' && Math.abs(Number(r.v)) > 2 ** 53) return 'int:past-2^53';
  if (name === 'EXEC') {
    return show(r)
      .replace(/int:"(\d+)"/g, (m, n: string) => (Number(n) > 1000 ? 'int:big' : m))
      .replace(/error:"ERR Error compiling script(?:[^"\\]|\\.)*"/g, 'error:compiling');
  }
  return show(r);
}

const LEX = new Set(['ZLEXCOUNT', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZREMRANGEBYLEX']);

/**
 * Redis leaves lexicographic ranges unspecified when scores differ. A small set (a listpack) is
 * walked the same way by both servers (docs/cache.md), a skiplist by its random levels: such
 * commands on a large set with different scores are skipped. ZRANGESTORE's source is its second key.
 */
export async function lexUnspecified(probe: RespClient, db: string, argv: readonly string[]): Promise<boolean> {
  const name = argv[0]!.toUpperCase();
  const byLex = (name === 'ZRANGE' || name === 'ZRANGESTORE') && argv.some((a) => a.toUpperCase() === 'BYLEX');
  if (!LEX.has(name) && !byLex) return false;
  const key = argv[name === 'ZRANGESTORE' ? 2 : 1]!;
  await probe.call('SELECT', db);
  const r = await probe.call('ZRANGE', key, '0', '-1', 'WITHSCORES');
  if (r.t !== 'array') return false;
  const scores = new Set<string>();
  for (let i = 1; i < r.v.length; i += 2) scores.add(show(r.v[i]!));
  if (scores.size <= 1) return false;
  const encoding = await probe.call('OBJECT', 'ENCODING', key);
  return !(encoding.t === 'bulk' && encoding.v === 'listpack');
}

/**
 * Redis 7.0's SORT reads errno without clearing it: after a double that over- or underflowed (a
 * score of 1e400 or 1e-400), a numeric SORT fails until something clears it. Redis's own string2d
 * does: before a SORT (or an EXEC, which may hold one) a ZADD XX of a key never used, which
 * changes nothing, clears it on redis-server.
 */
export async function clearErrno(redisProbe: RespClient, argv: readonly string[]): Promise<void> {
  const name = argv[0]!.toUpperCase();
  if (name === 'SORT' || name === 'SORT_RO' || name === 'EXEC') await redisProbe.call('ZADD', '__errno', 'XX', '0', 'x');
}

/** A generated command line as arguments: the generator joins several with spaces. */
export function argvOf(raw: readonly string[]): string[] {
  return raw.flatMap((a) => (a.includes(' ') ? a.split(' ') : [a]));
}

/** A fixture of test/cache/fixtures: command lines, one JSON array body per line (# starts a comment). */
export function fixture(name: string): string[][] {
  const text = readFileSync(join(repoRoot, 'test', 'cache', 'fixtures', name), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => JSON.parse(`[${l}]`) as string[]);
}
