// CONFIG SET against redis-server 7 side by side: integer and memory parameters, and the tuning
// parameters Depot only remembers, parse, range-check and answer with Redis's texts; several pairs are all or nothing, both when a later pair is
// refused while checking and when applying one fails (Depot refuses to evict keys), in which case
// the pairs applied before it, the journal's fsync policy among them, get their old values back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespClient, type Reply } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';
import { tuningParams } from '../../src/cache/config-tuning.js';

const dir = mkdtempSync(join(tmpdir(), 'depot-config-set-'));
let depot: ServerProcess;
let redis: ServerProcess;
let d: RespClient;
let r: RespClient;

before(async () => {
  [depot, redis] = await Promise.all([startDepot(['--data', dir]), startRedis()]);
  [d, r] = await Promise.all([RespClient.open(depot.port), RespClient.open(redis.port)]);
});

after(async () => {
  d.close();
  r.close();
  await Promise.all([depot.stop(), redis.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const PARAMS = [
  'timeout', 'maxclients', 'hz', 'activerehashing', 'tcp-keepalive', 'proto-max-bulk-len', 'client-query-buffer-limit', 'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'lfu-log-factor', 'lfu-decay-time', 'appendfsync',
  'slowlog-log-slower-than', 'slowlog-max-len', 'tracking-table-max-keys', 'auto-aof-rewrite-percentage', 'auto-aof-rewrite-min-size',
];

async function snapshot(c: RespClient): Promise<Reply[]> {
  return Promise.all(PARAMS.map((p) => c.call('CONFIG', 'GET', p)));
}

describe('CONFIG SET, compared with redis-server 7', () => {
  test('integer and memory parameters: same replies and same values read back', async () => {
    const cases: string[][] = [
      ['timeout', '-5'], ['timeout', '99999999999999999999'], ['timeout', 'abc'], ['timeout', '1k'], ['timeout', '2147483648'], ['timeout', '7'],
      ['maxclients', '0'], ['maxclients', '4294967296'], ['maxclients', '1k'], ['maxclients', '5000'],
      ['hz', '-1'], ['hz', '1.5'], ['hz', ''], ['hz', '1000'], ['hz', '0'], ['hz', '10'],
      ['tcp-keepalive', '-1'], ['tcp-keepalive', '60'],
      ['proto-max-bulk-len', '-5'], ['proto-max-bulk-len', '1k'], ['proto-max-bulk-len', '99999999999999999999'], ['proto-max-bulk-len', 'abc'],
      ['proto-max-bulk-len', '1tb'], ['proto-max-bulk-len', '2 mb'], ['proto-max-bulk-len', '256MB'], ['proto-max-bulk-len', '1000000000'],
      // Beyond 2^53: read back exactly, and the next CONFIG SET (which parses the old value) works.
      ['proto-max-bulk-len', '9223372036854775807'], ['proto-max-bulk-len', '512mb'],
      ['client-query-buffer-limit', '1023kb'], ['client-query-buffer-limit', '2Gb'],
      ['maxmemory', '-5'], ['maxmemory', 'abc'], ['maxmemory', '1g'], ['maxmemory', '18446744073709551615'], ['maxmemory', '0'],
      ['maxmemory-policy', 'bogus'], ['maxmemory-policy', 'Volatile-TTL'], ['maxmemory-policy', 'allkeys-lru'], ['maxmemory-policy', 'volatile-lfu'], ['maxmemory-policy', 'noeviction'],
      ['lfu-log-factor', '-1'], ['lfu-log-factor', '0'], ['lfu-log-factor', '10'], ['lfu-decay-time', 'x'], ['lfu-decay-time', '0'], ['lfu-decay-time', '1'],
      ['maxmemory-samples', '0'], ['maxmemory-samples', '2147483648'], ['maxmemory-samples', '1k'], ['maxmemory-samples', '64'], ['maxmemory-samples', '5'],
      ['appendfsync', 'sometimes'],
      ['activerehashing', 'maybe'], ['activerehashing', 'no'], ['activerehashing', 'YES'],
      ['tracking-table-max-keys', '-1'], ['tracking-table-max-keys', '1k'], ['tracking-table-max-keys', '0'], ['tracking-table-max-keys', '1000000'],
      ['auto-aof-rewrite-percentage', '-1'], ['auto-aof-rewrite-percentage', '2147483648'], ['auto-aof-rewrite-percentage', '0'], ['auto-aof-rewrite-percentage', '100'],
      // Depot's default is 1 GiB (docs/cache.md, "Persistence"): set first, then compared.
      ['auto-aof-rewrite-min-size', '64MB'], ['auto-aof-rewrite-min-size', '-1'], ['auto-aof-rewrite-min-size', 'abc'], ['auto-aof-rewrite-min-size', '1mb'],
    ];
    for (const [name, value] of cases) {
      const want = await r.call('CONFIG', 'SET', name!, value!);
      assert.deepEqual(await d.call('CONFIG', 'SET', name!, value!), want, `CONFIG SET ${name} '${value}'`);
      assert.deepEqual(await d.call('CONFIG', 'GET', name!), await r.call('CONFIG', 'GET', name!), `CONFIG GET ${name} after '${value}'`);
    }
    // The tuning parameters Depot only remembers are checked as Redis checks them.
    const tuning: string[][] = [
      ['lazyfree-lazy-eviction', 'maybe'], ['lazyfree-lazy-user-flush', 'yes'], ['rdbcompression', '1'], ['aof-use-rdb-preamble', 'NO'],
      ['list-max-listpack-size', 'abc'], ['list-max-listpack-size', '-2147483649'], ['list-max-ziplist-size', '5'], ['list-max-listpack-size', '-2'],
      ['list-compress-depth', '-1'], ['set-max-intset-entries', 'x'], ['set-max-intset-entries', '-1'],
      ['set-max-intset-entries', '9223372036854775807'], ['set-max-intset-entries', '512'],
      ['active-expire-effort', '0'], ['active-expire-effort', '11'], ['active-expire-effort', '10'],
      ['loglevel', 'loud'], ['loglevel', 'WARNING'], ['acl-pubsub-default', 'bogus'], ['acl-pubsub-default', 'allchannels'],
      ['io-threads', '4'], ['io-threads-do-reads', 'yes'], ['cluster-enabled', 'yes'], ['rdbchecksum', 'no'],
      ['slave-read-only', 'no'], ['replica-read-only', 'maybe'],
      // The test's redis-server starts with save ''.
      ['save', '3600 1 300 100 60 10000'], ['save', 'bad'], ['save', '900'], ['save', '0 1'], ['save', '1 -1'], ['save', '+900 01 60 0'], ['save', ''],
      ['client-output-buffer-limit', 'master 1 2 3'], ['client-output-buffer-limit', 'normal 1 2'], ['client-output-buffer-limit', 'normal 1 x 3'],
      ['client-output-buffer-limit', 'normal 1mb 2 3 replica 1 2 3'],
      ['slowlog-max-len', '9223372036854775807'], ['slowlog-max-len', '128'],
    ];
    for (const [name, value] of tuning) {
      const want = await r.call('CONFIG', 'SET', name!, value!);
      assert.deepEqual(await d.call('CONFIG', 'SET', name!, value!), want, `CONFIG SET ${name} '${value}'`);
      assert.deepEqual(await d.call('CONFIG', 'GET', name!), await r.call('CONFIG', 'GET', name!), `CONFIG GET ${name} after '${value}'`);
    }
    // The servers' journals differ (Depot's is on), so only the refusal is compared.
    assert.deepEqual(await d.call('CONFIG', 'SET', 'appendonly', 'maybe'), await r.call('CONFIG', 'SET', 'appendonly', 'maybe'));
  });

  test("CONFIG GET * names redis-server's parameters; those Depot only remembers have Redis's defaults, and CONFIG SET checks them as Redis does", async () => {
  const names = async (c: RespClient) => {
    const r = await c.call('CONFIG', 'GET', '*');
    assert.equal(r.t, 'array');
    return (r as { v: Reply[] }).v.filter((_, i) => i % 2 === 0).map((n) => (n as { v: string }).v).sort();
  };
  assert.deepEqual(await names(d), await names(r));
  // A byte limit on the clients' memory must not evict the test's connections.
  for (const c of [d, r]) assert.deepEqual(await c.call('CLIENT', 'NO-EVICT', 'on'), { t: 'simple', v: 'OK' });
  const probes = ['@@bad@@', '-9223372036854775808', '9223372036854775807', '18446744073709551615', '-1', '0', '1', 'YES', 'Optional', '10%', '101%', ''];
  const special: Record<string, string[]> = {
    'oom-score-adj-values': ['1 2', '+5 010 -0', '1 2 3000', '1 2 x', '0 200 800'],
    'proc-title-template': ['{title}', '{title', '{{x}}', '{port}', '{server-mode}', '{nosuch}', '}', '{title}}', '{', '{a{b}', '{title} {listen-addr} {server-mode}'],
    'cluster-announce-hostname': ['a.b-c', 'a_b', ''],
    'maxmemory-clients': ['100%', '-1%', '1.5%', '1kb', '1b', 'kb', '+1', ' 1', '9223372036854775808', '0'],
    'repl-backlog-size': ['1K', '2gb', '99999999999999999999kb', `${'1'.repeat(128)}`],
  };
  // Depot has no protected mode to be on (docs/cache.md, "Configuration").
  assert.deepEqual(await r.call('CONFIG', 'SET', 'protected-mode', 'no'), { t: 'simple', v: 'OK' });
  for (const name of tuningParams().flatMap(([aliases]) => aliases)) {
    const original = await r.call('CONFIG', 'GET', name);
    assert.deepEqual(await d.call('CONFIG', 'GET', name), original, `CONFIG GET ${name}`);
    for (const value of [...probes, ...(special[name] ?? [])]) {
      const want = await r.call('CONFIG', 'SET', name, value);
      assert.deepEqual(await d.call('CONFIG', 'SET', name, value), want, `CONFIG SET ${name} '${value}'`);
      assert.deepEqual(await d.call('CONFIG', 'GET', name), await r.call('CONFIG', 'GET', name), `CONFIG GET ${name} after '${value}'`);
    }
    // Back to the default on both (the test's redis-server starts with save '').
    const back = ((original as { v: Reply[] }).v[1] as { v: string }).v;
    for (const c of [d, r]) await c.call('CONFIG', 'SET', name, back);
  }
  for (const c of [d, r]) await c.call('CLIENT', 'NO-EVICT', 'off');
  // A parameter and its alias are two names: both are set, the later value winning.
  for (const argv of [['slave-read-only', 'no', 'replica-read-only', 'yes'], ['replica-read-only', 'yes', 'slave-read-only', 'no'], ['replica-read-only', 'yes']]) {
    assert.deepEqual(await d.call('CONFIG', 'SET', ...argv), await r.call('CONFIG', 'SET', ...argv), `CONFIG SET ${argv.join(' ')}`);
    assert.deepEqual(await d.call('CONFIG', 'GET', 'replica-read-only'), await r.call('CONFIG', 'GET', 'replica-read-only'));
  }
});

test('CONFIG GET by exact name, CLIENT KILL USER, HELLO and ACL argument errors: the same replies', async () => {
    const cases: string[][] = [
      ['CONFIG', 'GET', 'HZ'],
      ['CONFIG', 'GET', 'Timeout', 'TIMEOUT'], // one parameter, named as first asked (Redis orders several by its hash table)
      ['CONFIG', 'GET', 'maxClients'],
      ['CONFIG', 'GET', 'nosuch'],
      ['CLIENT', 'KILL', 'USER', 'nosuch'],
      ['HELLO', '99999999999999999999'],
      ['HELLO', '2.5'],
      ['HELLO', '1'],
      ['ACL', 'SETUSER', 'cfg-u', '<nopass'],
      ['ACL', 'DELUSER', 'cfg-u'],
    ];
    for (const argv of cases) assert.deepEqual(await d.call(...argv), await r.call(...argv), argv.join(' '));
  });

  test('several pairs: a pair refused while checking leaves every value as it was', async () => {
    const cases: string[][] = [
      ['appendfsync', 'always', 'hz', 'abc'],
      ['hz', '20', 'appendfsync', 'bogus'],
      ['timeout', '30', 'maxclients', '0', 'tcp-keepalive', '10'],
      ['maxmemory', '1mb', 'proto-max-bulk-len', '1k'],
      ['timeout', '30', 'TIMEOUT', '40'],
      ['timeout', '30', 'no-such-parameter', '1'],
      // Every name is checked before any value: the unknown one is the error, and of several
      // refused names the first; an alias repeats its parameter.
      ['timeout', 'x', 'no-such-parameter', '1'],
      ['databases', '1', 'no-such-parameter', '1'],
      ['HZ', '10', 'DIR', '/tmp', 'databases', '1'],
      ['hz', '10', 'HZ', '11'],
      // A value's error names the parameter in lower case.
      ['HZ', 'x'],
      ['Slave-Read-Only', 'maybe'],
      ['dbfilename', 'x.rdb'],
      ['tls-port', '6380'],
    ];
    const dBefore = await snapshot(d);
    const rBefore = await snapshot(r);
    for (const argv of cases) {
      const want = await r.call('CONFIG', 'SET', ...argv);
      assert.equal(want.t, 'error', `redis refused CONFIG SET ${argv.join(' ')}`);
      assert.deepEqual(await d.call('CONFIG', 'SET', ...argv), want, `CONFIG SET ${argv.join(' ')}`);
    }
    assert.deepEqual(await snapshot(r), rBefore);
    assert.deepEqual(await snapshot(d), dBefore);
  });

  test('several pairs: when applying one fails, those applied before it are rolled back', async () => {
    // Depot checks `appendonly` like Redis but refuses to change it when applying it.
    const before = await snapshot(d);
    const reply = await d.call('CONFIG', 'SET', 'appendfsync', 'always', 'timeout', '99', 'maxmemory', '5mb', 'maxmemory-policy', 'allkeys-lfu', 'appendonly', 'no');
    assert.deepEqual(reply, { t: 'error', v: "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Depot chooses the journal at startup: restart with depot start --appendonly no" });
    assert.deepEqual(await snapshot(d), before);
    const info = await d.call('INFO', 'persistence');
    assert.equal(info.t, 'bulk');
    assert.match((info as { v: string }).v, /aof_fsync:everysec\r\n/);
    // The same pairs without the refused one all apply.
    assert.deepEqual(await d.call('CONFIG', 'SET', 'appendfsync', 'always', 'timeout', '99', 'maxmemory-policy', 'noeviction'), { t: 'simple', v: 'OK' });
    assert.deepEqual(await d.call('CONFIG', 'GET', 'appendfsync'), { t: 'array', v: [{ t: 'bulk', v: 'appendfsync' }, { t: 'bulk', v: 'always' }] });
    assert.deepEqual(await d.call('CONFIG', 'GET', 'timeout'), { t: 'array', v: [{ t: 'bulk', v: 'timeout' }, { t: 'bulk', v: '99' }] });
  });
});
