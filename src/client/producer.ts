// The producer: routes each message to a queue (explicit, by key hash, or round-robin), lingers
// to batch per queue and sends one Produce frame per batch, with up to `maxInFlight` batches per
// queue in flight. Order is kept by the broker: an idempotent producer numbers its messages per
// queue, and the broker stores a batch only if it continues the sequence, so a later batch never
// overtakes an earlier one that failed. After a failure the queue's in-flight batches settle,
// then the failed ones are retried in order (same producer id and sequence, so nothing is stored
// twice), and sending resumes.
import { randomInt } from 'node:crypto';
import { DepotError, isDepotError } from '../util/errors.js';
import { Api } from '../protocol/native/apis.js';
import { formatMessageId } from '../protocol/native/message-id.js';
import { decodeProduceResult, encodeProduceHead, type ProduceResult } from '../protocol/native/produce.js';
import { BATCH_HEADER_BYTES, encodeBatch, encodedRecordBytes, fnv1a, type MessageInput } from '../protocol/native/record-batch.js';
import type { Connection } from './connection.js';
import type { Routes, TopicRoute } from './routes.js';

export interface ProducerOptions {
  /** Wait this long for more messages before sending a batch (0: send at the end of the event-loop turn). */
  lingerMs?: number;
  /** Send a batch once it holds this many messages. */
  batchMessages?: number;
  batchBytes?: number;
  /** Producer id and sequence numbers, so retries never store duplicates (default true). */
  idempotent?: boolean;
  /** Attempts per batch on retriable errors (connection loss, timeouts, leader changes). */
  retries?: number;
  /** Batches per queue sent and not yet acknowledged (1 to 5; the broker remembers the last 5). */
  maxInFlight?: number;
  /** Messages accepted but not yet acknowledged before `send` waits (backpressure). */
  maxBufferedMessages?: number;
}

export interface Message extends MessageInput {
  /** Explicit queue; otherwise by key hash when a key is given, else round-robin. */
  queue?: number;
}

export interface SendResult {
  readonly messageId: string;
  readonly queue: number;
  readonly offset: number;
  readonly storeTimestamp: number;
}

/** A SendResult whose message id is formatted only when read (most senders never look). */
class Sent implements SendResult {
  constructor(
    private readonly brokerGroup: number,
    private readonly logIndex: number,
    private readonly position: number,
    readonly queue: number,
    readonly offset: number,
    readonly storeTimestamp: number,
  ) {}

  get messageId(): string {
    return formatMessageId({ brokerGroup: this.brokerGroup, logIndex: this.logIndex, position: this.position });
  }

  toJSON(): SendResult {
    return { messageId: this.messageId, queue: this.queue, offset: this.offset, storeTimestamp: this.storeTimestamp };
  }
}

interface Waiter {
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
}

interface Batch {
  readonly records: Buffer;
  readonly count: number;
  readonly waiters: Waiter[];
  /** Place in the stream's send order. */
  readonly order: number;
  producerId: number;
  baseSequence: number;
  attempts: number;
  error: unknown;
}

/** One queue's stream of batches. */
interface Stream {
  topic: string;
  queue: number;
  pending: MessageInput[];
  /** Encoded size of each pending message. */
  pendingSizes: number[];
  pendingWaiters: Waiter[];
  pendingBytes: number;
  inFlight: Set<Batch>;
  /** Failed while others were in flight: retried in order once they have settled. */
  failed: Batch[];
  recovering: boolean;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  producerId: number;
  nextSequence: number;
  batches: number;
}

/** How a failed batch's retry ended. */
type RetryOutcome = 'stored' | 'failed' | 'failed-with-hole' | 'renumber';

const RETRIABLE = new Set(['CONNECTION_CLOSED', 'TIMEOUT', 'NOT_LEADER', 'NO_LEADER', 'SHUTTING_DOWN', 'PROPOSAL_DROPPED', 'THROTTLED']);
const SEQUENCE_LIMIT = 2 ** 31;

export class Producer {
  /** Streams by topic, indexed by queue. */
  private readonly streams = new Map<string, Array<Stream | undefined>>();
  private readonly roundRobin = new Map<string, number>();
  private buffered = 0;
  private space: Array<() => void> = [];
  private idle: Array<() => void> = [];
  private closed = false;
  private readonly o: Required<ProducerOptions>;

  constructor(private readonly conn: Connection, private readonly routes: Routes, options: ProducerOptions = {}) {
    this.o = { lingerMs: 0, batchMessages: 1000, batchBytes: 1024 * 1024, idempotent: true, retries: 20, maxInFlight: 5, maxBufferedMessages: 100_000, ...options };
    if (!Number.isInteger(this.o.maxInFlight) || this.o.maxInFlight < 1 || this.o.maxInFlight > 5) {
      throw new DepotError('INVALID_CONFIG', `maxInFlight is 1 to 5, not ${this.o.maxInFlight}`);
    }
  }

  send(topic: string, message: Message): Promise<SendResult> {
    if (this.closed) return Promise.reject(new DepotError('CANCELLED', 'the producer is closed'));
    const route = this.routes.known(topic);
    // The common case stays synchronous: a known route and room in the buffer.
    if (route === undefined || this.buffered >= this.o.maxBufferedMessages) return this.sendLater(topic, message);
    try {
      return this.enqueue(topic, route, message);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async sendLater(topic: string, message: Message): Promise<SendResult> {
    while (this.buffered >= this.o.maxBufferedMessages) await new Promise<void>((r) => this.space.push(r));
    const route = await this.routes.route(topic);
    if (this.closed) throw new DepotError('CANCELLED', 'the producer is closed');
    return this.enqueue(topic, route, message);
  }

  private enqueue(topic: string, route: TopicRoute, message: Message): Promise<SendResult> {
    const queue = this.pick(topic, route, message);
    const size = typeof message.body === 'string' ? Buffer.byteLength(message.body) : message.body.length;
    if (size > route.maxMessageBytes) {
      throw new DepotError('MESSAGE_TOO_LARGE', `message body of ${size} bytes exceeds the topic's limit of ${route.maxMessageBytes}`, { details: { limit: route.maxMessageBytes, size } });
    }
    const stream = this.stream(topic, queue);
    const done = new Promise<SendResult>((resolve, reject) => stream.pendingWaiters.push({ resolve, reject }));
    // The message itself is kept: encodeBatch ignores its `queue`.
    const bytes = encodedRecordBytes(message);
    stream.pending.push(message);
    stream.pendingSizes.push(bytes);
    stream.pendingBytes += bytes;
    this.buffered++;
    this.schedule(stream);
    return done;
  }

  private stream(topic: string, queue: number): Stream {
    let byQueue = this.streams.get(topic);
    if (byQueue === undefined) this.streams.set(topic, (byQueue = []));
    let s = byQueue[queue];
    if (s === undefined) byQueue[queue] = s = this.newStream(topic, queue);
    return s;
  }

  private newStream(topic: string, queue: number): Stream {
    return { topic, queue, pending: [], pendingSizes: [], pendingWaiters: [], pendingBytes: 0, inFlight: new Set(), failed: [], recovering: false, timer: undefined, producerId: this.newProducerId(), nextSequence: 0, batches: 0 };
  }

  private newProducerId(): number {
    return this.o.idempotent ? randomInt(1, 2 ** 47) : 0;
  }

  private pick(topic: string, route: TopicRoute, m: Message): number {
    if (m.queue !== undefined) {
      if (!Number.isInteger(m.queue) || m.queue < 0 || m.queue >= route.queues) throw new DepotError('QUEUE_NOT_FOUND', `topic '${topic}' has ${route.queues} queues, there is no queue ${m.queue}`);
      return m.queue;
    }
    if (m.key !== undefined) return fnv1a(Buffer.from(m.key)) % route.queues;
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, n + 1);
    return n % route.queues;
  }

  private schedule(s: Stream): void {
    if (s.recovering || s.pending.length === 0 || s.inFlight.size >= this.o.maxInFlight) return;
    if (s.pending.length >= this.o.batchMessages || s.pendingBytes >= this.o.batchBytes) {
      this.cut(s);
      return;
    }
    if (s.timer !== undefined) return;
    const fire = (): void => {
      s.timer = undefined;
      if (!s.recovering && s.pending.length > 0 && s.inFlight.size < this.o.maxInFlight) this.cut(s);
    };
    s.timer = this.o.lingerMs > 0 ? setTimeout(fire, this.o.lingerMs) : setImmediate(fire);
  }

  /** Takes the next batch off the stream's pending messages and sends it. */
  private cut(s: Stream): void {
    if (s.timer !== undefined) {
      clearTimeout(s.timer as NodeJS.Timeout);
      clearImmediate(s.timer as NodeJS.Immediate);
      s.timer = undefined;
    }
    let n = 0;
    let bytes = BATCH_HEADER_BYTES;
    while (n < s.pending.length && n < this.o.batchMessages && (n === 0 || bytes + s.pendingSizes[n]! <= this.o.batchBytes)) {
      bytes += s.pendingSizes[n]!;
      n++;
    }
    // Decided once: splicing the messages shortens s.pending, and a second test against its
    // new length could take every waiter for a batch of n (when n are left).
    const all = n === s.pending.length;
    const messages = all ? s.pending : s.pending.splice(0, n);
    const waiters = all ? s.pendingWaiters : s.pendingWaiters.splice(0, n);
    if (all) {
      s.pending = [];
      s.pendingWaiters = [];
      s.pendingSizes = [];
    } else {
      s.pendingSizes.splice(0, n);
    }
    s.pendingBytes -= bytes - BATCH_HEADER_BYTES;
    let records: Buffer;
    try {
      records = encodeBatch(messages, Date.now());
    } catch (err) {
      this.finish(waiters, err, undefined);
      this.schedule(s);
      return;
    }
    const batch: Batch = { records, count: n, waiters, order: s.batches++, producerId: s.producerId, baseSequence: s.nextSequence, attempts: 0, error: undefined };
    s.nextSequence = (s.nextSequence + n) % SEQUENCE_LIMIT;
    s.inFlight.add(batch);
    this.attempt(s, batch).then(
      (r) => this.settled(s, batch, r),
      (err: unknown) => {
        batch.error = err;
        this.settled(s, batch, undefined);
      },
    );
    // More may be ready: pipelining up to maxInFlight batches.
    this.schedule(s);
  }

  private async attempt(s: Stream, b: Batch): Promise<ProduceResult> {
    b.attempts++;
    const head = encodeProduceHead({ topic: s.topic, queue: s.queue, producerId: b.producerId, baseSequence: b.baseSequence });
    return decodeProduceResult(await this.conn.request(Api.Produce, [head, b.records]));
  }

  private settled(s: Stream, b: Batch, r: ProduceResult | undefined): void {
    s.inFlight.delete(b);
    if (r !== undefined) {
      this.finish(b.waiters, undefined, { r, records: b.records, queue: s.queue });
    } else if (!this.o.idempotent) {
      // Without sequence numbers a retry could store twice: the failure is the caller's to handle.
      this.finish(b.waiters, b.error, undefined);
    } else {
      s.failed.push(b);
      s.recovering = true;
    }
    if (s.recovering && s.inFlight.size === 0) {
      this.recover(s).catch((err: unknown) => {
        // recover() settles every batch itself; anything escaping is a bug, reported to the callers.
        for (const f of s.failed.splice(0)) this.finish(f.waiters, err, undefined);
        s.recovering = false;
      });
      return;
    }
    this.schedule(s);
  }

  /** Retries the stream's failed batches one at a time, in their original order. */
  private async recover(s: Stream): Promise<void> {
    const failed = s.failed.splice(0).sort((a, b) => a.order - b.order);
    for (let i = 0; i < failed.length; i++) {
      const outcome = await this.retry(s, failed[i]!);
      // A batch refused by the sequence check was not stored, nor were the ones after it (the
      // broker stores only what continues its sequence): they go again under a new producer id.
      // A batch that failed for good leaves a hole in the sequence: the ones after it, likewise.
      if (outcome === 'renumber') this.renumber(s, failed.slice(i--));
      else if (outcome === 'failed-with-hole') this.renumber(s, failed.slice(i + 1));
    }
    s.recovering = false;
    this.schedule(s);
  }

  private renumber(s: Stream, batches: readonly Batch[]): void {
    s.producerId = this.newProducerId();
    s.nextSequence = 0;
    for (const b of batches) {
      b.producerId = s.producerId;
      b.baseSequence = s.nextSequence;
      s.nextSequence = (s.nextSequence + b.count) % SEQUENCE_LIMIT;
    }
  }

  /** Sends a failed batch again until it is stored or definitely fails. */
  private async retry(s: Stream, b: Batch): Promise<RetryOutcome> {
    for (;;) {
      const err = b.error;
      if (isDepotError(err, 'TOPIC_NOT_FOUND') || isDepotError(err, 'QUEUE_NOT_FOUND')) this.routes.invalidate(s.topic);
      const exhausted = b.attempts > this.o.retries;
      if (isDepotError(err, 'OUT_OF_ORDER_SEQUENCE') && !exhausted) {
        b.error = undefined;
        return 'renumber';
      }
      if (!isDepotError(err) || !RETRIABLE.has(err.code) || exhausted) {
        this.finish(b.waiters, err, undefined);
        // After retriable errors the batch's fate is unknown (it may be stored): the ones after
        // it keep their numbers, and the broker's sequence check tells which case it was.
        return isDepotError(err) && RETRIABLE.has(err.code) ? 'failed' : 'failed-with-hole';
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 25 * 2 ** Math.min(b.attempts, 10))));
      try {
        const r = await this.attempt(s, b);
        this.finish(b.waiters, undefined, { r, records: b.records, queue: s.queue });
        return 'stored';
      } catch (e) {
        b.error = e;
      }
    }
  }

  private finish(waiters: Waiter[], err: unknown, ok: { r: ProduceResult; records: Buffer; queue: number } | undefined): void {
    this.buffered -= waiters.length;
    if (ok === undefined) {
      for (const w of waiters) w.reject(err);
    } else {
      const { r, records, queue } = ok;
      // Message i's id: its record's byte position in the stored entry.
      let inBatch = BATCH_HEADER_BYTES;
      for (let i = 0; i < waiters.length; i++) {
        waiters[i]!.resolve(new Sent(r.brokerGroup, r.logIndex, r.batchOffset + inBatch, queue, r.baseOffset + i, r.storeTimestamp));
        inBatch += 4 + records.readUInt32BE(inBatch);
      }
    }
    this.space.splice(0).forEach((f) => f());
    if (this.buffered === 0) this.idle.splice(0).forEach((f) => f());
  }

  /** Resolves when everything sent so far has been acknowledged (or failed). */
  async flush(): Promise<void> {
    for (const byQueue of this.streams.values()) {
      for (const s of byQueue) while (s !== undefined && !s.recovering && s.pending.length > 0 && s.inFlight.size < this.o.maxInFlight) this.cut(s);
    }
    if (this.buffered === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}
