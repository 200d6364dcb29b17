// Restart after SIGKILL on a real single-replica raft group (the log is the journal), with
// appendfsync `always` and `everysec`: the data set comes back, through a snapshot plus the log
// after it, and no acknowledged write is lost. (SIGKILL loses the process, not the OS page
// cache, so `everysec` loses nothing here either; losing up to a second needs a power cut.)
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';

const dirs: string[] = [];

/** A fresh data directory, removed after the tests. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'depot-cache-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function connect(server: ServerProcess): Redis {
  return new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
}

/** A canonical description of every key: type, content and whether it expires. */
async function dump(r: Redis): Promise<string[]> {
  const out: string[] = [];
  for (const key of (await r.keys('*')).sort()) {
    const type = await r.type(key);
    let content: unknown;
    if (type === 'string') content = await r.get(key);
    else if (type === 'list') content = await r.lrange(key, 0, -1);
    else if (type === 'hash') content = Object.entries(await r.hgetall(key)).sort();
    else if (type === 'set') content = (await r.smembers(key)).sort();
    else content = await r.zrange(key, '0', '-1', 'WITHSCORES');
    const ttl = await r.pttl(key);
    out.push(`${key} ${type} ${JSON.stringify(content)} ${ttl > 0 ? 'expires' : ttl}`);
  }
  return out;
}

/** Writes of every kind, including non-deterministic ones; enough entries for snapshots. */
async function writeMix(r: Redis): Promise<void> {
  for (let i = 0; i < 400; i++) await r.set(`s:${i}`, `value-${i}`);
  await r.set('ttl:far', 'x', 'EX', 100_000);
  await r.set('ttl:gone', 'x', 'PX', 1);
  await r.incrbyfloat('float', '0.1');
  await r.incrbyfloat('float', '0.2');
  await r.rpush('list', 'a', 'b', 'c', 'd');
  await r.lmove('list', 'list2', 'LEFT', 'RIGHT');
  await r.hset('hash', { f1: 'v1', f2: 'v'.repeat(3000) });
  await r.hincrbyfloat('hash', 'n', '1.5');
  await r.sadd('set', 'm1', 'm2', 'm3', 'm4', 'm5');
  await r.spop('set', 2);
  await r.zadd('zset', 1, 'one', 2, 'two', 3, 'three');
  await r.zincrby('zset', 10, 'one');
  await r.zpopmin('zset');
  await r.expire('list2', 50_000);
  await r.sunionstore('union', 'set', 'nokey');
  await r.select(3);
  await r.set('db3:key', 'in db 3');
  await r.select(0);
  for (let i = 0; i < 300; i++) await r.del(`s:${i}`);
  // Long values (blobs, outside the JS heap): overwritten, appended across the 64-byte bound,
  // copied, renamed, moved, deleted, and in a hash.
  for (let i = 0; i < 200; i++) await r.set(`long:${i}`, `${i}:`.padEnd(64 + i * 7, String.fromCharCode(97 + (i % 26))));
  for (let i = 0; i < 200; i += 3) await r.set(`long:${i}`, `again ${i}`.padEnd(100 + i, '*'));
  for (let i = 1; i < 200; i += 5) await r.del(`long:${i}`);
  await r.set('grows', 'g'.repeat(60));
  await r.append('grows', 'h'.repeat(10));
  await r.copy('long:0', 'long:copy');
  await r.rename('long:3', 'long:renamed');
  await r.move('long:4', 3);
  await r.hset('longhash', { a: 'A'.repeat(500), b: 'B'.repeat(64), c: 'c' });
  await r.hset('longhash', 'a', 'short');
  await r.hdel('longhash', 'b');
  await r.hset('longhash', 'd', 'D'.repeat(5000));
}

for (const fsync of ['always', 'everysec'] as const) {
  describe(`restart after SIGKILL, appendfsync ${fsync}`, () => {
    test('the data set comes back from the snapshot and the log', async () => {
      const dir = dataDir();
      const args = ['--data', dir, '--fsync', fsync, '--snapshot-entries', '200'];
      let server = await startDepot(args);
      let r = connect(server);
      await writeMix(r);
      const before = await dump(r);
      const db3 = await r.select(3).then(() => r.get('db3:key'));
      r.disconnect();
      await server.kill();
      const snapshots = readdirSync(join(dir, 'groups', 'cache-1', 'raft', 'snapshots'));
      assert.ok(snapshots.length > 0, 'a snapshot was taken');
      server = await startDepot(args);
      r = connect(server);
      assert.deepEqual(await dump(r), before);
      assert.equal(await r.select(3).then(() => r.get('db3:key')), db3);
      // The restarted node keeps logging where it left off.
      await r.select(0);
      await r.set('after', 'restart');
      r.disconnect();
      await server.kill();
      server = await startDepot(args);
      r = connect(server);
      assert.equal(await r.get('after'), 'restart');
      assert.equal(await r.get('s:399'), 'value-399');
      r.disconnect();
      await server.stop();
    });

    test('no acknowledged write is lost when the process dies under load', async () => {
      const dir = dataDir();
      const args = ['--data', dir, '--fsync', fsync];
      let server = await startDepot(args);
      const r = connect(server);
      let acknowledged = 0;
      let stop = false;
      const writers = Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            await r.incr('counter');
            acknowledged++;
          } catch {
            return;
          }
        }
      });
      await eventually(() => acknowledged >= 2000, '2000 acknowledged increments', 60_000);
      await server.kill();
      stop = true;
      await Promise.all(writers);
      r.disconnect();
      server = await startDepot(args);
      const again = connect(server);
      const counter = Number(await again.get('counter'));
      assert.ok(counter >= acknowledged, `counter ${counter} < ${acknowledged} acknowledged increments`);
      again.disconnect();
      await server.stop();
    });
  });
}

describe('journal compression (cache.journalCompression)', () => {
  /** Bytes of the cache group's log files on disk. */
  const journalBytes = (dir: string) => {
    const logDir = join(dir, 'groups', 'cache-1', 'log');
    return readdirSync(logDir).reduce((sum, f) => sum + statSync(join(logDir, f)).size, 0);
  };
  const field = (info: string, name: string): number => Number(new RegExp(`${name}:(-?\\d+)`).exec(info)?.[1]);
  /** 2,000 SETs of four 1 KiB values, in pipelines of 100, then 300 SETs of random ones. */
  const write = async (r: Redis, noise: string[]) => {
    const values = ['a', 'b', 'c', 'd'].map((c) => c.repeat(1024));
    for (let base = 0; base < 2000; base += 100) {
      const p = r.pipeline();
      for (let i = base; i < base + 100; i++) p.set(`k:${i}`, values[i % 4]!);
      await p.exec();
    }
    const p = r.pipeline();
    noise.forEach((v, i) => p.set(`noise:${i}`, v));
    await p.exec();
  };
  const check = async (r: Redis, noise: string[]) => {
    assert.equal(await r.dbsize(), 2300);
    for (const i of [0, 1, 2, 3, 777, 1999]) assert.equal(await r.get(`k:${i}`), ['a', 'b', 'c', 'd'][i % 4]!.repeat(1024));
    assert.deepEqual(await r.mget(noise.map((_, i) => `noise:${i}`)), noise);
  };

  test('lz4 (the default): the journal holds repeated values in a fraction of their size; it replays after SIGKILL', async () => {
    const dir = dataDir();
    const args = ['--data', dir, '--snapshot-entries', '1000000'];
    const noise = Array.from({ length: 300 }, () => randomBytes(768).toString('base64'));
    let server = await startDepot(args);
    let r = connect(server);
    await write(r, noise);
    const stored = journalBytes(dir);
    // The random values (300 KiB) are stored as built; the 2,000 KiB of repeated ones shrink.
    assert.ok(stored < 600_000, `journal of ${stored} bytes`);
    // INFO counts the journal's effects before compression, as the snapshot policy does.
    assert.ok(field(await r.info('persistence'), 'aof_current_size') > 2_300_000);
    r.disconnect();
    await server.kill();
    server = await startDepot(args);
    r = connect(server);
    await check(r, noise);
    r.disconnect();
    await server.stop();
  });

  test('none: the journal holds every byte; a journal written with lz4 still replays', async () => {
    const dir = dataDir();
    const noise = Array.from({ length: 300 }, () => randomBytes(768).toString('base64'));
    let server = await startDepot(['--data', dir, '--snapshot-entries', '1000000', '--cache-journal-compression', 'none']);
    let r = connect(server);
    await write(r, noise);
    const stored = journalBytes(dir);
    assert.ok(stored > 2_300_000, `journal of ${stored} bytes`);
    r.disconnect();
    await server.kill();
    // The same directory, now compressing: the old entries replay, new ones are packed.
    server = await startDepot(['--data', dir, '--snapshot-entries', '1000000']);
    r = connect(server);
    await check(r, noise);
    const p = r.pipeline();
    for (let i = 0; i < 100; i++) p.set(`k:${i}`, 'e'.repeat(1024));
    await p.exec();
    assert.ok(journalBytes(dir) - stored < 20_000, `${journalBytes(dir) - stored} bytes for 100 KiB of repeated values`);
    r.disconnect();
    await server.kill();
    server = await startDepot(['--data', dir, '--snapshot-entries', '1000000', '--cache-journal-compression', 'none']);
    r = connect(server);
    assert.equal(await r.get('k:99'), 'e'.repeat(1024));
    assert.equal(await r.get('k:100'), 'a'.repeat(1024));
    r.disconnect();
    await server.stop();
  });
});

describe('SAVE and BGSAVE', () => {
  test('write a snapshot of the group now; the data set comes back from it after SIGKILL', async () => {
    const dir = dataDir();
    // Snapshots only on request: the automatic schedule is far away.
    const args = ['--data', dir, '--fsync', 'everysec', '--snapshot-entries', '1000000'];
    let server = await startDepot(args);
    let r = connect(server);
    const snapshots = () => readdirSync(join(dir, 'groups', 'cache-1', 'raft', 'snapshots'));
    assert.deepEqual(snapshots(), []);
    const before = Number(await r.lastsave());
    await r.mset('a', '1', 'b', '2', 'long', 'L'.repeat(1000));
    assert.match(await r.info('persistence'), /rdb_changes_since_last_save:[1-9]/);
    assert.equal(await r.save(), 'OK');
    assert.equal(snapshots().length, 1);
    assert.match(await r.info('persistence'), /rdb_changes_since_last_save:0\r\n/);
    assert.ok(Number(await r.lastsave()) >= before);
    await r.set('c', '3');
    assert.match(await r.bgsave(), /Background saving started/);
    await eventually(async () => (await r.info('persistence')).includes('rdb_bgsave_in_progress:0'), 'the BGSAVE to finish', 30_000);
    r.disconnect();
    await server.kill();
    server = await startDepot(args);
    r = connect(server);
    // Before any write: the loaded snapshot is all there is to save (this used to wait forever).
    assert.equal(await r.save(), 'OK');
    assert.deepEqual(await r.mget('a', 'b', 'c', 'long'), ['1', '2', '3', 'L'.repeat(1000)]);
    // The long value is outside the JS heap, and counted in used_memory.
    assert.match(await r.info('memory'), /used_memory_blobs:[1-9]/);
    await r.flushall();
    assert.match(await r.info('memory'), /used_memory_blobs:0\r\n/);
    assert.match(await r.info('memory'), /blobs_reserved:0\r\n/);
    r.disconnect();
    await server.stop();
  });
});

describe('snapshots of large collections', () => {
  test('written while clients change them (non-idempotent writes): the snapshot plus the log give back the data set after SIGKILL', async () => {
    const dir = dataDir();
    const args = ['--data', dir, '--fsync', 'everysec', '--snapshot-entries', '1000000'];
    let server = await startDepot(args);
    let r = connect(server);
    const n = 20_000;
    for (let i = 0; i < n; i += 1000) {
      const p = r.pipeline();
      for (let j = i; j < i + 1000; j++) {
        p.hset('hash', `f${j}`, `${j}`.padStart(60, '.'));
        p.rpush('list', `${j}`.padStart(60, '.'));
        p.zadd('zset', j, `m${j}`.padStart(60, '.'));
        p.sadd('set', `m${j}`.padStart(60, '.'));
      }
      await p.exec();
    }
    assert.match(await r.bgsave(), /Background saving started/);
    // Until the snapshot is written: each round changes every large collection (a record may be
    // open) in ways that show if it were applied twice, or lost.
    let rounds = 0;
    while ((await r.info('persistence')).includes('rdb_bgsave_in_progress:1') || rounds === 0) {
      const p = r.pipeline();
      p.lpush('list', `new ${rounds}`);
      p.hincrby('hash', 'counter', 1);
      p.zincrby('zset', 1, `m${rounds % n}`.padStart(60, '.'));
      p.spop('set');
      p.incr('other');
      await p.exec();
      rounds++;
    }
    const expected = await dump(r);
    r.disconnect();
    await server.kill();
    server = await startDepot(args);
    r = connect(server);
    assert.deepEqual(await dump(r), expected);
    assert.equal(await r.get('other'), String(rounds));
    r.disconnect();
    await server.stop();
  });
});

describe('BGREWRITEAOF', () => {
  const field = (info: string, name: string): number => Number(new RegExp(`${name}:(-?\\d+)`).exec(info)?.[1]);

  test('compacts the journal into a snapshot; INFO persistence follows it; the data set comes back after SIGKILL', async () => {
    const dir = dataDir();
    const args = ['--data', dir, '--fsync', 'everysec', '--snapshot-entries', '1000000'];
    let server = await startDepot(args);
    let r = connect(server);
    let info = await r.info('persistence');
    assert.equal(field(info, 'aof_rewrites'), 0);
    assert.equal(field(info, 'aof_last_rewrite_time_sec'), -1);
    assert.equal(field(info, 'aof_base_size'), 0);
    // 50 keys written 40 times each: the journal holds every write, a snapshot only the last.
    for (let round = 0; round < 40; round++) {
      const p = r.pipeline();
      for (let i = 0; i < 50; i++) p.set(`k:${i}`, `round ${round} ${'x'.repeat(100)}`);
      await p.exec();
    }
    const journal = field(await r.info('persistence'), 'aof_current_size');
    assert.ok(journal > 200_000, `journal of ${journal} bytes`);

    assert.equal(await r.bgrewriteaof(), 'Background append only file rewriting started');
    await eventually(async () => field(await r.info('persistence'), 'aof_rewrites') === 1, 'the rewrite to finish', 30_000);
    info = await r.info('persistence');
    assert.match(info, /aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:0\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\n/);
    const base = field(info, 'aof_base_size');
    assert.ok(base > 0 && base < journal / 10, `base ${base} against a journal of ${journal}`);
    assert.equal(field(info, 'aof_current_size'), base);
    assert.equal(field(info, 'rdb_changes_since_last_save'), 0);
    await r.set('after', 'the rewrite');
    assert.ok(field(await r.info('persistence'), 'aof_current_size') > base);

    r.disconnect();
    await server.kill();
    server = await startDepot(args);
    r = connect(server);
    assert.equal(await r.get('k:7'), `round 39 ${'x'.repeat(100)}`);
    assert.equal(await r.get('after'), 'the rewrite');
    assert.equal(field(await r.info('persistence'), 'rdb_last_load_keys_loaded'), 51);
    r.disconnect();
    await server.stop();
  });

  test("BGSAVE and BGREWRITEAOF while the other runs: redis-server's replies", async () => {
    const dir = dataDir();
    const [depot, redis] = await Promise.all([startDepot(['--data', dir, '--snapshot-entries', '1000000']), startRedis()]);
    try {
      const replies = async (server: ServerProcess): Promise<string[][]> => {
        const r = connect(server);
        try {
          // Enough data that a snapshot (Depot's, or the fork of Redis's child) outlasts a pipeline.
          for (let i = 0; i < 20; i++) await r.call('MSET', ...Array.from({ length: 1000 }, (_, j) => [`key:${i}:${j}`, 'v'.repeat(200)]).flat());
          const run = async (...commands: string[][]): Promise<string[]> => {
            const p = r.pipeline();
            for (const c of commands) p.call(c[0]!, ...c.slice(1));
            const out = (await p.exec())!.map(([err, v]) => (err === null ? String(v) : err.message));
            await eventually(async () => /rdb_bgsave_in_progress:0\r\n(.|\r\n)*aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0/.test(await r.info('persistence')), 'the saves and rewrites to finish', 30_000);
            return out;
          };
          return [
            await run(['BGSAVE'], ['BGREWRITEAOF'], ['BGREWRITEAOF'], ['BGSAVE'], ['BGSAVE', 'SCHEDULE'], ['SAVE']),
            await run(['BGREWRITEAOF'], ['BGSAVE'], ['BGSAVE', 'SCHEDULE'], ['BGREWRITEAOF'], ['BGSAVE', 'NOW']),
          ];
        } finally {
          r.disconnect();
        }
      };
      const [ours, theirs] = await Promise.all([replies(depot), replies(redis)]);
      assert.deepEqual(ours, theirs);
      assert.deepEqual(theirs[0]![1], 'Background append only file rewriting scheduled');
      assert.deepEqual(theirs[1]![2], 'Background saving scheduled');
    } finally {
      await Promise.all([depot.stop(), redis.stop()]);
    }
  });
});

describe('snapshots due by the size of the log (auto-aof-rewrite-min-size and -percentage)', () => {
  test('once the log holds the minimum and has grown by the percentage of the last snapshot; never at 0 percent', async () => {
    const dir = dataDir();
    const server = await startDepot(['--data', dir, '--snapshot-entries', '1000000', '--cache-snapshot-min-bytes', '1mb', '--cache-snapshot-growth-percent', '300']);
    const r = connect(server);
    const snapshots = () => readdirSync(join(dir, 'groups', 'cache-1', 'raft', 'snapshots')).filter((f) => f.endsWith('.snap'));
    /** Writes `kib` KiB in 10 KiB values over 110 keys (the data set stays at 1.1 MiB). */
    const write = async (kib: number, tag: string) => {
      for (let i = 0; i < kib / 10; i++) await r.set(`size:${i % 110}`, `${tag}${i}`.padEnd(10 * 1024, 'v'));
    };
    /** INFO persistence's counts of rewrites and saves, and LASTSAVE: automatic snapshots count as Redis's automatic rewrites. */
    const counted = async () => {
      const info = await r.info('persistence');
      const field = (name: string) => /^(\w+):(.*)$/m.exec(info.split('\r\n').find((l) => l.startsWith(name + ':')) ?? '')?.[2];
      return { rewrites: field('aof_rewrites'), status: field('aof_last_bgrewrite_status'), saves: field('rdb_saves'), lastsave: await r.lastsave() };
    };
    try {
      assert.deepEqual(await r.config('GET', 'auto-aof-rewrite-min-size'), ['auto-aof-rewrite-min-size', '1048576']);
      const before = await counted();
      assert.deepEqual([before.rewrites, before.saves], ['0', '0']);
      await new Promise((res) => setTimeout(res, 1100)); // so that LASTSAVE's second can move
      await write(900, 'a');
      await new Promise((res) => setTimeout(res, 200));
      assert.deepEqual(snapshots(), [], 'none before the minimum');
      // Past 1 MiB of log: the first snapshot, of about 1 MiB of data.
      await write(200, 'b');
      await eventually(() => snapshots().length === 1, 'the first snapshot', 30_000);
      const first = snapshots();
      assert.equal(first.length, 1, 'a snapshot once the log holds the minimum');
      await eventually(async () => (await counted()).rewrites === '1', 'the first rewrite counted', 30_000);
      const once = await counted();
      assert.deepEqual([once.rewrites, once.status, once.saves], ['1', 'ok', '0'], 'counted as an automatic rewrite');
      assert.ok(once.lastsave > before.lastsave, 'LASTSAVE moved');
      // The next waits for 300% of that snapshot (about 3 MiB of log), not for the minimum.
      await write(2000, 'c');
      await new Promise((res) => setTimeout(res, 300));
      assert.deepEqual(snapshots(), first, 'none at 2 MiB: the minimum is not enough once the last snapshot is larger');
      await write(1600, 'd');
      await eventually(() => snapshots()[0] !== first[0], 'the second snapshot', 30_000);
      const second = snapshots();
      assert.notDeepEqual(second, first, 'due once the log grew by 300% of the last snapshot');
      await eventually(async () => (await counted()).rewrites === '2', 'the second rewrite counted', 30_000);
      assert.equal((await counted()).rewrites, '2');
      // 0 percent: never by size.
      assert.equal(await r.config('SET', 'auto-aof-rewrite-percentage', '0'), 'OK');
      await write(5000, 'e');
      await new Promise((res) => setTimeout(res, 300));
      assert.deepEqual(snapshots(), second, 'none by size at 0 percent');
    } finally {
      r.disconnect();
      await server.stop();
    }
  });
});


describe('appendonly no (persistence off)', () => {
  test('nothing is written but what SAVE writes; a restart loads the latest SAVE', async () => {
    const dir = dataDir();
    const args = ['--data', dir, '--appendonly', 'no', '--snapshot-entries', '10'];
    const group = join(dir, 'groups', 'cache-1');
    let server = await startDepot(args);
    let r = connect(server);
    await writeMix(r);
    assert.match(await r.info('persistence'), /aof_enabled:0\r\n/);
    assert.deepEqual(await r.config('GET', 'appendonly'), ['appendonly', 'no']);
    await assert.rejects(r.config('SET', 'appendonly', 'yes'), /restart with depot start --appendonly yes/);
    // Far past --snapshot-entries, yet no journal and no snapshot.
    assert.equal(existsSync(join(group, 'log')), false);
    assert.deepEqual(readdirSync(join(group, 'raft', 'snapshots')), []);
    r.disconnect();
    await server.kill();

    server = await startDepot(args);
    r = connect(server);
    assert.equal(await r.dbsize(), 0);
    await writeMix(r);
    assert.equal(await r.save(), 'OK');
    // Writes log no entry here, so the second SAVE is at the first one's log index: it must still write.
    await r.set('between-saves', 'kept by the second SAVE');
    await r.del('s:398');
    const saved = await dump(r);
    assert.equal(await r.save(), 'OK');
    await r.set('after-save', 'lost at the restart');
    await r.del('s:399');
    r.disconnect();
    await server.kill();

    server = await startDepot(args);
    r = connect(server);
    assert.equal(await r.save(), 'OK');
    assert.deepEqual(await dump(r), saved);
    r.disconnect();
    await server.stop();
  });

  test('turning the journal off keeps what it held once a snapshot covers it, and refuses while it does not', async () => {
    const dir = dataDir();
    const journal = ['--data', dir, '--fsync', 'everysec'];
    const off = ['--data', dir, '--appendonly', 'no'];
    let server = await startDepot(journal);
    let r = connect(server);
    await r.set('k', 'written with the journal on');
    r.disconnect();
    await server.kill();
    await assert.rejects(startDepot(off), /no snapshot covers[^]*appendonly yes/);
    server = await startDepot(journal);
    r = connect(server);
    assert.equal(await r.get('k'), 'written with the journal on');
    await r.save();
    r.disconnect();
    await server.stop();

    server = await startDepot(off);
    r = connect(server);
    assert.equal(await r.get('k'), 'written with the journal on');
    assert.equal(existsSync(join(dir, 'groups', 'cache-1', 'log')), false);
    await r.set('k2', 'saved with the journal off');
    await r.save();
    r.disconnect();
    await server.kill();

    // And back on: the journal starts again from the latest snapshot.
    server = await startDepot(journal);
    r = connect(server);
    assert.deepEqual(await r.mget('k', 'k2'), ['written with the journal on', 'saved with the journal off']);
    await r.set('k3', 'journal');
    r.disconnect();
    await server.kill();
    server = await startDepot(journal);
    r = connect(server);
    assert.equal(await r.get('k3'), 'journal');
    r.disconnect();
    await server.stop();
  });
});
