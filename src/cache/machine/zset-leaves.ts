// The leaves of one sorted set's tree (zset.ts), by number. Leaf `l` is LEAF_SLOTS consecutive
// slots of two slabs, its scores in a Float64Array and its members in a JS array; its length and
// its neighbours in the leaf chain are entries of Int32Arrays.
//
// Why numbers and slabs rather than an object per leaf holding an array of scores and one of
// members: on a set larger than the CPU caches, reaching a leaf's entries then took five loads
// that missed, four of them one after the other (the leaf; an array, then its elements; the
// other array, then its elements). Here the inner node's slot holds the leaf's number, the two
// slabs' pages are few and stay cached, and the loads of the score and the member lines do not
// depend on each other. redis-benchmark's ZADD on 100,000 members, as score moves in a
// throwaway loop with the caches disturbed between batches of five (a -P 1 turn): 1,288 → 992 ns
// a move with 256 KiB read between batches, 1,767 → 1,242 with 1 MiB; through the server, ZADD at
// -P 1 with everysec 1.060x the ops/s, 0.55 us less server CPU a request (docs/cache.md).
//
// The slabs are pages of PAGE_LEAVES leaves, so that a set never copies more than a page to grow
// (a JS array grows by copying itself); the first page starts at two leaves and doubles, so that
// a set just past its packing limits holds a few leaves, not a page.
import { assert } from '../../util/assert.js';

/** Entries a leaf holds. */
export const LEAF_SLOTS = 64;
const SLOT_BITS = 6;
const PAGE_BITS = 6;
/** Leaves a page holds: 32 KiB of scores and 4,096 member slots. */
const PAGE_LEAVES = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_LEAVES - 1;
const FIRST_LEAVES = 2;
/** An absent neighbour. */
export const NO_LEAF = -1;

/** The page holding leaf `l`'s slots. */
function pageOf(l: number): number {
  return l >>> PAGE_BITS;
}

/** Leaf `l`'s first slot in its page. */
export function baseOf(l: number): number {
  return (l & PAGE_MASK) << SLOT_BITS;
}

function memberPage(slots: number, from: readonly string[] = []): string[] {
  // Filled by push, so that V8 keeps the array packed (an array made with a length has holes).
  const m: string[] = [];
  for (let i = 0; i < slots; i++) m.push(i < from.length ? from[i]! : '');
  return m;
}

export class Leaves {
  /** Score pages: leaf `l`'s entry `i` is scores[pageOf(l)][baseOf(l) + i]. */
  private readonly scores: Float64Array[] = [];
  /** Member pages, laid out as the score pages. */
  private readonly members: string[][] = [];
  /** Entries in each leaf. */
  len: Int32Array<ArrayBuffer> = new Int32Array(FIRST_LEAVES);
  /** Each leaf's neighbours in key order, or NO_LEAF. */
  next: Int32Array<ArrayBuffer> = new Int32Array(FIRST_LEAVES);
  prev: Int32Array<ArrayBuffer> = new Int32Array(FIRST_LEAVES);
  /** Leaf numbers issued so far. */
  private issued = 0;
  /** Numbers of leaves dropped, to issue again. */
  private readonly free: number[] = [];

  /** A new empty leaf with no neighbours. Grows the slabs: pages taken before it may be stale. */
  alloc(): number {
    const l = this.free.length > 0 ? this.free.pop()! : this.issued++;
    this.reserve(l);
    this.len[l] = 0;
    this.next[l] = NO_LEAF;
    this.prev[l] = NO_LEAF;
    return l;
  }

  /** Gives back an empty leaf's number. */
  release(l: number): void {
    assert(this.len[l] === 0, 'a leaf released with entries');
    this.free.push(l);
  }

  /** The score page holding leaf `l` (its entries from baseOf(l)). */
  scoresOf(l: number): Float64Array {
    return this.scores[pageOf(l)]!;
  }

  /** The member page holding leaf `l` (its entries from baseOf(l)). */
  membersOf(l: number): string[] {
    return this.members[pageOf(l)]!;
  }

  scoreAt(l: number, i: number): number {
    return this.scoresOf(l)[baseOf(l) + i]!;
  }

  memberAt(l: number, i: number): string {
    return this.membersOf(l)[baseOf(l) + i]!;
  }

  /** Room for leaf `l`: its page, grown or added, and its entries in len, next and prev. */
  private reserve(l: number): void {
    if (l >= this.len.length) {
      const n = Math.max(l + 1, this.len.length * 2);
      this.len = grown(this.len, n);
      this.next = grown(this.next, n);
      this.prev = grown(this.prev, n);
    }
    const p = pageOf(l);
    const slots = baseOf(l) + LEAF_SLOTS;
    const have = p < this.scores.length ? this.scores[p]!.length : 0;
    if (slots <= have) return;
    // Only the first page grows; the others are whole from the start.
    const size = p === 0 ? Math.min(PAGE_LEAVES << SLOT_BITS, Math.max(slots, have * 2, FIRST_LEAVES << SLOT_BITS)) : PAGE_LEAVES << SLOT_BITS;
    const s = new Float64Array(size);
    if (have > 0) s.set(this.scores[p]!);
    this.scores[p] = s;
    this.members[p] = memberPage(size, have > 0 ? this.members[p] : undefined);
  }
}

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
