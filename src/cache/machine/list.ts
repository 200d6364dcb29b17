// A Redis list: a ring buffer of stored strings (JS strings, or blobs of the keyspace's
// BlobStore, which the keyspace encodes, decodes and frees) with O(1) push and pop at both ends
// and O(1) access by index (LINDEX, LSET, LRANGE pages). Insertions and removals in the middle
// are O(n), as they are in Redis's quicklist.
//
// The ring is chunked: a list of up to CHUNK slots is one array, a longer one an array of
// CHUNK-slot arrays. Growing a single array copies the list, and V8 initialises every element
// of a new array: a list of 16M elements paused its server for 190 ms each time it doubled, and
// one past 2^27 could not grow at all. A chunked ring doubles by moving chunk references (and
// splitting the one chunk that holds both ends), and allocates chunks as pushes reach them and
// drops them as pops leave them, so a drained list gives its memory back as it goes.
import { assert } from '../../util/assert.js';
import type { Stored } from './blobs.js';

const MIN_CAPACITY = 8;
const CHUNK_BITS = 10;
const CHUNK = 1 << CHUNK_BITS;

type Chunk = Array<Stored | undefined>;

export class List {
  /** The ring's chunks, in ring order; undefined: a chunk no element is in (not allocated). */
  private chunks: Array<Chunk | undefined>;
  /** log2 of the chunk size: the whole ring while it is one chunk, else CHUNK_BITS. */
  private bits: number;
  /** Chunk size - 1: a position's offset in its chunk. */
  private low: number;
  /** Ring positions - 1 (a power of two). */
  private mask: number;
  private head = 0;
  private size = 0;

  constructor(values: readonly Stored[] = []) {
    this.chunks = [];
    this.bits = 0;
    this.low = 0;
    this.mask = 0;
    this.replace(values);
  }

  get length(): number {
    return this.size;
  }

  /** Slots allocated: what the list holds in memory, whatever its length. */
  get capacity(): number {
    let n = 0;
    for (const c of this.chunks) if (c !== undefined) n += c.length;
    return n;
  }

  /** Element at `index` (0-based, already normalised by the caller). */
  at(index: number): Stored {
    assert(index >= 0 && index < this.size, 'list index out of range');
    const p = (this.head + index) & this.mask;
    return this.chunks[p >>> this.bits]![p & this.low]!;
  }

  setAt(index: number, value: Stored): void {
    assert(index >= 0 && index < this.size, 'list index out of range');
    const p = (this.head + index) & this.mask;
    this.chunks[p >>> this.bits]![p & this.low] = value;
  }

  pushBack(value: Stored): void {
    if (this.size === this.mask + 1) this.grow();
    this.put((this.head + this.size) & this.mask, value);
    this.size++;
  }

  pushFront(value: Stored): void {
    if (this.size === this.mask + 1) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.put(this.head, value);
    this.size++;
  }

  popFront(): Stored {
    assert(this.size > 0, 'pop from an empty list');
    const p = this.head;
    const v = this.take(p);
    this.head = (p + 1) & this.mask;
    this.size--;
    // Left the chunk: drop it unless the other end of the ring still reaches into it.
    if ((this.head & (CHUNK - 1)) === 0 && this.chunked && this.size <= this.mask + 1 - CHUNK) this.chunks[p >>> this.bits] = undefined;
    this.afterPop();
    return v;
  }

  popBack(): Stored {
    assert(this.size > 0, 'pop from an empty list');
    const p = (this.head + this.size - 1) & this.mask;
    const v = this.take(p);
    this.size--;
    if ((p & (CHUNK - 1)) === 0 && this.chunked && this.size <= this.mask + 1 - CHUNK) this.chunks[p >>> this.bits] = undefined;
    this.afterPop();
    return v;
  }

  /** Elements from `start` to `stop` inclusive (normalised, in range). */
  slice(start: number, stop: number): Stored[] {
    assert(start > stop || (start >= 0 && stop < this.size), 'list range out of range');
    const out: Stored[] = [];
    for (let i = start; i <= stop; i++) {
      const p = (this.head + i) & this.mask;
      out.push(this.chunks[p >>> this.bits]![p & this.low]!);
    }
    return out;
  }

  toArray(): Stored[] {
    return this.size === 0 ? [] : this.slice(0, this.size - 1);
  }

  /** Replaces the whole content (LREM, LINSERT, LTRIM rebuild the list once). */
  replace(values: readonly Stored[]): void {
    let cap = MIN_CAPACITY;
    while (cap < values.length) cap *= 2;
    this.layout(cap);
    for (const v of values) this.pushBack(v);
  }

  private get chunked(): boolean {
    return this.bits === CHUNK_BITS && this.chunks.length > 1;
  }

  /** An empty ring of `capacity` positions (a power of two). */
  private layout(capacity: number): void {
    this.bits = Math.min(Math.log2(capacity), CHUNK_BITS);
    this.low = (1 << this.bits) - 1;
    this.chunks = new Array<Chunk | undefined>(capacity >>> this.bits).fill(undefined);
    this.mask = capacity - 1;
    this.head = 0;
    this.size = 0;
  }

  private put(p: number, value: Stored): void {
    const k = p >>> this.bits;
    let c = this.chunks[k];
    if (c === undefined) {
      c = new Array<Stored | undefined>(this.low + 1);
      this.chunks[k] = c;
    }
    c[p & this.low] = value;
  }

  private take(p: number): Stored {
    const c = this.chunks[p >>> this.bits]!;
    const o = p & this.low;
    const v = c[o]!;
    c[o] = undefined;
    return v;
  }

  /** The ring is full: twice the positions. */
  private grow(): void {
    const capacity = this.mask + 1;
    if (capacity < CHUNK) {
      this.relayout(capacity * 2);
      return;
    }
    // Chunks in ring order from the one holding the head; the head's chunk also holds the
    // ring's last elements (below the head's offset) unless the head is at its start: those
    // move to a new chunk after the others.
    const m = this.chunks.length;
    const first = this.head >>> CHUNK_BITS;
    const offset = this.head & (CHUNK - 1);
    const next = new Array<Chunk | undefined>(m * 2).fill(undefined);
    for (let k = 0; k < m; k++) next[k] = this.chunks[(first + k) & (m - 1)];
    if (offset > 0) {
      const from = next[0]!;
      const tail = new Array<Stored | undefined>(CHUNK);
      for (let o = 0; o < offset; o++) {
        tail[o] = from[o];
        from[o] = undefined;
      }
      next[m] = tail;
    }
    this.chunks = next;
    this.mask = capacity * 2 - 1;
    this.head = offset;
  }

  /**
   * A list popped below a quarter of its ring gives the memory back: a small one is copied into
   * a ring twice its length (a chunked one drops its chunks as pops leave them, and becomes
   * one small ring again once it fits in half a chunk). Shrinking at a quarter and growing when
   * full leave a factor of two between them, so pops and pushes around a size do not resize
   * back and forth.
   */
  private afterPop(): void {
    const capacity = this.mask + 1;
    if (this.size * 4 >= capacity || capacity <= MIN_CAPACITY) return;
    if (this.chunked && this.size > CHUNK / 2) return;
    let cap = MIN_CAPACITY;
    while (cap < this.size * 2) cap *= 2;
    this.relayout(cap);
  }

  /** Copies the list into a fresh ring of `capacity` positions (at most one chunk's worth of elements). */
  private relayout(capacity: number): void {
    const values = this.toArray();
    assert(values.length <= capacity, 'list relayout into a smaller ring than its length');
    this.layout(capacity);
    for (const v of values) this.pushBack(v);
  }
}
