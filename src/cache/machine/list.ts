// A Redis list: a ring buffer of stored strings (JS strings, or blobs of the keyspace's
// BlobStore, which the keyspace encodes, decodes and frees) with O(1) push and pop at both ends
// and O(1) access by index (LINDEX, LSET, LRANGE pages). Insertions and removals in the middle
// are O(n), as they are in Redis's quicklist.
import { assert } from '../../util/assert.js';
import type { Stored } from './blobs.js';

const MIN_CAPACITY = 8;

export class List {
  private items: Array<Stored | undefined>;
  private head = 0;
  private size = 0;

  constructor(values: readonly Stored[] = []) {
    let cap = MIN_CAPACITY;
    while (cap < values.length) cap *= 2;
    this.items = new Array<Stored | undefined>(cap);
    for (const v of values) this.items[this.size++] = v;
  }

  get length(): number {
    return this.size;
  }

  /** Slots of the ring: what the list holds in memory, whatever its length. */
  get capacity(): number {
    return this.items.length;
  }

  /** Element at `index` (0-based, already normalised by the caller). */
  at(index: number): Stored {
    assert(index >= 0 && index < this.size, 'list index out of range');
    return this.items[(this.head + index) & (this.items.length - 1)]!;
  }

  setAt(index: number, value: Stored): void {
    assert(index >= 0 && index < this.size, 'list index out of range');
    this.items[(this.head + index) & (this.items.length - 1)] = value;
  }

  pushBack(value: Stored): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = value;
    this.size++;
  }

  pushFront(value: Stored): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = value;
    this.size++;
  }

  popFront(): Stored {
    assert(this.size > 0, 'pop from an empty list');
    const v = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    if (this.size * 4 < this.items.length && this.items.length > MIN_CAPACITY) this.shrink();
    return v;
  }

  popBack(): Stored {
    assert(this.size > 0, 'pop from an empty list');
    const i = (this.head + this.size - 1) & (this.items.length - 1);
    const v = this.items[i]!;
    this.items[i] = undefined;
    this.size--;
    if (this.size * 4 < this.items.length && this.items.length > MIN_CAPACITY) this.shrink();
    return v;
  }

  /** Elements from `start` to `stop` inclusive (normalised, in range). */
  slice(start: number, stop: number): Stored[] {
    const out: Stored[] = [];
    const mask = this.items.length - 1;
    for (let i = start; i <= stop; i++) out.push(this.items[(this.head + i) & mask]!);
    return out;
  }

  toArray(): Stored[] {
    return this.size === 0 ? [] : this.slice(0, this.size - 1);
  }

  /** Replaces the whole content (LREM, LINSERT, LTRIM rebuild the list once). */
  replace(values: readonly Stored[]): void {
    let cap = MIN_CAPACITY;
    while (cap < values.length) cap *= 2;
    this.items = new Array<Stored | undefined>(cap);
    this.head = 0;
    this.size = 0;
    for (const v of values) this.items[this.size++] = v;
  }

  private grow(): void {
    this.resize(this.items.length * 2);
  }

  /**
   * A list popped below a quarter of its ring gives the memory back (to twice its size): a
   * drained or trimmed list does not keep the ring of its largest size. Shrinking at a quarter
   * and growing when full leave a factor of two between them, so pops and pushes around a size
   * do not resize back and forth.
   */
  private shrink(): void {
    let cap = MIN_CAPACITY;
    while (cap < this.size * 2) cap *= 2;
    this.resize(cap);
  }

  private resize(capacity: number): void {
    const next = new Array<Stored | undefined>(capacity);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
