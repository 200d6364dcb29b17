// The broker group's service: produce through the group's log, committed offsets (batched into
// few proposals), queue state and reads for consumers. No sockets: the native server calls in.
//
// Wiring: construct, hand `stateMachine` to the group that runs it, then `attach(group, log)`.
import type { Entry, Group, StateMachine } from '../raft/group.js';
import { assert } from '../util/assert.js';
import { DepotError } from '../util/errors.js';
import { scanBatch } from '../protocol/native/record-batch.js';
import type { ProduceResult } from '../protocol/native/produce.js';
import type { QueueInfo, TopicInfo } from '../protocol/native/topics.js';
import { BrokerMachine, type BrokerResult, type BrokerSnapshot } from './machine/broker-machine.js';
import { encodeCommit, encodeDropTopic, encodeProduceHeader } from './machine/commands.js';
import type { LogReader } from './store/log-reader.js';
import { MessageStore } from './store/message-store.js';

export interface BrokerOptions {
  /** This broker group's number: it is part of every message id. */
  brokerGroup: number;
  /** Bytes of recently stored entries kept in memory for consumers that keep up. */
  tailCacheBytes?: number;
}

/** Counters since start, for the node's /metrics. */
export interface BrokerCounters {
  messagesStored: number;
  bytesStored: number;
  batchesStored: number;
  duplicateBatches: number;
  offsetCommits: number;
}

export class BrokerService {
  readonly counters: BrokerCounters = { messagesStored: 0, bytesStored: 0, batchesStored: 0, duplicateBatches: 0, offsetCommits: 0 };
  readonly machine = new BrokerMachine();
  readonly store: MessageStore;
  readonly brokerGroup: number;
  private group: Group<BrokerResult> | undefined;
  private readonly pendingCommits = new Map<string, { owner: string; topic: string; offsets: Map<number, number>; waiters: Array<(e?: unknown) => void> }>();
  private commitScheduled = false;

  readonly stateMachine: StateMachine<BrokerResult> = {
    apply: (entry) => this.apply(entry),
    snapshot: async function* (this: BrokerService) {
      yield Buffer.from(JSON.stringify(this.machine.snapshot()));
    }.bind(this),
    restore: async (chunks) => {
      const parts: Buffer[] = [];
      for await (const c of chunks) parts.push(c);
      this.machine.restore(JSON.parse(Buffer.concat(parts).toString('utf8')) as BrokerSnapshot);
    },
  };

  constructor(options: BrokerOptions) {
    this.brokerGroup = options.brokerGroup;
    this.store = new MessageStore(options.tailCacheBytes ?? 64 * 1024 * 1024);
  }

  attach(group: Group<BrokerResult>, log: LogReader): void {
    assert(this.group === undefined, 'broker attached twice');
    this.group = group;
    this.store.attachLog(log);
  }

  private get g(): Group<BrokerResult> {
    assert(this.group !== undefined, 'broker used before attach');
    return this.group;
  }

  private apply(entry: Entry): BrokerResult {
    const result = this.machine.apply(entry);
    if (result.kind === 'produce') {
      if (result.duplicate) {
        this.counters.duplicateBatches++;
      } else {
        this.store.onStored(entry, result);
        this.counters.batchesStored++;
        this.counters.messagesStored += result.count;
        this.counters.bytesStored += entry.payload.length - result.batchOffset;
      }
    } else if (result.kind === 'committed') {
      this.counters.offsetCommits++;
    } else {
      this.store.drop(result.topic);
    }
    return result;
  }

  /** Checks the batch against the topic and stores it; resolves once it is durable and applied. */
  async produce(topic: TopicInfo, queue: number, producerId: number, baseSequence: number, batch: Buffer): Promise<ProduceResult> {
    if (!Number.isInteger(queue) || queue >= topic.queues) {
      throw new DepotError('QUEUE_NOT_FOUND', `topic '${topic.name}' has ${topic.queues} queues, there is no queue ${queue}`);
    }
    scanBatch(batch, topic.maxMessageBytes);
    const header = encodeProduceHeader(topic.name, queue, producerId, baseSequence);
    const r = await this.g.propose(Buffer.concat([header, batch], header.length + batch.length)).applied;
    assert(r.kind === 'produce', 'produce result');
    return {
      brokerGroup: this.brokerGroup,
      logIndex: r.logIndex,
      batchOffset: r.batchOffset,
      baseOffset: r.baseOffset,
      count: r.count,
      storeTimestamp: r.storeTimestamp,
      duplicate: r.duplicate,
    };
  }

  /**
   * Commits offsets for `owner` (a group, or group#instance). Commits arriving in the same
   * event-loop turn share one proposal per owner and topic; the latest offset per queue wins.
   */
  commitOffsets(owner: string, topic: string, offsets: ReadonlyArray<{ queue: number; offset: number }>): Promise<void> {
    const key = `${owner}\u0000${topic}`;
    let p = this.pendingCommits.get(key);
    if (p === undefined) this.pendingCommits.set(key, (p = { owner, topic, offsets: new Map(), waiters: [] }));
    for (const o of offsets) p.offsets.set(o.queue, o.offset);
    const pending = p;
    const done = new Promise<void>((resolve, reject) => pending.waiters.push((e) => (e === undefined ? resolve() : reject(e))));
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      setImmediate(() => this.flushCommits());
    }
    return done;
  }

  private flushCommits(): void {
    this.commitScheduled = false;
    const batches = [...this.pendingCommits.values()];
    this.pendingCommits.clear();
    for (const b of batches) {
      const offsets = [...b.offsets].map(([queue, offset]) => ({ queue, offset }));
      let applied: Promise<BrokerResult>;
      try {
        applied = this.g.propose(encodeCommit(b.owner, b.topic, offsets)).applied;
      } catch (err) {
        applied = Promise.reject(err);
      }
      applied.then(
        () => b.waiters.forEach((w) => w()),
        (err: unknown) => b.waiters.forEach((w) => w(err ?? new DepotError('INTERNAL', 'commit failed'))),
      );
    }
  }

  /** Removes a deleted topic's queues, offsets and producer state. */
  async dropTopic(topic: string): Promise<void> {
    await this.g.propose(encodeDropTopic(topic)).applied;
  }

  describeQueues(topic: string, queues: number): QueueInfo[] {
    const out: QueueInfo[] = [];
    for (let q = 0; q < queues; q++) {
      const index = this.store.index(topic, q);
      const end = index?.endOffset ?? 0;
      out.push({ startOffset: index?.startOffset ?? 0, endOffset: end, lastStoreTimestamp: index !== undefined && end > index.startOffset ? index.timestampAt(end - 1) : 0 });
    }
    return out;
  }
}
