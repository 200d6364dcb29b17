// The per-queue offset indexes of one broker group (RocketMQ's ConsumeQueue), on the offset
// index of src/log: queue offset → log index, position in the entry, size, tag hash, store
// timestamp, with a sparse time index. One directory per queue under `queues/`, descriptors
// from the node's shared FdCache, so an idle queue holds no descriptor.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../../util/assert.js';
import { DepotError, storageError } from '../../util/errors.js';
import type { FdCache } from '../../log/fd-cache.js';
import { encodeOffsetIndexState, OffsetIndex } from '../../log/offset-index.js';
import type { QueueCheckpoint } from './store-checkpoint.js';

/** Tuning of the offset index files (tests use small files). */
export interface IndexTuning {
  recordsPerFile?: number;
  bufferRecords?: number;
  timeInterval?: number;
}

/** Queues opened at once at start. */
const OPEN_CONCURRENCY = 32;
/** Index records buffered per queue before a write (5 KiB: a write per 128 messages). */
const BUFFER_RECORDS = 128;

export class StoredQueue {
  /** Appended to since the last checkpoint. */
  dirty = true;
  /** Log index and timestamp of the message at `start` while start < end (cached reads). */
  private head: { offset: number; logIndex: number; timestamp: number } | undefined;

  constructor(
    readonly topic: string,
    readonly queue: number,
    readonly index: OffsetIndex,
    /** First offset served: at or after the index's first offset, moved by retention. */
    public start: number,
  ) {
    assert(start >= index.firstOffset && start <= index.nextOffset, 'start %s of %s/%s outside its index', start, topic, queue);
  }

  /** Offset after the last indexed message. */
  get end(): number {
    return this.index.nextOffset;
  }

  /** Log index of the first served message, or undefined when the queue holds none. */
  headLogIndex(): number | undefined {
    return this.headRecord()?.logIndex;
  }

  /** Store timestamp of the first served message, or undefined when the queue holds none. */
  headTimestamp(): number | undefined {
    return this.headRecord()?.timestamp;
  }

  private headRecord(): { logIndex: number; timestamp: number } | undefined {
    if (this.start >= this.end) return undefined;
    if (this.head?.offset !== this.start) {
      const r = this.index.get(this.start);
      this.head = { offset: this.start, logIndex: r.logIndex, timestamp: r.timestamp };
    }
    return this.head;
  }

  /** Moves the first served offset forward (never back, never past the end). */
  advanceStart(offset: number): void {
    const next = Math.min(Math.max(this.start, offset), this.end);
    if (next !== this.start) {
      this.start = next;
      this.dirty = true;
    }
  }
}

/**
 * A checkpointed index that does not open, or whose last record cannot be read, lost files
 * (deleted, or a disk that lost them): refused at start, since its messages cannot be
 * reindexed from the log alone.
 */
function damaged(topic: string, queue: number, err: unknown): DepotError {
  return new DepotError('CORRUPT_LOG', `the index of queue ${topic}/${queue} is damaged or missing: ${(err as Error).message}`, {
    cause: err,
    details: { topic, queue },
  });
}

export class QueueIndexes {
  private readonly topics = new Map<string, Map<number, StoredQueue>>();
  private readonly opening = new Map<string, Promise<StoredQueue>>();

  private constructor(
    private readonly dir: string,
    private readonly fds: FdCache,
    private readonly tuning: IndexTuning,
  ) {}

  /** Opens the indexes of every queue in the checkpoint (their records past it are cut). */
  static async open(dir: string, fds: FdCache, queues: readonly QueueCheckpoint[], tuning: IndexTuning = {}): Promise<QueueIndexes> {
    const q = new QueueIndexes(dir, fds, tuning);
    for (let i = 0; i < queues.length; i += OPEN_CONCURRENCY) {
      const batch = queues.slice(i, i + OPEN_CONCURRENCY).map(async (c) => {
        try {
          const sq = await q.openQueue(c.topic, c.queue, c.state, c.start);
          sq.dirty = false;
          // The last checkpointed record must be readable: otherwise files were lost.
          if (sq.end > sq.index.firstOffset) sq.index.get(sq.end - 1);
          return sq;
        } catch (err) {
          throw damaged(c.topic, c.queue, err);
        }
      });
      for (const sq of await Promise.all(batch)) q.put(sq);
    }
    return q;
  }

  get(topic: string, queue: number): StoredQueue | undefined {
    return this.topics.get(topic)?.get(queue);
  }

  /** The queue's index, created if it has none; a promise only while it is being opened. */
  ensure(topic: string, queue: number): StoredQueue | Promise<StoredQueue> {
    const existing = this.get(topic, queue);
    if (existing !== undefined) return existing;
    const key = `${topic}\u0000${queue}`;
    let p = this.opening.get(key);
    if (p === undefined) {
      p = this.openQueue(topic, queue, undefined, 0).then(
        (sq) => {
          this.opening.delete(key);
          this.put(sq);
          return sq;
        },
        (err: unknown) => {
          this.opening.delete(key);
          throw err;
        },
      );
      this.opening.set(key, p);
    }
    return p;
  }

  queuesOf(topic: string): IterableIterator<StoredQueue> {
    return (this.topics.get(topic) ?? new Map<number, StoredQueue>()).values();
  }

  *all(): IterableIterator<StoredQueue> {
    for (const queues of this.topics.values()) yield* queues.values();
  }

  get size(): number {
    let n = 0;
    for (const queues of this.topics.values()) n += queues.size;
    return n;
  }

  /** Removes a deleted topic's indexes, files included. */
  async dropTopic(topic: string): Promise<void> {
    this.topics.delete(topic);
    await this.removeDir(this.topicDir(topic));
  }

  /**
   * Restarts a queue's index empty at `offset` (its messages before are not on this replica:
   * a snapshot from another replica replaced them).
   */
  async reset(topic: string, queue: number, offset: number): Promise<void> {
    this.topics.get(topic)?.delete(queue);
    await this.removeDir(this.queueDir(topic, queue));
    const state = encodeOffsetIndexState({ first: offset, next: offset, timeCount: 0, covered: 0, maxTimestamp: 0 });
    this.put(await this.openQueue(topic, queue, state, offset));
  }

  /** Closes every descriptor of the indexes (they reopen on use). */
  close(): void {
    this.fds.closeAll();
  }

  private put(sq: StoredQueue): void {
    let queues = this.topics.get(sq.topic);
    if (queues === undefined) this.topics.set(sq.topic, (queues = new Map()));
    queues.set(sq.queue, sq);
  }

  private async openQueue(topic: string, queue: number, state: Buffer | undefined, start: number): Promise<StoredQueue> {
    const index = await OffsetIndex.open({ dir: this.queueDir(topic, queue), fds: this.fds, bufferRecords: BUFFER_RECORDS, ...this.tuning, state: { bytes: state } });
    return new StoredQueue(topic, queue, index, Math.min(Math.max(start, index.firstOffset), index.nextOffset));
  }

  // A prefix keeps topic names such as "." and ".." (valid topic names) from being paths.
  private topicDir(topic: string): string {
    return join(this.dir, `t-${topic}`);
  }

  private queueDir(topic: string, queue: number): string {
    return join(this.topicDir(topic), String(queue));
  }

  private async removeDir(dir: string): Promise<void> {
    this.fds.closeAll();
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      throw storageError(err, `remove ${dir}`);
    }
  }
}
