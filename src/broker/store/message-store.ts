// The broker's store service: derives the per-queue offset indexes and the key index from applied
// entries (the reput), checkpoints them, and reads messages back from the log through them.
// Derived data only: nothing here decides an offset, and the log rebuilds what a crash lost.
//
// Files, under the group's `queues/` directory (docs/storage.md, "Queue indexes"):
//   checkpoint        every queue's index state and the log index they cover (store-checkpoint.ts)
//   keys/             the key index (src/log hash index)
//   t-<topic>/<queue>/  one offset index per queue (src/log offset index)
import { join } from 'node:path';
import type { Entry } from '../../raft/group.js';
import { assert } from '../../util/assert.js';
import { DepotError, isDepotError } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { FdCache } from '../../log/fd-cache.js';
import { readFileIfExists, writeFileAtomic } from '../../log/file-system.js';
import { HashIndex } from '../../log/hash-index.js';
import type { DeliveredRun } from '../../protocol/native/consume.js';
import type { BrokerResult } from '../machine/broker-machine.js';
import type { BrokerLog } from './broker-log.js';
import { QueueIndexes, type IndexTuning, type StoredQueue } from './queue-indexes.js';
import { ReadCache } from './read-cache.js';
import { Reput } from './reput.js';
import { decodeStoreCheckpoint, encodeStoreCheckpoint } from './store-checkpoint.js';

/** Upper bound of index records examined by one read, so a filter that matches nothing stays cheap. */
const MAX_SCAN = 16_384;
/** Index records examined per step when a tag filter may skip most of them. */
const FILTER_CHUNK = 512;
const CHECKPOINT = 'checkpoint';
/** Index files fdatasync'ed at once by a checkpoint. */
const SYNC_CONCURRENCY = 16;
/**
 * A read from the log's files covers this many times the bytes it needs (within the bounds
 * below): the entries of the other queues in between go to the read cache for their readers.
 */
const READ_AHEAD = 8;
const MIN_READ_BYTES = 64 * 1024;
const MAX_READ_BYTES = 1024 * 1024;
/**
 * Entries one read may span (their positions are a 4 KiB page of a closed segment's position
 * index). The log plans a read from the positions of every entry up to the end it is given, up
 * to 65,536 of them, although the byte budget above takes a few dozen entries of batched
 * messages: with the end at the last applied entry, planning was about a sixth of the broker's
 * CPU while consumers read a backlog from closed segments.
 */
const MAX_READ_ENTRIES = 1024;
/** Entries read from files kept for the reads that follow (per broker group). */
const READ_CACHE_BYTES = 32 * 1024 * 1024;

export interface MessageStoreOptions {
  /** The group's `queues/` directory. */
  dir: string;
  /** The node's descriptor cache, shared by every index. */
  fds: FdCache;
  index?: IndexTuning;
  /** Key index file geometry (tests use small files). */
  keyIndex?: { slots?: number; capacity?: number };
  logger?: Logger;
}

export interface ReadRequest {
  topic: string;
  queue: number;
  from: number;
  /** Tag hashes to deliver; undefined delivers every message. */
  tags: ReadonlySet<number> | undefined;
  maxMessages: number;
  maxBytes: number;
}

export interface ReadResult {
  /** Messages picked, as runs: consecutive offsets stored back to back in one entry share a run. */
  runs: DeliveredRun[];
  /** Messages in `runs`. */
  count: number;
  /** Offset after the last message examined (delivered or filtered out). */
  next: number;
}

export class MessageStore {
  readonly indexes: QueueIndexes;
  readonly keys: HashIndex;
  private readonly reput: Reput;
  private readonly listeners = new Set<(topic: string, queue: number) => void>();
  private readonly recent = new ReadCache(READ_CACHE_BYTES);
  private log: BrokerLog | undefined;
  /** Checkpoints, retention and topic drops run one at a time. */
  private maintenance: Promise<unknown> = Promise.resolve();
  private failure: DepotError | undefined;
  private closed = false;

  private constructor(
    private readonly o: MessageStoreOptions,
    indexes: QueueIndexes,
    keys: HashIndex,
    covered: number,
  ) {
    this.indexes = indexes;
    this.keys = keys;
    this.reput = new Reput(indexes, keys, covered, {
      stored: (q) => this.stored(q),
      failed: (err) => this.fail(err),
      retrying: (err) => {
        const logger = this.o.logger ?? silentLogger;
        if (err !== undefined) logger.error({ err }, 'queue indexes cannot be written: the reput waits and tries again');
        else logger.info('queue indexes written again');
      },
      exclusive: (fn) => this.exclusive(fn),
    });
  }

  /** Opens the indexes at their last checkpoint; the group's replay brings them up to date. */
  static async open(o: MessageStoreOptions): Promise<MessageStore> {
    await o.fds.fsys.mkdir(o.dir);
    const file = join(o.dir, CHECKPOINT);
    const ck = decodeStoreCheckpoint(await readFileIfExists(o.fds.fsys, file), file);
    const indexes = await QueueIndexes.open(o.dir, o.fds, ck.queues, o.index);
    const keys = await HashIndex.open({ dir: join(o.dir, 'keys'), fds: o.fds, ...o.keyIndex });
    return new MessageStore(o, indexes, keys, ck.covered);
  }

  attachLog(log: BrokerLog): void {
    this.log = log;
  }

  // ---- from apply -------------------------------------------------------------------------

  /** Called by apply for every applied command (no I/O here: the reput runs after). */
  onApplied(entry: Entry, result: BrokerResult | undefined): void {
    this.reput.add(entry, result);
  }

  /** Index of the last applied command handed in. */
  get lastApplied(): number {
    return this.reput.lastApplied;
  }

  private stored(q: StoredQueue): void {
    for (const l of this.listeners) l(q.topic, q.queue);
  }

  /** Calls `listener` when messages of a queue become readable. */
  onAppend(listener: (topic: string, queue: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- reads ------------------------------------------------------------------------------

  queue(topic: string, queue: number): StoredQueue | undefined {
    return this.indexes.get(topic, queue);
  }

  /** First offset served (retention moves it). */
  startOffset(topic: string, queue: number): number {
    return this.queue(topic, queue)?.start ?? 0;
  }

  /** Offset after the last readable message. */
  endOffset(topic: string, queue: number): number {
    return this.queue(topic, queue)?.end ?? 0;
  }

  /** True when `read` from `from` would examine at least one message. */
  hasData(topic: string, queue: number, from: number): boolean {
    return from < this.endOffset(topic, queue);
  }

  /** First served offset whose store timestamp is at or after `ts` (the end offset when none). */
  offsetForTimestamp(topic: string, queue: number, ts: number): number {
    const q = this.queue(topic, queue);
    if (q === undefined) return 0;
    this.check();
    return Math.max(q.start, q.index.offsetForTime(ts));
  }

  /** Store timestamp of the message at `offset` (which must be readable). */
  timestampAt(topic: string, queue: number, offset: number): number {
    const q = this.queue(topic, queue);
    assert(q !== undefined && offset >= q.start && offset < q.end, 'no message %s/%s@%s', topic, queue, offset);
    return q.index.get(offset).timestamp;
  }

  async read(req: ReadRequest): Promise<ReadResult> {
    this.check();
    const q = this.queue(req.topic, req.queue);
    if (q === undefined) return { runs: [], count: 0, next: req.from };
    const from = Math.max(req.from, q.start);
    const end = Math.min(q.end, from + MAX_SCAN);
    const runs: PickedRun[] = [];
    let run: PickedRun | undefined;
    let count = 0;
    let bytes = 0;
    let next = from;
    let full = false;
    const visit = (offset: number, logIndex: number, position: number, size: number, tagHash: number, timestamp: number): boolean => {
      if (count >= req.maxMessages || (count > 0 && bytes + size > req.maxBytes)) {
        full = true;
        return false;
      }
      next = offset + 1;
      if (req.tags !== undefined && !req.tags.has(tagHash)) {
        run = undefined;
        return true;
      }
      bytes += size;
      count++;
      // The next record of the same entry extends the run; anything else starts one.
      if (run !== undefined && run.logIndex === logIndex && run.end === position && run.storeTimestamp === timestamp) {
        run.count++;
        run.end += size;
      } else {
        runs.push((run = { queue: req.queue, offset, count: 1, storeTimestamp: timestamp, logIndex, position, end: position + size, records: EMPTY }));
      }
      return true;
    };
    // Without a filter, about as many records as wanted; with one, a bounded chunk at a time.
    while (next < end && !full) q.index.visit(next, Math.min(end - next, req.tags === undefined ? Math.max(1, req.maxMessages - count) : FILTER_CHUNK), visit);
    return this.materialize(q, runs, count, next);
  }

  /**
   * Fills in each run's records from its log entry (a view, not a copy): from the log's memory
   * when fresh, else from the read cache or the log's files, read off the event loop a range of
   * entries at a time.
   */
  private async materialize(q: StoredQueue, runs: PickedRun[], count: number, next: number): Promise<ReadResult> {
    const payloads = new Map<number, Buffer>();
    const missing: number[] = [];
    let missingBytes = 0;
    for (const r of runs) {
      if (payloads.has(r.logIndex)) continue;
      const p = this.cachedPayload(r.logIndex) ?? this.recent.get(r.logIndex);
      if (p !== undefined) {
        payloads.set(r.logIndex, p);
        continue;
      }
      if (missing[missing.length - 1] !== r.logIndex) missing.push(r.logIndex);
      missingBytes += r.end - r.position;
    }
    try {
      const budget = Math.min(MAX_READ_BYTES, Math.max(MIN_READ_BYTES, READ_AHEAD * missingBytes));
      // Up to the budget, past the last entry needed too (the other queues read on from there),
      // but never past what is applied. Ascending: a queue's entries are in log order.
      const applied = Math.max(missing[missing.length - 1] ?? 0, this.reput.lastApplied) + 1;
      for (let i = 0; i < missing.length; ) {
        const lo = missing[i]!;
        const read = await this.readPayloads(lo, Math.min(applied, lo + MAX_READ_ENTRIES), budget);
        for (; i < missing.length && missing[i]! < lo + read.length; i++) payloads.set(missing[i]!, read[missing[i]! - lo]!);
      }
    } catch (err) {
      if (!isDepotError(err, 'INDEX_COMPACTED')) throw err;
      // Deleted under the disk watermark: serve what is still stored, from the new start on.
      const start = this.skipDeleted(q);
      const kept = runs.filter((r) => r.offset >= start && payloads.has(r.logIndex));
      for (const r of kept) r.records = payloads.get(r.logIndex)!.subarray(r.position, r.end);
      const last = kept[kept.length - 1];
      return { runs: kept, count: kept.reduce((n, r) => n + r.count, 0), next: Math.max(start, last !== undefined ? last.offset + last.count : start) };
    }
    for (const r of runs) r.records = payloads.get(r.logIndex)!.subarray(r.position, r.end);
    return { runs, count, next };
  }

  private cachedPayload(index: number): Buffer | undefined {
    assert(this.log !== undefined, 'store read before a log was attached');
    return this.log.cachedPayload(index);
  }

  /**
   * Entries from `lo` (below `hi`, about `maxBytes`) from the log's files, remembered in the read
   * cache. Only for entries up to an applied one (`hi - 1`): committed, so never replaced.
   */
  private async readPayloads(lo: number, hi: number, maxBytes: number): Promise<Buffer[]> {
    assert(this.log !== undefined, 'store read before a log was attached');
    const read = await this.log.readPayloads(lo, hi, maxBytes);
    assert(read.length > 0, 'log read of %s..%s returned nothing', lo, hi - 1);
    this.recent.add(lo, read);
    return read;
  }

  /**
   * The payload of the entry at `index` (from memory when the log or the read cache holds it).
   * For lookups, whose index may name any entry, even one not yet committed: not cached.
   */
  async readPayload(index: number): Promise<Buffer> {
    assert(this.log !== undefined, 'store read before a log was attached');
    return this.cachedPayload(index) ?? this.recent.get(index) ?? (await this.log.readPayloads(index, index + 1, 0))[0]!;
  }

  /** Moves a queue's start past messages whose log entries were deleted; returns the new start. */
  skipDeleted(q: StoredQueue): number {
    const first = this.log?.firstIndex ?? 0;
    q.advanceStart(firstOffsetAtOrAfter(q, first));
    return q.start;
  }

  // ---- checkpoints and maintenance --------------------------------------------------------

  /** Runs `fn` when no other checkpoint, retention step or topic drop is running. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(fn, fn);
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes the indexes durable up to at least the applied entry `upTo` (everything handed in
   * by then), and records it in the checkpoint. A snapshot of the broker waits for this, so the
   * indexes never lag a snapshot (their missing entries would be gone from the replay).
   */
  async checkpoint(upTo = this.reput.lastApplied): Promise<void> {
    this.check();
    // Waited for outside `exclusive`: the reput may itself wait for it (topic drops).
    await this.reput.until(upTo);
    return this.exclusive(() => this.checkpointHeld());
  }

  /** A checkpoint of what the reput has done so far, for a caller already inside `exclusive`. */
  async checkpointHeld(): Promise<void> {
    this.check();
    // Captured in one synchronous step: the states and the covered index describe one moment.
    const covered = this.reput.reputIndex;
    const queues = [...this.indexes.all()];
    const states = queues.map((q) => ({ topic: q.topic, queue: q.queue, start: q.start, state: q.index.captureState() }));
    const dirty = queues.filter((q) => q.dirty);
    for (const q of dirty) q.dirty = false;
    const keys = this.keys.checkpoint();
    try {
      for (let i = 0; i < dirty.length; i += SYNC_CONCURRENCY) await Promise.all(dirty.slice(i, i + SYNC_CONCURRENCY).map((q) => q.index.sync()));
      await keys;
      await writeFileAtomic(this.o.fds.fsys, this.o.dir, CHECKPOINT, encodeStoreCheckpoint({ covered, queues: states }));
    } catch (err) {
      for (const q of dirty) q.dirty = true;
      throw err;
    }
  }

  /** Restarts a queue's index empty at `offset` (see QueueIndexes.reset), between checkpoints. */
  resetQueue(topic: string, queue: number, offset: number): Promise<void> {
    return this.exclusive(() => this.indexes.reset(topic, queue, offset));
  }

  /** Every applied entry up to here is in the indexes. */
  get reputIndex(): number {
    return this.reput.reputIndex;
  }

  /** Waits for the reput, checkpoints and closes the index files. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === undefined) await this.checkpoint().catch((err: unknown) => (this.o.logger ?? silentLogger).error({ err }, 'final index checkpoint failed'));
    this.closed = true;
    this.reput.stop();
    await this.maintenance;
    this.recent.clear();
    this.indexes.close();
  }

  get failed(): DepotError | undefined {
    return this.failure;
  }

  /** Why the indexes do not keep up, for /health: stopped (`failed`), or waiting out a storage error. */
  get indexFailure(): { failure: string; retrying?: true } | undefined {
    if (this.failure !== undefined) return { failure: this.failure.message };
    const stalled = this.reput.stalledBy;
    return stalled === undefined ? undefined : { failure: stalled.message, retrying: true };
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = isDepotError(err) ? err : new DepotError('STORAGE_IO', `queue indexes failed: ${String(err)}`, { cause: err });
    (this.o.logger ?? silentLogger).error({ err: this.failure }, 'queue index reput stopped');
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

const EMPTY = Buffer.alloc(0);

/** Messages chosen by a read: their records are filled in from the entry afterwards. */
interface PickedRun extends DeliveredRun {
  /** Position after the run's last record. */
  end: number;
}

/** First offset of `q` (from its start) whose message is in a log entry at or after `logIndex`. */
export function firstOffsetAtOrAfter(q: StoredQueue, logIndex: number): number {
  let lo = q.start;
  let hi = q.end;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (q.index.get(mid).logIndex < logIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
