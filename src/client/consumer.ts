// A consumer group member. It joins, receives its queues from the broker (and new ones on every
// rebalance), takes messages by push with credits (default) or by long-polling fetch, hands them
// to `run`'s handler (in order within a queue, queues in parallel) or to `for await`, and commits
// what is done. Resolve = done; throw = not done, retried in place with back-off.
import Denque from 'denque';
import { randomUUID } from 'node:crypto';
import { DepotError, isDepotError } from '../util/errors.js';
import { Api } from '../protocol/native/apis.js';
import { decodeCommitOutcomes, decodeDelivery, DELIVERY_RUNS, encodeCommitRequest, encodeCreditRequest, encodeFetchRequest, type DeliveredRun, type Delivery } from '../protocol/native/consume.js';
import { decodeAssignment, decodeJoinResponse, encodeJoinRequest, encodeMemberId, type Assignment, type GroupMode, type StartPosition } from '../protocol/native/membership.js';
import { formatMessageId } from '../protocol/native/message-id.js';
import { decodeRecord, type DecodedRecord } from '../protocol/native/record-batch.js';
import { readU64 } from '../protocol/native/codec.js';
import type { Connection } from './connection.js';
import { QueueProgress } from './queue-progress.js';

export interface ConsumerOptions {
  group: string;
  topic: string;
  /** Only messages with one of these tags (filtered on the broker by tag hash). */
  tags?: string[];
  /** Where a group with no committed offset starts (default 'latest'). */
  start?: StartPosition | Date;
  mode?: GroupMode;
  /** Stable identity of this member; a broadcast member's progress is kept under it. */
  instanceId?: string;
  /** Messages the broker may send ahead of processing (the credit window). */
  prefetch?: number;
  delivery?: 'push' | 'pull';
  sessionTimeoutMs?: number;
  commitIntervalMs?: number;
}

export interface ConsumedMessage {
  readonly topic: string;
  readonly queue: number;
  readonly offset: number;
  readonly messageId: string;
  readonly key: string | undefined;
  readonly tag: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Producer timestamp (ms). */
  readonly timestamp: number;
  readonly storeTimestamp: number;
  /** Marks the message done and commits (with whatever else is done). */
  commit(): Promise<void>;
}

/**
 * A delivered message: a place in its run's records, decoded only when a field of the record is
 * read (many handlers never look at key, tag or headers), its id formatted only when read.
 */
class Received implements ConsumedMessage {
  private decoded: DecodedRecord | undefined;

  constructor(
    readonly topic: string,
    private readonly brokerGroup: number,
    private readonly run: DeliveredRun,
    readonly offset: number,
    /** Where the record starts in the run's records. */
    private readonly at: number,
    readonly progress: QueueProgress,
    private readonly consumer: Consumer,
  ) {}

  private record(): DecodedRecord {
    return (this.decoded ??= decodeRecord(this.run.records, this.at));
  }

  get queue(): number {
    return this.run.queue;
  }

  get storeTimestamp(): number {
    return this.run.storeTimestamp;
  }

  get key(): string | undefined {
    return this.record().key;
  }

  get tag(): string | undefined {
    return this.record().tag;
  }

  get headers(): Record<string, string> {
    return this.record().headers;
  }

  get body(): Buffer {
    return this.record().body;
  }

  get timestamp(): number {
    return this.decoded?.timestamp ?? readU64(this.run.records, this.at + 4);
  }

  get messageId(): string {
    return formatMessageId({ brokerGroup: this.brokerGroup, logIndex: this.run.logIndex, position: this.run.position + this.at });
  }

  commit(): Promise<void> {
    this.progress.complete(this.offset);
    return this.consumer.commitSoon();
  }

  toJSON(): Omit<ConsumedMessage, 'commit'> {
    const { topic, queue, offset, messageId, key, tag, headers, body, timestamp, storeTimestamp } = this;
    return { topic, queue, offset, messageId, key, tag, headers, body, timestamp, storeTimestamp };
  }
}

/** Messages of one turn a sync handler runs before the consumer yields to the event loop. */
const SYNC_RUN = 256;

export class Consumer implements AsyncIterable<ConsumedMessage> {
  private memberId: string | undefined;
  private generation = -1;
  private assigned = new Set<number>();
  private readonly progress = new Map<number, QueueProgress>();
  private readonly buffers = new Map<number, Denque<Received>>();
  private buffered = 0;
  private creditsOwed = 0;
  private readonly busy = new Set<number>();
  private handler: ((m: ConsumedMessage) => Promise<void> | void) | undefined;
  private waiters: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private commitScheduled: Promise<void> | undefined;
  private stopped = false;
  private joining: Promise<void> | undefined;
  private rotate = 0;
  private readonly o: Required<Omit<ConsumerOptions, 'start'>> & { start: StartPosition };

  constructor(private readonly conn: Connection, private readonly registry: ConsumerRegistry, options: ConsumerOptions) {
    const start = options.start instanceof Date ? { timestamp: options.start.getTime() } : (options.start ?? 'latest');
    this.o = { tags: [], mode: 'clustering', instanceId: randomUUID(), prefetch: 256, delivery: 'push', sessionTimeoutMs: 10_000, commitIntervalMs: 200, ...options, start };
    this.commitTimer = setInterval(() => void this.commit().catch(() => undefined), this.o.commitIntervalMs);
    this.commitTimer.unref();
  }

  /** Joins the group if this consumer has not joined yet; resolves once it has (idempotent). */
  start(): Promise<void> {
    if (this.memberId !== undefined && this.joining === undefined) return Promise.resolve();
    return this.joinOnce();
  }

  /** A new membership (first join, or after the old one was lost); one attempt at a time. */
  private joinOnce(): Promise<void> {
    this.joining ??= this.join().finally(() => (this.joining = undefined));
    return this.joining;
  }

  get queues(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  private async join(): Promise<void> {
    this.reset();
    const { group, topic, mode, instanceId, tags, start, sessionTimeoutMs } = this.o;
    const body = encodeJoinRequest({ group, topic, mode, instanceId, tags, start, sessionTimeoutMs });
    const res = decodeJoinResponse(await this.conn.request(Api.JoinGroup, [body], 0, (id) => this.registry.assignments.set(id, this)));
    this.memberId = res.memberId;
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => void this.beat(), Math.max(100, res.heartbeatMs));
    this.heartbeat.unref();
    if (this.o.delivery === 'push') {
      const subscribe = encodeCreditRequest({ memberId: res.memberId, credits: this.o.prefetch });
      await this.conn.requestReply(Api.Subscribe, [subscribe], { onSent: (id) => this.registry.deliveries.set(id, this), flags: DELIVERY_RUNS });
    } else {
      void this.pullLoop(res.memberId);
    }
  }

  /** Forgets everything of the previous membership: the broker redelivers from the commits. */
  private reset(): void {
    for (const id of [...this.registry.assignments.keys()]) if (this.registry.assignments.get(id) === this) this.registry.assignments.delete(id);
    for (const id of [...this.registry.deliveries.keys()]) if (this.registry.deliveries.get(id) === this) this.registry.deliveries.delete(id);
    this.memberId = undefined;
    this.generation = -1;
    this.assigned.clear();
    this.progress.clear();
    this.buffers.clear();
    this.buffered = 0;
    this.creditsOwed = 0;
  }

  private async beat(): Promise<void> {
    if (this.memberId === undefined || this.stopped) return;
    try {
      await this.conn.request(Api.Heartbeat, [encodeMemberId(this.memberId)]);
    } catch (err) {
      if (isDepotError(err, 'NOT_GROUP_MEMBER') && !this.stopped) void this.joinOnce().catch(() => undefined);
    }
  }

  /** After a reconnect: a new membership. */
  rejoin(): void {
    if (!this.stopped) void this.joinOnce().catch(() => undefined);
  }

  onAssignment(body: Buffer): void {
    const a: Assignment = decodeAssignment(body);
    if (a.generation <= this.generation) return;
    this.generation = a.generation;
    const next = new Set(a.queues);
    // The same queues again means the broker reset this member's positions: start over on all.
    const same = next.size === this.assigned.size && [...next].every((q) => this.assigned.has(q));
    for (const q of this.assigned) if (same || !next.has(q)) this.forget(q);
    this.assigned = next;
    this.wake();
  }

  private forget(queue: number): void {
    const buf = this.buffers.get(queue);
    if (buf !== undefined) {
      this.buffered -= buf.length;
      this.grant(buf.length);
    }
    this.buffers.delete(queue);
    this.progress.delete(queue);
  }

  onDelivery(body: Buffer, flags: number): void {
    this.accept(decodeDelivery(body, flags));
  }

  private accept(d: Delivery): void {
    let foreign = 0;
    const tags = this.o.tags;
    for (const run of d.runs) {
      if (!this.assigned.has(run.queue)) {
        foreign += run.count;
        continue;
      }
      const p = this.queueProgress(run.queue);
      let buf = this.buffers.get(run.queue);
      for (let i = 0, at = 0; i < run.count; i++) {
        const m = new Received(d.topic, d.brokerGroup, run, run.offset + i, at, p, this);
        at += 4 + run.records.readUInt32BE(at);
        if (tags.length > 0 && (m.tag === undefined || !tags.includes(m.tag))) {
          // A tag-hash collision passed the broker's filter: not ours, done at once.
          p.skipped(m.offset);
          foreign++;
          continue;
        }
        p.delivered(m.offset);
        if (buf === undefined) this.buffers.set(run.queue, (buf = new Denque()));
        buf.push(m);
        this.buffered++;
      }
    }
    for (const s of d.scanned) if (this.assigned.has(s.queue)) this.queueProgress(s.queue).scannedTo(s.next);
    if (foreign > 0) this.grant(foreign);
    this.wake();
  }

  private queueProgress(queue: number): QueueProgress {
    let p = this.progress.get(queue);
    if (p === undefined) this.progress.set(queue, (p = new QueueProgress()));
    return p;
  }

  /** Returns credits to the broker in batches (push mode). */
  private grant(n: number): void {
    if (this.o.delivery !== 'push' || this.memberId === undefined) return;
    this.creditsOwed += n;
    if (this.creditsOwed < Math.max(1, Math.floor(this.o.prefetch / 4))) return;
    const credits = this.creditsOwed;
    this.creditsOwed = 0;
    this.conn.request(Api.Credit, [encodeCreditRequest({ memberId: this.memberId, credits })]).catch(() => undefined);
  }

  private async pullLoop(memberId: string): Promise<void> {
    while (!this.stopped && this.memberId === memberId) {
      const want = this.o.prefetch - this.buffered;
      if (want < Math.ceil(this.o.prefetch / 2)) {
        await new Promise<void>((r) => this.waiters.push(r));
        continue;
      }
      try {
        const fetch = encodeFetchRequest({ memberId, maxMessages: want, maxWaitMs: 1000 });
        const { body, flags } = await this.conn.requestReply(Api.Fetch, [fetch], { extraTimeoutMs: 1000, flags: DELIVERY_RUNS });
        if (this.memberId === memberId) this.accept(decodeDelivery(body, flags));
      } catch (err) {
        if (isDepotError(err, 'NOT_GROUP_MEMBER')) return this.rejoin();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Takes the next message of `queue` out of the buffer. */
  private take(queue: number): Received | undefined {
    const msg = this.buffers.get(queue)?.shift();
    if (msg === undefined) return undefined;
    this.buffered--;
    this.grant(1);
    // Only waiters (the pull loop, the iterator): dispatching from here would reorder a queue.
    if (this.buffered < this.o.prefetch / 2 && this.waiters.length > 0) this.waiters.splice(0).forEach((f) => f());
    return msg;
  }

  /** Takes the next message of any queue, round robin. */
  private takeAny(): Received | undefined {
    const queues = [...this.buffers.keys()];
    for (let i = 0; i < queues.length; i++) {
      const msg = this.take(queues[(this.rotate + i) % queues.length]!);
      if (msg === undefined) continue;
      this.rotate++;
      return msg;
    }
    return undefined;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
    if (this.handler !== undefined) this.dispatch();
  }

  /** Processes messages with `handler` until `close`: in order per queue, queues in parallel. */
  run(handler: (m: ConsumedMessage) => Promise<void> | void): Promise<void> {
    if (this.handler !== undefined) throw new DepotError('BAD_REQUEST', 'run() was already called');
    this.handler = handler;
    const joined = this.start();
    // Joined earlier (start()): what is already buffered goes to the handler now.
    this.wake();
    return joined;
  }

  private dispatch(): void {
    if (this.stopped) return;
    for (const queue of this.buffers.keys()) if (!this.busy.has(queue)) this.runQueue(queue);
  }

  /**
   * Hands the queue's buffered messages to the handler in order. A handler that returns without
   * a promise is called in a loop (no promise per message); one that returns a promise is
   * awaited before the next message of the queue.
   */
  private runQueue(queue: number): void {
    this.busy.add(queue);
    for (let n = 0; n < SYNC_RUN && !this.stopped; n++) {
      const msg = this.take(queue);
      if (msg === undefined) break;
      let result: Promise<void> | void;
      try {
        result = this.handler!(msg);
      } catch {
        void this.retry(msg, 0).finally(() => this.resume(queue));
        return;
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(
          () => {
            msg.progress.complete(msg.offset);
            this.resume(queue);
          },
          () => void this.retry(msg, 0).finally(() => this.resume(queue)),
        );
        return;
      }
      msg.progress.complete(msg.offset);
    }
    if (this.buffers.get(queue)?.isEmpty() === false && !this.stopped) {
      // More than one turn's worth: continue after the event loop has had its turn.
      setImmediate(() => this.resume(queue));
      return;
    }
    this.resume(queue, false);
  }

  private resume(queue: number, again = true): void {
    this.busy.delete(queue);
    if (again && !this.stopped && this.buffers.get(queue)?.isEmpty() === false) this.runQueue(queue);
    if (this.waiters.length > 0) this.waiters.splice(0).forEach((f) => f());
  }

  /** A message the handler failed: tried again in place with back-off until done or no longer ours. */
  private async retry(msg: Received, attempt: number): Promise<void> {
    for (let a = attempt; ; a++) {
      if (this.stopped || this.progress.get(msg.queue) !== msg.progress) return;
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** a)));
      if (this.stopped || this.progress.get(msg.queue) !== msg.progress) return;
      try {
        await this.handler!(msg);
        msg.progress.complete(msg.offset);
        return;
      } catch {
        // not done: wait longer
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    await this.start();
    while (!this.stopped) {
      const msg = this.takeAny();
      if (msg !== undefined) {
        yield msg;
        continue;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Commits at the end of this turn, together with whatever else is done by then. */
  commitSoon(): Promise<void> {
    this.commitScheduled ??= new Promise<void>((r) => setImmediate(r)).then(() => {
      this.commitScheduled = undefined;
      return this.commit();
    });
    return this.commitScheduled;
  }

  /** Commits every queue's commit point that moved. */
  async commit(): Promise<void> {
    const memberId = this.memberId;
    if (memberId === undefined) return;
    const offsets: Array<{ queue: number; offset: number }> = [];
    const owners = new Map<number, QueueProgress>();
    for (const [queue, p] of this.progress) {
      const point = p.commitPoint();
      if (point !== undefined) {
        offsets.push({ queue, offset: point });
        owners.set(queue, p);
      }
    }
    if (offsets.length === 0) return;
    const outcomes = decodeCommitOutcomes(await this.conn.request(Api.CommitOffsets, [encodeCommitRequest({ memberId, offsets })]));
    for (const o of outcomes) {
      const offset = offsets.find((x) => x.queue === o.queue)!.offset;
      const p = owners.get(o.queue)!;
      if (o.code === 0 && p.committed < offset) p.committed = offset;
    }
  }

  /** Stops taking messages, waits for handlers in progress, commits and leaves the group. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearInterval(this.commitTimer);
    while (this.busy.size > 0) await new Promise<void>((r) => this.waiters.push(r));
    this.waiters.splice(0).forEach((f) => f());
    const memberId = this.memberId;
    if (memberId === undefined) {
      this.registry.consumers.delete(this);
      return;
    }
    try {
      await this.commit();
      await this.conn.request(Api.LeaveGroup, [encodeMemberId(memberId)]);
    } catch (err) {
      if (!isDepotError(err, 'NOT_GROUP_MEMBER') && !isDepotError(err, 'CONNECTION_CLOSED') && !isDepotError(err, 'CANCELLED')) throw err;
    } finally {
      this.reset();
      this.registry.consumers.delete(this);
    }
  }
}

/** Routes pushes to consumers by the correlation id of the request that asked for them. */
export interface ConsumerRegistry {
  readonly assignments: Map<number, Consumer>;
  readonly deliveries: Map<number, Consumer>;
  readonly consumers: Set<Consumer>;
}
