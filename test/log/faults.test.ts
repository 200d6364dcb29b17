// Disk full, read-only and missing directories: a clear typed error to the caller, nothing
// durable lost, and the log works again once the cause is gone. Real tmpfs mounts where the
// machine allows them (we are root); otherwise the fault-injecting file layer, said so below.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileSystem } from '../../src/log/file-system.js';
import { RECORD_HEADER_BYTES } from '../../src/log/format.js';
import { Log } from '../../src/log/log.js';
import { isDepotError } from '../../src/util/errors.js';
import { FaultyFileSystem } from './faulty-fs.js';
import { makeEntries, makeEntry, tempDir } from '../helpers/log.js';
import { mountTmpfs } from './mounts.js';

async function healthy(log: Log): Promise<void> {
  for (let i = 0; i < 2000 && log.failure !== undefined; i++) await sleep(5);
  assert.equal(log.failure, undefined, 'the log should have recovered');
}

function intact(log: Log, upTo: number, size: number): void {
  for (let i = 1; i <= upTo; i++) assert.ok(log.entry(i).payload.equals(makeEntry(i, 1, size).payload), `entry ${i}`);
}

/** Appends 4-entry batches until one fails; returns the last durable index and the error. */
async function fill(log: Log, size: number): Promise<{ durable: number; error: unknown }> {
  let durable = log.lastIndex;
  for (let i = 0; i < 10_000; i++) {
    try {
      await log.append(makeEntries(durable + 1, 4, 1, size));
      durable += 4;
    } catch (error) {
      return { durable, error };
    }
  }
  throw new Error('the disk never filled');
}

async function diskFull(t: TestContext, root: string, fsys: FaultyFileSystem | undefined, free: () => void): Promise<void> {
  const dir = join(root, 'log');
  const size = 4000;
  const log = await Log.open({ dir, segmentBytes: 128 << 10, fs: fsys?.fs });
  const { durable, error } = await fill(log, size);
  assert.ok(isDepotError(error, 'STORAGE_FULL'), `expected STORAGE_FULL, got ${String(error)}`);
  t.diagnostic(`disk full after ${durable} entries: ${(error as Error).message}`);
  await healthy(log);
  assert.equal(log.lastIndex, durable);
  intact(log, durable, size);
  await assert.rejects(log.append(makeEntries(durable + 1, 4, 1, size)), (e) => isDepotError(e, 'STORAGE_FULL'));
  await healthy(log);
  free();
  await log.append(makeEntries(durable + 1, 4, 1, size));
  await log.close();
  const again = await Log.open({ dir, segmentBytes: 128 << 10 });
  assert.equal(again.lastIndex, durable + 4);
  intact(again, durable + 4, size);
  await again.verify();
  await again.close();
}

test('disk full: STORAGE_FULL, nothing durable lost, appends work again once space is freed', async (t) => {
  const m = mountTmpfs(1 << 20);
  if (typeof m === 'string') {
    t.diagnostic(`${m}; falling back to the fault-injecting file layer`);
    const { dir, cleanup } = tempDir();
    const faulty = new FaultyFileSystem();
    try {
      const limit = setTimeout(() => faulty.failWith('ENOSPC', ['write', 'open']), 50);
      await diskFull(t, dir, faulty, () => faulty.heal()).finally(() => clearTimeout(limit));
    } finally {
      cleanup();
    }
    return;
  }
  try {
    const filler = join(m.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(256 << 10));
    await diskFull(t, m.dir, undefined, () => unlinkSync(filler));
  } finally {
    m.release();
  }
});

test('read-only filesystem: opening fails with STORAGE_PERMISSION and works after remount', async (t) => {
  const m = mountTmpfs(1 << 20);
  if (typeof m === 'string') {
    t.diagnostic(`${m}; the live read-only case below covers this through the fault-injecting layer`);
    return;
  }
  try {
    const dir = join(m.dir, 'log');
    const log = await Log.open({ dir });
    await log.append(makeEntries(1, 10, 1, 100));
    await log.close();
    m.remount('ro');
    await assert.rejects(Log.open({ dir }), (e) => isDepotError(e, 'STORAGE_PERMISSION') && /EROFS/.test(e.message));
    m.remount('rw');
    const again = await Log.open({ dir });
    intact(again, 10, 100);
    await again.append(makeEntries(11, 1, 1, 100));
    await again.close();
  } finally {
    m.remount('rw');
    m.release();
  }
});

test('a live log whose disk turns read-only fails appends and recovers when it is writable again', async (t) => {
  // A mounted filesystem cannot be remounted read-only while the log holds files open for
  // writing, so this case uses the fault-injecting file layer.
  t.diagnostic('using the fault-injecting file layer (EROFS on every write-side call)');
  const { dir, cleanup } = tempDir();
  const faulty = new FaultyFileSystem();
  try {
    const log = await Log.open({ dir, fs: faulty.fs, segmentBytes: 4096 });
    await log.append(makeEntries(1, 20, 1, 100));
    faulty.failWith('EROFS', ['write', 'datasync', 'truncate', 'unlink', 'rename', 'syncDir']);
    await assert.rejects(log.append(makeEntries(21, 5, 1, 100)), (e) => isDepotError(e, 'STORAGE_PERMISSION'));
    await sleep(20);
    assert.ok(isDepotError(log.failure, 'STORAGE_PERMISSION'), 'recovery cannot finish while read-only');
    assert.throws(() => log.entry(21), (e) => isDepotError(e, 'INDEX_OUT_OF_RANGE'));
    intact(log, 20, 100);
    faulty.heal();
    await assert.rejects(log.append(makeEntries(21, 5, 1, 100)), (e) => isDepotError(e, 'STORAGE_PERMISSION'));
    await healthy(log);
    assert.equal(log.lastIndex, 20);
    await log.append(makeEntries(21, 5, 1, 100));
    await log.close();
    const again = await Log.open({ dir });
    intact(again, 25, 100);
    await again.close();
  } finally {
    cleanup();
  }
});

test('a failed durable write under `always` drops what it did not make durable, and only that', async () => {
  const { dir, cleanup } = tempDir();
  const faulty = new FaultyFileSystem();
  try {
    const log = await Log.open({ dir, fs: faulty.fs });
    await log.append(makeEntries(1, 10, 1, 50));
    faulty.failWith('EIO', ['write']);
    await assert.rejects(log.append(makeEntries(11, 5, 1, 50)), (e) => isDepotError(e, 'STORAGE_IO'));
    faulty.heal();
    await healthy(log);
    assert.equal(log.lastIndex, 10);
    intact(log, 10, 50);
    await log.append(makeEntries(11, 2, 1, 50));
    assert.equal(log.durableIndex, 12);
    await log.close();
  } finally {
    cleanup();
  }
});

test('a failed fdatasync under `interval` keeps the written entries and retries', async () => {
  const { dir, cleanup } = tempDir();
  const faulty = new FaultyFileSystem();
  try {
    const log = await Log.open({ dir, fs: faulty.fs, flush: { mode: 'interval', intervalMs: 5 } });
    await log.append(makeEntries(1, 10, 1, 50));
    await log.sync();
    faulty.failWith('EIO', ['datasync']);
    await log.append(makeEntries(11, 5, 1, 50));
    await assert.rejects(log.sync(), (e) => isDepotError(e, 'STORAGE_IO'));
    faulty.heal();
    await healthy(log);
    assert.equal(log.lastIndex, 15);
    await log.sync();
    assert.equal(log.durableIndex, 15);
    intact(log, 15, 50);
    await log.close();
  } finally {
    cleanup();
  }
});

test('without `always`, a small append is written on the calling thread; if that write fails, the job queue writes it or reports why', async () => {
  const { dir, cleanup } = tempDir();
  const faulty = new FaultyFileSystem();
  try {
    const log = await Log.open({ dir, fs: faulty.fs, flush: { mode: 'interval', intervalMs: 5 } });
    // The thread-pool write is broken: only the inline write can answer this append.
    faulty.failWith('EIO', ['write']);
    await log.append(makeEntries(1, 10, 1, 50));
    assert.equal(log.writtenIndex, 10);
    // The inline write is broken: the queued write takes over.
    faulty.failWith('EIO', ['writeSync']);
    await log.append(makeEntries(11, 5, 1, 50));
    assert.equal(log.writtenIndex, 15);
    // Both: the append fails with the storage error and nothing of it stays.
    faulty.failWith('EIO', ['writeSync', 'write']);
    await assert.rejects(log.append(makeEntries(16, 5, 1, 50)), (e) => isDepotError(e, 'STORAGE_IO'));
    faulty.heal();
    await healthy(log);
    assert.equal(log.lastIndex, 15);
    await log.append(makeEntries(16, 2, 1, 50));
    await log.close();
    const again = await Log.open({ dir });
    assert.equal(again.lastIndex, 17);
    intact(again, 17, 50);
    await again.verify();
    await again.close();
  } finally {
    cleanup();
  }
});

test('without `always`, an append queued behind a truncation is written on the calling thread when its turn comes', async () => {
  const { dir, cleanup } = tempDir();
  const faulty = new FaultyFileSystem();
  // Which call wrote the appended records: 5 records of 50 bytes.
  const recordBytes = 5 * (RECORD_HEADER_BYTES + 50);
  const writers: string[] = [];
  const fs: FileSystem = {
    ...faulty.fs,
    write: (fd, buffers, position) => {
      if (total(buffers) === recordBytes) writers.push('thread pool');
      return faulty.fs.write(fd, buffers, position);
    },
    writeSync: (fd, buffers, position) => {
      if (total(buffers) === recordBytes) writers.push('calling thread');
      faulty.fs.writeSync(fd, buffers, position);
    },
  };
  try {
    const log = await Log.open({ dir, fs, flush: { mode: 'interval', intervalMs: 60_000 } });
    await log.append(makeEntries(1, 10, 1, 50));
    // The truncation job waits for its disk: the append after it cannot be written inline.
    faulty.hang(['truncate']);
    const cut = log.truncateSuffix(8);
    const queued = log.append(makeEntries(8, 5, 2, 50));
    assert.deepEqual(writers, []);
    faulty.heal();
    await cut;
    await queued;
    // Not by the thread pool: that write would still run when the next turn appends, which
    // would queue behind it, and so on for as long as appends keep coming.
    assert.deepEqual(writers, ['calling thread']);
    assert.equal(log.writtenIndex, 12);
    await log.close();
    const again = await Log.open({ dir });
    assert.equal(again.lastIndex, 12);
    assert.equal(again.term(12), 2);
    await again.verify();
    await again.close();
  } finally {
    cleanup();
  }
});

function total(buffers: readonly Buffer[]): number {
  let n = 0;
  for (const b of buffers) n += b.length;
  return n;
}

test('inlineWriteMaxBytes: an append up to it is written on the calling thread, a larger one by the job queue', async () => {
  for (const [limit, inline] of [[undefined, false], [1024 * 1024, true]] as const) {
    const { dir, cleanup } = tempDir();
    const faulty = new FaultyFileSystem();
    try {
      const log = await Log.open({ dir, fs: faulty.fs, flush: { mode: 'interval', intervalMs: 5 }, ...(limit === undefined ? {} : { inlineWriteMaxBytes: limit }) });
      // Only the inline write works: a 200 KiB append succeeds only if it is written inline.
      faulty.failWith('EIO', ['write']);
      const append = log.append(makeEntries(1, 4, 1, 50 * 1024));
      if (inline) {
        await append;
        assert.equal(log.writtenIndex, 4);
      } else {
        await assert.rejects(append, (e) => isDepotError(e, 'STORAGE_IO'), 'past the default 64 KiB the queue writes it');
      }
      faulty.heal();
      await log.close().catch(() => undefined);
    } finally {
      cleanup();
    }
  }
});

test('a missing directory is a clear error unless the log may create it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = join(dir, 'no', 'such');
    await assert.rejects(Log.open({ dir: missing, create: false }), (e) => isDepotError(e, 'STORAGE_IO') && /does not exist/.test(e.message));
    const log = await Log.open({ dir: missing });
    await log.append(makeEntries(1, 1));
    await log.close();
  } finally {
    cleanup();
  }
});
