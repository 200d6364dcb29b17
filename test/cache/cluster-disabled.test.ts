// CLUSTER, READONLY, READWRITE, ASKING and RESTORE-ASKING as redis-server 7.0.15 answers them
// without cluster mode: every CLUSTER subcommand (HELP too) refuses once its arity is right, an
// unknown subcommand and a wrong arity get the usual errors first, and RESTORE-ASKING is RESTORE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

test("CLUSTER and the cluster connection commands: redis-server's replies without cluster mode", async () => {
  const lines = [
    ['CLUSTER'], ['CLUSTER', 'INFO'], ['CLUSTER', 'info'], ['CLUSTER', 'HELP'], ['CLUSTER', 'SLOTS'], ['CLUSTER', 'SHARDS'],
    ['CLUSTER', 'NODES'], ['CLUSTER', 'MYID'], ['CLUSTER', 'KEYSLOT', 'a'], ['CLUSTER', 'KEYSLOT'], ['CLUSTER', 'SLOTS', 'x'],
    ['CLUSTER', 'MEET', '127.0.0.1', '1'], ['CLUSTER', 'MEET', '127.0.0.1'], ['CLUSTER', 'ADDSLOTS', '1', '2'], ['CLUSTER', 'RESET', 'HARD'],
    ['CLUSTER', 'SETSLOT', '1', 'NODE', 'x'], ['CLUSTER', 'COUNTKEYSINSLOT', '1'], ['CLUSTER', 'GETKEYSINSLOT', '1', '10'], ['CLUSTER', 'FOO'],
    ['READONLY'], ['READWRITE'], ['ASKING'], ['READONLY', 'x'], ['ASKING', 'x'],
    ['COMMAND', 'GETKEYS', 'RESTORE-ASKING', 'k', '0', 'x'],
  ];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
  assert.equal(depot[1], 'CLUSTER INFO -> error:"ERR This instance has cluster support disabled"');
});

test('RESTORE-ASKING restores a payload DUMP made on redis-server, as RESTORE does', async () => {
  const [r, d] = [new Redis({ port: servers.redis.port, host: '127.0.0.1' }), new Redis({ port: servers.depot.port, host: '127.0.0.1' })];
  try {
    await r.del('src');
    await r.rpush('src', 'a', 'b', 'c');
    const payload = await r.dumpBuffer('src');
    await d.del('copy');
    assert.equal(await d.call('RESTORE-ASKING', 'copy', '5000', payload), 'OK');
    assert.deepEqual(await d.lrange('copy', 0, -1), ['a', 'b', 'c']);
    assert.ok((await d.pttl('copy')) > 0);
    await assert.rejects(d.call('RESTORE-ASKING', 'copy', '0', payload), /^ReplyError: BUSYKEY Target key name already exists\.$/);
    assert.equal(await d.call('RESTORE-ASKING', 'copy', '0', payload, 'REPLACE'), 'OK');
    assert.equal(await d.pttl('copy'), -1);
  } finally {
    r.disconnect();
    d.disconnect();
  }
});
