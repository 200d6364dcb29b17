// ACL LOG against redis-server 7.0.15: the same refusals on both (a command, a key, a channel by
// PUBLISH and again by SUBSCRIBE, a failed AUTH and HELLO AUTH, a key refused to a script's
// call), then the log compared entry by entry, newest first: count, reason, context, object,
// username, and the client-info's command and user (its ids, addresses and ages differ).
// ACL DRYRUN, which asks the same questions without running the command, after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

/** The log as lines: the fields compared, and client-info cut to its command and user. */
async function aclLog(port: number): Promise<string[]> {
  const admin = await RespClient.open(port);
  try {
    await admin.call('ACL', 'SETUSER', 'u', 'on', 'nopass', '~a*', '&x*', '+get', '+publish', '+subscribe', '+eval', '+auth', '+hello');
    await admin.call('ACL', 'LOG', 'RESET');
    const u = await RespClient.open(port);
    try {
      await u.call('AUTH', 'u', 'any');
      await u.call('GET', 'b');
      await u.call('SET', 'a', '1');
      await u.call('GET', 'b');
      await u.call('PUBLISH', 'y', 'm');
      await u.call('EVAL', "return redis.pcall('get', 'zz')", '0');
      await u.call('AUTH', 'nobody', 'wrong');
      await u.call('HELLO', '2', 'AUTH', 'u2', 'bad');
      await u.call('SUBSCRIBE', 'y');
    } finally {
      u.close();
    }
    const log = (await admin.call('ACL', 'LOG')) as { v: Array<{ v: Reply[] }> };
    return log.v.map((entry) => {
      const f = entry.v.map((x) => (x as { v: string }).v);
      const info = /cmd=(\S+) user=(\S+)/.exec(f[13]!);
      assert.ok(Number(f[11]) >= 0 && Number(f[11]) < 60, `age-seconds ${f[11]}`);
      return `${f[0]}=${f[1]} ${f[2]}=${f[3]} ${f[4]}=${f[5]} ${f[6]}=${f[7]} ${f[8]}=${f[9]} ${f[10]} ${f[12]} cmd=${info?.[1]} user=${info?.[2]}`;
    });
  } finally {
    await admin.call('ACL', 'DELUSER', 'u');
    admin.close();
  }
}

test('ACL LOG records refusals as redis-server does', async () => {
  const [d, r] = await Promise.all([aclLog(servers.depot.port), aclLog(servers.redis.port)]);
  assert.deepEqual(d, r);
  assert.equal(d.length, 6, d.join('\n'));
  assert.ok(d.some((l) => l.startsWith('count=2 reason=key context=toplevel object=b username=u')), d.join('\n'));
  assert.ok(d.some((l) => l.includes('reason=key context=lua object=zz')), d.join('\n'));
  const { depot: dl, redis: rl } = await sideBySide(servers.depot.port, servers.redis.port, [
    ['ACL', 'LOG', '0'],
    ['ACL', 'LOG', '-1'],
    ['ACL', 'LOG', 'x'],
    ['ACL', 'LOG', '1', '2'],
    ['ACL', 'LOG', 'RESET'],
    ['ACL', 'LOG'],
    ['CONFIG', 'GET', 'acllog-max-len'],
    ['CONFIG', 'SET', 'acllog-max-len', '-1'],
  ]);
  assert.deepEqual(dl, rl);
});

test('ACL DRYRUN answers as redis-server does', async () => {
  const lines = [
    ['ACL', 'SETUSER', 'alice', 'on', '>p', '~app:*', '&news*', '+get', '+set', '+publish', '+subscribe', '+psubscribe', '+config|get', '+xadd'],
    ['ACL', 'SETUSER', 'bob', 'on', 'nopass', 'allkeys', 'allchannels', '+@all', '-flushall'],
    ...[
      ['get', 'app:1'], ['get', 'other'], ['set', 'app:1', 'v'], ['del', 'app:1'], ['mget', 'app:1', 'other'],
      ['publish', 'news1', 'hi'], ['publish', 'sports', 'hi'], ['subscribe', 'news1', 'sports'],
      ['psubscribe', 'news*'], ['psubscribe', 'news1*'], ['config', 'get', 'maxmemory'], ['config', 'set', 'maxmemory', '1'],
      ['config', 'foo'], ['config'], ['get'], ['nosuchcmd'], ['GET', 'app:1'], ['xadd', 'app:s', '*', 'a', 'b'], ['xadd', 'other', '*', 'a', 'b'],
    ].map((line) => ['ACL', 'DRYRUN', 'alice', ...line]),
    ['ACL', 'DRYRUN', 'bob', 'flushall'],
    ['ACL', 'DRYRUN', 'bob', 'flushdb'],
    ['ACL', 'DRYRUN', 'nobody', 'get', 'x'],
    ['ACL', 'DRYRUN', 'alice'],
    ['ACL', 'DELUSER', 'alice', 'bob'],
  ];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
});
