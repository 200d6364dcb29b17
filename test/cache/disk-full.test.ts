// The cache's journal on a disk that fills up, through a real server on a small tmpfs: the
// write that could not be logged is not acknowledged (its connection is closed), later writes
// get MISCONF, reads and PING keep working, INFO and /health report the failure, and after a
// restart with space again every acknowledged write is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDepot } from '../helpers/depot-process.js';
import { mountTmpfs } from '../log/mounts.js';

test('disk full: writes refused with MISCONF, reads served, nothing acknowledged lost after a restart', async (t) => {
  const m = mountTmpfs(48 << 20);
  if (typeof m === 'string') {
    t.skip(m);
    return;
  }
  const dataDir = join(m.dir, 'data');
  const filler = join(m.dir, 'filler');
  try {
    let node = await startDepot({ dataDir, args: ['--appendfsync', 'everysec'] });
    writeFileSync(filler, Buffer.alloc(24 << 20));
    const r = new Redis({ port: node.ports['redis']!, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    const value = (i: number) => `${i}:`.padEnd(4000, String.fromCharCode(97 + (i % 26)));
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

    const after = new Redis({ port: node.ports['redis']!, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    assert.equal(await after.ping(), 'PONG');
    assert.equal(await after.get(`k${acknowledged[0]}`), value(acknowledged[0]!));
    await assert.rejects(after.set('more', 'x'), /^ReplyError: MISCONF Errors writing to the journal: .*no space left on device/);
    assert.match(await after.info('persistence'), /aof_last_write_status:err/);
    const health = await fetch(`http://127.0.0.1:${node.ports['http']}/health`);
    const body = (await health.json()) as { ok: boolean; groups: Array<{ id: string; failure?: string }> };
    assert.equal(body.ok, false);
    assert.match(body.groups.find((g) => g.id === 'cache-1')?.failure ?? '', /no space left on device/);
    after.disconnect();
    await node.stop();

    unlinkSync(filler);
    node = await startDepot({ dataDir, args: ['--appendfsync', 'everysec'] });
    const again = new Redis({ port: node.ports['redis']!, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    const values = await again.mget(acknowledged.map((k) => `k${k}`));
    acknowledged.forEach((k, i) => assert.equal(values[i], value(k), `k${k}`));
    assert.equal(await again.set('more', 'x'), 'OK');
    again.disconnect();
    await node.stop();
  } finally {
    m.release();
  }
});
