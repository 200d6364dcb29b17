// The broker's store service: builds the per-queue indexes from applied Produce entries as they
// stream by (RocketMQ's reput) and reads messages back from the log through them.
// Derived data only: nothing here decides an offset, and all of it can be rebuilt from the log.
import type { Entry } from '../../raft/group.js';
import { assert } from '../../util/assert.js';
import { scanRecord } from '../../protocol/native/record-batch.js';
import type { DeliveredMessage } from '../../protocol/native/consume.js';
import { BATCH_HEADER_BYTES } from '../../protocol/native/record-batch.js';
import type { StoredBatch } from '../machine/broker-machine.js';
import type { LogReader } from './log-reader.js';
import { QueueIndex, type IndexEntry } from './queue-index.js';
import { TailCache } from './tail-cache.js';

/** Upper bound of index entries examined by one read, so a filter that matches nothing stays cheap. */
const MAX_SCAN = 16_384;

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
  messages: DeliveredMessage[];
  /** Offset after the last message examined (delivered or filtered out). */
  next: number;
}

export class MessageStore {
  private readonly topics = new Map<string, QueueIndex[]>();
  private readonly tail: TailCache;
  private log: LogReader | undefined;
  private readonly listeners = new Set<(topic: string, queue: number) => void>();

  constructor(tailCacheBytes: number) {
    this.tail = new TailCache(tailCacheBytes);
  }

  attachLog(log: LogReader): void {
    this.log = log;
  }

  /** Called after apply stored a batch (never for duplicates). In memory only: no I/O. */
  onStored(entry: Entry, stored: StoredBatch): void {
    assert(!stored.duplicate, 'duplicates are not indexed');
    const index = this.queueIndex(stored.topic, stored.queue);
    assert(index.endOffset === stored.baseOffset, `index of ${stored.topic}/${stored.queue} at ${index.endOffset}, batch at ${stored.baseOffset}`);
    const payload = entry.payload;
    let pos = stored.batchOffset + BATCH_HEADER_BYTES;
    for (let i = 0; i < stored.count; i++) {
      const rec = scanRecord(payload, pos);
      index.append(entry.index, pos, rec.size, rec.tagHash, entry.timestamp);
      pos += rec.size;
    }
    this.tail.add(entry.index, payload);
    for (const l of this.listeners) l(stored.topic, stored.queue);
  }

  onAppend(listener: (topic: string, queue: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  drop(topic: string): void {
    this.topics.delete(topic);
  }

  private queueIndex(topic: string, queue: number): QueueIndex {
    let queues = this.topics.get(topic);
    if (queues === undefined) this.topics.set(topic, (queues = []));
    while (queues.length <= queue) queues.push(new QueueIndex());
    return queues[queue]!;
  }

  /** The queue's index, or undefined if it never received a message. */
  index(topic: string, queue: number): QueueIndex | undefined {
    return this.topics.get(topic)?.[queue];
  }

  startOffset(topic: string, queue: number): number {
    return this.index(topic, queue)?.startOffset ?? 0;
  }

  endOffset(topic: string, queue: number): number {
    return this.index(topic, queue)?.endOffset ?? 0;
  }

  /** True when `read` from `from` would examine at least one message. */
  hasData(topic: string, queue: number, from: number): boolean {
    return from < this.endOffset(topic, queue);
  }

  async read(req: ReadRequest): Promise<ReadResult> {
    const index = this.index(req.topic, req.queue);
    if (index === undefined) return { messages: [], next: req.from };
    const from = Math.max(req.from, index.startOffset);
    const end = Math.min(index.endOffset, from + MAX_SCAN);
    const picked: Array<IndexEntry & { offset: number }> = [];
    let bytes = 0;
    let next = from;
    for (; next < end && picked.length < req.maxMessages; next++) {
      if (req.tags !== undefined && !req.tags.has(index.tagHashAt(next))) continue;
      const e = index.get(next, { logIndex: 0, position: 0, size: 0, tagHash: 0, timestamp: 0 });
      if (picked.length > 0 && bytes + e.size > req.maxBytes) break;
      bytes += e.size;
      picked.push({ ...e, offset: next });
    }
    return { messages: await this.materialize(req.queue, picked), next };
  }

  private async materialize(queue: number, picked: ReadonlyArray<IndexEntry & { offset: number }>): Promise<DeliveredMessage[]> {
    const messages: DeliveredMessage[] = new Array(picked.length);
    let payload: Buffer | undefined;
    let payloadIndex = -1;
    for (let i = 0; i < picked.length; i++) {
      const e = picked[i]!;
      if (e.logIndex !== payloadIndex) {
        payloadIndex = e.logIndex;
        payload = this.tail.get(e.logIndex) ?? (await this.readFromLog(e.logIndex));
      }
      messages[i] = {
        queue,
        offset: e.offset,
        storeTimestamp: e.timestamp,
        logIndex: e.logIndex,
        position: e.position,
        record: payload!.subarray(e.position, e.position + e.size),
      };
    }
    return messages;
  }

  private readFromLog(index: number): Promise<Buffer> {
    assert(this.log !== undefined, 'store read before a log was attached');
    return this.log.readPayload(index);
  }
}
