// The hash table of the keyspace (string keys to values, each with an access time for OBJECT
// IDLETIME) and of hash values (fields to values; their access time stays 0).
//
// Why not a JS Map: a lookup of a key freshly decoded from a socket in a big Map walks a bucket
// chain whose entries and key strings are each a cache miss (V8's OrderedHashMap chains about
// two entries per bucket, and compares a candidate's hash only after loading its key string).
// On a keyspace or a hash larger than the CPU caches those misses were the largest single cost
// of GET, SET and HSET. Here a slot keeps the key's hash, the key, the value and the access
// time side by side in one array (open addressing, linear probing): a lookup costs the slot's
// cache line and the matching key string, and a second table of access times is not needed.
//
// Deletion leaves a tombstone so that slots never move between resizes; iterators walk slots in
// order and start again from the first slot if the table was rebuilt meanwhile. So an element
// present for a whole iteration is visited at least once (perhaps twice), as SCAN promises.
import { assert } from '../../util/assert.js';

const EMPTY = 0;
const TOMBSTONE = -1;
const FIELDS = 4;
const MIN_CAPACITY = 8;

/** A 30-bit hash of the key's code units, plus 1: never EMPTY or TOMBSTONE, always a small integer. */
function hashOf(key: string, seed: number): number {
  let h = seed ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Murmur3's finaliser: the low bits, which pick the slot, depend on every byte.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 2) + 1;
}

export class Dict<V> {
  /** FIELDS per slot: hash (or EMPTY / TOMBSTONE), key, value, access time. */
  private t: unknown[] = new Array<unknown>(MIN_CAPACITY * FIELDS).fill(EMPTY);
  private mask = MIN_CAPACITY - 1;
  private live = 0;
  private tombstones = 0;
  /** Bumped whenever slots move (a rebuild): live iterators start again. */
  private generation = 0;

  /**
   * One byte per slot while a snapshot streams this table (snapshot.ts), else null: a marked
   * element has been handled by the snapshot (written, or created after it began). Inserts
   * mark their slot, and a rebuild carries the marks with the elements.
   */
  private marks: Uint8Array | null = null;

  /** Scratch for warm(): home slots of the keys it reads. */
  private homes = new Int32Array(16);
  /** What warm() read, kept so that its loads are not optimised away; nothing else reads it. */
  warmed = 0;

  /**
   * `seed` varies the hash: the node picks one per process, so which keys collide differs from
   * run to run (it is not a keyed hash like Redis's SipHash, though). Replicas with different
   * seeds iterate in different orders, which nothing applied from the log depends on.
   */
  constructor(readonly seed: number) {}

  get size(): number {
    return this.live;
  }

  /** Slots, live or not: the bound of a walk by slot (see `liveAt`). */
  get slots(): number {
    return this.mask + 1;
  }

  /** Changes when elements move between slots: a walk by slot must start again. */
  get layout(): number {
    return this.generation;
  }

  liveAt(slot: number): boolean {
    const h = this.t[slot * FIELDS] as number;
    return h !== EMPTY && h !== TOMBSTONE;
  }

  /** Starts marking (every slot unmarked); one marking at a time. */
  startMarks(): void {
    assert(this.marks === null, 'dict already marked by a snapshot');
    this.marks = new Uint8Array(this.mask + 1);
  }

  stopMarks(): void {
    this.marks = null;
  }

  get marking(): boolean {
    return this.marks !== null;
  }

  isMarked(slot: number): boolean {
    return this.marks![slot] === 1;
  }

  mark(slot: number): void {
    this.marks![slot] = 1;
  }

  /** The slot holding `key`, or -1. */
  find(key: string): number {
    const h = hashOf(key, this.seed);
    const t = this.t;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const x = t[i * FIELDS];
      if (x === EMPTY) return -1;
      if (x === h && t[i * FIELDS + 1] === key) return i;
    }
  }

  valueAt(slot: number): V {
    return this.t[slot * FIELDS + 2] as V;
  }

  /** The key in `slot`: the table's own string, which may be another object than the one looked up. */
  keyAt(slot: number): string {
    return this.t[slot * FIELDS + 1] as string;
  }

  /** Replaces the value in `slot` (an overwrite that needs no second lookup). */
  setValueAt(slot: number, value: V): void {
    this.t[slot * FIELDS + 2] = value;
  }

  accessAt(slot: number): number {
    return this.t[slot * FIELDS + 3] as number;
  }

  setAccessAt(slot: number, at: number): void {
    this.t[slot * FIELDS + 3] = at;
  }

  /**
   * Reads, ahead of their lookups, the slots and key strings that lookups of `keys` will read
   * first. The loads of different keys do not depend on each other, so the CPU overlaps their
   * cache misses, which the lookups one command at a time cannot. A hint: the lookups stay exact.
   */
  warm(keys: readonly string[]): void {
    const n = keys.length;
    if (this.homes.length < n) this.homes = new Int32Array(Math.max(n, this.homes.length * 2));
    const homes = this.homes;
    for (let i = 0; i < n; i++) homes[i] = hashOf(keys[i]!, this.seed) & this.mask;
    const t = this.t;
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const k = t[homes[i]! * FIELDS + 1];
      if (typeof k === 'string') sink += k.length;
    }
    this.warmed = sink;
  }

  get(key: string): V | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.valueAt(i);
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  /**
   * Inserts or overwrites; returns the value replaced (undefined for an insert), so that a
   * caller freeing what it replaces needs no second lookup.
   */
  set(key: string, value: V, at = 0): V | undefined {
    const h = hashOf(key, this.seed);
    const t = this.t;
    let free = -1;
    let i = h & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const x = t[i * FIELDS];
      if (x === EMPTY) break;
      if (x === TOMBSTONE) {
        if (free < 0) free = i;
      } else if (x === h && t[i * FIELDS + 1] === key) {
        const old = t[i * FIELDS + 2] as V;
        t[i * FIELDS + 2] = value;
        t[i * FIELDS + 3] = at;
        return old;
      }
    }
    if (free >= 0) {
      i = free;
      this.tombstones--;
    }
    t[i * FIELDS] = h;
    t[i * FIELDS + 1] = key;
    t[i * FIELDS + 2] = value;
    t[i * FIELDS + 3] = at;
    if (this.marks !== null) this.marks[i] = 1;
    this.live++;
    // Live plus tombstones above 3/4 of the slots: rebuild (bigger when live is above 3/8).
    if ((this.live + this.tombstones) * 4 > (this.mask + 1) * 3) this.rebuild();
    return undefined;
  }

  delete(key: string): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    const t = this.t;
    t[i * FIELDS] = TOMBSTONE;
    t[i * FIELDS + 1] = undefined;
    t[i * FIELDS + 2] = undefined;
    t[i * FIELDS + 3] = 0;
    this.live--;
    this.tombstones++;
    // Mostly empty: give the memory back (the threshold leaves room before the next grow).
    if (this.mask + 1 > MIN_CAPACITY && this.live * 8 < this.mask + 1) this.rebuild();
    return true;
  }

  /** Slots at half load at most after a rebuild. */
  private rebuild(): void {
    let capacity = MIN_CAPACITY;
    while (capacity < this.live * 2) capacity *= 2;
    const old = this.t;
    const t = new Array<unknown>(capacity * FIELDS).fill(EMPTY);
    const mask = capacity - 1;
    const oldMarks = this.marks;
    const marks = oldMarks === null ? null : new Uint8Array(capacity);
    for (let j = 0; j < old.length; j += FIELDS) {
      const h = old[j] as number;
      if (h === EMPTY || h === TOMBSTONE) continue;
      let i = h & mask;
      while (t[i * FIELDS] !== EMPTY) i = (i + 1) & mask;
      t[i * FIELDS] = h;
      t[i * FIELDS + 1] = old[j + 1];
      t[i * FIELDS + 2] = old[j + 2];
      t[i * FIELDS + 3] = old[j + 3];
      if (marks !== null) marks[i] = oldMarks![j / FIELDS]!;
    }
    this.t = t;
    this.marks = marks;
    this.mask = mask;
    this.tombstones = 0;
    this.generation++;
  }

  /**
   * [key, value] of every element, live: elements deleted before they are reached are not
   * visited, and one present throughout is visited at least once.
   */
  *entries(): Generator<[string, V], void, undefined> {
    let generation = this.generation;
    for (let i = 0; ; i++) {
      if (generation !== this.generation) {
        generation = this.generation;
        i = 0;
      }
      if (i > this.mask) return;
      const h = this.t[i * FIELDS] as number;
      if (h !== EMPTY && h !== TOMBSTONE) yield [this.t[i * FIELDS + 1] as string, this.t[i * FIELDS + 2] as V];
    }
  }

  *keys(): Generator<string, void, undefined> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): Generator<V, void, undefined> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[string, V], void, undefined> {
    return this.entries();
  }

  /** Internal consistency, for tests: counts and every element findable from its slot. */
  check(): void {
    let live = 0;
    let tombstones = 0;
    for (let i = 0; i <= this.mask; i++) {
      const h = this.t[i * FIELDS] as number;
      if (h === TOMBSTONE) tombstones++;
      else if (h !== EMPTY) {
        live++;
        assert(this.find(this.t[i * FIELDS + 1] as string) === i, `slot ${i} not found from its key`);
      }
    }
    assert(live === this.live && tombstones === this.tombstones, 'dict counts out of step');
  }
}
