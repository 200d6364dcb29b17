// A map from strings to values kept in key order (byte order: keys are latin1 strings), for a
// stream's pending-entry lists, which Redis keeps in radix trees: lookups, inserts and removals
// anywhere, and walks from a key on.
//
// Keys sit in chunks of at most CHUNK_MAX sorted keys; a lookup binary-searches the chunks'
// first keys, then a chunk. An insert or removal moves at most a chunk's elements and, when a
// chunk splits or empties, the chunk list's: O(sqrt-ish) moves of pointers, no per-entry nodes.
// PELs mostly grow at the end (XREADGROUP delivers ascending IDs) and shrink anywhere (XACK).
//
// `freeze` gives a snapshot a view of the map as it is, in O(chunks): the view keeps the chunk
// list, and the map copies a chunk the view shares before changing it (copy-on-write, a chunk
// at a time). Values are kept as they are: a frozen view is only as unchanging as its values,
// so values must be replaced, not modified in place (stream-group.ts's Nacks are).
import { assert } from '../../util/assert.js';

const CHUNK_MAX = 128;

class Chunk<V> {
  /** Set when a frozen view holds this chunk: it must be copied before it changes. */
  shared = false;
  constructor(
    readonly keys: string[],
    readonly values: V[],
  ) {}
}

/** What reading a sorted map takes: the map itself, or a frozen view of it. */
export interface SortedMapReader<V> extends Iterable<[string, V]> {
  readonly size: number;
  get(key: string): V | undefined;
}

/** A map's entries as they were when it was frozen. */
class FrozenSortedMap<V> implements SortedMapReader<V> {
  constructor(
    private readonly chunks: ReadonlyArray<Chunk<V>>,
    readonly size: number,
  ) {}

  get(key: string): V | undefined {
    return chunkGet(this.chunks, key);
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const c of this.chunks) for (let i = 0; i < c.keys.length; i++) yield [c.keys[i]!, c.values[i]!];
  }
}

/** Index of the chunk that holds `key` or would: the last whose first key is <= key (0 if none). */
function chunkFor<V>(chunks: ReadonlyArray<Chunk<V>>, key: string): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (chunks[mid]!.keys[0]! <= key) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function chunkGet<V>(chunks: ReadonlyArray<Chunk<V>>, key: string): V | undefined {
  if (chunks.length === 0) return undefined;
  const c = chunks[chunkFor(chunks, key)]!;
  const i = lowerBound(c.keys, key);
  return c.keys[i] === key ? c.values[i] : undefined;
}

export class SortedMap<V> implements SortedMapReader<V> {
  private chunks: Array<Chunk<V>> = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  get(key: string): V | undefined {
    return chunkGet(this.chunks, key);
  }

  /** A view of the entries as they are now, which later changes to the map leave alone. */
  freeze(): SortedMapReader<V> {
    for (const c of this.chunks) c.shared = true;
    return new FrozenSortedMap(this.chunks.slice(), this.n);
  }

  /** Chunk `ci`, copied first if a frozen view holds it. */
  private writable(ci: number): Chunk<V> {
    const c = this.chunks[ci]!;
    if (!c.shared) return c;
    return (this.chunks[ci] = new Chunk(c.keys.slice(), c.values.slice()));
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets `key` to `value`; true when the key is new. */
  set(key: string, value: V): boolean {
    if (this.n === 0) {
      this.chunks = [new Chunk([key], [value])];
      this.n = 1;
      return true;
    }
    const ci = chunkFor(this.chunks, key);
    const i = lowerBound(this.chunks[ci]!.keys, key);
    const c = this.writable(ci);
    if (c.keys[i] === key) {
      c.values[i] = value;
      return false;
    }
    c.keys.splice(i, 0, key);
    c.values.splice(i, 0, value);
    this.n++;
    if (c.keys.length > CHUNK_MAX) {
      const half = c.keys.length >> 1;
      this.chunks.splice(ci + 1, 0, new Chunk(c.keys.splice(half), c.values.splice(half)));
    }
    return true;
  }

  delete(key: string): boolean {
    if (this.n === 0) return false;
    const ci = chunkFor(this.chunks, key);
    const i = lowerBound(this.chunks[ci]!.keys, key);
    if (this.chunks[ci]!.keys[i] !== key) return false;
    const c = this.writable(ci);
    c.keys.splice(i, 1);
    c.values.splice(i, 1);
    this.n--;
    if (c.keys.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  firstKey(): string | undefined {
    return this.chunks[0]?.keys[0];
  }

  lastKey(): string | undefined {
    const c = this.chunks[this.chunks.length - 1];
    return c?.keys[c.keys.length - 1];
  }

  /**
   * Calls `each` for the entries with keys >= `from`, in order, until it returns false. `each`
   * must not change the map (collect keys first to change it).
   */
  forEachFrom(from: string, each: (key: string, value: V) => boolean): void {
    if (this.n === 0) return;
    let ci = chunkFor(this.chunks, from);
    let i = lowerBound(this.chunks[ci]!.keys, from);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const c = this.chunks[ci]!;
      for (; i < c.keys.length; i++) if (!each(c.keys[i]!, c.values[i]!)) return;
    }
  }

  /** Every entry in key order. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const c of this.chunks) for (let i = 0; i < c.keys.length; i++) yield [c.keys[i]!, c.values[i]!];
  }

  /** Checks the invariants (tests). */
  check(): void {
    let count = 0;
    let prev = '';
    for (const c of this.chunks) {
      assert(c.keys.length > 0 && c.keys.length <= CHUNK_MAX && c.keys.length === c.values.length, 'sorted map chunk size');
      for (const k of c.keys) {
        assert(count === 0 || prev < k, 'sorted map out of order');
        prev = k;
        count++;
      }
    }
    assert(count === this.n, 'sorted map count');
  }
}

/** Byte order of latin1 strings (their code units are their bytes), for sort(). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index of sorted `keys` whose key is >= `key`. */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
