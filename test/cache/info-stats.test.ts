// What monitoring reads besides the usual INFO fields, against redis-server 7.0.15: INFO's
// sections (default and all), commandstats (calls, rejected and failed calls, times left out),
// errorstats and total_error_replies, CONFIG RESETSTAT; network byte counts and the
// instantaneous rates; the server and replication sections' identifiers; latencystats and LATENCY HISTOGRAM
// (their shape: the figures are timings), latency-tracking and its percentiles; the latency
// monitor (latency-monitor-threshold, LATENCY LATEST, HISTORY, RESET, DOCTOR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';
import { LatencyMonitor } from '../../src/cache/latency-monitor.js';
import { InstantMetric } from '../../src/cache/instant-metrics.js';

const servers = depotAndRedis();

const text = (r: Reply): string => (r.t === 'bulk' || r.t === 'verbatim' ? r.v : '');

/** INFO's section, as its lines. */
async function info(c: RespClient, section: string): Promise<string[]> {
  return text(await c.call('INFO', section))
    .split('\r\n')
    .filter((l) => l.length > 0);
}

/** The same traffic on a server: a few commands, some refused, some failing. */
async function traffic(port: number): Promise<RespClient> {
  const c = await RespClient.open(port);
  await c.call('FLUSHALL');
  await c.call('CONFIG', 'RESETSTAT');
  await c.call('SET', 'a', '1');
  await c.call('GET', 'a');
  await c.call('GET', 'a');
  await c.call('LPUSH', 'a', 'x');
  await c.call('GET');
  await c.call('NOSUCHCOMMAND');
  await c.call('INCR', 'a');
  await c.call('CONFIG', 'GET', 'maxmemory');
  await c.call('HSET', 'h', 'f');
  // An error inside EXEC fails the command, not EXEC.
  await c.call('MULTI');
  await c.call('LPUSH', 'a', 'x');
  await c.call('EXEC');
  return c;
}

test('INFO sections, commandstats, errorstats and total_error_replies as Redis counts them', async () => {
  const [d, r] = await Promise.all([traffic(servers.depot.port), traffic(servers.redis.port)]);
  try {
    const headers = async (c: RespClient, section: string[]) => text(await c.call('INFO', ...section)).split('\r\n').filter((l) => l.startsWith('#'));
    assert.deepEqual(await headers(d, []), await headers(r, []));
    assert.deepEqual(await headers(d, ['all']), await headers(r, ['all']));
    // Times differ from run to run: compared without them.
    const noTimes = (lines: string[]) => lines.map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
    const [dc, rc] = [noTimes(await info(d, 'commandstats')), noTimes(await info(r, 'commandstats'))];
    assert.deepEqual(dc, rc);
    assert.ok(dc.includes('cmdstat_get:calls=2,rejected_calls=1,failed_calls=0'), dc.join('\n'));
    assert.deepEqual((await info(d, 'errorstats')).sort(), (await info(r, 'errorstats')).sort());
    const errors = async (c: RespClient) => (await info(c, 'stats')).filter((l) => l.includes('error_replies'));
    assert.deepEqual(await errors(d), await errors(r));
    assert.deepEqual(await errors(d), ['unexpected_error_replies:0', 'total_error_replies:5']);
    assert.ok(dc.includes('cmdstat_exec:calls=1,rejected_calls=0,failed_calls=0'), dc.join('\n'));
    assert.ok(dc.includes('cmdstat_lpush:calls=2,rejected_calls=0,failed_calls=2'), dc.join('\n'));
    // CONFIG RESETSTAT starts the counts again (it counts itself, as in Redis).
    for (const c of [d, r]) await c.call('CONFIG', 'RESETSTAT');
    const [de, re] = [await info(d, 'errorstats'), await info(r, 'errorstats')];
    assert.deepEqual(de, re);
    assert.deepEqual(de, ['# Errorstats']);
    const [da, ra] = [noTimes(await info(d, 'commandstats')), noTimes(await info(r, 'commandstats'))];
    assert.deepEqual(da, ra);
    assert.ok(!da.some((l) => l.startsWith('cmdstat_get:')), da.join('\n'));
  } finally {
    d.close();
    r.close();
  }
});

test("a script's calls count in commandstats, errorstats and total_commands_processed once, as Redis counts them", async () => {
  const run = async (port: number) => {
    const c = await RespClient.open(port);
    await c.call('FLUSHALL');
    await c.call('SET', 's', 'str');
    await c.call('CONFIG', 'RESETSTAT');
    const scripts = [
      "return redis.call('nosuch')", // refused: counted once, not again as EVAL's reply
      "return redis.pcall('get')", // refused by arity: GET's rejected_calls
      "return redis.pcall('incr', 's')", // failed: INCR's failed_calls, EVAL's too
      "local t = redis.pcall('incr', 's') return {tostring(t.ignore_error_stats_update), t.err}",
      "redis.pcall('incr', 's') return 1", // the error was INCR's: EVAL did not fail
      "return redis.error_reply('MINE x')", // the script's own error: counted for EVAL
      "local t = redis.pcall('incr', 's') t.ignore_error_stats_update = nil return t", // counted twice
      "return redis.call('flushall', 'x', 'y')", // raised: counted once
      'return redis.call()', // a bad call, before any command: counted for EVAL
      "return {redis.call('set', 'k', '1'), redis.call('get', 'k')}",
      "error('plain')",
    ];
    const replies: string[] = [];
    for (const body of scripts) replies.push(JSON.stringify(await c.call('EVAL', body, '0')));
    // Commands EXEC runs are counted as they run, a script's calls inside them too.
    await c.call('MULTI');
    await c.call('EVAL', "return redis.pcall('incr', 's')", '0');
    await c.call('PING');
    await c.call('EXEC');
    const noTimes = (lines: string[]) => lines.map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
    const figures = [
      ...noTimes(await info(c, 'commandstats')),
      ...(await info(c, 'errorstats')).sort(),
      ...(await info(c, 'stats')).filter((l) => /^(total_error_replies|total_commands_processed):/.test(l)),
    ];
    c.close();
    return { replies, figures };
  };
  const [d, r] = await Promise.all([run(servers.depot.port), run(servers.redis.port)]);
  assert.deepEqual(d.replies, r.replies);
  assert.deepEqual(d.figures, r.figures);
  assert.ok(d.figures.includes('cmdstat_incr:calls=5,rejected_calls=0,failed_calls=5'), d.figures.join('\n'));
  assert.ok(d.figures.includes('total_error_replies:12'), d.figures.join('\n'));
});

test('keyspace_hits and keyspace_misses move for the same commands as in Redis', async () => {
  // Each command's effect on the two counters, on both servers, from the same data.
  const commands: string[][] = [
    ['GET', 'a'], ['GET', 'nokey'], ['EXISTS', 'a', 'nokey'], ['TYPE', 'a'], ['TYPE', 'nokey'], ['TTL', 'a'], ['OBJECT', 'ENCODING', 'a'],
    ['STRLEN', 'a'], ['MGET', 'a', 'nokey', 'a'], ['SET', 'a', 'v'], ['SET', 'a', 'v', 'GET'], ['GETSET', 'a', 'v'], ['APPEND', 'a', 'x'],
    ['INCR', 'n'], ['LPUSH', 'l', 'x'], ['LRANGE', 'l', '0', '-1'], ['LLEN', 'nol'], ['SINTER', 's', 'nos'], ['SINTERSTORE', 'd', 's', 'nos'],
    ['HGET', 'h', 'f'], ['HSET', 'h', 'f', 'v'], ['DEL', 'a'], ['DEL', 'nokey'], ['RENAME', 'l', 'l2'], ['COPY', 'l2', 'l3'], ['DUMP', 'l2'],
    ['SORT', 'l2'], ['ZUNIONSTORE', 'z', '2', 'nz', 'nz2'], ['BITOP', 'AND', 'b', 'n', 'nokey'], ['PFCOUNT', 'nokey'], ['EXPIRE', 'n', '100'],
    ['TOUCH', 'n', 'nokey'], ['SCAN', '0'], ['KEYS', '*'], ['RANDOMKEY'], ['XREAD', 'STREAMS', 'nos', '0'], ['GETDEL', 'n'], ['GETEX', 'nokey'],
    ['LMOVE', 'l2', 'l4', 'LEFT', 'LEFT'], ['SMOVE', 'nos', 's', 'm'], ['EVAL', "return redis.call('get', 'nokey')", '0'], ['WATCH', 'nokey'],
    ['MOVE', 'l4', '1'], ['SETNX', 'q', '1'], ['MSETNX', 'q', '1', 'r', '2'], ['GEOADD', 'g', '0', '0', 'm'], ['GEODIST', 'g', 'm', 'm'],
    ['PFADD', 'p', 'x'], ['SRANDMEMBER', 'nos'], ['XADD', 'st', '*', 'f', 'v'], ['XLEN', 'st'],
  ];
  const run = async (port: number) => {
    const c = await RespClient.open(port);
    await c.call('FLUSHALL');
    await c.call('SET', 'a', '1');
    await c.call('SADD', 's', 'm');
    const counters = async () => {
      const stats = await info(c, 'stats');
      return ['keyspace_hits', 'keyspace_misses'].map((name) => Number(stats.find((l) => l.startsWith(`${name}:`))!.split(':')[1]));
    };
    const out: string[] = [];
    for (const command of commands) {
      const [h0, m0] = await counters();
      await c.call(...command);
      const [h1, m1] = await counters();
      out.push(`${command.join(' ')}: +${h1! - h0!} hits, +${m1! - m0!} misses`);
    }
    c.close();
    return out;
  };
  const [d, r] = await Promise.all([run(servers.depot.port), run(servers.redis.port)]);
  assert.deepEqual(d, r);
});

test('RANDOMKEY deletes the expired keys it picks and picks again until it finds a live one, as Redis does', async () => {
  const run = async (port: number) => {
    const c = await RespClient.open(port);
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'hz', '1');
    const keys = Array.from({ length: 2000 }, (_, i) => `gone:${i}`);
    await Promise.all(keys.map((k) => c.call('SET', k, 'x', 'PX', '1')));
    await c.call('SET', 'live', 'x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const picked = await c.call('RANDOMKEY');
    await c.call('CONFIG', 'SET', 'hz', '10');
    c.close();
    return picked;
  };
  const [d, r] = await Promise.all([run(servers.depot.port), run(servers.redis.port)]);
  assert.deepEqual(d, r);
  assert.deepEqual(d, { t: 'bulk', v: 'live' });
});

/**
 * Depot's own INFO fields (docs/cache.md, "INFO"), and the AOF fields Redis prints only with its
 * AOF on (the reference runs without, Depot's journal is on).
 */
const DEPOT_OWN = new Set([
  'depot_version', 'node_version', 'pubsub_clients', 'used_memory_blobs', 'blobs_reserved', 'depot_heap_limit', 'depot_heap_full', 'aof_fsync',
  'aof_current_size', 'aof_base_size', 'aof_pending_rewrite', 'aof_buffer_length', 'aof_pending_bio_fsync', 'aof_delayed_fsync',
  'expired_keys_active', 'pubsub_messages_delivered', 'depot_log_index', 'depot_proposals_in_flight',
]);

test("INFO prints the sections asked for in Redis's order, each once, with redis-server's fields in its order", async () => {
  const [d, r] = await Promise.all([RespClient.open(servers.depot.port), RespClient.open(servers.redis.port)]);
  try {
    await Promise.all([d, r].map((c) => c.call('SET', 'k', 'v')));
    // Per section, its field names (keyspace, cmdstat_ and errorstat_ lines are per key and command: left out).
    const fields = async (c: RespClient, args: string[]) => {
      const out: string[] = [];
      for (const line of text(await c.call('INFO', ...args)).split('\r\n')) {
        if (line.startsWith('# ')) out.push(line);
        else if (line !== '' && !/^(db\d+|cmdstat_|errorstat_|latency_percentiles_usec_)/.test(line) && !DEPOT_OWN.has(line.split(':')[0]!)) out.push(line.split(':')[0]!);
      }
      return out;
    };
    const asks = [[], ['all'], ['everything'], ['default'], ['server', 'clients'], ['clients', 'server'], ['server', 'SERVER'], ['default', 'commandstats'], ['commandstats', 'default'], ['module_list'], ['cpu', 'nosuch'], ['nosuch']];
    for (const args of asks) assert.deepEqual(await fields(d, args), await fields(r, args), `INFO ${args.join(' ')}`);
  } finally {
    d.close();
    r.close();
  }
});

test('network bytes, reads and writes are counted as Redis counts them; the fields monitoring reads are there', async () => {
  const [d, r] = await Promise.all([traffic(servers.depot.port), traffic(servers.redis.port)]);
  try {
    const counts = async (c: RespClient) => (await info(c, 'stats')).filter((l) => /^total_(net_|reads|writes)/.test(l));
    const [dc, rc] = [await counts(d), await counts(r)];
    assert.deepEqual(dc, rc);
    assert.ok(dc.some((l) => /^total_net_input_bytes:[1-9]/.test(l)), dc.join('\n'));
    const names = async (c: RespClient, section: string) => (await info(c, section)).map((l) => l.split(':')[0]!);
    for (const section of ['server', 'stats', 'replication', 'cpu']) {
      const depotNames = new Set(await names(d, section));
      const wanted = ['run_id', 'configured_hz', 'lru_clock', 'instantaneous_ops_per_sec', 'instantaneous_input_kbps', 'instantaneous_output_kbps', 'master_replid', 'second_repl_offset', 'total_forks', 'used_cpu_user_children'];
      for (const name of await names(r, section)) if (wanted.includes(name)) assert.ok(depotNames.has(name), `${section}: ${name}`);
    }
    const runId = (await info(d, 'server')).find((l) => l.startsWith('run_id:'));
    assert.match(runId ?? '', /^run_id:[0-9a-f]{40}$/);
  } finally {
    d.close();
    r.close();
  }
});

test('instantaneous_ops_per_sec follows the commands of the last second or so', async () => {
  const c = await RespClient.open(servers.depot.port);
  try {
    const ops = async () => Number((await info(c, 'stats')).find((l) => l.startsWith('instantaneous_ops_per_sec:'))!.split(':')[1]);
    // Pipelined bursts for at most 300 ms; a sample is taken every 100 ms.
    const until = Date.now() + 300;
    for (let i = 0; i < 200 && Date.now() < until; i++) await Promise.all(Array.from({ length: 100 }, () => c.call('PING')));
    await new Promise((res) => setTimeout(res, 150));
    assert.ok((await ops()) > 0);
  } finally {
    c.close();
  }
});

test('an instantaneous rate is the mean of the last 16 samples, each the rate since the one before', () => {
  const m = new InstantMetric(0);
  m.sample(100, 100); // 1,000 a second
  assert.equal(m.perSecond, 1000 / 16);
  for (let i = 2; i <= 16; i++) m.sample(i * 100, i * 100);
  assert.equal(m.perSecond, 1000);
  // Idle from here: each sample pushes out a busy one.
  for (let i = 17; i <= 24; i++) m.sample(1600, i * 100);
  assert.equal(m.perSecond, 500);
  m.sample(1600, 2400); // no time passed: a rate of 0, not a division by 0
  assert.equal(m.perSecond, 7 * 1000 / 16);
  m.reset(5000);
  assert.equal(m.perSecond, 0);
  m.sample(50, 5100);
  assert.equal(m.perSecond, 500 / 16);
  assert.throws(() => m.sample(10, 5200), /counter went back/);
});

test('latencystats and LATENCY HISTOGRAM: a histogram per command while latency-tracking is on', async () => {
  const c = await RespClient.open(servers.depot.port);
  try {
    await c.call('CONFIG', 'RESETSTAT');
    for (let i = 0; i < 50; i++) await c.call('SET', 'k', String(i));
    const lines = await info(c, 'latencystats');
    const set = lines.find((l) => l.startsWith('latency_percentiles_usec_set:'));
    assert.match(set ?? '', /^latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    const h = await c.call('LATENCY', 'HISTOGRAM', 'set', 'nosuch');
    assert.equal(h.t, 'array');
    const [name, body] = (h as { v: Reply[] }).v;
    assert.deepEqual(name, { t: 'bulk', v: 'set' });
    const [, calls, , buckets] = (body as { v: Reply[] }).v;
    assert.deepEqual(calls, { t: 'int', v: '50' });
    const b = (buckets as { v: Reply[] }).v.map((x) => Number((x as { v: string }).v));
    // Bounds increasing among Redis's (1, 2, 4, 8, 16, 33, 66, ...), counts growing to 50.
    const bounds = b.filter((_, i) => i % 2 === 0);
    const counts = b.filter((_, i) => i % 2 === 1);
    for (const x of bounds) assert.ok([1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816].includes(x), String(bounds));
    assert.deepEqual([...counts].sort((x, y) => x - y), counts);
    assert.equal(counts[counts.length - 1], 50);
    // A container names its subcommands' histograms.
    await c.call('CONFIG', 'GET', 'hz');
    const config = await c.call('LATENCY', 'HISTOGRAM', 'config');
    assert.ok((config as { v: Reply[] }).v.some((x) => x.t === 'bulk' && x.v === 'config|get'));
    // Off: no histogram for what runs from then on.
    await c.call('CONFIG', 'SET', 'latency-tracking', 'no');
    await c.call('STRLEN', 'k');
    assert.ok(!(await info(c, 'latencystats')).some((l) => l.startsWith('latency_percentiles_usec_strlen:')));
    await c.call('CONFIG', 'SET', 'latency-tracking', 'yes');
    await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 90');
    assert.match((await info(c, 'latencystats')).find((l) => l.startsWith('latency_percentiles_usec_set:')) ?? '', /:p50=[\d.]+,p90=[\d.]+$/);
  } finally {
    await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
    c.close();
  }
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, [
    ['CONFIG', 'GET', 'latency-tracking'],
    ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
    ['CONFIG', 'GET', 'latency-monitor-threshold'],
    ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '101'],
    ['CONFIG', 'SET', 'latency-tracking-info-percentiles', 'x'],
    ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50  90'],
    ['CONFIG', 'SET', 'latency-tracking', 'maybe'],
    ['CONFIG', 'SET', 'latency-monitor-threshold', '-1'],
    ['LATENCY', 'HISTOGRAM', 'nosuch'],
    ['LATENCY', 'HISTORY'],
    ['LATENCY', 'FOO'],
  ]);
  assert.deepEqual(d, r);
});

test('the latency monitor: commands over latency-monitor-threshold are events, as Redis records and reports them', async () => {
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, [
    ['LATENCY', 'RESET'],
    ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
    ['LATENCY', 'DOCTOR'],
    ['LATENCY', 'LATEST'],
    ['CONFIG', 'SET', 'latency-monitor-threshold', '100000'],
    ['LATENCY', 'DOCTOR'],
  ]);
  assert.deepEqual(d, r);
  for (const port of [servers.depot.port, servers.redis.port]) {
    const c = await RespClient.open(port);
    try {
      await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '5');
      const before = Math.floor(Date.now() / 1000);
      // A script that runs some 20 ms or more on either server.
      await c.call('EVAL', 'local i = 0 while i < 3000000 do i = i + 1 end return i', '0');
      const latest = (await c.call('LATENCY', 'LATEST')) as { v: Array<{ v: Reply[] }> };
      const event = latest.v.find((e) => (e.v[0] as { v: string }).v === 'command');
      assert.ok(event !== undefined, `port ${port}`);
      const [, time, latency, max] = event.v.map((x) => Number((x as { v: string }).v));
      assert.ok(time! >= before - 1 && latency! >= 5 && max! >= latency!, `port ${port}: ${time} ${latency} ${max}`);
      const history = (await c.call('LATENCY', 'HISTORY', 'command')) as { v: Reply[] };
      assert.equal(history.v.length, 1);
      assert.match(text(await c.call('LATENCY', 'DOCTOR')), /command/);
      assert.deepEqual(await c.call('LATENCY', 'RESET', 'command', 'nosuch'), { t: 'int', v: '1' });
      assert.deepEqual(await c.call('LATENCY', 'LATEST'), { t: 'array', v: [] });
    } finally {
      await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
      c.close();
    }
  }
});

test("LATENCY GRAPH draws redis-server's graph of the same samples, and answers its error for an event without any", async () => {
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, [
    ['LATENCY', 'RESET'],
    ['LATENCY', 'GRAPH', 'command'],
    ['LATENCY', 'GRAPH'],
  ]);
  assert.deepEqual(d, r);
  // Samples in three seconds on redis-server (scripts of different lengths), then its graph
  // against the one Depot's monitor draws of the samples LATENCY HISTORY gave, at the same time.
  const c = await RespClient.open(servers.redis.port);
  try {
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    for (const n of ['300000', '6000000', '1500000']) {
      await c.call('EVAL', `local t = 0 for i = 1, ${n} do t = t + i end return 1`, '0');
      await new Promise((res) => setTimeout(res, 1050));
    }
    const history = ((await c.call('LATENCY', 'HISTORY', 'command')) as { v: Array<{ v: Reply[] }> }).v.map((s) => s.v.map((x) => Number((x as { v: string }).v)));
    // The graph says how many seconds ago each sample was: drawn within one second of the
    // server's clock, read before and after it (a second may tick between two round trips).
    const seconds = async () => Number(((await c.call('TIME')) as { v: Reply[] }).v.map((x) => (x as { v: string }).v)[0]);
    let now = 0;
    let graph = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      now = await seconds();
      graph = text(await c.call('LATENCY', 'GRAPH', 'command'));
      if ((await seconds()) === now) break;
    }
    const monitor = new LatencyMonitor();
    for (const [time, latency] of history) monitor.add('command', time!, latency!);
    assert.ok(history.length >= 2, `${history.length} samples`);
    assert.equal(monitor.graph('command', now), graph);
  } finally {
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
    await c.call('LATENCY', 'RESET');
    c.close();
  }
  // And through Depot's own command.
  const dc = await RespClient.open(servers.depot.port);
  try {
    await dc.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    await dc.call('EVAL', 'local t = 0 for i = 1, 3000000 do t = t + i end return 1', '0');
    assert.match(text(await dc.call('LATENCY', 'GRAPH', 'command')), /^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
  } finally {
    await dc.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
    await dc.call('LATENCY', 'RESET');
    dc.close();
  }
});
