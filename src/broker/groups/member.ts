// One live consumer-group member on the leader: its queues, its read cursors and what it is
// owed (push credits or one pending long-poll fetch). Every read for a member goes through
// `pump`, one at a time, so cursors never race and no member holds more than its credit window.
import type { DeliveredRun, ScannedQueue } from '../../protocol/native/consume.js';
import type { Assignment, JoinRequest } from '../../protocol/native/membership.js';
import type { MessageStore } from '../store/message-store.js';

export interface MemberSink {
  assignment(a: Assignment): void;
  /**
   * Messages for the member's push subscription (never more than its credits), and how far each
   * queue was examined. Returns false when the connection's send buffer is full: the member then
   * waits for `whenWritable` before reading more, so a slow reader costs no broker memory.
   */
  deliver(topic: string, runs: DeliveredRun[], scanned: Scanned[]): boolean;
  whenWritable(resume: () => void): void;
}

export type Scanned = ScannedQueue;

export interface ReadBatch {
  runs: DeliveredRun[];
  /** Messages in `runs`. */
  count: number;
  scanned: Scanned[];
}

const NOTHING: ReadBatch = { runs: [], count: 0, scanned: [] };

interface PendingFetch {
  max: number;
  resolve: (batch: ReadBatch) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Bytes of records in one delivery, so a frame stays well below the frame limit. */
export const MAX_DELIVERY_BYTES = 4 * 1024 * 1024;
/** Largest credit window one member may hold. */
export const MAX_CREDITS = 100_000;

export class Member {
  queues: number[] = [];
  lastSeen: number;
  /** Next offset to read per assigned queue; absent until resolved from commits or the start position. */
  readonly cursors = new Map<number, number>();
  credits = 0;
  subscribed = false;
  private fetch: PendingFetch | undefined;
  private reading = false;
  private again = false;
  private rotate = 0;
  private blocked = false;
  closed = false;

  constructor(
    readonly memberId: string,
    readonly clientId: string,
    readonly join: JoinRequest,
    readonly tagHashes: ReadonlySet<number> | undefined,
    readonly sink: MemberSink,
    now: number,
    /** Resolves a queue's starting cursor (committed offset, else the start position). */
    private readonly resolveCursor: (member: Member, queue: number) => number,
    /** A read failed (the log is unreadable): reported, and the member's pending fetch answered empty. */
    private readonly onError: (member: Member, err: unknown) => void,
  ) {
    this.lastSeen = now;
  }

  setQueues(queues: number[]): void {
    this.queues = queues;
    const keep = new Set(queues);
    for (const q of [...this.cursors.keys()]) if (!keep.has(q)) this.cursors.delete(q);
  }

  /** Long-poll: resolves with messages as soon as some exist, or empty after `waitMs`. */
  fetchMessages(max: number, waitMs: number, store: MessageStore): Promise<ReadBatch> {
    if (this.fetch !== undefined) this.finishFetch(this.fetch, NOTHING);
    return new Promise((resolve) => {
      const f: PendingFetch = { max, resolve, timer: undefined };
      f.timer = setTimeout(() => this.finishFetch(f, NOTHING), waitMs);
      this.fetch = f;
      this.pump(store);
    });
  }

  private finishFetch(f: PendingFetch, batch: ReadBatch): void {
    if (this.fetch !== f) return;
    this.fetch = undefined;
    clearTimeout(f.timer);
    f.resolve(batch);
  }

  close(): void {
    this.closed = true;
    if (this.fetch !== undefined) this.finishFetch(this.fetch, NOTHING);
  }

  /** Reads and hands out what the member is owed; called again whenever that may have changed. */
  pump(store: MessageStore): void {
    if (this.blocked) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    this.again = false;
    this.drain(store)
      .catch((err: unknown) => {
        this.again = false;
        if (this.fetch !== undefined) this.finishFetch(this.fetch, NOTHING);
        this.onError(this, err);
      })
      .finally(() => {
        this.reading = false;
        if (this.again && !this.closed) this.pump(store);
      });
  }

  private async drain(store: MessageStore): Promise<void> {
    for (let rounds = 0; rounds < 64 && !this.closed; rounds++) {
      const fetch = this.fetch;
      const want = fetch !== undefined ? fetch.max : this.subscribed ? this.credits : 0;
      if (want <= 0) return;
      const batch = await this.readAssigned(store, want);
      if (batch === undefined) return;
      if (fetch !== undefined && this.fetch === fetch) {
        if (batch.count > 0) this.finishFetch(fetch, batch);
      } else if (this.subscribed) {
        this.credits -= batch.count;
        if (!this.sink.deliver(this.join.topic, batch.runs, batch.scanned)) {
          this.blocked = true;
          this.sink.whenWritable(() => {
            this.blocked = false;
            if (!this.closed) this.pump(store);
          });
          return;
        }
      }
    }
  }

  /** Up to `want` messages from the assigned queues, fairly; undefined when nothing is readable. */
  private async readAssigned(store: MessageStore, want: number): Promise<ReadBatch | undefined> {
    const topic = this.join.topic;
    const n = this.queues.length;
    const out: DeliveredRun[] = [];
    const scanned: Scanned[] = [];
    let count = 0;
    let bytes = 0;
    for (let i = 0; i < n && count < want && bytes < MAX_DELIVERY_BYTES; i++) {
      const queue = this.queues[(this.rotate + i) % n]!;
      let cursor = this.cursors.get(queue);
      if (cursor === undefined) this.cursors.set(queue, (cursor = this.resolveCursor(this, queue)));
      if (!store.hasData(topic, queue, cursor)) continue;
      const r = await store.read({ topic, queue, from: cursor, tags: this.tagHashes, maxMessages: want - count, maxBytes: MAX_DELIVERY_BYTES - bytes });
      // The assignment may have changed while reading: only advance a cursor still ours.
      if (this.cursors.get(queue) !== cursor) continue;
      this.cursors.set(queue, r.next);
      scanned.push({ queue, next: r.next });
      for (const run of r.runs) {
        out.push(run);
        bytes += run.records.length;
      }
      count += r.count;
    }
    this.rotate = n === 0 ? 0 : (this.rotate + 1) % n;
    if (scanned.length === 0) return undefined;
    // Drop what was read from a queue whose cursor moved under us (revoked, or reset by an admin).
    if (scanned.every((s) => this.cursors.get(s.queue) === s.next)) return { runs: out, count, scanned };
    const valid = new Set(scanned.filter((s) => this.cursors.get(s.queue) === s.next).map((s) => s.queue));
    const runs = out.filter((r) => valid.has(r.queue));
    return { runs, count: runs.reduce((c, r) => c + r.count, 0), scanned: scanned.filter((s) => valid.has(s.queue)) };
  }
}
