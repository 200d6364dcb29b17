// A sorted set: a Map from member to score plus a skiplist ordered by (score, member), with
// spans on every link so that ranks are O(log n) (Redis's zskiplist, t_zset.c). Members compare
// byte-wise: they are latin1 strings, whose code units are the bytes.
//
// Levels come from a seeded xorshift generator, not Math.random: the structure of the list
// does not affect results, but the machine stays deterministic and free of ambient randomness.
import { assert } from '../../util/assert.js';

const MAX_LEVEL = 32;

class Node {
  backward: Node | null = null;
  readonly forward: Array<Node | null>;
  readonly span: number[];
  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    this.forward = new Array<Node | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

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

function before(node: Node, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

function lexAboveMin(value: string, b: LexBound): boolean {
  if (b.infinity !== 0) return b.infinity < 0;
  return b.exclusive ? value > b.value : value >= b.value;
}
function lexBelowMax(value: string, b: LexBound): boolean {
  if (b.infinity !== 0) return b.infinity > 0;
  return b.exclusive ? value < b.value : value <= b.value;
}
function scoreAboveMin(score: number, r: ScoreRange): boolean {
  return r.minExclusive ? score > r.min : score >= r.min;
}
function scoreBelowMax(score: number, r: ScoreRange): boolean {
  return r.maxExclusive ? score < r.max : score <= r.max;
}

export class ZSet {
  readonly dict = new Map<string, number>();
  private readonly head = new Node('', 0, MAX_LEVEL);
  private tail: Node | null = null;
  private level = 1;
  /** Nodes in the skiplist; differs from dict.size while a member is being re-inserted. */
  private length = 0;
  private seed = 0x9e3779b9;

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Sets `member` to `score`; true when the member is new. */
  add(member: string, score: number): boolean {
    assert(!Number.isNaN(score), 'NaN score');
    const old = this.dict.get(member);
    if (old === undefined) {
      this.insert(member, score);
      this.dict.set(member, score);
      return true;
    }
    if (old !== score) {
      this.unlink(member, old);
      this.insert(member, score);
      this.dict.set(member, score);
    }
    return false;
  }

  remove(member: string): boolean {
    const old = this.dict.get(member);
    if (old === undefined) return false;
    this.unlink(member, old);
    this.dict.delete(member);
    return true;
  }

  /** 0-based rank of `member` in ascending order, or -1. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f !== null && (before(f, score, member) || f.member === member); f = x.forward[i]) {
        rank += x.span[i]!;
        x = f;
      }
      if (x !== this.head && x.member === member) return rank - 1;
    }
    return -1;
  }

  /** Up to `count` entries from ascending rank `start`, ascending or (reverse) descending from it. */
  fromRank(start: number, count: number, reverse: boolean): ZEntry[] {
    const out: ZEntry[] = [];
    if (start < 0 || start >= this.size || count <= 0) return out;
    let node: Node | null = this.nodeAt(start);
    while (node !== null && out.length < count) {
      out.push({ member: node.member, score: node.score });
      node = reverse ? node.backward : node.forward[0]!;
    }
    return out;
  }

  /** Entries with scores in `r`, skipping `offset`, at most `limit` (negative: all). */
  byScore(r: ScoreRange, reverse: boolean, offset = 0, limit = -1): ZEntry[] {
    const bounds = this.scoreBounds(r);
    return bounds === null ? [] : this.walk(bounds, reverse, offset, limit);
  }

  byLex(r: LexRange, reverse: boolean, offset = 0, limit = -1): ZEntry[] {
    const bounds = this.lexBounds(r);
    return bounds === null ? [] : this.walk(bounds, reverse, offset, limit);
  }

  countByScore(r: ScoreRange): number {
    const b = this.scoreBounds(r);
    return b === null ? 0 : b.lastRank - b.firstRank + 1;
  }

  countByLex(r: LexRange): number {
    const b = this.lexBounds(r);
    return b === null ? 0 : b.lastRank - b.firstRank + 1;
  }

  /** All entries in ascending order. */
  entries(): ZEntry[] {
    return this.fromRank(0, this.size, false);
  }

  private walk(b: Bounds, reverse: boolean, offset: number, limit: number): ZEntry[] {
    const out: ZEntry[] = [];
    const total = b.lastRank - b.firstRank + 1;
    if (offset >= total) return out;
    const n = limit < 0 ? total - offset : Math.min(limit, total - offset);
    let node: Node | null = reverse ? this.nodeAt(b.lastRank - offset) : this.nodeAt(b.firstRank + offset);
    for (let i = 0; i < n && node !== null; i++) {
      out.push({ member: node.member, score: node.score });
      node = reverse ? node.backward : node.forward[0]!;
    }
    return out;
  }

  private scoreBounds(r: ScoreRange): Bounds | null {
    if (r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive))) return null;
    return this.bounds(
      (n) => !scoreAboveMin(n.score, r),
      (n) => scoreBelowMax(n.score, r),
    );
  }

  private lexBounds(r: LexRange): Bounds | null {
    return this.bounds(
      (n) => !lexAboveMin(n.member, r.min),
      (n) => lexBelowMax(n.member, r.max),
    );
  }

  /** Ranks of the first and last nodes of a range given as "below the start" and "not past the end". */
  private bounds(belowStart: (n: Node) => boolean, notPastEnd: (n: Node) => boolean): Bounds | null {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f !== null && belowStart(f); f = x.forward[i]) {
        rank += x.span[i]!;
        x = f;
      }
    }
    const first = x.forward[0];
    if (first === null || !notPastEnd(first)) return null;
    const firstRank = rank;
    x = this.head;
    rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f !== null && notPastEnd(f); f = x.forward[i]) {
        rank += x.span[i]!;
        x = f;
      }
    }
    const lastRank = rank - 1;
    return lastRank < firstRank ? null : { firstRank, lastRank };
  }

  private nodeAt(rank: number): Node {
    let x = this.head;
    let traversed = 0;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && traversed + x.span[i]! <= target) {
        traversed += x.span[i]!;
        x = x.forward[i]!;
      }
      if (traversed === target) return x;
    }
    assert(false, `zset rank ${rank} not found`);
  }

  private randomLevel(): number {
    let level = 1;
    for (;;) {
      let s = this.seed;
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      this.seed = s >>> 0;
      if ((this.seed & 3) !== 0 || level >= MAX_LEVEL) return level;
      level++;
    }
  }

  private insert(member: string, score: number): void {
    const update = new Array<Node>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      for (let f = x.forward[i]; f !== null && before(f, score, member); f = x.forward[i]) {
        rank[i]! += x.span[i]!;
        x = f;
      }
      update[i] = x;
    }
    const level = this.randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new Node(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.forward[i] = u.forward[i]!;
      u.forward[i] = node;
      node.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.head ? null : update[0]!;
    if (node.forward[0] !== null) node.forward[0].backward = node;
    else this.tail = node;
    this.length++;
  }

  private unlink(member: string, score: number): void {
    const update = new Array<Node>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f !== null && before(f, score, member); f = x.forward[i]) x = f;
      update[i] = x;
    }
    const node = x.forward[0];
    assert(node !== null && node.member === member && node.score === score, 'zset node missing');
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.forward[i] === node) {
        u.span[i]! += node.span[i]! - 1;
        u.forward[i] = node.forward[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (node.forward[0] !== null) node.forward[0].backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.head.forward[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** Highest-scored entry, for ZPOPMAX without a rank walk. */
  last(): ZEntry | undefined {
    return this.tail === null ? undefined : { member: this.tail.member, score: this.tail.score };
  }
}

interface Bounds {
  readonly firstRank: number;
  readonly lastRank: number;
}
