// The queue engine's state machine: assigns queue offsets to produced batches, decides
// idempotent-producer duplicates and holds committed consumer offsets. Pure and deterministic:
// the only time it reads is the entry's timestamp, and it never touches the message bodies.
import type { Entry } from '../../raft/group.js';
import { assert } from '../../util/assert.js';
import { DepotError } from '../../util/errors.js';
import { batchCount } from '../../protocol/native/record-batch.js';
import { CommandType, decodeCommand, type CommitCommand, type ProduceCommand } from './commands.js';
import { ProducerTable, type ProducerTableSnapshot } from './producers.js';

export interface StoredBatch {
  kind: 'produce';
  topic: string;
  queue: number;
  baseOffset: number;
  count: number;
  logIndex: number;
  storeTimestamp: number;
  /** Where the batch starts within the entry payload. */
  batchOffset: number;
  /** A retry of a batch already stored: nothing new was appended. */
  duplicate: boolean;
}

export type BrokerResult = StoredBatch | { kind: 'committed' } | { kind: 'dropped'; topic: string };

export interface BrokerSnapshot {
  queues: Array<[topic: string, nextOffsets: number[]]>;
  offsets: Array<[key: string, offsets: Array<[queue: number, offset: number]>]>;
  producers: ProducerTableSnapshot;
}

/** Committed offsets are keyed by owner and topic. */
export function offsetKey(owner: string, topic: string): string {
  return `${owner}\u0000${topic}`;
}

/** Upper bound on a queue number, so a bad command cannot grow a queue table without limit. */
export const MAX_QUEUES_PER_TOPIC = 65_536;

export class BrokerMachine {
  /** Next offset of every queue that has received a message, by topic. */
  private readonly nextOffsets = new Map<string, number[]>();
  private readonly offsets = new Map<string, Map<number, number>>();
  private readonly producers = new ProducerTable();

  apply(entry: Entry): BrokerResult {
    const cmd = decodeCommand(entry.payload);
    switch (cmd.type) {
      case CommandType.Produce:
        return this.produce(cmd, entry);
      case CommandType.CommitOffsets:
        this.commit(cmd);
        return { kind: 'committed' };
      case CommandType.DropTopic:
        this.nextOffsets.delete(cmd.topic);
        this.producers.dropTopic(cmd.topic);
        for (const key of [...this.offsets.keys()]) if (key.endsWith(`\u0000${cmd.topic}`)) this.offsets.delete(key);
        return { kind: 'dropped', topic: cmd.topic };
    }
  }

  private produce(cmd: ProduceCommand, entry: Entry): StoredBatch {
    if (cmd.queue >= MAX_QUEUES_PER_TOPIC) throw new DepotError('QUEUE_NOT_FOUND', `queue ${cmd.queue} is beyond ${MAX_QUEUES_PER_TOPIC}`);
    const count = batchCount(cmd.batch);
    const stored = { kind: 'produce' as const, topic: cmd.topic, queue: cmd.queue, batchOffset: cmd.batchOffset };
    if (cmd.producerId !== 0) {
      const previous = this.producers.check(cmd.producerId, cmd.topic, cmd.queue, cmd.baseSequence, count);
      if (previous !== undefined) {
        return { ...stored, ...previous, duplicate: true };
      }
    }
    let queues = this.nextOffsets.get(cmd.topic);
    if (queues === undefined) this.nextOffsets.set(cmd.topic, (queues = []));
    while (queues.length <= cmd.queue) queues.push(0);
    const baseOffset = queues[cmd.queue]!;
    queues[cmd.queue] = baseOffset + count;
    const result = { baseOffset, count, logIndex: entry.index, storeTimestamp: entry.timestamp };
    if (cmd.producerId !== 0) this.producers.record(cmd.producerId, cmd.topic, cmd.queue, cmd.baseSequence, result);
    return { ...stored, ...result, duplicate: false };
  }

  private commit(cmd: CommitCommand): void {
    const key = offsetKey(cmd.owner, cmd.topic);
    let map = this.offsets.get(key);
    if (map === undefined) this.offsets.set(key, (map = new Map()));
    for (const { queue, offset } of cmd.offsets) map.set(queue, offset);
  }

  /** Offset the next produced message of the queue will get. */
  endOffset(topic: string, queue: number): number {
    return this.nextOffsets.get(topic)?.[queue] ?? 0;
  }

  /** Every queue that has received a message, with its next offset. */
  *queueEnds(): IterableIterator<{ topic: string; queue: number; next: number }> {
    for (const [topic, queues] of this.nextOffsets) for (let queue = 0; queue < queues.length; queue++) yield { topic, queue, next: queues[queue]! };
  }

  committed(owner: string, topic: string, queue: number): number | undefined {
    return this.offsets.get(offsetKey(owner, topic))?.get(queue);
  }

  /** Owners (groups, or group#instance) with committed offsets on `topic`. */
  ownersOf(topic: string): string[] {
    const out: string[] = [];
    for (const key of this.offsets.keys()) {
      const sep = key.indexOf('\u0000');
      if (key.slice(sep + 1) === topic) out.push(key.slice(0, sep));
    }
    return out;
  }

  /** Every (owner, topic) pair with committed offsets. */
  offsetOwners(): Array<{ owner: string; topic: string }> {
    return [...this.offsets.keys()].map((key) => {
      const sep = key.indexOf('\u0000');
      return { owner: key.slice(0, sep), topic: key.slice(sep + 1) };
    });
  }

  snapshot(): BrokerSnapshot {
    return {
      queues: [...this.nextOffsets].map(([t, q]) => [t, [...q]]),
      offsets: [...this.offsets].map(([k, m]) => [k, [...m]]),
      producers: this.producers.snapshot(),
    };
  }

  restore(s: BrokerSnapshot): void {
    this.nextOffsets.clear();
    this.offsets.clear();
    for (const [t, q] of s.queues) this.nextOffsets.set(t, [...q]);
    for (const [k, m] of s.offsets) this.offsets.set(k, new Map(m));
    this.producers.restore(s.producers);
    assert(this.nextOffsets.size === s.queues.length, 'restored queue table size');
  }
}
