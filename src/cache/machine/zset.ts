// A sorted set: a hash table from member to score (dict.ts) plus an order-statistic B+tree of
// (score, member); while small, both packed in one string instead.
// Members compare byte-wise (they are latin1 strings, whose code units are the bytes).
//
// Small sorted sets (at most `entries` members of at most `value` bytes: Redis's
// zset-max-listpack-entries and zset-max-listpack-value, 128 and 64 by default) are one latin1
// string, as Redis keeps them in a listpack: the entries in order, each the member's length as one
// code unit, the member, and the score's 8 bytes (a float64, in the machine's byte order: the
// string never leaves the process, snapshots list entries) as 8 code units.
// Every operation scans it (a write builds it again). Why: the table and the tree cost a
// one-member set about 800 bytes of heap, a ten-member one about 1,580; packed, about 70 and 260
// (Redis: 122 and 250 per key, key included). The first insert past either limit makes the set
// a table and a tree for good, as in Redis; updating a member's score never converts it.
//
// Why a B+tree and not Redis's skiplist: in JS every skiplist step chases three objects (node,
// its forward array, the next node), and with 100k members the cache misses made ZADD cost
// several microseconds. Here a lookup touches ~log64(n) nodes, each searched in flat arrays.
// Leaves hold up to LEAF_SLOTS entries in slabs of scores and members (zset-leaves.ts) and are
// chained both ways for range walks; inner nodes hold their children's subtree sizes (for
// ranks) and smallest keys.
import { assert } from '../../util/assert.js';
import type { Scratch } from '../../util/scratch.js';
import { Dict } from './dict.js';
import { detached, findKey, flat } from './packed.js';
import { baseOf, LEAF_SLOTS, Leaves, NO_LEAF } from './zset-leaves.js';

export interface ZSetLimits {
  /** zset-max-listpack-entries */
  readonly entries: number;
  /** zset-max-listpack-value (bytes of a member) */
  readonly value: number;
}

export const DEFAULT_ZSET_LIMITS: ZSetLimits = { entries: 128, value: 64 };

/** Longest member a packed set holds: a length must be one latin1 code unit. */
const MAX_PACKED_LENGTH = 255;
/** A packed entry's score: a float64's 8 bytes as 8 code units. */
const SCORE_UNITS = 8;
/** A packed entry's bytes besides its member: the length unit and the score. */
const ENTRY_OVERHEAD = 1 + SCORE_UNITS;

const INNER_MAX = 64;

class Inner {
  /** Inner nodes, or leaf numbers (Leaves) one level above the leaves. */
  children: Array<Inner | number> = [];
  /** Number of entries under each child. */
  counts: number[] = [];
  /** Smallest key under each child. */
  minScores: number[] = [];
  minMembers: string[] = [];
}

/** An inner node, or a leaf's number. */
type TreeNode = Inner | number;

export interface ScoreRange {
  readonly min: number;
  readonly minExclusive: boolean;
  readonly max: number;
  readonly maxExclusive: boolean;
}

/** A lexicographic bound: `-` is below everything, `+` above everything. */
export interface LexBound {
  readonly value: string;
  readonly exclusive: boolean;
  readonly infinity: -1 | 0 | 1;
}
export interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

export interface ZEntry {
  readonly member: string;
  readonly score: number;
}

/** (s1, m1) < (s2, m2) in sorted-set order. */
function less(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

function lexAboveMin(value: string, b: LexBound): boolean {
  if (b.infinity !== 0) return b.infinity < 0;
  return b.exclusive ? value > b.value : value >= b.value;
}
function lexBelowMax(value: string, b: LexBound): boolean {
  if (b.infinity !== 0) return b.infinity > 0;
  return b.exclusive ? value < b.value : value <= b.value;
}

/** A range that holds nothing whatever the set, as Redis tests it first (sdscmplex: `-` and `+` compare below and above everything but themselves). */
function lexEmpty(r: LexRange): boolean {
  const a = r.min;
  const b = r.max;
  let cmp: number;
  if (a.infinity === 0 && b.infinity === 0) cmp = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  else if (a.infinity === b.infinity) cmp = 0;
  else cmp = a.infinity < 0 || b.infinity > 0 ? -1 : 1;
  // `-` and `+` are exclusive bounds in Redis: a range from one to itself is empty.
  return cmp > 0 || (cmp === 0 && (a.exclusive || b.exclusive || a.infinity !== 0));
}

/** A predicate over keys that is true for a prefix of the set's order. */
type Prefix = (score: number, member: string) => boolean;

// The descent path of the last insert/delete, and its length: shared scratch, one operation
// runs at a time.
const PATH: Inner[] = [];
const SLOTS: number[] = [];
let DEPTH = 0;

/** The root of every packed set (a set gets a tree of its own when it converts). */
const NO_TREE = NO_LEAF;

// A score's bytes, for packing.
const SCORE = new Float64Array(1);
const SCORE_BYTES = new Uint8Array(SCORE.buffer);

function packScore(score: number): string {
  SCORE[0] = score;
  const b = SCORE_BYTES;
  return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
}

/** The score packed at offset `o` of `p`. */
function unpackScore(p: string, o: number): number {
  const b = SCORE_BYTES;
  for (let i = 0; i < SCORE_UNITS; i++) b[i] = p.charCodeAt(o + i);
  return SCORE[0]!;
}

export class ZSet {
  /** Member to score once the set is a tree (null while packed): a Dict rather than a Map for the same cache misses as the keyspace's (dict.ts). */
  private table: Dict<number> | null = null;
  /** The entries, packed, while the set is small; null once it is a table and a tree. */
  private packed: string | null = '';
  /** Entries in `packed`. */
  private count = 0;
  private root: TreeNode = NO_TREE;
  /** The tree's leaves (null while packed). */
  private leaves: Leaves | null = null;
  /**
   * The member score() last looked up in the table, and its slot (-1: absent). ZADD asks for a
   * member's score, then sets it: add() takes the slot from here instead of hashing and probing
   * again. Any change to the table clears it (slots move only when the table changes).
   */
  private lookedUp: string | null = null;
  private lookedUpSlot = -1;

  /** `seed` seeds the member table (the keyspace's seed), should the set become one. */
  constructor(readonly seed: number) {}

  get size(): number {
    return this.packed !== null ? this.count : this.table!.size;
  }

  get encoding(): 'listpack' | 'skiplist' {
    return this.packed !== null ? 'listpack' : 'skiplist';
  }

  /** Characters of the packed encoding, or -1 (memory.ts). */
  get packedLength(): number {
    return this.packed === null ? -1 : this.packed.length;
  }

  /** The member table of a set that is a tree, else null (ZSCAN walks it). */
  get dict(): Dict<number> | null {
    return this.table;
  }

  /** Reads ahead the table slots of `members` (Dict.warm); a packed set is one string. */
  warm(members: Scratch<string>): void {
    this.table?.warm(members);
  }

  score(member: string): number | undefined {
    const p = this.packed;
    if (p === null) {
      const table = this.table!;
      const slot = table.find(member);
      this.lookedUp = member;
      this.lookedUpSlot = slot;
      return slot < 0 ? undefined : table.valueAt(slot);
    }
    const o = findKey(p, member, SCORE_UNITS);
    return o < 0 ? undefined : unpackScore(p, o + 1 + member.length);
  }

  get(member: string): number | undefined {
    return this.score(member);
  }

  has(member: string): boolean {
    return this.score(member) !== undefined;
  }

  /** Sets `member` to `score`; true when the member is new. A new member past `limits` makes a packed set a tree. */
  add(member: string, score: number, limits: ZSetLimits = DEFAULT_ZSET_LIMITS): boolean {
    assert(!Number.isNaN(score), 'NaN score');
    // -0 is kept as 0, as Redis's small (listpack) sorted sets store it: ZSCORE then says "0".
    if (score === 0) score = 0;
    const p = this.packed;
    if (p !== null) {
      const o = findKey(p, member, SCORE_UNITS);
      if (o >= 0) {
        if (unpackScore(p, o + 1 + member.length) === score) return false;
        this.packed = flat(insertPacked(p.slice(0, o) + p.slice(o + ENTRY_OVERHEAD + member.length), member, score));
        return false;
      }
      if (this.count < limits.entries && member.length <= Math.min(limits.value, MAX_PACKED_LENGTH)) {
        this.packed = flat(insertPacked(p, member, score));
        this.count++;
        return true;
      }
      this.toTree();
    }
    const table = this.table!;
    const slot = member === this.lookedUp ? this.lookedUpSlot : table.find(member);
    if (slot < 0) {
      this.lookedUp = null;
      table.set(member, score);
      this.insert(score, member);
      return true;
    }
    const old = table.valueAt(slot);
    if (old === score) return false;
    // The tree gets the table's own string for the member, not the caller's equal copy: one
    // string per member, and a fresh string from the socket is not kept alive (and promoted by
    // the GC) on every score update.
    const canonical = table.keyAt(slot);
    table.setValueAt(slot, score);
    this.move(old, score, canonical);
    return false;
  }

  remove(member: string): boolean {
    const p = this.packed;
    if (p !== null) {
      const o = findKey(p, member, SCORE_UNITS);
      if (o < 0) return false;
      this.packed = flat(p.slice(0, o) + p.slice(o + ENTRY_OVERHEAD + member.length));
      this.count--;
      return true;
    }
    const table = this.table!;
    const old = table.get(member);
    if (old === undefined) return false;
    this.unlink(old, member);
    this.lookedUp = null;
    table.delete(member);
    return true;
  }

  /** Makes a packed set a table and a tree, for good. */
  private toTree(): void {
    const entries = this.packedEntries();
    this.packed = null;
    this.count = 0;
    const table = new Dict<number>(this.seed);
    this.table = table;
    this.leaves = new Leaves();
    this.root = this.leaves.alloc();
    for (const e of entries) {
      const m = detached(e.member);
      table.set(m, e.score);
      this.insert(e.score, m);
    }
  }

  /** The packed entries, in order. */
  private packedEntries(): ZEntry[] {
    const p = this.packed!;
    const out = new Array<ZEntry>(this.count);
    for (let o = 0, i = 0; o < p.length; i++) {
      const n = p.charCodeAt(o);
      out[i] = { member: p.slice(o + 1, o + 1 + n), score: unpackScore(p, o + 1 + n) };
      o += ENTRY_OVERHEAD + n;
    }
    return out;
  }

  /** [member, score] of every member: a tree's in its table's order (a live walk), a packed set's in order. */
  *[Symbol.iterator](): Generator<[string, number], void, undefined> {
    if (this.table !== null) {
      yield* this.table.entries();
      return;
    }
    for (const e of this.packedEntries()) yield [e.member, e.score];
  }

  /** 0-based rank of `member` in ascending order, or -1. */
  rank(member: string): number {
    const p = this.packed;
    if (p !== null) {
      for (let o = 0, i = 0; o < p.length; i++) {
        const n = p.charCodeAt(o);
        if (n === member.length && p.startsWith(member, o + 1)) return i;
        o += ENTRY_OVERHEAD + n;
      }
      return -1;
    }
    const score = this.table!.get(member);
    if (score === undefined) return -1;
    let node = this.root;
    let rank = 0;
    while (typeof node !== 'number') {
      const j = childFor(node, score, member);
      for (let k = 0; k < j; k++) rank += node.counts[k]!;
      node = node.children[j]!;
    }
    const i = this.entryIndex(node, score, member);
    return rank + i;
  }

  /** Up to `count` entries from ascending rank `start`, ascending or (reverse) descending from it. */
  fromRank(start: number, count: number, reverse: boolean): ZEntry[] {
    const out: ZEntry[] = [];
    if (start < 0 || start >= this.size || count <= 0) return out;
    const p = this.packed;
    if (p !== null) {
      // Offsets first (lengths only), then just the entries asked for.
      const offsets: number[] = [];
      for (let o = 0; o < p.length; o += ENTRY_OVERHEAD + p.charCodeAt(o)) offsets.push(o);
      for (let i = start; out.length < count && i >= 0 && i < offsets.length; i += reverse ? -1 : 1) {
        const o = offsets[i]!;
        const n = p.charCodeAt(o);
        out.push({ member: p.slice(o + 1, o + 1 + n), score: unpackScore(p, o + 1 + n) });
      }
      return out;
    }
    const lv = this.leaves!;
    let [leaf, i] = this.locate(start);
    while (out.length < count) {
      out.push({ member: lv.memberAt(leaf, i), score: lv.scoreAt(leaf, i) });
      if (reverse) {
        if (--i < 0) {
          leaf = lv.prev[leaf]!;
          if (leaf === NO_LEAF) break;
          i = lv.len[leaf]! - 1;
        }
      } else if (++i >= lv.len[leaf]!) {
        leaf = lv.next[leaf]!;
        if (leaf === NO_LEAF) break;
        i = 0;
      }
    }
    return out;
  }

  /** Calls `each` for the entries with scores in `r`, ascending, until it returns false; builds no entries (GEOSEARCH's scans). */
  forEachByScore(r: ScoreRange, each: (member: string, score: number) => boolean): void {
    const b = this.scoreBounds(r);
    if (b === null) return;
    if (this.packed !== null) {
      for (const e of this.walk(b, false, 0, -1)) if (!each(e.member, e.score)) return;
      return;
    }
    const lv = this.leaves!;
    let [leaf, i] = this.locate(b[0]);
    for (let n = b[1] - b[0]; n > 0; n--) {
      if (!each(lv.memberAt(leaf, i), lv.scoreAt(leaf, i))) return;
      if (++i >= lv.len[leaf]!) {
        leaf = lv.next[leaf]!;
        if (leaf === NO_LEAF) return;
        i = 0;
      }
    }
  }

  /** Entries with scores in `r`, skipping `offset`, at most `limit` (negative: all). */
  byScore(r: ScoreRange, reverse: boolean, offset = 0, limit = -1): ZEntry[] {
    const b = this.scoreBounds(r);
    return b === null ? [] : this.walk(b, reverse, offset, limit);
  }

  byLex(r: LexRange, reverse: boolean, offset = 0, limit = -1): ZEntry[] {
    if (this.packed !== null) return this.packedByLex(r, reverse, offset, limit);
    const b = this.lexBounds(r);
    return b === null ? [] : this.walk(b, reverse, offset, limit);
  }

  countByScore(r: ScoreRange): number {
    const b = this.scoreBounds(r);
    return b === null ? 0 : b[1] - b[0];
  }

  countByLex(r: LexRange): number {
    if (this.packed !== null) return this.packedByLex(r, false, 0, -1).length;
    const b = this.lexBounds(r);
    return b === null ? 0 : b[1] - b[0];
  }

  /** All entries in ascending order. */
  entries(): ZEntry[] {
    return this.fromRank(0, this.size, false);
  }

  /** [first rank, end rank) of a range, or null when empty. */
  private walk(b: [number, number], reverse: boolean, offset: number, limit: number): ZEntry[] {
    const total = b[1] - b[0];
    if (offset >= total) return [];
    const n = limit < 0 ? total - offset : Math.min(limit, total - offset);
    return reverse ? this.fromRank(b[1] - 1 - offset, n, true) : this.fromRank(b[0] + offset, n, false);
  }

  private scoreBounds(r: ScoreRange): [number, number] | null {
    if (r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive))) return null;
    const start = this.countPrefix((s) => (r.minExclusive ? s <= r.min : s < r.min), false);
    const end = this.countPrefix((s) => (r.maxExclusive ? s < r.max : s <= r.max), false);
    return end > start ? [start, end] : null;
  }

  /**
   * A lexicographic range of a packed set, walked as Redis walks a listpack: from the first
   * member at or above min (reversed: the last at or below max), if it is in the range, skipping
   * `offset` entries, then while members stay at or below max (at or above min). With one score
   * throughout that is the range. With different scores, where Redis leaves the answer undefined,
   * it is still the answer Redis gives for a set this small.
   */
  private packedByLex(r: LexRange, reverse: boolean, offset: number, limit: number): ZEntry[] {
    const all = this.packedEntries();
    const n = all.length;
    const out: ZEntry[] = [];
    if (n === 0 || lexEmpty(r) || !lexAboveMin(all[n - 1]!.member, r.min) || !lexBelowMax(all[0]!.member, r.max)) return out;
    let i: number;
    if (reverse) {
      for (i = n - 1; i >= 0 && !lexBelowMax(all[i]!.member, r.max); i--);
      if (i < 0 || !lexAboveMin(all[i]!.member, r.min)) return out;
      i -= offset;
    } else {
      for (i = 0; i < n && !lexAboveMin(all[i]!.member, r.min); i++);
      if (i === n || !lexBelowMax(all[i]!.member, r.max)) return out;
      i += offset;
    }
    for (; i >= 0 && i < n && out.length !== limit; i += reverse ? -1 : 1) {
      const e = all[i]!;
      if (reverse ? !lexAboveMin(e.member, r.min) : !lexBelowMax(e.member, r.max)) break;
      out.push(e);
    }
    return out;
  }

  /** [first rank, end rank) of a lexicographic range of a tree, by two searches down it. */
  private lexBounds(r: LexRange): [number, number] | null {
    const start = this.countPrefix((_s, m) => !lexAboveMin(m, r.min), true);
    const end = this.countPrefix((_s, m) => lexBelowMax(m, r.max), true);
    return end > start ? [start, end] : null;
  }

  /** How many entries, in order, satisfy a prefix predicate. */
  private countPrefix(p: Prefix, readsMember: boolean): number {
    const packed = this.packed;
    if (packed !== null) {
      // Scores decoded in place; a member is cut out only for a predicate that reads it.
      let n = 0;
      for (let o = 0; o < packed.length; n++) {
        const len = packed.charCodeAt(o);
        if (!p(unpackScore(packed, o + 1 + len), readsMember ? packed.slice(o + 1, o + 1 + len) : '')) break;
        o += ENTRY_OVERHEAD + len;
      }
      return n;
    }
    let node = this.root;
    let acc = 0;
    while (typeof node !== 'number') {
      // The last child whose smallest key still satisfies p holds the boundary.
      let lo = 0;
      let hi = node.children.length - 1;
      if (!p(node.minScores[0]!, node.minMembers[0]!)) return acc;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (p(node.minScores[mid]!, node.minMembers[mid]!)) lo = mid;
        else hi = mid - 1;
      }
      for (let k = 0; k < lo; k++) acc += node.counts[k]!;
      node = node.children[lo]!;
    }
    const lv = this.leaves!;
    let lo = 0;
    let hi = lv.len[node]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p(lv.scoreAt(node, mid), lv.memberAt(node, mid))) lo = mid + 1;
      else hi = mid;
    }
    return acc + lo;
  }

  /** The leaf and index of the entry at `rank`. */
  private locate(rank: number): [number, number] {
    let node = this.root;
    while (typeof node !== 'number') {
      let j = 0;
      while (rank >= node.counts[j]!) rank -= node.counts[j++]!;
      node = node.children[j]!;
    }
    return [node, rank];
  }

  /** Descends to the leaf for a key, recording the path in PATH/SLOTS and its length in DEPTH. */
  private descend(score: number, member: string): number {
    let node = this.root;
    let depth = 0;
    while (typeof node !== 'number') {
      const j = childFor(node, score, member);
      PATH[depth] = node;
      SLOTS[depth] = j;
      depth++;
      node = node.children[j]!;
    }
    DEPTH = depth;
    return node;
  }

  private insert(score: number, member: string): void {
    assert(this.root !== NO_TREE, 'tree insert into a packed sorted set');
    const lv = this.leaves!;
    let leaf = this.descend(score, member);
    // A full leaf splits first, and the key goes into whichever half holds its place.
    if (lv.len[leaf] === LEAF_SLOTS) {
      this.splitLeaf(leaf, DEPTH);
      leaf = this.descend(score, member);
    }
    const depth = DEPTH;
    const s = lv.scoresOf(leaf);
    const m = lv.membersOf(leaf);
    const b = baseOf(leaf);
    const n = lv.len[leaf]!;
    const i = leafIndex(s, m, b, n, score, member);
    for (let k = b + n; k > b + i; k--) {
      s[k] = s[k - 1]!;
      m[k] = m[k - 1]!;
    }
    s[b + i] = score;
    m[b + i] = member;
    lv.len[leaf] = n + 1;
    for (let d = 0; d < depth; d++) PATH[d]!.counts[SLOTS[d]!]!++;
    if (i === 0) this.refreshMin(depth);
  }

  private unlink(score: number, member: string): void {
    const leaf = this.descend(score, member);
    this.removeFrom(leaf, DEPTH, this.entryIndex(leaf, score, member));
  }

  /**
   * Gives `member` the score `score` instead of `old`. When the new key falls strictly between
   * the leaf's other keys, it stays in its leaf: one descent, no subtree count changes (the
   * ZINCRBY of a leaderboard mostly moves a member among its neighbours; Redis's
   * zslUpdateScore keeps a node in place the same way). Otherwise out, and in again from the root.
   */
  private move(old: number, score: number, member: string): void {
    const leaf = this.descend(old, member);
    const depth = DEPTH;
    const i = this.entryIndex(leaf, old, member);
    const lv = this.leaves!;
    const s = lv.scoresOf(leaf);
    const m = lv.membersOf(leaf);
    const b = baseOf(leaf);
    const n = lv.len[leaf]!;
    if (n >= 3) {
      const lo = b + (i === 0 ? 1 : 0);
      const hi = b + (i === n - 1 ? n - 2 : n - 1);
      if (less(s[lo]!, m[lo]!, score, member) && less(score, member, s[hi]!, m[hi]!)) {
        // Out of slot i and into slot j of the same leaf: one shift over the slots between.
        let j = leafIndex(s, m, b, n, score, member);
        if (j > i) {
          j--;
          for (let k = b + i; k < b + j; k++) {
            s[k] = s[k + 1]!;
            m[k] = m[k + 1]!;
          }
        } else {
          for (let k = b + i; k > b + j; k--) {
            s[k] = s[k - 1]!;
            m[k] = m[k - 1]!;
          }
        }
        s[b + j] = score;
        m[b + j] = member;
        // The new key is above the leaf's other smallest: only the old key's leaving moves the minimum.
        if (i === 0) this.refreshMin(depth);
        return;
      }
    }
    this.removeFrom(leaf, depth, i);
    this.insert(score, member);
  }

  /** Where the entry (score, member) is in `leaf`, which must hold it. */
  private entryIndex(leaf: number, score: number, member: string): number {
    const lv = this.leaves!;
    const s = lv.scoresOf(leaf);
    const m = lv.membersOf(leaf);
    const b = baseOf(leaf);
    const i = leafIndex(s, m, b, lv.len[leaf]!, score, member);
    assert(m[b + i] === member && s[b + i] === score && i < lv.len[leaf]!, 'zset entry missing from the tree');
    return i;
  }

  /** Removes entry `i` of `leaf`, at the end of the path `descend` recorded. */
  private removeFrom(leaf: number, depth: number, i: number): void {
    const lv = this.leaves!;
    const s = lv.scoresOf(leaf);
    const m = lv.membersOf(leaf);
    const b = baseOf(leaf);
    const last = b + lv.len[leaf]! - 1;
    for (let k = b + i; k < last; k++) {
      s[k] = s[k + 1]!;
      m[k] = m[k + 1]!;
    }
    // The slot let go of its string, which may be the member's last reference.
    m[last] = '';
    lv.len[leaf]!--;
    for (let d = 0; d < depth; d++) PATH[d]!.counts[SLOTS[d]!]!--;
    if (lv.len[leaf] === 0 && depth > 0) this.dropChild(depth);
    else if (i === 0) this.refreshMin(depth);
  }

  /** After the smallest key under PATH[depth-1]'s slot changed: update separators upwards. */
  private refreshMin(depth: number): void {
    const lv = this.leaves!;
    for (let d = depth - 1; d >= 0; d--) {
      const parent = PATH[d]!;
      const slot = SLOTS[d]!;
      const child = parent.children[slot]!;
      if (typeof child === 'number') {
        parent.minScores[slot] = lv.scoreAt(child, 0);
        parent.minMembers[slot] = lv.memberAt(child, 0);
      } else {
        parent.minScores[slot] = child.minScores[0]!;
        parent.minMembers[slot] = child.minMembers[0]!;
      }
      if (slot !== 0) return;
    }
  }

  /** Removes the now-empty child at the end of the path, and any ancestors left empty. */
  private dropChild(depth: number): void {
    const lv = this.leaves!;
    for (let d = depth - 1; d >= 0; d--) {
      const parent = PATH[d]!;
      const slot = SLOTS[d]!;
      const child = parent.children[slot]!;
      if (typeof child === 'number') {
        const prev = lv.prev[child]!;
        const next = lv.next[child]!;
        if (prev !== NO_LEAF) lv.next[prev] = next;
        if (next !== NO_LEAF) lv.prev[next] = prev;
        lv.release(child);
      }
      parent.children.splice(slot, 1);
      parent.counts.splice(slot, 1);
      parent.minScores.splice(slot, 1);
      parent.minMembers.splice(slot, 1);
      if (parent.children.length > 0) {
        if (slot === 0) this.refreshMin(d);
        break;
      }
    }
    // A root with a single child is replaced by that child.
    while (typeof this.root !== 'number' && this.root.children.length === 1) this.root = this.root.children[0]!;
    if (typeof this.root !== 'number' && this.root.children.length === 0) {
      this.root = lv.alloc();
    }
  }

  private splitLeaf(leaf: number, depth: number): void {
    const lv = this.leaves!;
    // Allocated first: growing the slabs replaces the first page.
    const right = lv.alloc();
    const n = lv.len[leaf]!;
    const half = n >> 1;
    const ls = lv.scoresOf(leaf);
    const lm = lv.membersOf(leaf);
    const lb = baseOf(leaf);
    const rs = lv.scoresOf(right);
    const rm = lv.membersOf(right);
    const rb = baseOf(right);
    for (let k = half; k < n; k++) {
      rs[rb + k - half] = ls[lb + k]!;
      rm[rb + k - half] = lm[lb + k]!;
      lm[lb + k] = '';
    }
    lv.len[leaf] = half;
    lv.len[right] = n - half;
    const next = lv.next[leaf]!;
    lv.next[right] = next;
    lv.prev[right] = leaf;
    if (next !== NO_LEAF) lv.prev[next] = right;
    lv.next[leaf] = right;
    this.attach(leaf, right, n - half, rs[rb]!, rm[rb]!, depth);
  }

  /** The smallest key under `node`. */
  private minOf(node: TreeNode): [number, string] {
    if (typeof node !== 'number') return [node.minScores[0]!, node.minMembers[0]!];
    return [this.leaves!.scoreAt(node, 0), this.leaves!.memberAt(node, 0)];
  }

  /** Puts `right` (split from `left`) next to it in the parent, splitting upwards as needed. */
  private attach(left: TreeNode, right: TreeNode, rightCount: number, minScore: number, minMember: string, depth: number): void {
    if (depth === 0) {
      const root = new Inner();
      // Counted, not taken from the set's size: a split comes before the insert that caused it,
      // when the member table already holds the new member.
      const leftCount = typeof left === 'number' ? this.leaves!.len[left]! : left.counts.reduce((x, y) => x + y, 0);
      root.children = [left, right];
      root.counts = [leftCount, rightCount];
      const [ls, lm] = this.minOf(left);
      root.minScores = [ls, minScore];
      root.minMembers = [lm, minMember];
      this.root = root;
      return;
    }
    const parent = PATH[depth - 1]!;
    const slot = SLOTS[depth - 1]!;
    parent.counts[slot]! -= rightCount;
    parent.children.splice(slot + 1, 0, right);
    parent.counts.splice(slot + 1, 0, rightCount);
    parent.minScores.splice(slot + 1, 0, minScore);
    parent.minMembers.splice(slot + 1, 0, minMember);
    if (parent.children.length <= INNER_MAX) return;
    const half = parent.children.length >> 1;
    const sibling = new Inner();
    sibling.children = parent.children.splice(half);
    sibling.counts = parent.counts.splice(half);
    sibling.minScores = parent.minScores.splice(half);
    sibling.minMembers = parent.minMembers.splice(half);
    let moved = 0;
    for (const c of sibling.counts) moved += c;
    this.attach(parent, sibling, moved, sibling.minScores[0]!, sibling.minMembers[0]!, depth - 1);
  }
}

/** `p` with the entry (score, member) inserted in order. */
function insertPacked(p: string, member: string, score: number): string {
  let o = 0;
  while (o < p.length) {
    const n = p.charCodeAt(o);
    const s = unpackScore(p, o + 1 + n);
    // Members are compared only between equal scores (a slice each).
    if (s > score || (s === score && p.slice(o + 1, o + 1 + n) > member)) break;
    o += ENTRY_OVERHEAD + n;
  }
  return p.slice(0, o) + String.fromCharCode(member.length) + member + packScore(score) + p.slice(o);
}

// The searches below scan a node's scores linearly: the scan's branch is predictable and its
// loads run ahead, where a binary search mispredicts half its branches and waits on each load in
// turn (ZSet.add on 100,000 members, as redis-benchmark's ZADD: 3-5% faster; on 2,000, whose
// nodes stay cached, 12%). Members are compared only within a run of equal scores: a short run
// is scanned, a run that reaches the node's end, which may be the whole node (a lexicographic
// index, every score 0), is binary-searched.

/** Index of the child of `node` whose range holds the key: the last with min <= key. */
function childFor(node: Inner, score: number, member: string): number {
  const s = node.minScores;
  const n = s.length;
  let i = 1;
  while (i < n && s[i]! < score) i++;
  if (i === n || s[i] !== score) return i - 1;
  // Children from i on start at the score: the key's is the one before the first above the key.
  const m = node.minMembers;
  if (s[n - 1] === score) return firstAbove(m, i, n, member) - 1;
  while (s[i] === score && !(member < m[i]!)) i++;
  return i - 1;
}

/** First index of a leaf (its `n` entries from slot `b` of the pages `s` and `m`) whose key is not below (score, member). */
function leafIndex(s: Float64Array, m: readonly string[], b: number, n: number, score: number, member: string): number {
  const end = b + n;
  let i = b;
  while (i < end && s[i]! < score) i++;
  if (i === end || s[i] !== score) return i - b;
  if (s[end - 1] === score) return firstNotBelow(m, i, end, member) - b;
  while (s[i] === score && m[i]! < member) i++;
  return i - b;
}

/** First index in [lo, hi) of ascending `m` whose member is above `member`, or hi. */
function firstAbove(m: readonly string[], lo: number, hi: number, member: string): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (member < m[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index in [lo, hi) of ascending `m` whose member is not below `member`, or hi. */
function firstNotBelow(m: readonly string[], lo: number, hi: number, member: string): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (m[mid]! < member) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
