// Changing a log's flush policy while it runs (Log.setFlushPolicy): appends made before the
// switch keep the promise they were given, appends after get the new one, and a switch makes
// everything appended before it durable. A recording file layer tells which descriptor (opened
// with O_DSYNC or not) each write went through, and can hold writes and fdatasyncs back.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { type FileSystem, nodeFileSystem } from '../../src/log/file-system.js';
import type { LogEntry } from '../../src/log/format.js';
import { Log } from '../../src/log/log.js';
import type { FlushPolicy } from '../../src/log/options.js';
import { isDepotError } from '../../src/util/errors.js';
import { makeEntries, tempDir } from '../helpers/log.js';

interface Gate {
  promise: Promise<void>;
  release: () => void;
}

function gate(): Gate {
  let release!: () => void;
  const promise = new Promise<void>((res) => (release = res));
  return { promise, release };
}

/** The node file layer, recording how each descriptor was opened and holding writes or syncs on request. */
class RecordingFileSystem {
  /** Descriptors open on segment files, and whether with O_DSYNC. */
  readonly segmentFds = new Map<number, boolean>();
  /** Every write of entry data (past a segment's header), with whether its descriptor had O_DSYNC. */
  readonly writes: Array<{ fd: number; dsync: boolean }> = [];
  datasyncs = 0;
  writeGate: Gate | undefined;
  syncGate: Gate | undefined;
  /** While set, fdatasync fails with this code. */
  failSync: string | undefined;
  readonly fs: FileSystem;

  constructor() {
    this.fs = {
      ...nodeFileSystem,
      open: async (path, mode, dsync = false) => {
        const fd = await nodeFileSystem.open(path, mode, dsync);
        if (path.endsWith('.seg')) this.segmentFds.set(fd, dsync);
        else this.segmentFds.delete(fd);
        return fd;
      },
      write: async (fd, buffers, position) => {
        this.record(fd, position);
        if (this.writeGate !== undefined) await this.writeGate.promise;
        return nodeFileSystem.write(fd, buffers, position);
      },
      writeSync: (fd, buffers, position) => {
        this.record(fd, position);
        nodeFileSystem.writeSync(fd, buffers, position);
      },
      datasync: async (fd) => {
        this.datasyncs++;
        if (this.syncGate !== undefined) await this.syncGate.promise;
        if (this.failSync !== undefined) throw Object.assign(new Error(`${this.failSync}: injected`), { code: this.failSync });
        await nodeFileSystem.datasync(fd);
      },
    };
  }

  private record(fd: number, position: number): void {
    const dsync = this.segmentFds.get(fd);
    if (dsync !== undefined && position > 0) this.writes.push({ fd, dsync });
  }
}

/** Resolves with the log's marks at the moment the append resolved. */
function appendAndMark(log: Log, entries: LogEntry[]): Promise<{ written: number; durable: number; last: number }> {
  const last = entries[entries.length - 1]!.index;
  return log.append(entries).then(() => ({ written: log.writtenIndex, durable: log.durableIndex, last }));
}

/** A log on a recording file layer in a temporary directory removed after the test. */
async function openRecorded(t: TestContext, flush: FlushPolicy, segmentBytes?: number): Promise<{ dir: string; rec: RecordingFileSystem; log: Log }> {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const rec = new RecordingFileSystem();
  const log = await Log.open({ dir, flush, fs: rec.fs, ...(segmentBytes === undefined ? {} : { segmentBytes }) });
  return { dir, rec, log };
}

async function reopenAndCheck(dir: string, lastIndex: number): Promise<void> {
  const again = await Log.open({ dir });
  assert.equal(again.lastIndex, lastIndex);
  assert.equal((await again.verify()).entries, lastIndex);
  await again.close();
}

test('never to always: the switch syncs what was appended before; later appends resolve once durable, through O_DSYNC', async (t) => {
  const { dir, rec, log } = await openRecorded(t, { mode: 'never' });
  await log.append(makeEntries(1, 10));
  assert.equal(log.writtenIndex, 10);
  assert.ok(log.durableIndex < 10, 'never: written, not synced');
  rec.syncGate = gate();
  const switched = log.setFlushPolicy({ mode: 'always' });
  assert.deepEqual(log.flushPolicy, { mode: 'always' });
  let after: { written: number; durable: number; last: number } | undefined;
  const later = appendAndMark(log, makeEntries(11, 5)).then((m) => (after = m));
  // The switch's fdatasync is held: nothing appended after it may resolve.
  for (let i = 0; i < 20; i++) await turn();
  assert.equal(after, undefined);
  assert.equal(log.writtenIndex, 10, 'the later append waits behind the switch');
  const writesBefore = rec.writes.length;
  rec.syncGate.release();
  rec.syncGate = undefined;
  await switched;
  assert.equal(log.durableIndex, 10, 'everything appended before the switch is durable when it resolves');
  await later;
  assert.equal(after!.durable, 15, 'an append after the switch resolves once durable');
  assert.ok(rec.writes.slice(writesBefore).every((w) => w.dsync), 'writes after the switch go through O_DSYNC descriptors');
  await log.close();
  await reopenAndCheck(dir, 15);
});

test('always to never: appends waiting under always still resolve only once durable; later ones once written', async (t) => {
  const { dir, rec, log } = await openRecorded(t, { mode: 'always' });
  rec.writeGate = gate();
  const early = appendAndMark(log, makeEntries(1, 20));
  await turn();
  assert.equal(rec.writes.length, 1, 'the always write is in flight, held');
  const switched = log.setFlushPolicy({ mode: 'never' });
  const late = appendAndMark(log, makeEntries(21, 20));
  rec.writeGate.release();
  rec.writeGate = undefined;
  const e = await early;
  assert.ok(e.durable >= 20, `the always append resolved with durable ${e.durable}`);
  await switched;
  const l = await late;
  assert.ok(l.written >= 40);
  assert.deepEqual(rec.writes.map((w) => w.dsync), [true, false], 'the held write went through O_DSYNC, the later one not');
  // A write through a plain descriptor is not durable until something syncs it.
  await log.append(makeEntries(41, 1));
  assert.ok(log.durableIndex < 41);
  await log.close();
  await reopenAndCheck(dir, 41);
});

test('switching to interval starts the background fdatasync; switching away stops it', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await Log.open({ dir, flush: { mode: 'never' } });
  await log.setFlushPolicy({ mode: 'interval', intervalMs: 5 });
  await log.append(makeEntries(1, 3));
  for (let i = 0; i < 2000 && log.durableIndex < 3; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(log.durableIndex, 3, 'the interval sync made the appends durable');
  await log.setFlushPolicy({ mode: 'never' });
  await log.append(makeEntries(4, 3));
  // No timer runs any more: the marks cannot move by themselves.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(log.durableIndex, 3);
  await log.close();
});

test('a bad policy is refused and changes nothing', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await Log.open({ dir, flush: { mode: 'always' } });
  for (const bad of [{ mode: 'interval', intervalMs: 0 }, { mode: 'sometimes' }] as unknown as FlushPolicy[]) {
    await assert.rejects(log.setFlushPolicy(bad), (err) => isDepotError(err, 'INVALID_CONFIG'));
  }
  assert.deepEqual(log.flushPolicy, { mode: 'always' });
  await log.close();
  await assert.rejects(log.setFlushPolicy({ mode: 'never' }), (err) => isDepotError(err, 'LOG_CLOSED'));
});

test('a failed switch fdatasync fails the log like a write; after recovery the new policy holds', async (t) => {
  const { dir, rec, log } = await openRecorded(t, { mode: 'never' });
  await log.append(makeEntries(1, 5));
  rec.failSync = 'EIO';
  await assert.rejects(log.setFlushPolicy({ mode: 'always' }), (err) => isDepotError(err, 'STORAGE_IO'));
  rec.failSync = undefined;
  // Each call on a failed log retries its recovery.
  for (let i = 0; i < 2000 && log.failure !== undefined; i++) {
    await log.sync().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(log.failure, undefined);
  // Written entries were answered under `never`: they stay.
  assert.equal(log.lastIndex, 5);
  const writesBefore = rec.writes.length;
  const m = await appendAndMark(log, makeEntries(6, 2));
  assert.equal(m.durable, 7);
  assert.ok(rec.writes.slice(writesBefore).every((w) => w.dsync), 'recovery reopened the active segment with O_DSYNC');
  await log.close();
  await reopenAndCheck(dir, 7);
});

test('switches under concurrent appends and segment rolls: every append keeps the promise of the policy it was made under', async (t) => {
  const policies: FlushPolicy[] = [{ mode: 'always' }, { mode: 'interval', intervalMs: 3 }, { mode: 'never' }];
  const { dir, log } = await openRecorded(t, policies[0]!, 8192);
  // A fixed pseudo-random sequence (no Math.random: the run is the same every time).
  let seed = 12345;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  let index = 1;
  const pending: Array<Promise<void>> = [];
  let appends = 0;
  let checked = 0;
  for (let step = 0; step < 400; step++) {
    const r = next(10);
    if (r === 0) {
      const policy = policies[next(3)]!;
      pending.push(log.setFlushPolicy(policy));
      continue;
    }
    const n = 1 + next(8);
    const durable = log.flushPolicy.mode === 'always';
    const entries = makeEntries(index, n, 1, 10 + next(400));
    index += n;
    appends++;
    pending.push(appendAndMark(log, entries).then((m) => {
      assert.ok(m.written >= m.last, `append ending at ${m.last} resolved before it was written`);
      if (durable) assert.ok(m.durable >= m.last, `an always append ending at ${m.last} resolved at durable ${m.durable}`);
      checked++;
    }));
    if (r === 9) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  assert.equal(checked, appends, 'every append resolved');
  assert.ok(log.segmentInfo().length > 3, 'the run rolled segments');
  await log.close();
  await reopenAndCheck(dir, index - 1);
});
