// A stack of 32-bit integers (the blob store's free lists) in pages of a typed array.
//
// Why not a JS array: a free list grows by as many handles as a command frees (an LPOP of a
// million values) and shrinks as they are reused. V8 grows an array's backing store by copying
// it into one 1.5 times larger, 8 bytes an element on Node's build, which is fresh memory the
// kernel faults in and zeroes a page at a time, and trims it again as it is popped: with 1 KiB
// LPOPs at -P 16, 2.8% of the server's CPU went to page faults under `release` alone. Here a
// page is never copied, and pages stay allocated as long as the stack, so a list that grows back to
// a size it had reuses its memory. What it keeps is 4 bytes per free block of 64 bytes or more.

const PAGE_BITS = 14;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

export class IntStack {
  private pages: Int32Array[] = [];
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(x: number): void {
    const page = this.n >>> PAGE_BITS;
    if (page === this.pages.length) this.pages.push(new Int32Array(PAGE_SIZE));
    this.pages[page]![this.n & PAGE_MASK] = x;
    this.n++;
  }

  /** The top element, removed; the stack must not be empty. */
  pop(): number {
    this.n--;
    return this.pages[this.n >>> PAGE_BITS]![this.n & PAGE_MASK]!;
  }

  /** Keeps only the elements `keep` accepts, in their order. */
  filter(keep: (x: number) => boolean): void {
    let kept = 0;
    for (let i = 0; i < this.n; i++) {
      const x = this.pages[i >>> PAGE_BITS]![i & PAGE_MASK]!;
      if (keep(x)) this.pages[kept >>> PAGE_BITS]![kept++ & PAGE_MASK] = x;
    }
    this.n = kept;
  }
}
