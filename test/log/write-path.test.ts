// The write path's shape: records encoded into slabs (one buffer per run of small records, large
// payloads by reference), one vectored write per group commit, writes that start at once under
// the page-cache policies, and interval syncs that run beside writes (including when they fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkRecord, recordIndex } from '../../src/log/format.js';
import { type FileSystem, nodeFileSystem } from '../../src/log/file-system.js';
import { Log } from '../../src/log/log.js';
import { TailCache } from '../../src/log/tail-cache.js';
import { isDepotError } from '../../src/util/errors.js';
import { makeEntries, makeEntry, tempDir } from '../helpers/log.js';

/** The node file layer, recording each write's buffer list and able to hold fdatasync back. */
class GatedFileSystem {
  readonly writes: Buffer[][] = [];
  datasyncs = 0;
  /** While set, every fdatasync fails with this code. */
  private failing: string | undefined;
  private gate: { release: () => void; fail: (err: Error) => void; promise: Promise<void> } | undefined;
  readonly fs: FileSystem;

  constructor() {
    this.fs = {
      ...nodeFileSystem,
      write: (fd, buffers, position) => {
        this.writes.push([...buffers]);
        return nodeFileSystem.write(fd, buffers, position);
      },
      datasync: async (fd) => {
        this.datasyncs++;
        if (this.gate !== undefined) await this.gate.promise;
        if (this.failing !== undefined) throw Object.assign(new Error(`${this.failing}: injected`), { code: this.failing });
        await nodeFileSystem.datasync(fd);
      },
    };
  }

  /** From now on fdatasync waits until `open()` (or fails with `failWith`). */
  hold(): void {
    let release!: () => void;
    let fail!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      release = res;
      fail = rej;
    });
    this.gate = { release, fail, promise };
  }

  open(): void {
    this.gate?.release();
    this.gate = undefined;
  }

  /** Fails the held fdatasync and every later one with `code`, until `heal()`. */
  failWith(code: string): void {
    this.failing = code;
    this.open();
  }

  heal(): void {
    this.failing = undefined;
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ok(); i++) await sleep(5);
  assert.ok(ok(), `timed out waiting for ${what}`);
}

test('tail cache: a write gathers small records into one buffer, large payloads as they came', () => {
  const cache = new TailCache(32 << 20);
  const large = makeEntry(3, 1, 10_000);
  const entries = [makeEntry(1, 1, 100), makeEntry(2, 1, 0), large, makeEntry(4, 1, 4096), makeEntry(5, 1, 1)];
  let pos = 32;
  for (const e of entries) pos += cache.add(pos, e);
  const buffers = cache.gather(32, pos);
  // Records 1-2, the header of 3, its payload as appended, then records 4-5.
  assert.equal(buffers.length, 4);
  assert.equal(buffers[2], large.payload);
  const bytes = Buffer.concat(buffers);
  let at = 0;
  for (const e of entries) {
    const n = checkRecord(bytes, at, bytes.length);
    assert.equal(n, 32 + e.payload.length, `record ${e.index}`);
    assert.equal(recordIndex(bytes, at), e.index);
    assert.ok(bytes.subarray(at + 32, at + n).equals(e.payload));
    assert.equal(cache.entry(32 + at)!.payload, e.payload, 'readers get the appended payload itself');
    at += n;
  }
});

test('always: a burst of a thousand 1 KiB appends is one write of a few buffers', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const gated = new GatedFileSystem();
  const log = await Log.open({ dir, flush: { mode: 'always' }, fs: gated.fs });
  const before = gated.writes.length;
  await Promise.all(makeEntries(1, 1000, 1, 1024).map((e) => log.append([e])));
  const writes = gated.writes.slice(before);
  assert.equal(writes.length, 1);
  assert.ok(writes[0]!.length <= 8, `${writes[0]!.length} buffers`);
  assert.equal(log.durableIndex, 1000);
  await log.close();
  const again = await Log.open({ dir });
  assert.deepEqual(again.entry(777).payload, makeEntry(777, 1, 1024).payload);
  await again.verify();
  await again.close();
});

test('interval: a large append starts its write at once; always waits for the burst', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  for (const flush of [{ mode: 'interval', intervalMs: 1000 }, { mode: 'always' }] as const) {
    const gated = new GatedFileSystem();
    const log = await Log.open({ dir: `${dir}/${flush.mode}`, flush, fs: gated.fs });
    const before = gated.writes.length;
    const appended = log.append(makeEntries(1, 4, 1, 100_000));
    assert.equal(gated.writes.length - before, flush.mode === 'interval' ? 1 : 0, flush.mode);
    await appended;
    await log.close();
  }
});

/** A log under a 5 ms interval whose first interval fdatasync (covering entries 1–10) is held. */
async function withHeldIntervalSync(dir: string): Promise<{ gated: GatedFileSystem; log: Log }> {
  const gated = new GatedFileSystem();
  const log = await Log.open({ dir, flush: { mode: 'interval', intervalMs: 5 }, fs: gated.fs });
  gated.hold();
  await log.append(makeEntries(1, 10, 1, 100_000));
  const syncs = gated.datasyncs;
  await until('the interval sync', () => gated.datasyncs > syncs);
  return { gated, log };
}

test('interval: writes go on while the interval fdatasync runs, which makes its start mark durable', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const { gated, log } = await withHeldIntervalSync(dir);
  // The sync is held: further appends are written beside it.
  const beside = log.append(makeEntries(11, 10, 1, 100_000));
  await until('writes beside the held sync', () => log.writtenIndex === 20);
  await beside;
  assert.equal(log.durableIndex, 0);
  gated.open();
  await until('the durable mark', () => log.durableIndex >= 10);
  await log.sync();
  assert.equal(log.durableIndex, 20);
  await log.close();
});

test('interval: a failing background fdatasync goes through recovery; written entries stay', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const { gated, log } = await withHeldIntervalSync(dir);
  await log.append(makeEntries(11, 10, 1, 100_000));
  // The held sync fails, and so does recovery's own fdatasync while the fault lasts.
  gated.failWith('EIO');
  await until('the failure', () => log.failure !== undefined);
  assert.ok(isDepotError(log.failure, 'STORAGE_IO'), String(log.failure));
  await assert.rejects(log.append(makeEntries(21, 1, 1, 10)), (e) => isDepotError(e, 'STORAGE_IO'));
  gated.heal();
  await until('recovery', () => {
    void log.sync().catch(() => undefined);
    return log.failure === undefined;
  });
  // Written (not yet durable) entries are kept under interval: a failed sync only loses them in a power cut.
  assert.equal(log.lastIndex, 20);
  await log.append(makeEntries(21, 1, 1, 10));
  await log.close();
  const again = await Log.open({ dir });
  assert.equal(again.lastIndex, 21);
  assert.deepEqual(again.entry(15).payload, makeEntry(15, 1, 100_000).payload);
  await again.verify();
  await again.close();
});
