// A stream as a snapshot record writes it (capture.ts): what it held when the record began,
// read from the live stream in steps until the stream is about to change, then from what
// `freeze` kept.
//
// Freezing is cheap because of how a stream changes: a node's entries below its count never
// change (XADD appends to the last node or adds one; XDEL and exact trimming only tombstone;
// removing a node takes it out of the list, untouched). So the image keeps the node list as it
// was, and freezing copies each node's count and tombstones; the entries themselves are never
// copied. The consumer groups are imaged when the image is made (stream-group.ts: counters
// copied, pending entries as copy-on-write views, O(PEL / 128)), because a writer may be in
// the middle of a pending-entries list when the stream changes. Before this, a write to a
// stream being written (or not yet reached) wrote the whole stream on the write's path.
import { byteOrder } from './sorted-map.js';
import type { GroupState } from './stream-group.js';
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
  /** Consumer groups by name, in the stream's order. */
  readonly groups: ReadonlyMap<string, GroupState>;

  constructor(stream: Stream) {
    this.length = stream.length;
    this.lastId = stream.lastId;
    this.firstId = stream.firstId;
    this.maxDeletedId = stream.maxDeletedId;
    this.entriesAdded = stream.entriesAdded;
    this.nodes = stream.nodes.slice();
    const groups = new Map<string, GroupState>();
    for (const [name, g] of stream.groups) groups.set(name, g.freeze());
    this.groups = groups;
  }

  /** The stream is about to change: the state still to write is copied (once). */
  freeze(): void {
    if (this.counts !== null) return;
    this.counts = this.nodes.map((n) => n.ids.length);
    this.tombstones = this.nodes.map((n) => n.tombstoneSet());
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
