// The segmented, append-only, checksummed log: the storage engine under raft, the broker's
// commit log and the cache's AOF. docs/storage.md describes the files and the recovery.
//
// Every operation changes the logical state (segments, positions, terms, tail cache) at once,
// so that reads and further appends see it, and queues its physical work on the JobQueue,
// which applies it to the disk in the same order. Three marks tell how far the disk has got:
// lastIndex (appended), writtenIndex (handed to the OS) and durableIndex (fdatasync'ed).
// The flush policy follows the same split: what appends are promised changes at once, how the
// files are written changes in job order (setFlushPolicy).
import { assert } from '../util/assert.js';
import { DepotError, storageError } from '../util/errors.js';
import { type DiskUsage, ignoreMissing } from './file-system.js';
import { invalidEntry, type LogEntry, MAX_INDEX, recordBytes, SEGMENT_HEADER_BYTES } from './format.js';
import { type Job, JobQueue, type WriteJob } from './job-queue.js';
import type { Meta } from './meta.js';
import { checkFlushPolicy, type FlushPolicy, type LogOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { createSegmentFile, cutFilesTo, openIfExists, persistPositions, removeSegmentFiles, removeSegmentsAbove, reopenForWrite, sealSegment, writeCheckpoint, writeMeta } from './persist.js';
import { checkRange, readRange, readRangeSync } from './read.js';
import { type RecoverOptions, type Recovered, recover } from './recovery.js';
import { DEFAULT_DISK_USAGE_WATERMARK, type RetentionPolicy, segmentsToDelete } from './retention.js';
import { PositionList, verifyUpTo } from './scan.js';
import { Segment } from './segment.js';
import { TailCache } from './tail-cache.js';
import { AppendWaiters, settle, type Waiter } from './waiters.js';
import type { TermRuns } from './term-runs.js';
import { CHECKPOINT_FILE } from './meta.js';
import { join } from 'node:path';

export interface LogPositions {
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Every entry up to here has been handed to the OS (survives a process crash). */
  readonly writtenIndex: number;
  /** Every entry up to here has been fdatasync'ed (survives a power cut). */
  readonly durableIndex: number;
}

export interface SegmentInfo {
  readonly base: number;
  readonly lastIndex: number;
  readonly bytes: number;
  readonly maxTimestamp: number;
}

/**
 * Under `interval` and `never`, a write queued while the writer is idle starts at once when it
 * holds this much (job-queue.ts): the rest of a burst of appends is encoded while it is written.
 */
const PIPELINE_WRITE_BYTES = 256 * 1024;

/** A point in the segment files: entries up to `index` end at byte `pos` of `segment`. */
interface Mark {
  segment: Segment;
  pos: number;
  index: number;
}

type State = 'open' | 'failed' | 'closing' | 'closed';

export class Log {
  private meta: Meta;
  private segments: Segment[];
  private terms: TermRuns;
  private written: Mark;
  private durable: Mark;
  private readonly waiters = new AppendWaiters();
  private readonly jobs: JobQueue;
  private readonly listeners = new Set<(p: LogPositions) => void>();
  private state: State = 'open';
  private failureCause: DepotError | undefined;
  private recovering: Promise<void> | undefined;
  /** Where the files must be cut back to before the recovery that follows a failure. */
  private keepAfterFailure: Mark | undefined;
  /** Bumped by every suffix truncation, reset and rollback: marks of older jobs are stale. */
  private truncations = 0;
  /** Bumped by every structural change: async reads planned before it must re-plan. */
  private epoch = 0;
  private bytesSinceCheckpoint = 0;
  /** A checkpoint job is queued or running (writes go on beside it). */
  private checkpointing = false;
  private timer: NodeJS.Timeout | undefined;
  private cutBytes: number;
  /** What appends made now are promised; drives the interval sync and checkpoints. */
  private policy: FlushPolicy;
  /** The write descriptors are open with O_DSYNC: follows `policy` in job order. */
  private dsync: boolean;

  private constructor(
    private readonly o: ResolvedOptions,
    r: Recovered,
  ) {
    this.jobs = new JobQueue({
      run: (job) => this.runJob(job),
      wrote: (job) => this.writeJobDone(job),
      failed: (jobs, err) => this.fail(jobs, err),
    }, startNowBytes(o.flush.mode === 'always'));
    this.policy = o.flush;
    this.dsync = o.flush.mode === 'always';
    this.meta = r.meta;
    this.segments = r.segments;
    this.terms = r.terms;
    this.cutBytes = r.truncatedBytes;
    this.written = this.durable = this.endMark();
    this.attachCache(this.active);
    this.startTimer();
  }

  /** Opens (and by default creates) the log in `options.dir`, recovering it after a crash. */
  static async open(options: LogOptions): Promise<Log> {
    const o = resolveOptions(options);
    try {
      return new Log(o, await recover(recoverOptions(o, o.flush.mode === 'always')));
    } catch (err) {
      throw storageError(err, `open log ${o.dir}`);
    }
  }

  get dir(): string {
    return this.o.dir;
  }

  get firstIndex(): number {
    return this.meta.firstIndex;
  }

  get lastIndex(): number {
    return this.active.lastIndex;
  }

  get writtenIndex(): number {
    return this.written.index;
  }

  get durableIndex(): number {
    return this.durable.index;
  }

  /** The last index an append made now is answered at: durableIndex under `always`, else writtenIndex. */
  get stableIndex(): number {
    return this.policy.mode === 'always' ? this.durable.index : this.written.index;
  }

  /** Bytes cut from a torn or corrupt tail by the last recovery. */
  get truncatedBytes(): number {
    return this.cutBytes;
  }

  /** The policy appends made now are held to. */
  get flushPolicy(): Readonly<FlushPolicy> {
    return this.policy;
  }

  /** The error that stopped the log, while it is recovering from it (undefined when healthy). */
  get failure(): DepotError | undefined {
    return this.state === 'failed' ? this.failureCause : undefined;
  }

  positions(): LogPositions {
    return { firstIndex: this.firstIndex, lastIndex: this.lastIndex, writtenIndex: this.writtenIndex, durableIndex: this.durableIndex };
  }

  /** Calls `listener` whenever a position moves (advances, truncations, recovery). Returns an unsubscribe. */
  onPositions(listener: (p: LogPositions) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  segmentInfo(): SegmentInfo[] {
    return this.segments.map((s) => ({ base: s.base, lastIndex: s.lastIndex, bytes: s.bytes, maxTimestamp: s.maxTimestamp }));
  }

  /**
   * Appends entries whose indexes continue the log. Resolves when they are durable under the
   * flush policy (`always`: fdatasync'ed; otherwise written). Payloads are kept, not copied:
   * they must not be modified afterwards.
   */
  append(entries: readonly LogEntry[]): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.unusable());
    if (entries.length === 0) return Promise.resolve();
    assert(entries[0]!.index === this.lastIndex + 1, 'append at %s, expected %s', entries[0]!.index, this.lastIndex + 1);
    const bad = invalidEntry(entries, this.terms.lastTerm, this.o.maxEntryBytes);
    if (bad !== undefined) return Promise.reject(bad);
    let seg = this.active;
    let from = seg.bytes;
    for (const e of entries) {
      const n = recordBytes(e.payload.length);
      if (seg.count > 0 && seg.bytes + n > this.o.segmentBytes) {
        if (seg.bytes > from) this.jobs.write(seg, from, seg.bytes, e.index - 1, this.truncations);
        seg = this.roll(e.index);
        from = seg.bytes;
      }
      this.encode(seg, e, n);
    }
    if (this.writeInline(seg, from)) return Promise.resolve();
    this.jobs.write(seg, from, seg.bytes, this.lastIndex, this.truncations);
    return this.waiters.wait(this.lastIndex, this.policy.mode === 'always');
  }

  private encode(seg: Segment, e: LogEntry, n: number): void {
    const pos = seg.bytes;
    seg.cache!.add(pos, e);
    seg.positions!.push(pos);
    seg.bytes += n;
    seg.count++;
    if (e.timestamp > seg.maxTimestamp) seg.maxTimestamp = e.timestamp;
    this.terms.extend(e.index, e.term);
  }

  /** Starts a new active segment at `base`; the old one is sealed by the roll job. */
  private roll(base: number): Segment {
    const old = this.active;
    const next = new Segment(this.o.dir, base);
    next.positions = new PositionList();
    this.attachCache(next);
    this.segments.push(next);
    const epoch = this.truncations;
    this.jobs.op({ name: 'roll', segments: [old, next], run: () => this.rollJob(old, next, epoch) });
    return next;
  }

  private async rollJob(old: Segment, next: Segment, epoch: number): Promise<void> {
    // Jobs run in order, so every write of `old` has completed.
    assert(old.writeFd !== undefined, 'roll of %s before it exists', old.path);
    await this.o.fs.datasync(old.writeFd);
    await sealSegment(this.o.fs, old, this.terms.slice(old.base, old.lastIndex));
    next.writeFd = await createSegmentFile(this.o.fs, next, this.meta.generation, this.dsync);
    if (this.active !== old) old.close(this.o.fs);
    if (epoch !== this.truncations) return;
    this.durable = this.written = { segment: next, pos: SEGMENT_HEADER_BYTES, index: old.lastIndex };
    this.bytesSinceCheckpoint = 0;
    this.advanced();
  }

  /** The entry at `index` (synchronous: tail cache or page cache). */
  entry(index: number): LogEntry {
    return this.entries(index, index + 1)[0]!;
  }

  /**
   * Entries [lo, hi) up to about `maxBytes` of records (always at least one), read
   * synchronously. Payloads are views of cache or read buffers, not copies.
   */
  entries(lo: number, hi: number, maxBytes = Infinity): LogEntry[] {
    this.checkRange(lo, hi);
    return readRangeSync(this.o.fs, this.segments, lo, hi, maxBytes);
  }

  /** Like `entries`, reading files off the event loop: for cold or large ranges. */
  async read(lo: number, hi: number, maxBytes = Infinity): Promise<LogEntry[]> {
    for (let attempt = 0; ; attempt++) {
      const epoch = this.epoch;
      this.checkRange(lo, hi);
      try {
        const out = await readRange(this.o.fs, this.segments, lo, hi, maxBytes);
        if (epoch === this.epoch) return out;
      } catch (err) {
        if (epoch === this.epoch || attempt >= 3) throw storageError(err, `read ${this.o.dir}`);
      }
      // The log was truncated or rolled back under the read: plan again (bounded).
      if (attempt >= 3) throw new DepotError('INDEX_OUT_OF_RANGE', `entries ${lo}..${hi} changed during the read`);
    }
  }

  /**
   * The entry at `index` if the tail cache holds it (the appended entry itself, no I/O), else
   * undefined: readers of fresh entries take them from memory and go to `read` for the rest.
   */
  cached(index: number): LogEntry | undefined {
    if (this.state === 'closed' || index < this.firstIndex || index > this.lastIndex) return undefined;
    for (let i = this.segments.length - 1; i >= 0 && i >= this.segments.length - 2; i--) {
      const seg = this.segments[i]!;
      if (index < seg.base) continue;
      if (seg.cache === undefined || seg.positions === undefined) return undefined;
      return seg.cache.entry(seg.positions.at(index - seg.base));
    }
    return undefined;
  }

  /** Term of the entry at `index` (from memory). */
  term(index: number): number {
    this.checkRange(index, index + 1);
    return this.terms.termAt(index);
  }

  private checkRange(lo: number, hi: number): void {
    if (this.state === 'closed') throw this.unusable();
    checkRange(lo, hi, this.firstIndex, this.lastIndex);
  }

  /**
   * Deletes entries from `index` on (raft's conflicting suffix). Immediate for readers and
   * appends; resolves once durable. A crash before then leaves a prefix of the old log at
   * least `index − 1` long.
   */
  truncateSuffix(index: number): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.unusable());
    if (index === this.lastIndex + 1) return Promise.resolve();
    try {
      this.checkRange(index, this.lastIndex + 1);
    } catch (err) {
      return Promise.reject(err);
    }
    const { keep, pos, count, removed } = this.truncateLogical(index);
    const moved = this.waiters.takeFrom(index);
    const truncation = this.truncations;
    return this.queueOp('truncateSuffix', [], async () => {
      for (const s of removed) s.closeFiles(this.o.fs);
      await removeSegmentsAbove(this.o.fs, this.o.dir, keep.base);
      if (keep.writeFd === undefined) keep.writeFd = await openIfExists(this.o.fs, keep.path, this.dsync);
      // No file: its roll was dropped because a later truncation or reset removed it too.
      if (keep.writeFd === undefined) return;
      await this.o.fs.truncate(keep.writeFd, pos);
      await this.o.fs.datasync(keep.writeFd);
      await this.checkpoint(keep, count);
      if (truncation === this.truncations) this.written = this.durable = { segment: keep, pos, index: index - 1 };
      for (const w of moved) settle(w);
      this.advanced();
    }, moved);
  }

  /** The logical part of a suffix truncation: from `index` on, entries are gone for readers and appends. */
  private truncateLogical(index: number): { keep: Segment; pos: number; count: number; removed: Segment[] } {
    // The segment that keeps entries below `index`; the first one always stays, emptied if need be.
    let k = this.segments.length - 1;
    while (k > 0 && this.segments[k]!.base >= index) k--;
    const keep = this.segments[k]!;
    const removed = this.segments.slice(k + 1);
    const count = index - keep.base;
    this.activate(keep);
    const pos = count < keep.count ? keep.positions!.at(count) : keep.bytes;
    keep.positions!.truncate(count);
    keep.cache!.truncate(pos);
    keep.count = count;
    keep.bytes = pos;
    keep.persistedPositions = Math.min(keep.persistedPositions, count);
    this.segments.length = k + 1;
    this.terms.truncateFrom(index);
    this.jobs.clip(new Set(removed), keep, pos, index);
    this.truncations++;
    this.epoch++;
    if (this.written.index >= index) this.written = { segment: keep, pos, index: index - 1 };
    if (this.durable.index >= index) this.durable = { segment: keep, pos, index: index - 1 };
    return { keep, pos, count, removed };
  }

  /** Makes a closed segment the active one again (a suffix truncation reached into it). */
  private activate(seg: Segment): void {
    if (seg.positions !== undefined) return;
    const values = seg.count > 0 ? seg.positionsOf(this.o.fs, 0, seg.count - 1).subarray(0, seg.count) : new Uint32Array(0);
    seg.positions = PositionList.from(values);
    seg.persistedPositions = seg.count;
    this.attachCache(seg);
  }

  /**
   * Deletes entries before `index` (retention, snapshots): the first index moves at once and
   * is persisted; whole segments below it are removed. The active segment always stays.
   */
  truncatePrefix(index: number): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.unusable());
    if (index <= this.firstIndex) return Promise.resolve();
    if (index > this.lastIndex + 1) {
      return Promise.reject(new DepotError('INDEX_OUT_OF_RANGE', `cannot drop entries up to ${index - 1}: last is ${this.lastIndex}`));
    }
    let k = 0;
    while (k + 1 < this.segments.length && this.segments[k + 1]!.base <= index) k++;
    const removed = this.segments.slice(0, k);
    this.segments = this.segments.slice(k);
    this.meta = { ...this.meta, firstIndex: index };
    // Runs are kept from the first segment's base: sealing and checkpoints describe whole segments.
    this.terms.dropBefore(this.segments[0]!.base);
    this.epoch++;
    const meta = this.meta;
    this.notify();
    return this.queueOp('truncatePrefix', [], async () => {
      await writeMeta(this.o.fs, this.o.dir, meta);
      for (const s of removed) await removeSegmentFiles(this.o.fs, s);
      await this.o.fs.syncDir(this.o.dir);
    });
  }

  /**
   * Drops every entry and continues at `nextIndex` (raft installed a snapshot). Atomic across
   * a crash: the new meta (with a new generation) is the commit point.
   */
  reset(nextIndex: number): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.unusable());
    if (!Number.isSafeInteger(nextIndex) || nextIndex < 1 || nextIndex >= MAX_INDEX) {
      return Promise.reject(new DepotError('BAD_REQUEST', `reset: bad next index ${nextIndex}`));
    }
    const removed = this.segments;
    const next = new Segment(this.o.dir, nextIndex);
    next.positions = new PositionList();
    this.attachCache(next);
    this.segments = [next];
    this.meta = { generation: this.meta.generation + 1, firstIndex: nextIndex };
    this.terms.clear();
    this.jobs.clip(new Set(removed), undefined, 0, 0);
    this.truncations++;
    this.epoch++;
    this.written = this.durable = { segment: next, pos: SEGMENT_HEADER_BYTES, index: nextIndex - 1 };
    const moved = this.waiters.takeFrom(0);
    const meta = this.meta;
    return this.queueOp('reset', [], async () => {
      await writeMeta(this.o.fs, this.o.dir, meta);
      for (const s of removed) s.closeFiles(this.o.fs);
      await removeSegmentsAbove(this.o.fs, this.o.dir, -1);
      await this.o.fs.unlink(join(this.o.dir, CHECKPOINT_FILE)).catch(ignoreMissing);
      next.writeFd = await createSegmentFile(this.o.fs, next, meta.generation, this.dsync);
      this.bytesSinceCheckpoint = 0;
      for (const w of moved) settle(w);
      this.advanced();
    }, moved);
  }

  /**
   * Reads every written record of every segment and checks its CRC, index and term order
   * (what recovery skips for closed segments). Throws CORRUPT_LOG naming the first damage.
   * Runs beside appends; a truncation meanwhile makes it start over (bounded).
   */
  async verify(): Promise<{ entries: number; bytes: number }> {
    for (let attempt = 0; ; attempt++) {
      const epoch = this.epoch;
      try {
        return await verifyUpTo(this.o.fs, [...this.segments], this.written);
      } catch (err) {
        if (epoch === this.epoch || attempt >= 3) throw storageError(err, `verify ${this.o.dir}`);
      }
    }
  }

  /**
   * Deletes the oldest closed segments that `policy` condemns, never the active one and never
   * an entry at or after `pinnedIndex`. Resolves with what was deleted.
   */
  async retain(policy: RetentionPolicy, pinnedIndex: number, now: number): Promise<{ segments: number; bytes: number }> {
    if (this.state !== 'open') throw this.unusable();
    const watermark = policy.diskUsageWatermark ?? DEFAULT_DISK_USAGE_WATERMARK;
    let usage: DiskUsage | undefined;
    try {
      if (watermark < 1) usage = await this.o.fs.usage(this.o.dir);
    } catch (err) {
      throw storageError(err, `disk usage of ${this.o.dir}`);
    }
    const segments = this.segmentInfo();
    const k = segmentsToDelete(policy, { segments, now, pinnedIndex, usage });
    if (k === 0) return { segments: 0, bytes: 0 };
    await this.truncatePrefix(segments[k]!.base);
    return { segments: k, bytes: segments.slice(0, k).reduce((sum, s) => sum + s.bytes, 0) };
  }

  /** Makes everything appended so far durable (for `interval` and `never` owners). */
  sync(): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.unusable());
    return this.queueOp('sync', [], () => this.syncJob());
  }

  /**
   * Changes the flush policy while the log runs. Appends made before the call keep the promise
   * they were given (an `always` append still resolves only once durable); appends made after
   * it get the new one. Resolves once everything appended before the call is durable and the
   * files are open as the new policy writes them; a failure of that fdatasync fails the log
   * like any write failure, and the new policy holds after its recovery.
   */
  setFlushPolicy(policy: FlushPolicy): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.unusable());
    try {
      checkFlushPolicy(policy);
    } catch (err) {
      return Promise.reject(err);
    }
    this.policy = { ...policy };
    this.startTimer();
    const dsync = policy.mode === 'always';
    return this.queueOp('flushPolicy', [], async () => {
      // In job order: writes queued before went through the old descriptors, later ones the new.
      await this.syncJob();
      if (dsync === this.dsync) return;
      await reopenForWrite(this.o.fs, [...this.segments], dsync);
      this.dsync = dsync;
      this.jobs.setStartNowBytes(startNowBytes(dsync));
      this.epoch++;
    });
  }

  /** Writes and syncs what is pending, checkpoints, and closes the files. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.timer !== undefined) clearInterval(this.timer);
    const wasOpen = this.state === 'open';
    this.state = 'closing';
    if (wasOpen) {
      await this.queueOp('close', [], async () => {
        await this.syncJob();
        await this.checkpoint(this.active, this.active.count);
      }).catch(() => undefined);
    }
    await this.recovering?.catch(() => undefined);
    for (const s of this.segments) s.closeFiles(this.o.fs);
    this.state = 'closed';
    this.waiters.rejectAll(this.unusable());
  }

  private startTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.policy.mode !== 'interval') return;
    this.timer = setInterval(() => this.intervalSync(), this.policy.intervalMs);
    this.timer.unref();
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private attachCache(seg: Segment): void {
    seg.cache = new TailCache(this.o.tailCacheBytes);
  }

  private endMark(): Mark {
    const a = this.active;
    return { segment: a, pos: a.bytes, index: a.lastIndex };
  }

  private queueOp(name: string, segments: Segment[], run: () => Promise<void>, moved: Waiter[] = []): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.jobs.op({
        name,
        segments,
        run,
        settle: (err) => {
          for (const w of moved) settle(w, err);
          if (err === undefined) resolve();
          else reject(err);
        },
      });
    });
  }

  private async runJob(job: Job): Promise<void> {
    if (job.kind === 'op') {
      await job.run();
      job.settle?.();
      return;
    }
    const { segment, from, to } = job;
    assert(segment.writeFd !== undefined, 'write to %s before it exists', segment.path);
    const bytes = segment.cache!.gather(from, to);
    // Appended while a roll or truncation ran: written here as writeInline would have, so that
    // the queue drains at once and the next append is written inline again (a thread-pool write
    // would still be running when the next turn appends, and that one would queue behind it).
    if (this.inlineAllowed(to - from)) {
      try {
        this.o.fs.writeSync(segment.writeFd, bytes, from);
        return;
      } catch {
        // The thread-pool write below writes the same positions again, or reports why not.
      }
    }
    await this.o.fs.write(segment.writeFd, bytes, from);
  }

  private writeJobDone(job: WriteJob): void {
    this.bytesSinceCheckpoint += job.to - job.from;
    if (job.epoch !== this.truncations) return;
    this.wrote(job.segment, job.to, job.lastIndex);
  }

  /**
   * Without `always`, an append is answered once its bytes are with the OS, and a small write
   * into the page cache costs microseconds: when no job is queued or running, the append writes
   * on the calling thread, as Redis writes its AOF, instead of a thread-pool round trip (an
   * event-loop turn per append). Anything else, or a failure, goes through the job queue, whose
   * write rewrites the same positions and whose failures go through recovery.
   */
  private writeInline(seg: Segment, from: number): boolean {
    const to = seg.bytes;
    if (!this.inlineAllowed(to - from) || !this.jobs.idle || seg.writeFd === undefined) return false;
    if (this.written.segment !== seg || this.written.pos !== from) return false;
    try {
      this.o.fs.writeSync(seg.writeFd, seg.cache!.gather(from, to), from);
    } catch {
      return false;
    }
    this.bytesSinceCheckpoint += to - from;
    this.wrote(seg, to, this.lastIndex);
    return true;
  }

  /** A write of `bytes` may be made on the calling thread: acknowledged once written, small enough. */
  private inlineAllowed(bytes: number): boolean {
    return this.policy.mode !== 'always' && !this.dsync && bytes <= this.o.inlineWriteMaxBytes;
  }

  /** The bytes of `segment` up to `to` (entries up to `lastIndex`) are written. */
  private wrote(segment: Segment, to: number, lastIndex: number): void {
    this.written = { segment, pos: to, index: lastIndex };
    // The file is open with O_DSYNC (the switch that reopened it so synced everything before):
    // the write returned once its bytes were durable.
    if (this.dsync) this.durable = this.written;
    segment.cache!.evict(this.written.pos);
    this.advanced();
    if (this.bytesSinceCheckpoint >= this.o.checkpointBytes && this.policy.mode !== 'never' && !this.checkpointing) {
      // Settled however the job ends (run, dropped by a truncation, drained by a failure).
      this.checkpointing = true;
      const done = () => (this.checkpointing = false);
      this.jobs.op({ name: 'checkpoint', segments: [segment], run: () => this.checkpointJob(), background: true, settle: done });
    }
  }

  private async syncJob(): Promise<void> {
    const mark = this.written;
    const stale = this.truncations;
    // A mark whose file is not open yet was moved by a truncation or reset, whose own job syncs.
    if (sameMark(mark, this.durable) || mark.segment.writeFd === undefined) return;
    await this.o.fs.datasync(mark.segment.writeFd);
    if (stale !== this.truncations) return;
    this.durable = mark;
    this.advanced();
  }

  private intervalSync(): void {
    if (this.state !== 'open' || sameMark(this.written, this.durable) || this.jobs.hasQueued('sync')) return;
    this.jobs.op({ name: 'sync', segments: [], run: () => this.syncJob(), background: true });
  }

  private async checkpointJob(): Promise<void> {
    if (this.policy.mode === 'interval') await this.syncJob();
    const d = this.durable;
    await this.checkpoint(d.segment, d.segment === this.active ? d.index - d.segment.base + 1 : 0);
  }

  /** Records that the first `count` entries of the active `seg` are durable and where they are. */
  private async checkpoint(seg: Segment, count: number): Promise<void> {
    if (seg !== this.active || seg.positions === undefined) return;
    // Everything is read before the first await: the logical state may move on meanwhile.
    const stale = this.truncations;
    const n = Math.min(count, this.durable.segment === seg ? this.durable.index - seg.base + 1 : 0);
    const checkpoint = {
      generation: this.meta.generation,
      segmentBase: seg.base,
      count: n,
      dataBytes: n < seg.count ? seg.positions.at(n) : seg.bytes,
      maxTimestamp: seg.maxTimestamp,
      lastTerm: n > 0 ? this.terms.termAt(seg.base + n - 1) : 0,
      runs: n > 0 ? this.terms.slice(seg.base, seg.base + n - 1) : [],
    };
    // Bytes written while this checkpoint runs count towards the next one.
    this.bytesSinceCheckpoint = 0;
    await persistPositions(this.o.fs, seg, n);
    if (stale !== this.truncations) return;
    seg.persistedPositions = Math.max(seg.persistedPositions, n);
    await writeCheckpoint(this.o.fs, this.o.dir, checkpoint);
  }

  /** Resolves the appends that the marks now cover, each under the policy it was made under. */
  private advanced(): void {
    this.waiters.resolveUpTo(this.written.index, this.durable.index);
    this.notify();
  }

  private notify(): void {
    if (this.listeners.size === 0) return;
    const p = this.positions();
    for (const l of this.listeners) l(p);
  }

  /** The error for a call the log cannot serve; while failed, each such call retries recovery. */
  private unusable(): DepotError {
    if (this.state === 'failed' && this.failureCause !== undefined) {
      void this.recoverAfterFailure();
      return this.failureCause;
    }
    return new DepotError('LOG_CLOSED', `log ${this.o.dir} is closed`);
  }

  /**
   * A job failed (disk full, read-only, I/O error): everything not yet durable under the
   * policy is abandoned, its callers get the error, and the log reloads its state from disk.
   * Nothing durable is touched, and the log works again as soon as recovery succeeds.
   */
  private async fail(jobs: readonly Job[], err: unknown): Promise<void> {
    const job = jobs[0]!;
    const error = storageError(err, `log ${this.o.dir}: ${job.kind === 'op' ? job.name : 'write'}`);
    for (const j of jobs) if (j.kind === 'op') j.settle?.(error);
    this.jobs.drain(error);
    this.waiters.rejectAll(error);
    this.failureCause = error;
    if (this.state === 'open') this.state = 'failed';
    // Through O_DSYNC descriptors written is durable. Otherwise a written entry was answered:
    // `always` appends are written only through O_DSYNC descriptors (queued behind the switch).
    const keep = this.dsync ? this.durable : this.written;
    this.keepAfterFailure = keep;
    // Readers stop seeing the abandoned entries at once; recovery then reconciles the files.
    try {
      if (keep.index < this.lastIndex && keep.index >= this.firstIndex - 1) this.truncateLogical(keep.index + 1);
    } catch {
      // Reading a position index failed too: recovery rebuilds the whole state from the files.
    }
    await this.recoverAfterFailure();
  }

  private recoverAfterFailure(): Promise<void> {
    this.recovering ??= (async () => {
      try {
        for (const s of this.segments) s.closeFiles(this.o.fs);
        if (this.keepAfterFailure !== undefined) await cutFilesTo(this.o.fs, this.o.dir, this.keepAfterFailure.segment, this.keepAfterFailure.pos);
        this.keepAfterFailure = undefined;
        const dsync = this.policy.mode === 'always';
        const r = await recover(recoverOptions(this.o, dsync));
        if (this.state !== 'failed') {
          for (const s of r.segments) s.closeFiles(this.o.fs);
          return;
        }
        this.meta = r.meta;
        this.segments = r.segments;
        this.terms = r.terms;
        this.cutBytes = r.truncatedBytes;
        this.attachCache(this.active);
        this.written = this.durable = this.endMark();
        this.dsync = dsync;
        this.jobs.setStartNowBytes(startNowBytes(dsync));
        this.truncations++;
        this.epoch++;
        this.state = 'open';
        this.failureCause = undefined;
        this.notify();
      } catch (err) {
        this.failureCause = storageError(err, `recover log ${this.o.dir}`);
      } finally {
        this.recovering = undefined;
      }
    })();
    return this.recovering;
  }

}

function sameMark(a: Mark, b: Mark): boolean {
  return a.segment === b.segment && a.pos === b.pos;
}

function recoverOptions(o: ResolvedOptions, dsync: boolean): RecoverOptions {
  return { dir: o.dir, fsys: o.fs, startIndex: o.startIndex, create: o.create, onCorruptTail: o.onCorruptTail, dsync };
}

/** Pipelined writes pay where a write costs its bytes, not a device flush (job-queue.ts). */
function startNowBytes(dsync: boolean): number {
  return dsync ? Infinity : PIPELINE_WRITE_BYTES;
}
