// The reput (RocketMQ's name): applied Produce entries stream into the derived indexes outside
// apply — the queue's offset index (one record per message) and the key index — in log order.
// Apply only enqueues (no I/O); the queue drains right after, synchronously while every index it
// needs is open, pausing only to open a queue's index for the first time or to drop a topic.
//
// A storage error (a full disk: an index's buffered records, a new queue's index files) holds
// the reput back instead of stopping it: the entry it was on stays first in the queue, what it
// had indexed of it is remembered, and the drain tries again every RETRY_MS. The entries stay
// in the group's log, so nothing is lost; consumers see the messages once they are indexed,
// and checkpoints (snapshots, close) fail meanwhile with the error, as the log's writes do.
import Denque from 'denque';
import type { Entry } from '../../raft/group.js';
import { assert } from '../../util/assert.js';
import { isStorageError, type DepotError } from '../../util/errors.js';
import type { HashIndex } from '../../log/hash-index.js';
import { hash53 } from '../../log/hash.js';
import { BATCH_HEADER_BYTES, storedRecordKeyAt, storedRecordSize, storedRecordTagHash } from '../../protocol/native/record-batch.js';
import type { BrokerResult, StoredBatch } from '../machine/broker-machine.js';
import type { QueueIndexes, StoredQueue } from './queue-indexes.js';

/** Key index values: log index × 2^20 + the message's number in its batch (batches hold < 2^20). */
export const KEY_VALUE_SHIFT = 2 ** 20;
/** Log indexes from here on do not fit a key index value (2^53 / 2^20): their keys are not indexed. */
export const MAX_KEYED_LOG_INDEX = 2 ** 33;

/** The seed of a topic's keys in the key index: the same key in two topics hashes apart. */
export function topicSeed(topic: string): number {
  return hash53(Buffer.from(topic, 'utf8')) >>> 0;
}

/** Between attempts while the indexes cannot be written (the raft groups' storage retry period). */
const RETRY_MS = 1000;

/** A stored batch, with how many of its messages each index has taken so far (a retry resumes there). */
interface StoredItem {
  entry: Entry;
  stored: StoredBatch;
  queued: number;
  keyed: number;
}
type Item = StoredItem | { entry: Entry; dropped: string };

export interface ReputSink {
  /** An entry's messages are in the queue's index (consumers may read them). */
  stored(queue: StoredQueue): void;
  /** The reput failed (not a storage error: it is not retried): the store stops serving. */
  failed(err: unknown): void;
  /** A storage error holds the reput back (retried), or undefined: it goes on again. */
  retrying(err: DepotError | undefined): void;
  /** Runs index file removals one at a time with checkpoints (which sync those files). */
  exclusive(fn: () => Promise<void>): Promise<void>;
}

export class Reput {
  private readonly pending = new Denque<Item>();
  private draining = false;
  private scheduled = false;
  /** Every entry handed in up to here is in the indexes. */
  private done: number;
  /** Index of the last applied entry handed in. */
  private last: number;
  private waiters: Array<{ index: number; resolve: () => void; reject: (err: unknown) => void }> = [];
  private failure: unknown;
  /** The storage error the reput waits out, while it does. */
  private stalled: DepotError | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly seeds = new Map<string, number>();

  constructor(
    private readonly indexes: QueueIndexes,
    private readonly keys: HashIndex,
    /** Entries up to here are already in the queue indexes (their checkpoint). */
    private readonly queuesCovered: number,
    private readonly sink: ReputSink,
  ) {
    // Entries after the older of the two checkpoints are replayed; each index skips what it has.
    this.done = this.last = Math.min(queuesCovered, keys.coveredLogIndex);
  }

  /** Every applied entry up to here has been handed to `add`. */
  get lastApplied(): number {
    return this.last;
  }

  /** Every applied entry up to here is in the indexes. */
  get reputIndex(): number {
    return this.done;
  }

  /** Called from apply for every applied command: enqueues what the indexes need, no I/O. */
  add(entry: Entry, result: BrokerResult | undefined): void {
    if (entry.index <= this.last) return; // replayed after a restart, already indexed
    this.last = entry.index;
    if (result?.kind === 'produce' && !result.duplicate) {
      this.pending.push({ entry, stored: result, queued: 0, keyed: 0 });
      // Start opening a new queue's index now, so the drain rarely waits for it.
      const q = this.indexes.ensure(result.topic, result.queue);
      if (q instanceof Promise) q.catch(() => undefined);
    } else if (result?.kind === 'dropped') {
      this.pending.push({ entry, dropped: result.topic });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }

  /** The storage error the reput is waiting out, if it is. */
  get stalledBy(): DepotError | undefined {
    return this.stalled;
  }

  /** Resolves once every entry up to `index` handed in is in the indexes. */
  until(index: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.stalled !== undefined) return Promise.reject(this.stalled);
    if (this.done >= Math.min(index, this.last)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  private drain(): void {
    if (this.draining || this.retryTimer !== undefined || this.failure !== undefined) return;
    this.draining = true;
    while (!this.pending.isEmpty()) {
      const item = this.pending.peekFront()!;
      let wait: Promise<unknown> | undefined;
      if ('stored' in item) {
        const q = this.indexes.ensure(item.stored.topic, item.stored.queue);
        if (q instanceof Promise) wait = q;
        else {
          try {
            this.index(item, q);
          } catch (err) {
            this.draining = false;
            this.stepFailed(err);
            return;
          }
        }
      } else {
        const topic = item.dropped;
        wait = this.sink.exclusive(() => this.indexes.dropTopic(topic));
      }
      if (wait !== undefined) {
        wait.then(
          () => {
            if ('dropped' in item) this.finish();
            this.draining = false;
            this.drain();
          },
          (err: unknown) => {
            this.draining = false;
            this.stepFailed(err);
          },
        );
        return;
      }
      this.finish();
    }
    this.done = this.last;
    this.draining = false;
    if (this.stalled !== undefined) {
      this.stalled = undefined;
      this.sink.retrying(undefined);
    }
    this.wake();
  }

  /** A step of the drain failed: a storage error is waited out, anything else stops the reput. */
  private stepFailed(err: unknown): void {
    if (!isStorageError(err)) {
      this.fail(err);
      return;
    }
    if (this.stalled === undefined) this.sink.retrying(err);
    this.stalled = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drain();
    }, RETRY_MS);
  }

  /** The store closes: no more attempts. */
  stop(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private finish(): void {
    const item = this.pending.shift()!;
    this.done = item.entry.index;
    if ('stored' in item) this.sink.stored(this.indexes.get(item.stored.topic, item.stored.queue)!);
  }

  /**
   * Appends one stored batch's messages to its queue's index and its keys to the key index,
   * from where an earlier attempt stopped: each append either takes a message or throws
   * having changed nothing, so `queued` and `keyed` count exactly what each index holds.
   */
  private index(item: StoredItem, q: StoredQueue): void {
    const { entry, stored: b } = item;
    const payload = entry.payload;
    const toQueue = entry.index > this.queuesCovered;
    const toKeys = entry.index > this.keys.coveredLogIndex && entry.index < MAX_KEYED_LOG_INDEX;
    assert(!toQueue || q.end === b.baseOffset + item.queued, 'index of %s/%s at %s, batch at %s', b.topic, b.queue, q.end, b.baseOffset + item.queued);
    let pos = b.batchOffset + BATCH_HEADER_BYTES;
    for (let i = 0; i < b.count; i++) {
      const size = storedRecordSize(payload, pos);
      if (toQueue && i >= item.queued) {
        q.index.appendFields(b.baseOffset + i, entry.index, pos, size, storedRecordTagHash(payload, pos), entry.timestamp);
        item.queued++;
      }
      const key = storedRecordKeyAt(payload, pos);
      if (toKeys && key >= 0 && i >= item.keyed) {
        this.keys.putHash(hash53(payload, this.seedOf(b.topic), key + 2, key + 2 + payload.readUInt16BE(key)), entry.index * KEY_VALUE_SHIFT + i);
      }
      if (i >= item.keyed) item.keyed++;
      pos += size;
    }
    if (toQueue) {
      q.dirty = true;
      q.index.cover(entry.index);
    }
    if (toKeys) this.keys.cover(entry.index);
  }

  private seedOf(topic: string): number {
    let s = this.seeds.get(topic);
    if (s === undefined) {
      if (this.seeds.size >= 100_000) this.seeds.clear();
      this.seeds.set(topic, (s = topicSeed(topic)));
    }
    return s;
  }

  /** The reput stops for good (the store reports the failure): waiters learn it at once. */
  private fail(err: unknown): void {
    this.failure = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    this.sink.failed(err);
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.done >= Math.min(w.index, this.last)) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
