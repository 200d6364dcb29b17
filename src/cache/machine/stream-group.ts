// A stream's consumer group (Redis's streamCG): the last ID delivered, how many entries that
// was (for XINFO's lag), its consumers, and the pending entries list (PEL): entries delivered
// and not yet acknowledged, each owned by one consumer, who also lists it in its own PEL.
//
// A snapshot writes a group from `freeze`'s image: the counters and consumers copied, the PELs
// as copy-on-write views (sorted-map.ts), so freezing costs O(consumers + PEL / 128) rather
// than a copy of every pending entry. For that a Nack never changes: a redelivery or a claim
// replaces it.
import { assert } from '../../util/assert.js';
import { byteOrder, SortedMap, type SortedMapReader } from './sorted-map.js';
import type { StreamId } from './stream-id.js';

/** A consumer as a snapshot reads it: the live one or a frozen image. */
export interface ConsumerState {
  readonly name: string;
  readonly seenTime: number;
  /** The entries it owns, by ID. */
  readonly pel: SortedMapReader<Nack>;
}

/** A group as a snapshot reads it: the live one or a frozen image. */
export interface GroupState {
  readonly lastId: StreamId;
  readonly entriesRead: number;
  readonly pel: SortedMapReader<Nack>;
  readonly consumers: ReadonlyMap<string, ConsumerState>;
  consumerNames(): string[];
}

export class Consumer implements ConsumerState {
  readonly pel = new SortedMap<Nack>();
  constructor(
    readonly name: string,
    /** ms since the epoch of the consumer's last read or claim. */
    public seenTime: number,
  ) {}
}

/** A pending entry (Redis's streamNACK). Never modified: frozen PEL views share it. */
export class Nack {
  constructor(
    readonly consumer: Consumer,
    readonly deliveryTime: number,
    readonly deliveryCount: number,
  ) {}
}

/** A group as it was when frozen. */
class GroupImage implements GroupState {
  constructor(
    readonly lastId: StreamId,
    readonly entriesRead: number,
    readonly pel: SortedMapReader<Nack>,
    readonly consumers: ReadonlyMap<string, ConsumerState>,
  ) {}

  consumerNames(): string[] {
    return [...this.consumers.keys()].sort(byteOrder);
  }
}

export class ConsumerGroup implements GroupState {
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
    const old = this.pel.get(id);
    const nack = new Nack(consumer, time, count);
    this.pel.set(id, nack);
    if (old !== undefined && old.consumer !== consumer) old.consumer.pel.delete(id);
    consumer.pel.set(id, nack);
    return old === undefined;
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

  /** The group as it is now, for a snapshot to read while the group goes on changing. */
  freeze(): GroupState {
    const consumers = new Map<string, ConsumerState>();
    for (const [name, c] of this.consumers) consumers.set(name, { name, seenTime: c.seenTime, pel: c.pel.freeze() });
    return new GroupImage(this.lastId, this.entriesRead, this.pel.freeze(), consumers);
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
