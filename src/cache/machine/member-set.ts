// A set value: distinct members in insertion order, with O(1) random access.
//
// Small sets (at most PACKED_MEMBERS members of at most PACKED_MEMBER_BYTES bytes: the defaults
// of Redis 7.2's set-max-listpack-entries and -value) are one latin1 string, as Redis 7.2 keeps
// them in a listpack: per member, its length as one code unit, then the member. A lookup scans it;
// an add appends, a removal cuts its entry out (order kept). Why: the table below cost a
// one-member set about 700 bytes of heap; packed, about 100 (Redis 7.0, which has no small
// encoding for sets of strings, 234 per key, key included). The first add past either limit makes
// the set a table for good.
//
// Past that, a table (MemberTable). Why not a JS Set: SPOP and SRANDMEMBER need a member at a random position, which a Set
// only reaches by walking to it (O(n): about 10 ms per SPOP on a 600,000-member set). Here
// members sit in an array in insertion order and a Dict gives each one's position, so a random
// slot is one array read (a Dict rather than a Map: V8's Map holds at most 2^24 entries and
// grows by rehashing all of them at once). A removal leaves a hole rather than moving the last member
// into its place, so that order and positions stay stable for iterators (SSCAN, SMEMBERS);
// holes are squeezed out (in order) once they outnumber the members, which keeps random slot
// sampling at a few tries on average. A big set squeezes them out a few members per write
// (moving a member costs an index update, a cache miss: a 4M-member set drained in order paused
// 591 ms at 2M when it compacted at once); members only move down and never past each other,
// so order holds throughout and iterators find their place from the last member they returned.
import { assert } from '../../util/assert.js';
import { Dict } from './dict.js';
import { detached, findKey, flat } from './packed.js';
import { PagedArray } from './paged-array.js';

/** Most members a packed set holds (Redis 7.2's set-max-listpack-entries). */
const PACKED_MEMBERS = 128;
/** Longest member a packed set holds (Redis 7.2's set-max-listpack-value). */
const PACKED_MEMBER_BYTES = 64;

/** Holes tolerated before a compaction regardless of size: small sets do not compact on every removal. */
const MIN_HOLES = 32;
/** Sets up to this many slots compact at once; larger ones a few members per write. */
const INSTANT_COMPACT_SLOTS = 4096;
/** Members a compaction step moves, and slots it may pass (10 per member), per add or delete. */
const STEP_MEMBERS = 4;

export interface SetTuning {
  /** Sets up to this many slots compact at once (tests lower it to compact small sets step by step). */
  readonly instantCompactSlots?: number;
  /** Most members a packed set holds (tests lower it; 0: a table from the first member). */
  readonly packedMembers?: number;
}

/** Shared by every set built without tuning (a default parameter would make an object per set). */
const DEFAULT_TUNING: SetTuning = {};

export class MemberSet implements Iterable<string> {
  /** The members, packed, while the set is small; null once it is a table. */
  private packed: string | null = '';
  /** Members in `packed`. */
  private count = 0;
  private table: MemberTable | null = null;
  /** Bumped by each removal from `packed`: live iterators find their place again. */
  private generation = 0;

  /** `seed`: the table's hash seed (see Dict), should the set become one. */
  constructor(
    readonly seed: number,
    members?: Iterable<string>,
    private readonly tuning: SetTuning = DEFAULT_TUNING,
  ) {
    if (members !== undefined) for (const m of members) this.add(m);
  }

  get size(): number {
    return this.packed !== null ? this.count : this.table!.size;
  }

  /** Characters of the packed encoding, or -1 (memory.ts). */
  get packedLength(): number {
    return this.packed === null ? -1 : this.packed.length;
  }

  /** Slots, holes included: the bound of a random slot (see `liveAt`). A packed set's slots are its positions. */
  get slots(): number {
    return this.packed !== null ? this.count : this.table!.slots;
  }

  get firstSlot(): number {
    return 0;
  }

  liveAt(slot: number): boolean {
    return this.packed !== null ? slot < this.count : this.table!.liveAt(slot);
  }

  /** The member in a slot, for picks made now: a packed set lists its members once. */
  memberReader(): (slot: number) => string {
    const t = this.table;
    if (t !== null) return (slot) => t.memberAt(slot);
    const listed = [...this];
    return (slot) => listed[slot]!;
  }

  has(member: string): boolean {
    const p = this.packed;
    return p !== null ? findKey(p, member, 0) >= 0 : this.table!.has(member);
  }

  /** True when `member` was not there. */
  add(member: string): boolean {
    const p = this.packed;
    if (p !== null) {
      if (findKey(p, member, 0) >= 0) return false;
      if (this.count < (this.tuning.packedMembers ?? PACKED_MEMBERS) && member.length <= PACKED_MEMBER_BYTES) {
        this.packed = flat(p + String.fromCharCode(member.length) + member);
        this.count++;
        return true;
      }
      this.toTable();
    }
    return this.table!.add(member);
  }

  /** True when `member` was there. */
  delete(member: string): boolean {
    const p = this.packed;
    if (p === null) return this.table!.delete(member);
    const o = findKey(p, member, 0);
    if (o < 0) return false;
    this.packed = flat(p.slice(0, o) + p.slice(o + 1 + member.length));
    this.count--;
    this.generation++;
    return true;
  }

  /** Makes a packed set a table, for good, its members in the same order. */
  private toTable(): void {
    const members = [...this];
    this.packed = null;
    this.count = 0;
    this.generation++;
    const t = new MemberTable(this.seed, this.tuning.instantCompactSlots ?? INSTANT_COMPACT_SLOTS);
    for (const m of members) t.add(detached(m));
    this.table = t;
  }

  /**
   * The members in insertion order, live: one removed before it is reached is not visited, one
   * added meanwhile is, and none twice. A removal moves the members after it, so after one (or
   * the set becoming a table) the walk starts again and skips the members it has visited (a
   * packed set holds at most PACKED_MEMBERS of them). Going on after the last member visited
   * instead missed every member behind it when that member was removed and added again (it is
   * at the end then).
   */
  *[Symbol.iterator](): Generator<string, void, undefined> {
    const visited: string[] = [];
    let skip: Set<string> | null = null;
    let generation = this.generation;
    let o = 0;
    for (;;) {
      if (this.table !== null) {
        skip = new Set(visited);
        for (const m of this.table) if (!skip.has(m)) yield m;
        return;
      }
      const p = this.packed!;
      if (generation !== this.generation) {
        generation = this.generation;
        skip = new Set(visited);
        o = 0;
      }
      if (o >= p.length) return;
      const n = p.charCodeAt(o);
      const m = p.slice(o + 1, o + 1 + n);
      o += 1 + n;
      if (skip?.has(m) === true) continue;
      visited.push(m);
      yield m;
    }
  }

  /** Internal consistency, for tests. */
  check(): void {
    const p = this.packed;
    if (p === null) return this.table!.check();
    let n = 0;
    const seen = new Set<string>();
    for (let o = 0; o < p.length; n++) {
      const len = p.charCodeAt(o);
      const m = p.slice(o + 1, o + 1 + len);
      assert(!seen.has(m), 'packed set holds %s twice', m);
      seen.add(m);
      o += 1 + len;
    }
    assert(n === this.count, 'packed set counts out of step');
  }
}

/** A set that is a table: members by slot, and a Dict from member to slot. */
class MemberTable implements Iterable<string> {
  /** Members by slot; undefined marks a hole left by a removal (or the compaction's gap). */
  private readonly slotsOf = new PagedArray<string>();
  private readonly index: Dict<number>;
  /** Holes outside the compaction's gap. */
  private holes = 0;
  /**
   * While compacting: members below `write` are in place; slots from `write` to `read` are the
   * gap (empty); from `read` on, the slots not yet looked at. -1 when not compacting.
   */
  private write = -1;
  private read = 0;
  /** Bumped whenever members move (compaction steps): live iterators find their place again. */
  private generation = 0;

  /** `seed`: the index's hash seed (see Dict). `instantCompactSlots`: see SetTuning. */
  constructor(
    seed: number,
    private readonly instantCompactSlots: number,
  ) {
    this.index = new Dict<number>(seed);
  }

  get size(): number {
    return this.index.size;
  }

  /** Slots, holes included: the bound of a random slot (see `liveAt`). */
  get slots(): number {
    return this.slotsOf.length;
  }

  liveAt(slot: number): boolean {
    return this.slotsOf.at(slot) !== undefined;
  }

  memberAt(slot: number): string {
    const m = this.slotsOf.at(slot);
    assert(m !== undefined, 'no member in this slot');
    return m;
  }

  has(member: string): boolean {
    return this.index.has(member);
  }

  /** True when `member` was not there. */
  add(member: string): boolean {
    if (this.index.has(member)) return false;
    this.index.set(member, this.slotsOf.length);
    this.slotsOf.push(member);
    if (this.write >= 0) this.compactStep(STEP_MEMBERS);
    return true;
  }

  /** True when `member` was there. */
  delete(member: string): boolean {
    const slot = this.index.get(member);
    if (slot === undefined) return false;
    this.index.delete(member);
    const s = this.slotsOf;
    if (this.write >= 0) {
      // Compacting: the hole stays (the step reaches it, or the end is cut when it is done).
      s.set(slot, undefined);
      this.holes++;
      this.compactStep(STEP_MEMBERS);
      return true;
    }
    if (slot === s.length - 1) {
      // The last slot: drop it and the holes before it instead of leaving one more.
      s.truncate(slot);
      this.cutTrailingHoles();
      return true;
    }
    s.set(slot, undefined);
    this.holes++;
    if (this.holes > MIN_HOLES && this.holes > this.index.size) {
      this.write = 0;
      this.read = 0;
      this.compactStep(s.length <= this.instantCompactSlots ? s.length : STEP_MEMBERS);
    }
    return true;
  }

  /** Drops the holes at the end of the slots (not in a compaction's gap: only outside one). */
  private cutTrailingHoles(): void {
    const s = this.slotsOf;
    let n = s.length;
    while (n > 0 && s.at(n - 1) === undefined) n--;
    this.holes -= s.length - n;
    s.truncate(n);
  }

  /**
   * Squeezes the holes out, keeping the members' order: moves up to `members` members down
   * into the gap (passing at most 10 slots per member), and ends the compaction, cutting the
   * array after the last member in place, once every slot has been looked at. A member only
   * moves to a lower slot and never past another, so order is kept throughout.
   */
  private compactStep(members: number): void {
    const s = this.slotsOf;
    let visits = members * 10;
    let w = this.write;
    let r = this.read;
    let moved = false;
    for (; r < s.length && members > 0 && visits > 0; r++, visits--) {
      const m = s.at(r);
      if (m === undefined) {
        this.holes--;
        continue;
      }
      if (r !== w) {
        s.set(w, m);
        s.set(r, undefined);
        this.index.set(m, w);
        moved = true;
        members--;
      }
      w++;
    }
    this.write = w;
    this.read = r;
    if (moved) this.generation++;
    if (r < s.length) return;
    s.truncate(w);
    // Members removed behind the compaction may have left holes at the new end.
    this.cutTrailingHoles();
    this.write = -1;
    this.read = 0;
    this.generation++;
  }

  /**
   * The members in insertion order, live: a member removed before it is reached is not visited,
   * one added meanwhile is. When members move (a compaction), the walk goes on after the slot
   * of the last member visited (members keep their order), so every member present throughout
   * is visited once; only if that member was removed meanwhile does the walk start again.
   */
  *[Symbol.iterator](): Generator<string, void, undefined> {
    let generation = this.generation;
    let last: string | undefined;
    for (let i = 0; ; i++) {
      if (generation !== this.generation) {
        generation = this.generation;
        const at = last === undefined ? undefined : this.index.get(last);
        i = at === undefined ? 0 : at + 1;
      }
      if (i >= this.slotsOf.length) return;
      const m = this.slotsOf.at(i);
      if (m === undefined) continue;
      last = m;
      yield m;
    }
  }

  /** Internal consistency, for tests. */
  check(): void {
    const s = this.slotsOf;
    let live = 0;
    for (let i = 0; i < s.length; i++) {
      const m = s.at(i);
      if (m === undefined) continue;
      live++;
      assert(this.write < 0 || i < this.write || i >= this.read, "member in the compaction's gap at %s", i);
      assert(this.index.get(m) === i, 'member in slot %s indexed elsewhere', i);
    }
    const gap = this.write < 0 ? 0 : this.read - this.write;
    assert(live === this.index.size && live + this.holes + gap === s.length, 'member set counts out of step');
    assert(this.write >= 0 || s.length === 0 || s.at(s.length - 1) !== undefined, 'member set ends in a hole');
  }
}
