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
// Resizing is incremental, as Redis's rehash is: a table that must grow (or shrink, or shed its
// tombstones) gets a new array, and the old one is drained into it a few elements per insert or
// delete (and by `rehash`, which the server calls on its timer), so no command pays for
// moving millions of elements at once. Meanwhile every key is in exactly one of the two arrays;
// inserts go to the new one, lookups try the new one and then the old. The old array never
// takes an insert, so its empty slots stay empty: once the drain has passed an empty slot,
// every element whose home slot lies before it has left (linear probing keeps an element
// between its home and the first empty slot after it), and lookups homed there skip the old
// array. A moved or deleted element leaves a tombstone, so slots never move otherwise.
//
// Arrays are paged (PAGE_SLOTS slots a page): a JS array of millions of elements takes tens of
// milliseconds to allocate (V8 initialises every element), one of 64M elements took 21 s, and
// V8 has no array of 2^27 elements or more, so whole arrays paused as a rebuild did and capped a
// table at about 12.6M keys. Inserts land on random pages, so a new array's pages would all be
// allocated within its first few thousand inserts, as long a stall as allocating it whole: a
// resize first prepares the new array, a page every WRITES_PER_PAGE writes while the table goes
// on in its one array (up to 13/16 full), and the drain starts once every page exists. A missing
// page reads as empty slots; the drain drops the old array's pages once nothing can be looked
// up in them.
//
// Slot numbers: while draining, the old array's slots come first (0 .. old size - 1) and the
// new array's follow; otherwise the one array's slots start at 0. Elements only move from old to
// new, so a walk by ascending slot number meets an element present throughout at least once; a
// walk restarts when the numbering changes (`layout`: a drain starts or ends). That gives
// iterators SCAN's guarantee: an element present for a whole iteration is visited at least
// once (perhaps twice), never lost.
import { assert } from '../../util/assert.js';
import { Scratch } from '../../util/scratch.js';

const EMPTY = 0;
const TOMBSTONE = -1;
const FIELDS = 4;
const MIN_CAPACITY = 8;
const PAGE_BITS = 14;
const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;
/** Arrays up to this many slots are resized at once: copying them costs less than a drain's bookkeeping. */
const INSTANT_RESIZE_SLOTS = 4096;
/**
 * Elements moved per insert or delete while draining. A drain should end before the new array
 * fills (3/4; past that the rest is moved at once): the tightest case, a tombstone-heavy array
 * rebuilt at its own size, has up to 3/8 of its slots live when the resize starts and 13/32
 * when the drain begins (the preparation's inserts), which leaves 11/32 of its slots of inserts
 * while the old one's slots are scanned: about 3 slots per insert, and a step passes at least 4.
 */
const STEP_ELEMENTS = 4;
/** Empty or dead slots a step may pass for each element it is allowed to move (Redis: 10). */
const STEP_VISITS_PER_ELEMENT = 10;
/**
 * Writes per page allocated while a resize is prepared. Allocating a page costs about as much
 * as 0.4 ms of writes; with a page every 512 writes the array twice the size (2 * slots /
 * PAGE_SLOTS pages) is ready after slots / 16 inserts: the table fills to 13/16 meanwhile, and
 * a write pays under a microsecond for it.
 */
const WRITES_PER_PAGE = PAGE_SLOTS / 32;
/** What allocating a page costs, in elements a drain moves (about 0.4 ms on this machine). */
const PAGE_COST_ELEMENTS = 2_500;

/** FIELDS per slot: hash (or EMPTY / TOMBSTONE), key, value, access time. */
type Page = unknown[];
/** Pages of one array; undefined: a page not allocated yet (or dropped by the drain), all empty. */
type Pages = Array<Page | undefined>;

function newPages(capacity: number): Pages {
  return new Array<Page | undefined>(Math.ceil(capacity / PAGE_SLOTS)).fill(undefined);
}

/** The page of slot `i`, allocated if missing. */
function pageOf(pages: Pages, i: number, capacity: number): Page {
  let p = pages[i >>> PAGE_BITS];
  if (p === undefined) {
    p = new Array<unknown>(Math.min(capacity, PAGE_SLOTS) * FIELDS).fill(EMPTY);
    pages[i >>> PAGE_BITS] = p;
  }
  return p;
}

function killSlot(p: Page, o: number): void {
  p[o] = TOMBSTONE;
  p[o + 1] = undefined;
  p[o + 2] = undefined;
  p[o + 3] = 0;
}

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

/**
 * Scratch for warm(): the hashes of the keys it reads, and the keys and values it found. Shared
 * (one warm() runs at a time): a typed array per table cost every hash, set and sorted set 272
 * bytes (a one-field hash took 927).
 */
let HASHES = new Int32Array(16);
const FOUND = new Scratch<unknown>();

export class Dict<V> {
  /** The array inserts go to. */
  private t: Pages = newPages(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private tLive = 0;
  private tTombstones = 0;

  /** While a resize is prepared: the next array, its pages allocated in order up to `prepared`. */
  private next: Pages | null = null;
  private nextCapacity = 0;
  private prepared = 0;
  private writesSincePage = 0;

  /** While draining: the array being drained into `t`, else null. */
  private old: Pages | null = null;
  private oldMask = 0;
  private oldLive = 0;
  /** Next slot of `old` the drain looks at. */
  private cursor = 0;
  /** Just past the last empty slot of `old` the drain passed: elements homed below it have left. */
  private cleared = 0;
  /** Pages of `old` dropped so far, from the first. */
  private dropped = 0;
  /** Slot number of `t`'s first slot: the old array's size while draining, else 0. */
  private base = 0;

  /** Bumped whenever slot numbers change meaning (a drain starts or ends): walks start again. */
  private generation = 0;

  /**
   * One byte per slot while captures stream this table (capture.ts), else null: each capture
   * owns one bit (at most 8 at once: a SAVE beside RDB transfers), and an element whose bit is
   * set has been handled by that capture (written, or created after it began). Inserts set
   * every active bit, and moves carry the marks with the elements.
   */
  private marks: Uint8Array | null = null;
  private oldMarks: Uint8Array | null = null;
  /** The bits of the captures in progress. */
  private markBits = 0;

  /** What warm() read, kept so that its loads are not optimised away; nothing else reads it. */
  warmed = 0;

  /**
   * `seed` varies the hash: the node picks one per process, so which keys collide differs from
   * run to run (it is not a keyed hash like Redis's SipHash, though). Replicas with different
   * seeds iterate in different orders, which nothing applied from the log depends on.
   * `instantResizeSlots`: arrays up to this size are resized at once (tests lower it to drain
   * small tables).
   */
  constructor(
    readonly seed: number,
    private readonly instantResizeSlots = INSTANT_RESIZE_SLOTS,
  ) {}

  get size(): number {
    return this.tLive + this.oldLive;
  }

  /** Bytes of the table's allocated pages (8 bytes an array element: Node's V8 has no pointer compression). */
  get tableBytes(): number {
    let elements = 0;
    for (const pages of [this.t, this.next, this.old]) {
      if (pages === null) continue;
      for (const p of pages) if (p !== undefined) elements += p.length;
    }
    return elements * 8;
  }

  /** Slot numbers in use, live or not: the bound of a walk by slot (see `liveAt`). */
  get slots(): number {
    return this.base + this.mask + 1;
  }

  /** Slots below this hold no element: the part of the old array the drain has passed. */
  get firstSlot(): number {
    return this.cursor;
  }

  /** Changes when slot numbers change meaning: a walk by slot must start again. */
  get layout(): number {
    return this.generation;
  }

  /** True while a resize is prepared or an old array is being drained. */
  get resizing(): boolean {
    return this.next !== null || this.old !== null;
  }

  /** The page holding slot number `slot` (undefined: all empty), with `offset` set to the slot's offset in it. */
  private locate(slot: number): Page | undefined {
    const j = slot - this.base;
    if (j >= 0) {
      this.offset = (j & PAGE_MASK) * FIELDS;
      return this.t[j >>> PAGE_BITS];
    }
    this.offset = (slot & PAGE_MASK) * FIELDS;
    return this.old![slot >>> PAGE_BITS];
  }

  /** Offset set by `locate`. */
  private offset = 0;

  liveAt(slot: number): boolean {
    const p = this.locate(slot);
    if (p === undefined) return false;
    const h = p[this.offset] as number;
    return h !== EMPTY && h !== TOMBSTONE;
  }

  /**
   * Starts a capture's marking (every slot unmarked for it); returns its bit, or 0 when 8
   * captures are already marking this table.
   */
  startMarks(): number {
    if (this.markBits === 0xff) return 0;
    const bit = ~this.markBits & (this.markBits + 1);
    if (this.marks === null) {
      this.marks = new Uint8Array(this.mask + 1);
      if (this.old !== null) this.oldMarks = new Uint8Array(this.oldMask + 1);
    } else {
      clearBit(this.marks, bit);
      if (this.oldMarks !== null) clearBit(this.oldMarks, bit);
    }
    this.markBits |= bit;
    return bit;
  }

  stopMarks(bit: number): void {
    assert((this.markBits & bit) !== 0 && (bit & (bit - 1)) === 0, 'mark bit %s not in use', bit);
    this.markBits &= ~bit;
    if (this.markBits !== 0) return;
    this.marks = null;
    this.oldMarks = null;
  }

  /** Whether any capture marks this table. */
  get marking(): boolean {
    return this.markBits !== 0;
  }

  isMarked(slot: number, bit: number): boolean {
    const j = slot - this.base;
    return ((j >= 0 ? this.marks![j]! : this.oldMarks![slot]!) & bit) !== 0;
  }

  mark(slot: number, bit: number): void {
    const j = slot - this.base;
    if (j >= 0) this.marks![j]! |= bit;
    else this.oldMarks![slot]! |= bit;
  }

  /** The slot holding `key`, or -1. */
  find(key: string): number {
    const h = hashOf(key, this.seed);
    const t = this.t;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const p = t[i >>> PAGE_BITS];
      const o = (i & PAGE_MASK) * FIELDS;
      const x = p === undefined ? EMPTY : p[o];
      if (x === EMPTY) return this.old === null ? -1 : this.findOld(key, h);
      if (x === h && p![o + 1] === key) return i + this.base;
    }
  }

  /** The slot of `key` in the old array (its slot number), or -1. */
  private findOld(key: string, h: number): number {
    const old = this.old!;
    const m = this.oldMask;
    let i = h & m;
    if (i < this.cleared) return -1;
    for (; ; i = (i + 1) & m) {
      const p = old[i >>> PAGE_BITS];
      // A dropped page lies below `cleared`: a probe wrapped around to it meets only moved elements.
      if (p === undefined) return -1;
      const o = (i & PAGE_MASK) * FIELDS;
      const x = p[o];
      if (x === EMPTY) return -1;
      if (x === h && p[o + 1] === key) return i;
    }
  }

  valueAt(slot: number): V {
    return this.locate(slot)![this.offset + 2] as V;
  }

  /** The key in `slot`: the table's own string, which may be another object than the one looked up. */
  keyAt(slot: number): string {
    return this.locate(slot)![this.offset + 1] as string;
  }

  /** Replaces the value in `slot` (an overwrite that needs no second lookup). */
  setValueAt(slot: number, value: V): void {
    this.locate(slot)![this.offset + 2] = value;
  }

  accessAt(slot: number): number {
    return this.locate(slot)![this.offset + 3] as number;
  }

  setAccessAt(slot: number, at: number): void {
    this.locate(slot)![this.offset + 3] = at;
  }

  /**
   * Reads, ahead of their lookups, the slots and key strings that lookups of `keys` will read.
   * The loads of different keys do not depend on each other, so the CPU overlaps their cache
   * misses, which the lookups one command at a time cannot. First every key's home slot; then
   * each key's probe from there to the slot holding its hash (those lines now cached, mostly),
   * and the key and value found in it: the lookup compares the key at the end of the probe,
   * which is not the home slot's for one key in four at 0.45 load and two in five at 0.75. On a
   * table of about 100,000 20-byte keys out of the caches, a lookup right after reading the home
   * slot alone cost 140 ns, after following the probe 60 (a hot one: 50). A hint:
   * the lookups stay exact (and, while draining, the old array is not read ahead). With
   * `values`, each value found is appended to it, for the caller to read ahead what it points to.
   */
  warm(keys: Scratch<string>, values?: Scratch<unknown>): void {
    const n = keys.length;
    if (HASHES.length < n) HASHES = new Int32Array(Math.max(n, HASHES.length * 2));
    const hashes = HASHES;
    for (let i = 0; i < n; i++) hashes[i] = hashOf(keys.at(i), this.seed);
    const t = this.t;
    const mask = this.mask;
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const home = hashes[i]! & mask;
      const p = t[home >>> PAGE_BITS];
      if (p !== undefined) sink += p[(home & PAGE_MASK) * FIELDS] as number;
    }
    const found = FOUND;
    for (let k = 0; k < n; k++) {
      const h = hashes[k]!;
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const p = t[i >>> PAGE_BITS];
        const o = (i & PAGE_MASK) * FIELDS;
        const x = p === undefined ? EMPTY : p[o];
        if (x === EMPTY) break;
        if (x === h) {
          found.push(p![o + 1]);
          found.push(p![o + 2]);
          break;
        }
      }
    }
    // The value's header too, which the command reads next (and a write's accounting before it
    // replaces the value).
    for (let i = 0; i < found.length; i += 2) {
      sink += (found.at(i) as string).length;
      const v = found.at(i + 1);
      if (typeof v === 'string') sink += v.length;
      if (values !== undefined && v !== undefined) values.push(v);
    }
    found.clear();
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
    const mask = this.mask;
    let free = -1;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const p = t[i >>> PAGE_BITS];
      const o = (i & PAGE_MASK) * FIELDS;
      const x = p === undefined ? EMPTY : p[o];
      if (x === EMPTY) break;
      if (x === TOMBSTONE) {
        if (free < 0) free = i;
      } else if (x === h && p![o + 1] === key) {
        const prev = p![o + 2] as V;
        p![o + 2] = value;
        p![o + 3] = at;
        return prev;
      }
    }
    if (this.old !== null) {
      const j = this.findOld(key, h);
      if (j >= 0) {
        const p = this.old[j >>> PAGE_BITS]!;
        const o = (j & PAGE_MASK) * FIELDS;
        const prev = p[o + 2] as V;
        p[o + 2] = value;
        p[o + 3] = at;
        return prev;
      }
    }
    if (free >= 0) {
      i = free;
      this.tTombstones--;
    }
    const p = pageOf(t, i, mask + 1);
    const o = (i & PAGE_MASK) * FIELDS;
    p[o] = h;
    p[o + 1] = key;
    p[o + 2] = value;
    p[o + 3] = at;
    if (this.marks !== null) this.marks[i] = this.markBits;
    this.tLive++;
    this.step();
    // Live plus tombstones above 3/4 of the slots: resize (bigger when live is above 3/8).
    if (this.next === null && (this.tLive + this.tTombstones) * 4 > (this.mask + 1) * 3) this.resize();
    return undefined;
  }

  delete(key: string): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    killSlot(this.locate(slot)!, this.offset);
    if (slot >= this.base) {
      this.tLive--;
      this.tTombstones++;
    } else {
      this.oldLive--;
    }
    this.step();
    // Mostly empty: give the memory back (the threshold leaves room before the next grow).
    if (this.next === null && this.mask + 1 > MIN_CAPACITY && this.size * 8 < this.mask + 1) this.resize();
    return true;
  }

  /**
   * Does about `elements` moves' worth of a resize in progress (allocating pages of the next
   * array, or moving elements); returns whether the resize goes on. The server calls it on its
   * timer so that an idle table finishes its resize.
   */
  rehash(elements: number): boolean {
    if (this.next !== null) this.prepare(Math.max(1, Math.floor(elements / PAGE_COST_ELEMENTS)));
    else if (this.old !== null) this.drain(elements);
    return this.resizing;
  }

  /** A write's share of a resize in progress. */
  private step(): void {
    if (this.old !== null) this.drain(STEP_ELEMENTS);
    else if (this.next !== null && ++this.writesSincePage >= WRITES_PER_PAGE) {
      this.writesSincePage = 0;
      this.prepare(1);
    }
  }

  /**
   * Starts a resize into an array at half load at most (finishing a drain first): small arrays
   * at once, others once the next array's pages are allocated.
   */
  private resize(): void {
    if (this.old !== null) this.finishDrain();
    let capacity = MIN_CAPACITY;
    while (capacity < this.tLive * 2) capacity *= 2;
    this.next = newPages(capacity);
    this.nextCapacity = capacity;
    this.prepared = 0;
    this.writesSincePage = 0;
    this.prepare(this.mask + 1 <= this.instantResizeSlots ? this.next.length : 1);
  }

  /** Allocates up to `pages` more pages of the next array; the drain begins once all are there. */
  private prepare(pages: number): void {
    const next = this.next!;
    for (; pages > 0 && this.prepared < next.length; pages--) pageOf(next, this.prepared++ << PAGE_BITS, this.nextCapacity);
    if (this.prepared === next.length) this.beginDrain();
  }

  private beginDrain(): void {
    const capacity = this.nextCapacity;
    this.old = this.t;
    this.oldMask = this.mask;
    this.oldLive = this.tLive;
    this.oldMarks = this.marks;
    this.t = this.next!;
    this.next = null;
    this.mask = capacity - 1;
    this.tLive = 0;
    this.tTombstones = 0;
    if (this.marks !== null) this.marks = new Uint8Array(capacity);
    this.cursor = 0;
    this.cleared = 0;
    this.dropped = 0;
    this.base = this.oldMask + 1;
    this.generation++;
    if (this.oldMask + 1 <= this.instantResizeSlots || this.oldLive === 0) this.finishDrain();
  }

  /** Moves up to `elements` live elements, passing at most STEP_VISITS_PER_ELEMENT slots per element. */
  private drain(elements: number): void {
    const old = this.old!;
    const end = this.oldMask + 1;
    let visits = elements * STEP_VISITS_PER_ELEMENT;
    let i = this.cursor;
    while (i < end && elements > 0 && visits > 0) {
      const p = old[i >>> PAGE_BITS];
      if (p === undefined) {
        // Never written (so all empty), or dropped: nothing to move.
        i = ((i >>> PAGE_BITS) + 1) << PAGE_BITS;
        this.cleared = i;
        visits--;
        continue;
      }
      const x = p[(i & PAGE_MASK) * FIELDS];
      if (x === EMPTY) this.cleared = i + 1;
      else if (x !== TOMBSTONE) {
        this.moveOut(i);
        elements--;
      }
      i++;
      visits--;
    }
    this.cursor = Math.min(i, end);
    if (this.cursor === end) {
      this.endDrain();
      return;
    }
    // Pages wholly below `cleared` hold nothing a lookup can reach (findOld).
    while (this.dropped < this.cleared >>> PAGE_BITS) old[this.dropped++] = undefined;
  }

  private finishDrain(): void {
    const old = this.old!;
    for (let i = this.cursor; i <= this.oldMask; i++) {
      const p = old[i >>> PAGE_BITS];
      if (p === undefined) {
        i |= PAGE_MASK;
        continue;
      }
      const x = p[(i & PAGE_MASK) * FIELDS];
      if (x !== EMPTY && x !== TOMBSTONE) this.moveOut(i);
    }
    this.endDrain();
  }

  private endDrain(): void {
    assert(this.oldLive === 0, 'drained array still holds elements');
    this.old = null;
    this.oldMarks = null;
    this.oldMask = 0;
    this.cursor = 0;
    this.cleared = 0;
    this.base = 0;
    this.generation++;
  }

  /** Moves the element in the old array's slot `j` to the first free slot of its probe in `t`. */
  private moveOut(j: number): void {
    const from = this.old![j >>> PAGE_BITS]!;
    const f = (j & PAGE_MASK) * FIELDS;
    const h = from[f] as number;
    const t = this.t;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const p = t[i >>> PAGE_BITS];
      const x = p === undefined ? EMPTY : p[(i & PAGE_MASK) * FIELDS];
      if (x === EMPTY) break;
      if (x === TOMBSTONE) {
        this.tTombstones--;
        break;
      }
      i = (i + 1) & mask;
    }
    const to = pageOf(t, i, mask + 1);
    const o = (i & PAGE_MASK) * FIELDS;
    to[o] = h;
    to[o + 1] = from[f + 1];
    to[o + 2] = from[f + 2];
    to[o + 3] = from[f + 3];
    if (this.marks !== null) this.marks[i] = this.oldMarks![j]!;
    killSlot(from, f);
    this.oldLive--;
    this.tLive++;
  }

  /**
   * [key, value] of every element, live: elements deleted before they are reached are not
   * visited, and one present throughout is visited at least once.
   */
  *entries(): Generator<[string, V], void, undefined> {
    let generation = this.generation;
    for (let slot = 0; ; slot++) {
      if (generation !== this.generation) {
        generation = this.generation;
        slot = 0;
      }
      if (slot >= this.slots) return;
      if (this.liveAt(slot)) yield [this.keyAt(slot), this.valueAt(slot)];
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

  /** Internal consistency, for tests: counts, every element findable from its slot, the drain's marks. */
  check(): void {
    let live = 0;
    let tombstones = 0;
    for (let i = 0; i <= this.mask; i++) {
      const p = this.t[i >>> PAGE_BITS];
      if (p === undefined) continue;
      const o = (i & PAGE_MASK) * FIELDS;
      const h = p[o] as number;
      if (h === TOMBSTONE) tombstones++;
      else if (h !== EMPTY) {
        live++;
        assert(this.find(p[o + 1] as string) === i + this.base, 'slot %s not found from its key', i);
      }
    }
    assert(live === this.tLive && tombstones === this.tTombstones, 'dict counts out of step');
    if (this.old === null) return;
    let oldLive = 0;
    for (let i = 0; i <= this.oldMask; i++) {
      const p = this.old[i >>> PAGE_BITS];
      if (p === undefined) {
        assert(i < this.cleared || i >= this.cursor, 'old page of slot %s dropped above the cleared mark', i);
        continue;
      }
      const o = (i & PAGE_MASK) * FIELDS;
      const h = p[o] as number;
      if (h === EMPTY || h === TOMBSTONE) continue;
      oldLive++;
      assert(i >= this.cursor, 'old slot %s behind the drain', i);
      assert((h & this.oldMask) >= this.cleared, 'old slot %s homed below the cleared mark', i);
      assert(this.find(p[o + 1] as string) === i, 'old slot %s not found from its key', i);
    }
    assert(oldLive === this.oldLive, 'old array counts out of step');
  }
}

function clearBit(marks: Uint8Array, bit: number): void {
  const keep = ~bit & 0xff;
  for (let i = 0; i < marks.length; i++) marks[i]! &= keep;
}
