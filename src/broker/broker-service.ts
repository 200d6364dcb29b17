// The broker group's service: produce through the group's log, committed offsets (batched into
// few proposals), the message store (indexes derived from the log), reads and lookups. No
// sockets: the native server calls in.
//
// Wiring: `await BrokerService.open(...)`, hand `stateMachine` to the group that runs it (its
// snapshot waits for the index checkpoint), then `attach(group, log)`; `close()` after the group.
import type { Entry, Group, StateMachine } from '../raft/group.js';
import { assert } from '../util/assert.js';
import { DepotError } from '../util/errors.js';
import { checkBatch } from '../protocol/native/record-batch.js';
import type { StoredMessage } from '../protocol/native/lookup.js';
import type { ProduceRequest, ProduceResult } from '../protocol/native/produce.js';
import type { QueueInfo, TopicInfo } from '../protocol/native/topics.js';
import { BrokerMachine, type BrokerResult, type BrokerSnapshot } from './machine/broker-machine.js';
import { CommandType, encodeCommit, encodeDropTopic, encodeProduceHeader } from './machine/commands.js';
import type { BrokerLog } from './store/broker-log.js';
import { findByKey, findByTime, getMessage } from './store/lookup.js';
import { MessageStore, type MessageStoreOptions } from './store/message-store.js';

export interface BrokerOptions {
  /** This broker group's number: it is part of every message id. */
  brokerGroup: number;
  /** Where and how the group's queue indexes live. */
  store: MessageStoreOptions;
}

/** Counters since start, for the node's /metrics. */
export interface BrokerCounters {
  messagesStored: number;
  bytesStored: number;
  batchesStored: number;
  duplicateBatches: number;
  offsetCommits: number;
  /** Produce acknowledgements sent before the batch was fdatasync'ed (the group's `async` durability). */
  acksBeforeFsync: number;
}

interface PendingCommit {
  owner: string;
  topic: string;
  offsets: Map<number, number>;
  waiters: Array<(e?: unknown) => void>;
}

export class BrokerService {
  readonly counters: BrokerCounters = { messagesStored: 0, bytesStored: 0, batchesStored: 0, duplicateBatches: 0, offsetCommits: 0, acksBeforeFsync: 0 };
  readonly machine = new BrokerMachine();
  readonly brokerGroup: number;
  private group: Group<BrokerResult> | undefined;
  private brokerLog: BrokerLog | undefined;
  private readonly pendingCommits = new Map<string, PendingCommit>();
  private commitScheduled = false;

  readonly stateMachine: StateMachine<BrokerResult> = {
    apply: (entry) => this.apply(entry),
    snapshot: () => this.snapshot(),
    restore: (chunks) => this.restore(chunks),
  };

  private constructor(
    options: BrokerOptions,
    readonly store: MessageStore,
  ) {
    this.brokerGroup = options.brokerGroup;
  }

  /** Opens the group's message store (its indexes at their last checkpoint). */
  static async open(options: BrokerOptions): Promise<BrokerService> {
    return new BrokerService(options, await MessageStore.open(options.store));
  }

  attach(group: Group<BrokerResult>, log: BrokerLog): void {
    assert(this.group === undefined, 'broker attached twice');
    this.group = group;
    this.brokerLog = log;
    this.store.attachLog(log);
  }

  private get g(): Group<BrokerResult> {
    assert(this.group !== undefined, 'broker used before attach');
    return this.group;
  }

  get log(): BrokerLog {
    assert(this.brokerLog !== undefined, 'broker used before attach');
    return this.brokerLog;
  }

  private apply(entry: Entry): BrokerResult {
    let result: BrokerResult;
    try {
      result = this.machine.apply(entry);
    } catch (err) {
      this.store.onApplied(entry, undefined);
      throw err;
    }
    this.store.onApplied(entry, result);
    if (result.kind === 'produce') {
      if (result.duplicate) {
        this.counters.duplicateBatches++;
      } else {
        this.counters.batchesStored++;
        this.counters.messagesStored += result.count;
        this.counters.bytesStored += entry.payload.length - result.batchOffset;
      }
    } else if (result.kind === 'committed') {
      this.counters.offsetCommits++;
    }
    return result;
  }

  /**
   * The machine's state as of now (captured at once), streamed once the indexes are checkpointed
   * past it: a snapshot never gets ahead of the indexes, whose missing entries it would drop.
   */
  private snapshot(): AsyncIterable<Buffer> {
    const state = Buffer.from(JSON.stringify(this.machine.snapshot()));
    const upTo = this.store.lastApplied;
    const store = this.store;
    return (async function* () {
      await store.checkpoint(upTo);
      yield state;
    })();
  }

  private async restore(chunks: AsyncIterable<Buffer>): Promise<void> {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    this.machine.restore(JSON.parse(Buffer.concat(parts).toString('utf8')) as BrokerSnapshot);
    // At a restart the indexes are at or past the snapshot; only a snapshot from another
    // replica leaves them behind: those queues restart empty where the snapshot says.
    for (const { topic, queue, next } of this.machine.queueEnds()) {
      if (this.store.endOffset(topic, queue) < next) await this.store.resetQueue(topic, queue, next);
    }
  }

  /**
   * Checks the batch against the topic and stores it; resolves once it is durable (per the
   * group) and applied. `command`, when given, is the request already laid out as the Produce
   * command (its body behind the type byte: commands.ts), proposed without a copy.
   */
  async produce(topic: TopicInfo, req: ProduceRequest, command?: Buffer): Promise<ProduceResult> {
    const { queue, producerId, baseSequence, batch } = req;
    if (!Number.isInteger(queue) || queue >= topic.queues) {
      throw new DepotError('QUEUE_NOT_FOUND', `topic '${topic.name}' has ${topic.queues} queues, there is no queue ${queue}`);
    }
    checkBatch(batch, topic.maxMessageBytes);
    let payload = command;
    if (payload === undefined) {
      const header = encodeProduceHeader(topic.name, queue, producerId, baseSequence);
      payload = Buffer.concat([header, batch], header.length + batch.length);
    }
    assert(payload[0] === CommandType.Produce && payload.length > batch.length, 'a Produce command');
    const r = await this.g.propose(payload).applied;
    assert(r.kind === 'produce', 'produce result');
    if (this.log.durableIndex < r.logIndex) this.counters.acksBeforeFsync++;
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

  /** Each queue's served range: from the store's first served offset to the machine's end. */
  describeQueues(topic: string, queues: number): QueueInfo[] {
    const out: QueueInfo[] = [];
    for (let q = 0; q < queues; q++) {
      const sq = this.store.queue(topic, q);
      const start = sq?.start ?? 0;
      const readable = sq?.end ?? 0;
      out.push({ startOffset: start, endOffset: Math.max(readable, this.machine.endOffset(topic, q)), lastStoreTimestamp: readable > start ? this.store.timestampAt(topic, q, readable - 1) : 0 });
    }
    return out;
  }

  getMessage(logIndex: number, position: number): Promise<StoredMessage> {
    return getMessage(this.store, this.brokerGroup, logIndex, position);
  }

  findByKey(topic: string, key: string, max: number): Promise<StoredMessage[]> {
    return findByKey(this.store, this.brokerGroup, topic, key, max);
  }

  findByTime(topic: TopicInfo, timestamp: number, max: number): Promise<StoredMessage[]> {
    return findByTime(this.store, this.brokerGroup, topic.name, topic.queues, timestamp, max);
  }

  /** Checkpoints the indexes; call after the group is closed (no more applies). */
  close(): Promise<void> {
    return this.store.close();
  }
}
