// SORT and SORT_RO against redis-server 7.0.15 side by side: the same command lines on both,
// every reply compared byte for byte (numeric and ALPHA orders, ties, LIMIT's edges, BY and GET
// patterns with hash fields and missing keys, BY nosort on each type, STORE replacing a key and
// its TTL or deleting it, a set sorted when stored or read by a script, errors), then the
// ACL rule on patterns and the keyspace events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyEvents, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

test('SORT and SORT_RO answer as redis-server does', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['RPUSH', 'l', '3', '1', '2', '10', '-5', '2.5', '1e2', ' 7', ''],
    ['SORT', 'l'],
    ['SORT', 'l', 'DESC'],
    ['SORT', 'l', 'ALPHA'],
    ['SORT', 'l', 'ALPHA', 'DESC'],
    ['SORT', 'l', 'LIMIT', '1', '3'],
    ['SORT', 'l', 'LIMIT', '-1', '2'],
    ['SORT', 'l', 'LIMIT', '2', '-1'],
    ['SORT', 'l', 'LIMIT', '100', '2'],
    ['SORT', 'l', 'BY', 'nosort'],
    ['SORT', 'l', 'BY', 'nosort', 'DESC'],
    ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '1', '2'],
    ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
    ['RPUSH', 'bad', '1', 'x', '2'],
    ['SORT', 'bad'],
    ['SORT', 'bad', 'ALPHA'],
    ['SORT', 'bad', 'STORE', 'dd'],
    ['EXISTS', 'dd'],
    ['RPUSH', 'u', '3', '1', '2'],
    ['MSET', 'w_1', '30', 'w_2', '10', 'w_3', '20', 'o_1', 'one', 'o_3', 'three'],
    ['HSET', 'h_1', 'f', 'b'],
    ['HSET', 'h_2', 'f', 'a'],
    ['SORT', 'u', 'BY', 'w_*'],
    ['SORT', 'u', 'BY', 'w_*', 'DESC'],
    ['SORT', 'u', 'BY', 'w_*', 'GET', '#', 'GET', 'o_*', 'GET', 'h_*->f'],
    ['SORT', 'u', 'BY', 'h_*->f', 'ALPHA'],
    ['SORT', 'u', 'BY', 'h_*->f'],
    ['SORT', 'u', 'BY', 'missing_*'],
    ['SORT', 'u', 'BY', 'o_*', 'ALPHA'],
    ['SORT', 'u', 'BY', 'o_*'],
    ['SORT', 'u', 'GET', 'o_*'],
    ['SORT', 'u', 'GET', 'nostar'],
    ['SORT', 'u', 'GET', 'h_*->'],
    ['SORT', 'u', 'BY', 'w_*', 'LIMIT', '0', '2', 'GET', '#'],
    ['SORT', 'u', 'BY', 'w_*', 'STORE', 'dst'],
    ['LRANGE', 'dst', '0', '-1'],
    ['SORT', 'u', 'GET', 'o_*', 'STORE', 'dst'],
    ['LRANGE', 'dst', '0', '-1'],
    ['EXPIRE', 'dst', '100'],
    ['SORT', 'u', 'STORE', 'dst'],
    ['TTL', 'dst'],
    ['SORT', 'nokey', 'STORE', 'dst'],
    ['EXISTS', 'dst'],
    ['SADD', 's', 'c', 'a', 'b', '10', '2'],
    ['SORT', 's', 'ALPHA'],
    ['SORT', 's', 'BY', 'nosort', 'STORE', 'sd'],
    ['LRANGE', 'sd', '0', '-1'],
    ['SORT', 's', 'LIMIT', '0', '2', 'ALPHA', 'DESC'],
    ['SADD', 'n', '5', '3', '1', '4'],
    ['SORT', 'n'],
    ['SORT', 'n', 'DESC', 'LIMIT', '1', '2'],
    ['ZADD', 'z', '1', 'c', '2', 'b', '3', 'a'],
    ['SORT', 'z', 'BY', 'nosort'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC'],
    ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '5'],
    ['SORT', 'z', 'ALPHA'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '1'],
    ['SORT', 'z'],
    ['SET', 'str', 'x'],
    ['SORT', 'str'],
    ['SORT', 'nokey'],
    ['SORT', 'l', 'FOO'],
    ['SORT', 'l', 'LIMIT', 'x', '1'],
    ['SORT', 'l', 'LIMIT', '1'],
    ['SORT', 'l', 'BY'],
    ['SORT_RO', 'l', 'STORE', 'x'],
    ['SORT_RO', 'u', 'BY', 'w_*', 'GET', 'o_*'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'LIMIT', '0', '1', 'GET', 'store', 'STORE', 'd1', 'STORE', 'd2'],
    ['COMMAND', 'GETKEYS', 'SORT_RO', 'k', 'GET', 'x'],
    ['EVAL', "return redis.call('sort', KEYS[1], 'BY', 'nosort')", '1', 's'],
    ['RPUSH', 'ties', 'b', 'a', 'c'],
    ['SORT', 'ties', 'BY', 'nosuch_*'],
    ['SORT', 'ties', 'BY', 'nosuch_*', 'DESC'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test('BY and GET patterns need access to every key; STORE publishes sortstore, or del when empty', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['ACL', 'SETUSER', 'sorter', 'on', 'nopass', '~u*', '+@all'],
    ['RPUSH', 'u', '2', '1'],
    ['AUTH', 'sorter', 'x'],
    ['SORT', 'u'],
    ['SORT', 'u', 'BY', 'nosort'],
    ['SORT', 'u', 'BY', 'w_*'],
    ['SORT', 'u', 'GET', '#'],
    ['SORT_RO', 'u', 'GET', 'o_*'],
    ['AUTH', 'default', 'x'],
    ['ACL', 'DELUSER', 'sorter'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
  const events = (port: number) =>
    keyEvents(port, async (c) => {
      await c.call('RPUSH', 'src', 'b', 'a');
      await c.call('SORT', 'src', 'ALPHA', 'STORE', 'dst');
      await c.call('SORT', 'nokey', 'STORE', 'dst');
    });
  const [de, re] = await Promise.all([events(servers.depot.port), events(servers.redis.port)]);
  assert.deepEqual(de, re);
  assert.deepEqual(de, ['__keyevent@0__:rpush src', '__keyevent@0__:sortstore dst', '__keyevent@0__:del dst']);
});
