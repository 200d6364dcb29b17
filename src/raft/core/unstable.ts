// Entries and a snapshot the core has accepted but the driver has not yet made stable.
// Entries from `offset` on live here until `stableTo` acknowledges them; those from
// `offsetInProgress` on have not even been handed out in a Ready yet.
import { assert } from '../../util/assert.js';
import { NOTHING, type Entry, type SnapshotMeta } from './types.js';

export class Unstable {
  snapshot: SnapshotMeta | undefined = undefined;
  snapshotInProgress = false;
  entries: Entry[] = [];
  offsetInProgress: number;

  constructor(public offset: number) {
    this.offsetInProgress = offset;
  }

  /** Index one past the last unstable entry, or undefined when there are none and no snapshot. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== undefined) return this.snapshot.index;
    return undefined;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.index + 1;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.index === i) return this.snapshot.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries not yet handed out for persistence. */
  nextEntries(): readonly Entry[] {
    const start = this.offsetInProgress - this.offset;
    return start >= this.entries.length ? NOTHING : this.entries.slice(start);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): SnapshotMeta | undefined {
    return this.snapshotInProgress ? undefined : this.snapshot;
  }

  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /** The driver made entries up to (index, term) stable. A stale ack (the entry was replaced) is ignored. */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || t !== term || index < this.offset) return;
    const n = index + 1 - this.offset;
    // Emptied in place when all are stable (the usual case): no new array each Ready. What
    // Readies handed out were copies.
    if (n === this.entries.length) this.entries.length = 0;
    else this.entries = this.entries.slice(n);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(snapshot: SnapshotMeta): void {
    this.offset = snapshot.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
  }

  /** Appends `ents`, replacing any unstable entries at or after the first one's index. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      this.entries.push(...ents);
    } else if (from <= this.offset) {
      // Replaces everything unstable and part of the stable log: the driver overwrites it.
      this.offset = from;
      this.offsetInProgress = from;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, from - this.offset);
      this.entries.push(...ents);
      this.offsetInProgress = Math.min(this.offsetInProgress, from);
    }
    assert(this.entries.length === 0 || this.entries[0]!.index === this.offset, 'unstable entries start at offset');
  }

  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length, 'unstable slice [%s,%s) out of bounds', lo, hi);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
