// A set value: distinct members in insertion order, with O(1) random access.
//
// Why not a JS Set: SPOP and SRANDMEMBER need a member at a random position, which a Set
// only reaches by walking to it (O(n): about 10 ms per SPOP on a 600,000-member set). Here
// members sit in an array in insertion order and a Dict gives each one's position, so a random
// slot is one array read (a Dict rather than a Map: V8's Map holds at most 2^24 entries and
// grows by rehashing all of them at once). A removal leaves a hole rather than moving the last member
// into its place, so that order and positions stay stable for iterators (SSCAN, SMEMBERS);
// holes are squeezed out (in order) once they outnumber the members, which keeps random slot
// sampling at two tries or fewer on average.
import { assert } from '../../util/assert.js';
import { Dict } from './dict.js';

/** Holes tolerated before a compaction regardless of size: small sets do not compact on every removal. */
const MIN_HOLES = 32;

export class MemberSet implements Iterable<string> {
  /** Members by slot; undefined marks a hole left by a removal. */
  private slotsOf: Array<string | undefined> = [];
  private readonly index: Dict<number>;
  private holes = 0;
  /** Bumped by each compaction (slots move): live iterators find their place again. */
  private generation = 0;

  /** `seed`: the index's hash seed (see Dict). */
  constructor(
    readonly seed: number,
    members?: Iterable<string>,
  ) {
    this.index = new Dict<number>(seed);
    if (members !== undefined) for (const m of members) this.add(m);
  }

  get size(): number {
    return this.index.size;
  }

  /** Slots, holes included: the bound of a random slot (see `liveAt`). */
  get slots(): number {
    return this.slotsOf.length;
  }

  /** Slots below this hold no member (none here: holes at the front are not tracked). */
  get firstSlot(): number {
    return 0;
  }

  liveAt(slot: number): boolean {
    return this.slotsOf[slot] !== undefined;
  }

  memberAt(slot: number): string {
    const m = this.slotsOf[slot];
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
    return true;
  }

  /** True when `member` was there. */
  delete(member: string): boolean {
    const slot = this.index.get(member);
    if (slot === undefined) return false;
    this.index.delete(member);
    const s = this.slotsOf;
    if (slot === s.length - 1) {
      // The last slot: drop it and the holes before it instead of leaving one more.
      s.pop();
      while (s.length > 0 && s[s.length - 1] === undefined) {
        s.pop();
        this.holes--;
      }
      return true;
    }
    s[slot] = undefined;
    this.holes++;
    if (this.holes > MIN_HOLES && this.holes > this.index.size) this.compact();
    return true;
  }

  /** Removes the holes, keeping the members' order. */
  private compact(): void {
    const s = this.slotsOf;
    const out = new Array<string>(this.index.size);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const m = s[i];
      if (m === undefined) continue;
      out[n] = m;
      this.index.set(m, n++);
    }
    assert(n === out.length, 'member set index out of step with its slots');
    this.slotsOf = out;
    this.holes = 0;
    this.generation++;
  }

  /**
   * The members in insertion order, live: a member removed before it is reached is not visited,
   * one added meanwhile is. A compaction meanwhile moves the walk to the new slot of the last
   * member visited (slots keep their order), so every member present throughout is visited
   * once; only if that member was removed before the compaction does the walk start again.
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
      const m = this.slotsOf[i];
      if (m === undefined) continue;
      last = m;
      yield m;
    }
  }

  /** Internal consistency, for tests. */
  check(): void {
    let live = 0;
    for (let i = 0; i < this.slotsOf.length; i++) {
      const m = this.slotsOf[i];
      if (m === undefined) continue;
      live++;
      assert(this.index.get(m) === i, `member in slot ${i} indexed elsewhere`);
    }
    assert(live === this.index.size && live + this.holes === this.slotsOf.length, 'member set counts out of step');
    assert(this.slotsOf.length === 0 || this.slotsOf[this.slotsOf.length - 1] !== undefined, 'member set ends in a hole');
  }
}
