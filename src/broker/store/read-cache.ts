// Entries the store read from the log's files, kept for a little while. The queues of a topic
// interleave in the log, so one consumer read of a range of entries brings in the entries its
// neighbours (the member's other queues, the other members) ask for next: one file read and one
// thread-pool round trip serve them all, instead of one per entry. Bounded by bytes, oldest
// read dropped first. Entries are committed, so an index always names the same payload.
import Denque from 'denque';
import { assert } from '../../util/assert.js';

interface Read {
  readonly lo: number;
  readonly payloads: readonly Buffer[];
  readonly bytes: number;
}

export class ReadCache {
  private readonly reads = new Denque<Read>();
  private readonly byIndex = new Map<number, Buffer>();
  private bytes = 0;

  constructor(private readonly limitBytes: number) {
    assert(limitBytes >= 0);
  }

  get(index: number): Buffer | undefined {
    return this.byIndex.get(index);
  }

  /** Bytes of payloads held. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Remembers the payloads of entries `lo, lo + 1, ...`; drops the oldest reads beyond the limit. */
  add(lo: number, payloads: readonly Buffer[]): void {
    let bytes = 0;
    for (let k = 0; k < payloads.length; k++) {
      this.byIndex.set(lo + k, payloads[k]!);
      bytes += payloads[k]!.length;
    }
    this.reads.push({ lo, payloads, bytes });
    this.bytes += bytes;
    while (this.bytes > this.limitBytes && !this.reads.isEmpty()) this.drop(this.reads.shift()!);
  }

  clear(): void {
    this.reads.clear();
    this.byIndex.clear();
    this.bytes = 0;
  }

  private drop(r: Read): void {
    this.bytes -= r.bytes;
    // A later read of the same entry replaced this one in the map: leave it.
    for (let k = 0; k < r.payloads.length; k++) if (this.byIndex.get(r.lo + k) === r.payloads[k]) this.byIndex.delete(r.lo + k);
  }
}
