// MEMORY STATS, DOCTOR, MALLOC-STATS and PURGE, and INFO memory's fields, beside redis-server
// 7.0.15: the same field names in the same order, the same argument errors; the figures are
// Depot's own (src/cache/memory-report.ts), checked against what they stand for. MEMORY PURGE
// gives back the long values' empty chunks, and values written afterwards reuse their numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';
import { memoryDoctor, memoryReport, type MemorySources } from '../../src/cache/memory-report.js';
import { Db } from '../../src/cache/machine/values.js';

const servers = depotAndRedis();

/** A MEMORY STATS reply (RESP2: a flat array) as [name, value] pairs, nested maps flattened to their names. */
function statsPairs(reply: Reply): Array<[string, Reply]> {
  const v = (reply as { v: Reply[] }).v;
  const out: Array<[string, Reply]> = [];
  for (let i = 0; i < v.length; i += 2) out.push([(v[i] as { v: string }).v, v[i + 1]!]);
  return out;
}

function num(r: Reply | undefined): number {
  return Number((r as { v: string | number }).v);
}

function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

test('MEMORY subcommands: the argument errors and texts of redis-server', async () => {
  const lines = [['MEMORY'], ['MEMORY', 'STATS', 'x'], ['MEMORY', 'DOCTOR', 'x'], ['MEMORY', 'PURGE', 'x'], ['MEMORY', 'MALLOC-STATS', 'x'], ['MEMORY', 'FOO'], ['MEMORY', 'PURGE'], ['MEMORY', 'USAGE']];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
  const c = await RespClient.open(servers.depot.port);
  try {
    // Redis answers this under libc's malloc; V8 has no allocator report to print either.
    assert.deepEqual(await c.call('MEMORY', 'MALLOC-STATS'), { t: 'bulk', v: 'Stats not supported for the current allocator' });
  } finally {
    c.close();
  }
});

test("MEMORY STATS: redis-server's fields in its order, the databases that hold keys, figures that add up", async () => {
  const [d, r] = await Promise.all([RespClient.open(servers.depot.port), RespClient.open(servers.redis.port)]);
  try {
    for (const c of [d, r]) {
      await c.call('FLUSHALL');
      await c.call('MSET', 'a', '1', 'b', '2', 'c', '3');
      await c.call('SELECT', '3');
      await c.call('SET', 'x', 'y', 'EX', '1000');
      await c.call('SELECT', '0');
    }
    const ours = statsPairs(await d.call('MEMORY', 'STATS'));
    const theirs = statsPairs(await r.call('MEMORY', 'STATS'));
    assert.deepEqual(
      ours.map(([k]) => k),
      theirs.map(([k]) => k),
    );
    const stats = new Map(ours);
    assert.equal(num(stats.get('keys.count')), 4);
    const db3 = (stats.get('db.3') as { v: Reply[] }).v;
    assert.ok(num(db3[1]) > 0 && num(db3[3]) > 0, 'db 3 has a table of keys and one of expiry times');
    const info = infoFields(((await d.call('INFO', 'memory')) as { v: string }).v);
    assert.equal(num(stats.get('dataset.bytes')), Number(info.get('used_memory_dataset')));
    const total = num(stats.get('total.allocated'));
    assert.equal(num(stats.get('overhead.total')), total - num(stats.get('dataset.bytes')));
    assert.ok(num(stats.get('peak.allocated')) >= total);
    assert.ok(num(stats.get('startup.allocated')) <= total);
    assert.ok(num(stats.get('fragmentation.bytes')) > 0, 'the resident set is larger than the heap in use');
  } finally {
    d.close();
    r.close();
  }
});

test("INFO memory has every field of redis-server's, in its order", async () => {
  const fields = async (port: number): Promise<string[]> => {
    const c = await RespClient.open(port);
    try {
      return [...infoFields(((await c.call('INFO', 'memory')) as { v: string }).v).keys()];
    } finally {
      c.close();
    }
  };
  const [ours, theirs] = await Promise.all([fields(servers.depot.port), fields(servers.redis.port)]);
  // Depot's own fields (used_memory_blobs, the heap's cap) sit among them.
  assert.deepEqual(
    ours.filter((f) => theirs.includes(f)),
    theirs,
  );
});

test('MEMORY PURGE gives back the chunks of deleted long values; values written after reuse them', async () => {
  const c = await RespClient.open(servers.depot.port);
  const reserved = async () => Number(infoFields(((await c.call('INFO', 'memory')) as { v: string }).v).get('blobs_reserved'));
  const value = (i: number) => `${i}:`.padEnd(1000, 'v');
  const write = async (from: number, to: number) => {
    for (let i = from; i < to; i += 500) {
      const args: string[] = [];
      for (let j = i; j < Math.min(to, i + 500); j++) args.push(`k:${j}`, value(j));
      await c.call('MSET', ...args);
    }
  };
  try {
    await c.call('FLUSHALL');
    assert.match(((await c.call('MEMORY', 'DOCTOR')) as { v: string }).v, /too little data/);
    // 40,000 values of 1000 bytes: about ten chunks of 4 MiB, filled in order.
    await write(0, 40_000);
    await c.call('MEMORY', 'STATS');
    const full = await reserved();
    assert.ok(full >= 40 * 1024 * 1024, `${full} bytes reserved`);
    for (let i = 0; i < 34_000; i += 1000) await c.call('DEL', ...Array.from({ length: 1000 }, (_, j) => `k:${i + j}`));
    // Deleting frees blocks, not chunks: they stay for reuse until asked.
    assert.equal(await reserved(), full);
    // Over 5 MB of data: the checks run (which ones fire depends on the garbage V8 holds now).
    assert.match(((await c.call('MEMORY', 'DOCTOR')) as { v: string }).v, /^(No memory issue found|Memory issues found)/);
    assert.deepEqual(await c.call('MEMORY', 'PURGE'), { t: 'simple', v: 'OK' });
    const purged = await reserved();
    assert.ok(purged <= full - 7 * 4 * 1024 * 1024, `${full} -> ${purged} bytes reserved`);
    assert.deepEqual(await c.call('GET', 'k:39999'), { t: 'bulk', v: value(39_999) });
    await write(40_000, 70_000);
    assert.ok((await reserved()) > purged);
    for (const i of [34_000, 39_999, 40_000, 55_555, 69_999]) assert.deepEqual(await c.call('GET', `k:${i}`), { t: 'bulk', v: value(i) });
    assert.equal(num(await c.call('DBSIZE')), 36_000);
  } finally {
    await c.call('FLUSHALL');
    c.close();
  }
});

test("MEMORY DOCTOR's checks: too little data, a past peak, resident memory past the runtime's own, client buffers, many scripts", () => {
  const MIB = 1024 * 1024;
  const base: MemorySources = {
    used: 100 * MIB,
    peak: 100 * MIB,
    startup: 20 * MIB,
    dataset: 60 * MIB,
    clients: 0,
    clientCount: 3,
    luaCaches: 0,
    functionsCaches: 0,
    cachedScripts: 0,
    dbs: [new Db(1)],
    blobsReserved: 0,
    blobsUsed: 0,
    rssBaseline: 50 * MIB,
    process: { rss: 160 * MIB, heapTotal: 110 * MIB, heapUsed: 100 * MIB },
  };
  const doctor = (over: Partial<MemorySources>) => memoryDoctor(memoryReport({ ...base, ...over }));
  assert.equal(doctor({}), 'No memory issue found.\n');
  assert.match(doctor({ dataset: 4 * MIB }), /too little data/);
  assert.match(doctor({ peak: 151 * MIB }), /^Memory issues found:\n\n \* Peak memory: the instance has used 151% /);
  assert.doesNotMatch(doctor({ peak: 150 * MIB }), /Peak memory/);
  // RSS 160 MB = used 100 + the runtime's 50 + 10: not yet; 41 MB past them is.
  assert.match(doctor({ process: { ...base.process, rss: 191 * MIB } }), /Resident memory: the process holds 42991616 bytes more/);
  assert.match(doctor({ clients: 3 * 201 * 1024 }), /Client buffers/);
  assert.match(doctor({ cachedScripts: 1001 }), /Cached scripts: 1001 scripts/);
  const r = memoryReport({ ...base, peak: 200 * MIB });
  assert.equal(r.peakPercent, 50);
  assert.equal(r.overhead, 40 * MIB);
  assert.equal(r.datasetPercent, 75);
  assert.equal(r.fragmentation, 1.6);
});
