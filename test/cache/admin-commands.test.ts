// ROLE, WAIT, DEBUG and MODULE against redis-server 7.0.15 side by side: ROLE and WAIT as a
// standalone master without replicas answers them (WAIT 1 50: 0, after 50 ms); DEBUG and MODULE LOAD/LOADEX/UNLOAD refused with Redis 7's texts (its defaults,
// enable-debug-command and enable-module-command "no", are fixed in Depot and cannot be set, as
// in Redis), in a transaction and from a script too; MODULE LIST empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

test('ROLE, WAIT, DEBUG and MODULE answer as redis-server does', async () => {
  const lines: string[][] = [
    ['ROLE'],
    ['ROLE', 'x'],
    ['DEBUG'],
    ['DEBUG', 'SLEEP', '0'],
    ['DEBUG', 'OBJECT', 'k'],
    ['MODULE'],
    ['MODULE', 'LIST'],
    ['MODULE', 'LOAD', '/x.so'],
    ['MODULE', 'LOADEX', '/x.so'],
    ['MODULE', 'UNLOAD', 'x'],
    ['MODULE', 'foo'],
    ['CONFIG', 'GET', 'enable-debug-command'],
    ['CONFIG', 'GET', 'enable-module-command'],
    ['CONFIG', 'SET', 'enable-debug-command', 'yes'],
    ['CONFIG', 'SET', 'enable-module-command', 'local'],
    ['CONFIG', 'SET', 'databases', '3'],
    ['COMMAND', 'INFO', 'role', 'debug'],
    ['MULTI'],
    ['DEBUG', 'SLEEP', '0'],
    ['EXEC'],
    ['EVAL', "return redis.call('role')", '0'],
    ['EVAL', "return redis.pcall('debug', 'sleep', '0')", '0'],
    ['WAIT', '0', '0'],
    ['WAIT', '1', '50'],
    ['WAIT', 'x', '0'],
    ['WAIT', '1', '-1'],
    ['WAIT', '1', '1.5'],
    ['WAIT', '1'],
    ['MULTI'],
    ['WAIT', '1', '0'],
    ['EXEC'],
    ['EVAL', "return redis.pcall('wait', '0', '0')", '0'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});
