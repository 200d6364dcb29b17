// A stream as a snapshot record writes it (capture.ts): what it held when the record began,
// read from the live stream in steps until the stream is about to change, then from what
// `freeze` kept.
//
// Freezing is cheap because of how a stream changes: a node's entries below its count never
// change (XADD appends to the last node or adds one; XDEL and exact trimming only tombstone;
// removing a node takes it out of the list, untouched). So the image keeps the node list as it
// was, and freezing copies each node's count and tombstones and the consumer groups; the
// entries themselves are never copied. Before this, a write to a stream being written (or not
// yet reached) wrote the whole stream on the write's path.
import { byteOrder } from './sorted-map.js';
import type { ConsumerGroup } from './stream-group.js';
import type { Stream, StreamNode } from './stream.js';
import type { StreamId } from './stream-id.js';

export class StreamImage {
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: number;
  readonly nodes: readonly StreamNode[];
  /** Set by `freeze`: each node's entries (tombstones included) and tombstones then. */
  private counts: number[] | null = null;
  private tombstones: Array<ReadonlySet<number> | null> | null = null;
  private frozenGroups: ReadonlyMap<string, ConsumerGroup> | null = null;

  constructor(private readonly stream: Stream) {
    this.length = stream.length;
    this.lastId = stream.lastId;
    this.firstId = stream.firstId;
    this.maxDeletedId = stream.maxDeletedId;
    this.entriesAdded = stream.entriesAdded;
    this.nodes = stream.nodes.slice();
  }

  /** The stream is about to change: the state still to write is copied (once). */
  freeze(): void {
    if (this.counts !== null) return;
    this.counts = this.nodes.map((n) => n.ids.length);
    this.tombstones = this.nodes.map((n) => n.tombstoneSet());
    const groups = new Map<string, ConsumerGroup>();
    for (const [name, g] of this.stream.groups) groups.set(name, g.clone());
    this.frozenGroups = groups;
  }

  /** Node `n`'s entries, tombstones included. */
  count(n: number): number {
    return this.counts === null ? this.nodes[n]!.ids.length : this.counts[n]!;
  }

  isDeleted(n: number, i: number): boolean {
    if (this.tombstones === null) return this.nodes[n]!.isDeleted(i);
    const dead = this.tombstones[n]!;
    return dead !== null && dead.has(i);
  }

  /** Consumer groups by name, in the stream's order. */
  get groups(): ReadonlyMap<string, ConsumerGroup> {
    return this.frozenGroups ?? this.stream.groups;
  }

  /** Byte-order group names, as Redis lists them. */
  groupNames(): string[] {
    return [...this.groups.keys()].sort(byteOrder);
  }

  /** The live entries in ID order, one at a time. */
  *live(): Generator<[StreamId, readonly string[]]> {
    for (let n = 0; n < this.nodes.length; n++) {
      const node = this.nodes[n]!;
      const count = this.count(n);
      for (let i = 0; i < count; i++) if (!this.isDeleted(n, i)) yield [node.ids[i]!, node.fieldsAt(i)];
    }
  }
}
