// The terms of the log as runs (first index of each term), kept in memory so that raft's
// frequent `term(index)` is a comparison or a short binary search, never a disk read.
import { assert } from '../util/assert.js';

export interface TermRun {
  readonly start: number;
  readonly term: number;
}

export class TermRuns {
  private starts: number[] = [];
  private terms: number[] = [];

  /** Term of the last run, or −1 when there is none. */
  get lastTerm(): number {
    return this.terms.length > 0 ? this.terms[this.terms.length - 1]! : -1;
  }

  /** Records that entries from `index` on have `term`, unless the last run already has it. */
  extend(index: number, term: number): void {
    const n = this.starts.length;
    if (n > 0) {
      const last = this.terms[n - 1]!;
      if (last === term) return;
      assert(term > last, 'term %s at index %s is below the previous term %s', term, index, last);
      assert(index > this.starts[n - 1]!, 'term runs must start at increasing indexes');
    }
    this.starts.push(index);
    this.terms.push(term);
  }

  /** The term of `index`, which the caller knows to be in the log. */
  termAt(index: number): number {
    const n = this.starts.length;
    assert(n > 0 && index >= this.starts[0]!, 'no term run covers index %s', index);
    if (index >= this.starts[n - 1]!) return this.terms[n - 1]!;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.terms[lo]!;
  }

  /** Forgets every index from `index` on. */
  truncateFrom(index: number): void {
    let n = this.starts.length;
    while (n > 0 && this.starts[n - 1]! >= index) n--;
    this.starts.length = n;
    this.terms.length = n;
  }

  /** Forgets runs that end before `index` (the run covering `index` is kept). */
  dropBefore(index: number): void {
    let k = 0;
    while (k + 1 < this.starts.length && this.starts[k + 1]! <= index) k++;
    if (k > 0) {
      this.starts.splice(0, k);
      this.terms.splice(0, k);
    }
  }

  clear(): void {
    this.starts = [];
    this.terms = [];
  }

  /** The runs covering [from, to], the first clamped to start at `from`. */
  slice(from: number, to: number): TermRun[] {
    const out: TermRun[] = [];
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      const end = i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : Infinity;
      if (end < from || start > to) continue;
      out.push({ start: Math.max(start, from), term: this.terms[i]! });
    }
    return out;
  }
}
