// An array kept in pages of 16,384 elements: a set's members by slot (member-set.ts).
//
// Why: a JS array grows by copying itself into one half again as large, and a large copy is
// a large-object allocation that also makes the garbage collector run: pushing 40M elements
// onto one array held single pushes 45 ms at 4.4M elements, 96 ms at 9.9M, 153 ms at 14.9M and
// 757 ms at 22.3M. And V8 has no array of 2^27 elements or more. Here every page is a JS array
// of at most PAGE_SLOTS elements, grown by pushes: no push copies more than a page, and the
// array is as long as memory allows. A small array is one page, as cheap as a plain array.
import { assert } from '../../util/assert.js';

const PAGE_BITS = 14;
const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;

export class PagedArray<T> {
  /** Full pages of PAGE_SLOTS elements, then the last one (never empty, unless it is the only one). */
  private readonly pages: Array<Array<T | undefined>> = [[]];
  private n = 0;

  get length(): number {
    return this.n;
  }

  /** The element at `i` (undefined past the end, or where undefined was stored). */
  at(i: number): T | undefined {
    return this.pages[i >>> PAGE_BITS]?.[i & PAGE_MASK];
  }

  set(i: number, value: T | undefined): void {
    assert(i >= 0 && i < this.n, 'paged array index out of range');
    this.pages[i >>> PAGE_BITS]![i & PAGE_MASK] = value;
  }

  push(value: T): void {
    const p = this.n++ >>> PAGE_BITS;
    if (p === this.pages.length) this.pages.push([]);
    this.pages[p]!.push(value);
  }

  /** Cuts the array to `length` elements, giving back the pages past it. */
  truncate(length: number): void {
    assert(length >= 0 && length <= this.n, 'paged array cut beyond its end');
    this.n = length;
    const last = length === 0 ? 0 : (length - 1) >>> PAGE_BITS;
    this.pages.length = last + 1;
    this.pages[last]!.length = length - last * PAGE_SLOTS;
  }
}
