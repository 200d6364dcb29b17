// Idempotent producer state: for each (producer, topic, queue) the last accepted sequence and the
// results of the last few batches, so a retried batch is answered with its original result and
// never stored twice (Kafka keeps five; so do we). Bounded: the least recently used entries are
// evicted, deterministically, because every replica applies the same commands in the same order.
import { DepotError } from '../../util/errors.js';

const RECENT_BATCHES = 5;
export const MAX_PRODUCER_STATES = 200_000;

interface BatchResult {
  baseOffset: number;
  count: number;
  logIndex: number;
  storeTimestamp: number;
}

interface ProducerState {
  /** Sequence number of the last message accepted. */
  lastSequence: number;
  recent: Array<BatchResult & { baseSequence: number }>;
}

export type ProducerTableSnapshot = Array<[key: string, state: ProducerState]>;

export class ProducerTable {
  /** Insertion order is recency order: a touched entry is re-inserted at the end. */
  private readonly states = new Map<string, ProducerState>();

  private static key(producerId: number, topic: string, queue: number): string {
    return `${producerId}\u0000${topic}\u0000${queue}`;
  }

  /**
   * Returns the original result when the batch is a retry of a recent one, undefined when it is
   * the next in sequence; throws OUT_OF_ORDER_SEQUENCE for a gap or an old, forgotten batch.
   */
  check(producerId: number, topic: string, queue: number, baseSequence: number, count: number): BatchResult | undefined {
    const state = this.states.get(ProducerTable.key(producerId, topic, queue));
    if (state === undefined) {
      // A producer's first batch on a queue starts at 0: a later batch arriving first (its
      // predecessor failed in flight) must not be stored ahead of it. A producer whose state was
      // evicted long ago learns it this way and continues under a new id.
      if (baseSequence === 0) return undefined;
      throw new DepotError('OUT_OF_ORDER_SEQUENCE', `producer ${producerId} is unknown on ${topic}/${queue}: its first batch must have sequence 0, not ${baseSequence}`, {
        details: { expected: 0 },
      });
    }
    if (baseSequence === state.lastSequence + 1) return undefined;
    const hit = state.recent.find((b) => b.baseSequence === baseSequence && b.count === count);
    if (hit !== undefined) return { baseOffset: hit.baseOffset, count: hit.count, logIndex: hit.logIndex, storeTimestamp: hit.storeTimestamp };
    throw new DepotError('OUT_OF_ORDER_SEQUENCE', `producer ${producerId} sent sequence ${baseSequence} on ${topic}/${queue}, expected ${state.lastSequence + 1}`, {
      details: { expected: state.lastSequence + 1 },
    });
  }

  record(producerId: number, topic: string, queue: number, baseSequence: number, result: BatchResult): void {
    const key = ProducerTable.key(producerId, topic, queue);
    const state = this.states.get(key) ?? { lastSequence: 0, recent: [] };
    this.states.delete(key);
    state.lastSequence = baseSequence + result.count - 1;
    state.recent.push({ baseSequence, ...result });
    if (state.recent.length > RECENT_BATCHES) state.recent.shift();
    this.states.set(key, state);
    if (this.states.size > MAX_PRODUCER_STATES) this.states.delete(this.states.keys().next().value!);
  }

  dropTopic(topic: string): void {
    for (const key of [...this.states.keys()]) if (key.split('\u0000')[1] === topic) this.states.delete(key);
  }

  snapshot(): ProducerTableSnapshot {
    return [...this.states].map(([k, s]) => [k, { lastSequence: s.lastSequence, recent: s.recent.map((b) => ({ ...b })) }]);
  }

  restore(s: ProducerTableSnapshot): void {
    this.states.clear();
    for (const [k, st] of s) this.states.set(k, st);
  }
}
