// A stream's consumer group (Redis's streamCG): the last ID delivered, how many entries that
// was (for XINFO's lag), its consumers, and the pending entries list (PEL): entries delivered
// and not yet acknowledged, each owned by one consumer, who also lists it in its own PEL.
import { assert } from '../../util/assert.js';
import { byteOrder, SortedMap } from './sorted-map.js';
import type { StreamId } from './stream-id.js';

export class Consumer {
  readonly pel = new SortedMap<Nack>();
  constructor(
    readonly name: string,
    /** ms since the epoch of the consumer's last read or claim. */
    public seenTime: number,
  ) {}
}

/** A pending entry (Redis's streamNACK). */
export class Nack {
  constructor(
    public consumer: Consumer,
    public deliveryTime: number,
    public deliveryCount: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new SortedMap<Nack>();
  readonly consumers = new Map<string, Consumer>();

  constructor(
    public lastId: StreamId,
    /** Entries delivered to the group so far, or -1 (unknown). */
    public entriesRead: number,
  ) {}

  /** Byte-order names, as Redis's radix tree lists consumers. */
  consumerNames(): string[] {
    return [...this.consumers.keys()].sort(byteOrder);
  }

  /** The consumer `name`, created (seen at `time`) when missing. */
  consumer(name: string, time: number): Consumer {
    let c = this.consumers.get(name);
    if (c === undefined) this.consumers.set(name, (c = new Consumer(name, time)));
    return c;
  }

  /**
   * Makes `id` pending for `consumer` with the given delivery time and count, moving it from
   * another consumer's PEL if it was there. Returns whether the entry is new to the PEL.
   */
  setPending(id: StreamId, consumer: Consumer, time: number, count: number): boolean {
    const nack = this.pel.get(id);
    if (nack === undefined) {
      const created = new Nack(consumer, time, count);
      this.pel.set(id, created);
      consumer.pel.set(id, created);
      return true;
    }
    if (nack.consumer !== consumer) {
      nack.consumer.pel.delete(id);
      consumer.pel.set(id, nack);
      nack.consumer = consumer;
    }
    nack.deliveryTime = time;
    nack.deliveryCount = count;
    return false;
  }

  /** Removes `id` from the PEL (XACK); false when it was not pending. */
  ack(id: StreamId): boolean {
    const nack = this.pel.get(id);
    if (nack === undefined) return false;
    this.pel.delete(id);
    const removed = nack.consumer.pel.delete(id);
    assert(removed, 'pending entry missing from its consumer');
    return true;
  }

  /** Removes consumer `name` and its pending entries; returns how many it had. */
  deleteConsumer(name: string): number {
    const c = this.consumers.get(name);
    if (c === undefined) return 0;
    for (const [id] of c.pel) this.pel.delete(id);
    this.consumers.delete(name);
    return c.pel.size;
  }

  clone(): ConsumerGroup {
    const g = new ConsumerGroup(this.lastId, this.entriesRead);
    for (const [name, c] of this.consumers) {
      const copy = g.consumer(name, c.seenTime);
      for (const [id, nack] of c.pel) g.setPending(id, copy, nack.deliveryTime, nack.deliveryCount);
    }
    return g;
  }
}
