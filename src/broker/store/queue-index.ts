// One queue's index: queue offset → (log index, byte position in the entry payload, record
// size, tag hash, store timestamp), 28 bytes per message in typed-array chunks, so a lookup is
// arithmetic and 10,000 queues cost no file descriptor and a few hundred bytes each when idle.
//
// Held in memory and rebuilt by replaying the group's log on start. The persistent, checkpointed
// variant belongs on the secondary-index blocks of src/log.
import { assert } from '../../util/assert.js';

const CHUNK = 4096;
const FIRST_CAPACITY = 16;

class Chunk {
  logIndex: Float64Array;
  timestamp: Float64Array;
  /** position, size, tagHash interleaved. */
  fields: Uint32Array;

  constructor(capacity: number) {
    this.logIndex = new Float64Array(capacity);
    this.timestamp = new Float64Array(capacity);
    this.fields = new Uint32Array(capacity * 3);
  }

  grow(capacity: number): void {
    const next = new Chunk(capacity);
    next.logIndex.set(this.logIndex);
    next.timestamp.set(this.timestamp);
    next.fields.set(this.fields);
    Object.assign(this, next);
  }
}

export interface IndexEntry {
  logIndex: number;
  position: number;
  size: number;
  tagHash: number;
  timestamp: number;
}

export class QueueIndex {
  private readonly chunks: Chunk[] = [];
  /** Offset of the first entry held (advances when old messages are dropped). */
  private base = 0;
  private count = 0;

  get startOffset(): number {
    return this.base;
  }

  get endOffset(): number {
    return this.base + this.count;
  }

  /** Appends the entry for offset `endOffset`. */
  append(logIndex: number, position: number, size: number, tagHash: number, timestamp: number): void {
    const slot = this.count % CHUNK;
    const c = Math.floor(this.count / CHUNK);
    if (c === this.chunks.length) this.chunks.push(new Chunk(c === 0 ? FIRST_CAPACITY : CHUNK));
    const chunk = this.chunks[c]!;
    if (slot === chunk.logIndex.length) chunk.grow(Math.min(CHUNK, slot * 2));
    chunk.logIndex[slot] = logIndex;
    chunk.timestamp[slot] = timestamp;
    chunk.fields[slot * 3] = position;
    chunk.fields[slot * 3 + 1] = size;
    chunk.fields[slot * 3 + 2] = tagHash;
    this.count++;
  }

  /** Fills `out` with the entry at `offset`; the offset must lie in [startOffset, endOffset). */
  get(offset: number, out: IndexEntry): IndexEntry {
    assert(offset >= this.base && offset < this.base + this.count, `offset ${offset} outside the index`);
    const i = offset - this.base;
    const chunk = this.chunks[Math.floor(i / CHUNK)]!;
    const slot = i % CHUNK;
    out.logIndex = chunk.logIndex[slot]!;
    out.timestamp = chunk.timestamp[slot]!;
    out.position = chunk.fields[slot * 3]!;
    out.size = chunk.fields[slot * 3 + 1]!;
    out.tagHash = chunk.fields[slot * 3 + 2]!;
    return out;
  }

  tagHashAt(offset: number): number {
    const i = offset - this.base;
    return this.chunks[Math.floor(i / CHUNK)]!.fields[(i % CHUNK) * 3 + 2]!;
  }

  timestampAt(offset: number): number {
    const i = offset - this.base;
    return this.chunks[Math.floor(i / CHUNK)]!.timestamp[i % CHUNK]!;
  }

  /**
   * First offset whose store timestamp is at or after `ts` (endOffset when none). Store
   * timestamps come from the leader's clock and are nondecreasing within a term, so a binary
   * search is exact except across a leader change with clock skew, where it stays close.
   */
  offsetForTimestamp(ts: number): number {
    let lo = this.base;
    let hi = this.base + this.count;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.timestampAt(mid) < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
