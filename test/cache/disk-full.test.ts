// The cache's journal on a disk that fills up, through a real server on a small tmpfs: the
// write that could not be logged is not acknowledged (its connection is closed), later writes
// and PING get MISCONF, reads keep working, INFO and /health report the failure; once space is
// freed, writes work again without a restart, and the keyspace and the journal agree (a restart
// brings back the same data set, every acknowledged write included). A node restarted on a
// full disk starts and serves its data (it could not take its lock, then record its new term).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { startDepot, type DepotProcess } from '../helpers/depot-process.js';
import { smallDisk } from '../log/mounts.js';

async function health(httpPort: number): Promise<{ ok: boolean; groups: Array<{ id: string; failure?: string; retrying?: boolean }> }> {
  return (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as { ok: boolean; groups: Array<{ id: string; failure?: string }> };
}

interface OnDisk {
  disk: NonNullable<ReturnType<typeof smallDisk>>;
  /** Starts the server on the disk's data directory. */
  start(): Promise<DepotProcess>;
  /** An ioredis client of the server last started. */
  connect(options: RedisOptions): Redis;
}

/**
 * Runs `body` with a server on a 48 MiB tmpfs (skipping where mounting is not permitted). After
 * it, even after a failed assertion, no client or server keeps the test file running.
 */
async function onSmallDisk(t: { skip(message: string): void }, fsync: string, body: (o: OnDisk) => Promise<void>): Promise<void> {
  const disk = smallDisk(t, 48 << 20);
  if (disk === undefined) return;
  let node: DepotProcess | undefined;
  const clients: Redis[] = [];
  try {
    await body({
      disk,
      start: async () => (node = await startDepot({ dataDir: disk.dataDir, args: ['--appendfsync', fsync] })),
      connect: (options) => {
        const c = new Redis({ host: '127.0.0.1', port: node!.ports['redis']!, ...options });
        c.on('error', () => undefined);
        clients.push(c);
        return c;
      },
    });
  } finally {
    for (const c of clients) c.disconnect();
    await node?.kill().catch(() => undefined);
    disk.release();
  }
}

test('disk full: writes refused with MISCONF, reads served, writes back once space is freed, nothing acknowledged lost', (t) =>
  onSmallDisk(t, 'everysec', async ({ disk, start, connect }) => {
    let node = await start();
    disk.fill(24 << 20);
    const r = connect({ maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Values that do not compress: the journal packs a turn's effects with LZ4 when it can, and
    // repeated characters would take the whole loop to fill the disk, or never fill it.
    const value = (i: number) => `${i}:` + Array.from({ length: 63 }, (_, j) => createHash('sha256').update(`${i}:${j}`).digest('hex')).join('').slice(0, 4000);
    const acknowledged: number[] = [];
    let failure: unknown;
    for (let i = 0; failure === undefined && i < 100_000; i += 32) {
      const batch = Array.from({ length: 32 }, (_, k) => i + k);
      const results = await Promise.allSettled(batch.map((k) => r.set(`k${k}`, value(k))));
      results.forEach((res, k) => {
        if (res.status === 'fulfilled') acknowledged.push(batch[k]!);
        else failure ??= res.reason;
      });
    }
    assert.ok(failure !== undefined, 'the disk never filled');
    assert.ok(acknowledged.length > 1000, `only ${acknowledged.length} writes before the disk filled`);
    r.disconnect();

    const after = connect({ maxRetriesPerRequest: 0 });
    // PING is refused as writes are, as in Redis: a health check sees the failure.
    await assert.rejects(after.ping(), /^ReplyError: MISCONF Errors writing to the journal: .*no space left on device/);
    assert.equal(await after.get(`k${acknowledged[0]}`), value(acknowledged[0]!));
    await assert.rejects(after.set('more', 'x'), /^ReplyError: MISCONF Errors writing to the journal: .*no space left on device.*Writes are refused until the journal can be written again/);
    assert.match(await after.info('persistence'), /aof_last_write_status:err/);
    const full = await health(node.ports['http']!);
    assert.equal(full.ok, false);
    const cache = full.groups.find((g) => g.id === 'cache-1');
    assert.match(cache?.failure ?? '', /no space left on device/);
    assert.equal(cache?.retrying, true);

    // Space again: the group's next retry writes what waited, and writes are taken again.
    disk.free();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await after.set('more', 'x').catch((err: unknown) => err);
      if (ok === 'OK') break;
      assert.match(String(ok), /MISCONF/);
      assert.ok(Date.now() < deadline, 'writes still refused 20 s after space was freed');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(await after.info('persistence'), /aof_last_write_status:ok/);
    assert.equal((await health(node.ports['http']!)).ok, true);
    const values = await after.mget(acknowledged.map((k) => `k${k}`));
    acknowledged.forEach((k, i) => assert.equal(values[i], value(k), `k${k}`));
    const keys = (await after.keys('*')).sort();
    after.disconnect();
    await node.stop();

    node = await start();
    const again = connect({ maxRetriesPerRequest: 1 });
    assert.deepEqual((await again.keys('*')).sort(), keys, 'the journal holds the keyspace as it was served');
    const restored = await again.mget(acknowledged.map((k) => `k${k}`));
    acknowledged.forEach((k, i) => assert.equal(restored[i], value(k), `k${k}`));
    assert.equal(await again.get('more'), 'x');
    again.disconnect();
    await node.stop();
  }),
);

test('disk full at restart: the node starts, serves its data, and takes writes once space is freed', (t) =>
  onSmallDisk(t, 'always', async ({ disk, start, connect }) => {
    let node = await start();
    const r = connect({ maxRetriesPerRequest: 1 });
    for (let i = 0; i < 100; i++) await r.set(`k${i}`, `v${i}`.repeat(100));
    r.disconnect();
    await node.stop();
    // Every byte taken: the filler grows until the filesystem refuses it.
    assert.throws(() => disk.fill(64 << 20), /ENOSPC/);

    node = await start();
    const c = connect({ maxRetriesPerRequest: 0 });
    assert.equal(await c.get('k7'), 'v7'.repeat(100));
    assert.equal(await c.dbsize(), 100);
    // No group stopped: each is up, or waiting for its log to take writes again.
    const status = await health(node.ports['http']!);
    for (const g of status.groups) assert.ok(g.failure === undefined || g.retrying === true, `${g.id} stopped: ${g.failure}`);
    disk.free();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await c.set('after', 'x').catch((err: unknown) => err);
      if (ok === 'OK') break;
      assert.match(String(ok), /MISCONF/);
      assert.ok(Date.now() < deadline, 'writes still refused 20 s after space was freed');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    c.disconnect();
    await node.stop();
    node = await start();
    const again = connect({ maxRetriesPerRequest: 1 });
    assert.equal(await again.dbsize(), 101);
    assert.equal(await again.get('after'), 'x');
    again.disconnect();
    await node.stop();
  }),
);
