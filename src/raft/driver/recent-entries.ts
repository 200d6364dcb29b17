// The entries a group appended and has not applied yet, kept as the objects the core handed
// out. Between an append and its apply the core reads them back (committed entries are handed
// out only once stable, so they come from storage, not from its unstable tail); the log would
// decode each from its encoded tail and allocate it anew. Here they are found as they are.
//
// A window over the log: contiguous, from `first` to `end`. An append that does not continue it
// (a conflict rewrote the tail, a snapshot reset the log) restarts it; bounded in entries and
// payload bytes, dropping the oldest, which are then read from the log as before.
import { entryBytes, type Entry } from '../core/types.js';

const MAX_ENTRIES = 1 << 16;
const MAX_PAYLOAD_BYTES = 64 << 20;
/** Released slots are cut from the array in batches, not one shift per entry. */
const COMPACT_AFTER = 4096;

export class RecentEntries {
  private list: Entry[] = [];
  /** Position in `list` of the entry at `first`. */
  private head = 0;
  private first = 0;
  private payloadBytes = 0;

  private get count(): number {
    return this.list.length - this.head;
  }

  /** Index one past the last entry held. */
  private get end(): number {
    return this.first + this.count;
  }

  /** Entries written to the log at their indexes: anything held at or after the first is replaced. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const from = ents[0]!.index;
    if (from > this.first && from < this.end) this.truncateFrom(from);
    else if (this.count === 0 || from !== this.end) this.clear(from);
    for (const e of ents) {
      this.list.push(e);
      this.payloadBytes += e.payload.length;
    }
    while (this.count > MAX_ENTRIES || (this.payloadBytes > MAX_PAYLOAD_BYTES && this.count > 1)) this.dropFirst();
    this.compact();
  }

  /** Entries up to `index` (applied) are no longer needed here. */
  release(index: number): void {
    while (this.count > 0 && this.first <= index) this.dropFirst();
    this.compact();
  }

  /** Forgets everything; the window restarts at `next`. */
  clear(next = 0): void {
    this.list = [];
    this.head = 0;
    this.first = next;
    this.payloadBytes = 0;
  }

  /**
   * Entries [lo, hi), at least one and then as many as fit `maxBytes` (counted as the core
   * counts them), or undefined when the window does not hold the whole range.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.first || hi > this.end || lo >= hi) return undefined;
    const start = this.head + (lo - this.first);
    let stop = start + 1;
    let bytes = entryBytes(this.list[start]!);
    const last = this.head + (hi - this.first);
    while (stop < last) {
      const b = entryBytes(this.list[stop]!);
      if (bytes + b > maxBytes) break;
      bytes += b;
      stop++;
    }
    return this.list.slice(start, stop);
  }

  private truncateFrom(index: number): void {
    const keep = this.head + (index - this.first);
    for (let i = keep; i < this.list.length; i++) this.payloadBytes -= this.list[i]!.payload.length;
    this.list.length = keep;
  }

  private dropFirst(): void {
    this.payloadBytes -= this.list[this.head]!.payload.length;
    this.head++;
    this.first++;
  }

  private compact(): void {
    if (this.head === 0) return;
    if (this.count === 0) {
      this.list = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER || this.head * 2 >= this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
  }
}
