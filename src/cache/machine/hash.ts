// A hash value: field to value, in one of two encodings, as Redis's t_hash.c keeps them.
//
// Small hashes (at most `entries` fields, each field and value at most `value` bytes: Redis's
// hash-max-listpack-entries and hash-max-listpack-value, 512 and 64 by default, the defaults
// built into redis-server 7.0; its sample redis.conf sets 128 entries) are packed in one
// latin1 string, Redis's listpack in spirit: per field, its length as one code unit, the field,
// the value's length as one code unit, the value. A lookup scans it; a write builds the string
// again (as a listpack insert moves its tail). Why: most hashes in a cache are small objects,
// and as a table (dict.ts) each field and value is a JS string of its own (32 bytes for 10
// characters) in a table of 4-field slots: a one-field hash took about 600 bytes of heap, a
// ten-field one about 1,430; packed, about 100 and 300 (Redis: 123 and 346 per key, key
// included). Past either limit the hash becomes a table for good, as in Redis, and its long
// values (64 bytes or more) go to the blob store then.
//
// Lengths are single code units below 256, so a packed string stays one byte per character:
// `value` is capped at 255 here whatever CONFIG SET says.
import { Dict } from './dict.js';
import type { Stored } from './blobs.js';
import type { Scratch } from '../../util/scratch.js';
import { detached, findKey, flat, STRING_TAIL } from './packed.js';

export interface PackLimits {
  /** hash-max-listpack-entries */
  readonly entries: number;
  /** hash-max-listpack-value (bytes of a field or a value) */
  readonly value: number;
}

export const DEFAULT_PACK_LIMITS: PackLimits = { entries: 512, value: 64 };

/** Longest field or value a packed hash holds: a length must be one latin1 code unit. */
const MAX_PACKED_LENGTH = 255;

const fromCode = String.fromCharCode;

export class Hash {
  /** The packed entries, or null once the hash is a table. */
  private packed: string | null = '';
  /** Fields in `packed`. */
  private count = 0;
  private table: Dict<Stored> | null = null;

  /** `seed`: the table's hash seed, should the hash become one (see Dict). */
  constructor(readonly seed: number) {}

  get size(): number {
    return this.table === null ? this.count : this.table.size;
  }

  get encoding(): 'listpack' | 'hashtable' {
    return this.table === null ? 'listpack' : 'hashtable';
  }

  /** Characters of the packed encoding, or -1 for a table (memory.ts). */
  get packedLength(): number {
    return this.packed === null ? -1 : this.packed.length;
  }

  get(field: string): Stored | undefined {
    const p = this.packed;
    if (p === null) return this.table!.get(field);
    const o = findKey(p, field, STRING_TAIL);
    if (o < 0) return undefined;
    const v = o + 1 + field.length;
    return p.slice(v + 1, v + 1 + p.charCodeAt(v));
  }

  has(field: string): boolean {
    const p = this.packed;
    return p === null ? this.table!.has(field) : findKey(p, field, STRING_TAIL) >= 0;
  }

  /**
   * Sets `field` to `value`; returns the value replaced (undefined for a new field), which the
   * caller frees. A table stores values through `store` (the blob store's, for long ones).
   */
  set(field: string, value: string, limits: PackLimits, store: (v: string) => Stored): Stored | undefined {
    const p = this.packed;
    if (p !== null) {
      const max = Math.min(limits.value, MAX_PACKED_LENGTH);
      if (field.length <= max && value.length <= max) {
        const o = findKey(p, field, STRING_TAIL);
        let old: string | undefined;
        if (o >= 0) {
          const v = o + 1 + field.length;
          const end = v + 1 + p.charCodeAt(v);
          this.packed = flat(p.slice(0, v) + fromCode(value.length) + value + p.slice(end));
          old = p.slice(v + 1, end);
        } else {
          this.packed = flat(p + fromCode(field.length) + field + fromCode(value.length) + value);
          this.count++;
        }
        // As Redis's hashTypeSet: checked after every write, so that a lowered limit converts
        // the hash at its next write, an overwrite included.
        if (this.count > limits.entries) this.toTable(store);
        return old;
      }
      this.toTable(store);
    }
    return this.table!.set(field, store(value));
  }

  /** Removes `field`; returns its value (for the caller to free), or undefined when absent. */
  remove(field: string): Stored | undefined {
    const p = this.packed;
    if (p === null) {
      const t = this.table!;
      const slot = t.find(field);
      if (slot < 0) return undefined;
      const old = t.valueAt(slot);
      t.delete(field);
      return old;
    }
    const o = findKey(p, field, STRING_TAIL);
    if (o < 0) return undefined;
    const v = o + 1 + field.length;
    const end = v + 1 + p.charCodeAt(v);
    this.packed = flat(p.slice(0, o) + p.slice(end));
    this.count--;
    return p.slice(v + 1, end);
  }

  /** Converts to a table for good, storing each value through `store`. */
  private toTable(store: (v: string) => Stored): void {
    const t = new Dict<Stored>(this.seed);
    for (const [f, v] of this.entries()) t.set(detached(f), store(detached(v as string)));
    this.table = t;
    this.packed = null;
    this.count = 0;
  }

  /**
   * [field, value] of every entry. A table's walk is live (dict.ts); a packed hash's walks the
   * string it started with, so one present throughout is visited and none twice.
   */
  *entries(): Generator<[string, Stored], void, undefined> {
    const p = this.packed;
    if (p === null) {
      yield* this.table!.entries();
      return;
    }
    for (let o = 0; o < p.length; ) {
      const fl = p.charCodeAt(o);
      const f = p.slice(o + 1, o + 1 + fl);
      o += 1 + fl;
      const vl = p.charCodeAt(o);
      const v = p.slice(o + 1, o + 1 + vl);
      o += 1 + vl;
      yield [f, v];
    }
  }

  *keys(): Generator<string, void, undefined> {
    for (const [f] of this.entries()) yield f;
  }

  *values(): Generator<Stored, void, undefined> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[string, Stored], void, undefined> {
    return this.entries();
  }

  // Slots, for random picks (random.ts): a table's own; a packed hash's entries by position.

  get slots(): number {
    return this.table === null ? this.count : this.table.slots;
  }

  get firstSlot(): number {
    return this.table === null ? 0 : this.table.firstSlot;
  }

  liveAt(slot: number): boolean {
    return this.table === null ? slot < this.count : this.table.liveAt(slot);
  }

  /** The entry in a slot, for picks made now: a packed hash lists its entries once. */
  entryReader(): (slot: number) => [string, Stored] {
    const t = this.table;
    if (t !== null) return (slot) => [t.keyAt(slot), t.valueAt(slot)];
    const listed = [...this.entries()];
    return (slot) => listed[slot]!;
  }

  /** Reads ahead the table slots of `fields` (Dict.warm, `values` as there); a packed hash is one string. */
  warm(fields: Scratch<string>, values?: Scratch<unknown>): void {
    this.table?.warm(fields, values);
  }
}
