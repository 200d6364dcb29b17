// The producer: routes each message to a queue (explicit, by key hash, or round-robin), lingers
// to batch per queue, sends one Produce frame per batch with at most one batch in flight per
// queue (so order is kept and retries cannot reorder), and retries idempotently: a batch keeps
// its producer id and sequence numbers across retries, so the broker stores it once.
import { randomInt } from 'node:crypto';
import { DepotError, isDepotError } from '../util/errors.js';
import { Api } from '../protocol/native/apis.js';
import { formatMessageId } from '../protocol/native/message-id.js';
import { decodeProduceResult, encodeProduceHead } from '../protocol/native/produce.js';
import { BATCH_HEADER_BYTES, encodeBatch, encodedRecordBytes, fnv1a, type MessageInput } from '../protocol/native/record-batch.js';
import type { Connection } from './connection.js';
import type { Routes } from './routes.js';

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
  /** Messages accepted but not yet acknowledged before `send` waits (backpressure). */
  maxBufferedMessages?: number;
}

export interface Message extends MessageInput {
  /** Explicit queue; otherwise by key hash when a key is given, else round-robin. */
  queue?: number;
}

export interface SendResult {
  messageId: string;
  queue: number;
  offset: number;
  storeTimestamp: number;
}

interface Waiter {
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
}

interface Accumulator {
  topic: string;
  queue: number;
  messages: MessageInput[];
  waiters: Waiter[];
  bytes: number;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
  producerId: number;
  nextSequence: number;
}

const RETRIABLE = new Set(['CONNECTION_CLOSED', 'TIMEOUT', 'NOT_LEADER', 'NO_LEADER', 'SHUTTING_DOWN', 'PROPOSAL_DROPPED', 'THROTTLED']);

/** Errors that prove the batch was not stored: its sequence numbers can be reused. */
const REJECTED = new Set(['MESSAGE_TOO_LARGE', 'INVALID_MESSAGE', 'CRC_MISMATCH', 'QUEUE_NOT_FOUND', 'TOPIC_NOT_FOUND', 'BAD_REQUEST', 'MALFORMED_FRAME']);

export class Producer {
  private readonly acc = new Map<string, Accumulator>();
  private readonly roundRobin = new Map<string, number>();
  private buffered = 0;
  private space: Array<() => void> = [];
  private idle: Array<() => void> = [];
  private closed = false;
  private readonly o: Required<ProducerOptions>;

  constructor(private readonly conn: Connection, private readonly routes: Routes, options: ProducerOptions = {}) {
    this.o = { lingerMs: 0, batchMessages: 1000, batchBytes: 1024 * 1024, idempotent: true, retries: 20, maxBufferedMessages: 100_000, ...options };
  }

  async send(topic: string, message: Message): Promise<SendResult> {
    if (this.closed) throw new DepotError('CANCELLED', 'the producer is closed');
    while (this.buffered >= this.o.maxBufferedMessages) await new Promise<void>((r) => this.space.push(r));
    const queues = await this.routes.queues(topic);
    const queue = this.route(topic, queues, message);
    const key = `${topic}\u0000${queue}`;
    let a = this.acc.get(key);
    if (a === undefined) this.acc.set(key, (a = { topic, queue, messages: [], waiters: [], bytes: BATCH_HEADER_BYTES, inFlight: false, timer: undefined, producerId: this.newProducerId(), nextSequence: 0 }));
    const { queue: _q, ...input } = message;
    const acc = a;
    const done = new Promise<SendResult>((resolve, reject) => acc.waiters.push({ resolve, reject }));
    acc.messages.push(input);
    acc.bytes += encodedRecordBytes(input);
    this.buffered++;
    this.schedule(acc);
    return done;
  }

  private newProducerId(): number {
    return this.o.idempotent ? randomInt(1, 2 ** 47) : 0;
  }

  private route(topic: string, queues: number, m: Message): number {
    if (m.queue !== undefined) {
      if (!Number.isInteger(m.queue) || m.queue < 0 || m.queue >= queues) throw new DepotError('QUEUE_NOT_FOUND', `topic '${topic}' has ${queues} queues, there is no queue ${m.queue}`);
      return m.queue;
    }
    if (m.key !== undefined) return fnv1a(Buffer.from(m.key)) % queues;
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, n + 1);
    return n % queues;
  }

  private schedule(a: Accumulator): void {
    if (a.inFlight) return;
    if (a.messages.length >= this.o.batchMessages || a.bytes >= this.o.batchBytes) {
      this.sendBatch(a);
      return;
    }
    if (a.timer !== undefined) return;
    const fire = (): void => {
      a.timer = undefined;
      if (!a.inFlight && a.messages.length > 0) this.sendBatch(a);
    };
    a.timer = this.o.lingerMs > 0 ? setTimeout(fire, this.o.lingerMs) : (setImmediate(fire) as unknown as NodeJS.Timeout);
  }

  private sendBatch(a: Accumulator): void {
    if (a.timer !== undefined) {
      clearTimeout(a.timer);
      clearImmediate(a.timer as unknown as NodeJS.Immediate);
      a.timer = undefined;
    }
    let n = 0;
    let bytes = BATCH_HEADER_BYTES;
    while (n < a.messages.length && n < this.o.batchMessages && (n === 0 || bytes + encodedRecordBytes(a.messages[n]!) <= this.o.batchBytes)) {
      bytes += encodedRecordBytes(a.messages[n]!);
      n++;
    }
    const messages = a.messages.splice(0, n);
    const waiters = a.waiters.splice(0, n);
    a.bytes -= bytes - BATCH_HEADER_BYTES;
    a.inFlight = true;
    let batch: Buffer;
    try {
      batch = encodeBatch(messages, Date.now());
    } catch (err) {
      this.settle(a, waiters, err, undefined);
      return;
    }
    const baseSequence = a.nextSequence;
    a.nextSequence = (a.nextSequence + n) % 2 ** 31;
    this.deliver(a, batch, baseSequence).then(
      (r) => this.settle(a, waiters, undefined, r),
      (err: unknown) => {
        if (isDepotError(err) && REJECTED.has(err.code) && !(err.details['retried'] === true)) {
          a.nextSequence = baseSequence;
        } else {
          a.producerId = this.newProducerId();
          a.nextSequence = 0;
        }
        this.settle(a, waiters, err, undefined);
      },
    );
  }

  private async deliver(a: Accumulator, batch: Buffer, baseSequence: number): Promise<ReturnType<typeof decodeProduceResult> & { sizes: number[] }> {
    const head = encodeProduceHead({ topic: a.topic, queue: a.queue, producerId: a.producerId, baseSequence });
    for (let attempt = 0; ; attempt++) {
      try {
        const r = decodeProduceResult(await this.conn.request(Api.Produce, [head, batch]));
        return { ...r, sizes: recordSizes(batch) };
      } catch (err) {
        if (isDepotError(err, 'TOPIC_NOT_FOUND') || isDepotError(err, 'QUEUE_NOT_FOUND')) this.routes.invalidate(a.topic);
        if (attempt > 0 && isDepotError(err) && REJECTED.has(err.code)) {
          throw new DepotError(err.code, err.message, { details: { ...err.details, retried: true }, cause: err });
        }
        if (!isDepotError(err) || !RETRIABLE.has(err.code) || attempt >= this.o.retries || !this.o.idempotent) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 25 * 2 ** attempt)));
      }
    }
  }

  private settle(a: Accumulator, waiters: Waiter[], err: unknown, r: (ReturnType<typeof decodeProduceResult> & { sizes: number[] }) | undefined): void {
    a.inFlight = false;
    this.buffered -= waiters.length;
    if (r === undefined) {
      for (const w of waiters) w.reject(err);
    } else {
      let position = r.batchOffset + BATCH_HEADER_BYTES;
      for (let i = 0; i < waiters.length; i++) {
        const messageId = formatMessageId({ brokerGroup: r.brokerGroup, logIndex: r.logIndex, position });
        position += r.sizes[i]!;
        waiters[i]!.resolve({ messageId, queue: a.queue, offset: r.baseOffset + i, storeTimestamp: r.storeTimestamp });
      }
    }
    this.space.splice(0).forEach((f) => f());
    if (a.messages.length > 0) this.schedule(a);
    else if (this.buffered === 0) this.idle.splice(0).forEach((f) => f());
  }

  /** Resolves when everything sent so far has been acknowledged (or failed). */
  async flush(): Promise<void> {
    for (const a of this.acc.values()) if (!a.inFlight && a.messages.length > 0) this.sendBatch(a);
    if (this.buffered === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}

function recordSizes(batch: Buffer): number[] {
  const count = batch.readUInt32BE(2);
  const sizes: number[] = new Array(count);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    sizes[i] = 4 + batch.readUInt32BE(pos);
    pos += sizes[i]!;
  }
  return sizes;
}
