// The set value (member-set.ts) against a JS Set as the model (compacting at once and step by
// step), its live iterators, and the
// random slot picks (commands/random.ts) that SPOP, SRANDMEMBER, HRANDFIELD and RANDOMKEY use:
// only live elements, distinct when asked, uniform, and a bounded number of tries per pick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemberSet } from '../../src/cache/machine/member-set.js';
import { Dict } from '../../src/cache/machine/dict.js';
import { randomSlots, type Slotted } from '../../src/cache/commands/random.js';

type Op = { op: 'add'; m: string } | { op: 'delete'; m: string };

// Few distinct members make re-adds after removals, and runs of removals that compact, common.
const member = fc.integer({ min: 0, max: 120 }).map((i) => `m${i}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), m: member }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), m: member }) },
);

function apply(s: MemberSet, model: Set<string>, o: Op): void {
  if (o.op === 'add') assert.equal(s.add(o.m), !model.has(o.m));
  else assert.equal(s.delete(o.m), model.has(o.m));
  if (o.op === 'add') model.add(o.m);
  else model.delete(o.m);
}

/** mulberry32: a seeded source, so that the statistical checks below give the same draws every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sets packed while small (by default: these tests' 121 members stay packed), packed up to 8
 * members then a table, and tables from the first member compacted at once (small ones, by
 * default) and step by step (every set).
 */
const compaction = [
  { name: 'packed', make: (members?: Iterable<string>) => new MemberSet(7, members) },
  { name: 'packed, then a table', make: (members?: Iterable<string>) => new MemberSet(7, members, { packedMembers: 8 }) },
  { name: 'a table compacted at once', make: (members?: Iterable<string>) => new MemberSet(7, members, { packedMembers: 0 }) },
  { name: 'a table compacted step by step', make: (members?: Iterable<string>) => new MemberSet(7, members, { packedMembers: 0, instantCompactSlots: 0 }) },
];

for (const { name, make } of compaction) {
test(`behaves as a Set, insertion order included, through removals and compactions (${name})`, () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 1500 }), (ops) => {
      const s = make();
      const model = new Set<string>();
      for (const [n, o] of ops.entries()) {
        apply(s, model, o);
        assert.equal(s.size, model.size);
        assert.equal(s.has(o.m), model.has(o.m));
        if (n % 50 === 0) s.check();
      }
      s.check();
      assert.deepEqual([...s], [...model]);
      assert.deepEqual([...new MemberSet(7, s)], [...model]);
    }),
  );
});

test(`a live iterator visits every member present throughout, while members come and go (${name})`, () => {
  fc.assert(
    fc.property(fc.array(member, { maxLength: 200 }), fc.array(fc.tuple(fc.nat(5), fc.array(opArb, { maxLength: 60 })), { maxLength: 40 }), (initial, steps) => {
      const s = make(initial);
      const model = new Set(initial);
      const throughout = new Set(initial);
      const ever = new Set(initial);
      const visited: string[] = [];
      const it = s[Symbol.iterator]();
      let done = false;
      for (const [take, ops] of steps) {
        for (let i = 0; i < take && !done; i++) {
          const r = it.next();
          if (r.done === true) done = true;
          else visited.push(r.value);
        }
        for (const o of ops) {
          apply(s, model, o);
          if (o.op === 'delete') throughout.delete(o.m);
          else ever.add(o.m);
        }
      }
      for (let r = it.next(); r.done !== true; r = it.next()) visited.push(r.value);
      const seen = new Set(visited);
      for (const m of throughout) assert.ok(seen.has(m), `${m} present throughout but not visited`);
      for (const m of seen) assert.ok(ever.has(m), `${m} visited but never a member`);
    }),
  );
});
}

test('a packed set\'s live iterator visits each member once, removed ones skipped, added ones seen, through the set becoming a table', () => {
  const s = new MemberSet(7, undefined, { packedMembers: 10 });
  for (let i = 0; i < 10; i++) s.add(`m${i}`);
  const it = s[Symbol.iterator]();
  const visited = [0, 1, 2, 3].map(() => it.next().value as string);
  s.delete('m1'); // behind the walk
  s.delete('m5'); // ahead of it: never visited
  visited.push(it.next().value as string);
  s.add('n0');
  s.add('n1');
  s.add('n2'); // the 11th member, past the 10 a packed set holds here: a table from here
  assert.equal(s.packedLength, -1);
  s.delete('m7');
  for (let r = it.next(); r.done !== true; r = it.next()) visited.push(r.value);
  assert.deepEqual(visited, ['m0', 'm1', 'm2', 'm3', 'm4', 'm6', 'm8', 'm9', 'n0', 'n1', 'n2']);
  s.check();
});

test('a packed set\'s live iterator still visits the members behind the last one it visited when that one is removed and added again', () => {
  // Found by the property above: the walk went on after `m87`, re-added at the end, and missed `m0`.
  const s = new MemberSet(7, ['m87', 'm0']);
  const it = s[Symbol.iterator]();
  const visited = [it.next().value as string];
  s.delete('m87');
  s.add('m87');
  for (let r = it.next(); r.done !== true; r = it.next()) visited.push(r.value);
  assert.deepEqual(visited, ['m87', 'm0']);
});

test('a big set compacts a few members per write, its order kept, and an iterator the compaction overtakes visits each member once', () => {
  const s = new MemberSet(7);
  for (let i = 0; i < 20_000; i++) s.add(`m${i}`);
  // 10,001 holes outnumber the 9,999 members: a compaction starts, 4 members moved per write.
  for (let i = 0; i <= 10_000; i++) s.delete(`m${i}`);
  assert.equal(s.slots, 20_000);
  const it = s[Symbol.iterator]();
  const visited: string[] = [];
  for (let k = 0; k < 2_000; k++) visited.push(it.next().value as string);
  // A write per step while iterating: the compaction's read position passes the iterator's.
  let added = 0;
  for (let r = it.next(); r.done !== true; r = it.next()) {
    visited.push(r.value);
    if (added === 4_000) continue;
    s.add(`new${added++}`);
    if (added % 1000 === 0) s.check();
  }
  assert.ok(s.slots < 20_000, 'the compaction ended');
  // Each member once, in order, the ones added meanwhile included (a live iterator sees them).
  const all = [...Array.from({ length: 9_999 }, (_, i) => `m${10_001 + i}`), ...Array.from({ length: added }, (_, i) => `new${i}`)];
  assert.deepEqual(visited.slice(2_000), all.slice(2_000));
  assert.deepEqual([...s], all);
});

test('random slots are live, distinct unless a negative count asks for repeats, and all of them when count >= size', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 600 }), fc.integer({ min: -300, max: 300 }), fc.integer(), fc.constantFrom(0, 128), (ops, count, seed, tuning) => {
      const s = new MemberSet(7, undefined, { packedMembers: tuning });
      const model = new Set<string>();
      for (const o of ops) apply(s, model, o);
      const picked = randomSlots(seeded(seed), s, count).map(s.memberReader());
      for (const m of picked) assert.ok(model.has(m));
      if (model.size === 0) assert.equal(picked.length, 0);
      else if (count < 0) assert.equal(picked.length, -count);
      else {
        assert.equal(picked.length, Math.min(count, model.size));
        assert.equal(new Set(picked).size, picked.length);
      }
      if (count >= model.size) assert.deepEqual(picked, [...model]);
    }),
  );
});

test('random picks are uniform over the members, holes left by removals included', () => {
  const s = new MemberSet(7);
  for (let i = 0; i < 200; i++) s.add(`m${i}`);
  // A table past 128 members. Every third member removed: holes among the slots, fewer than the members (no compaction).
  for (let i = 0; i < 200; i += 3) s.delete(`m${i}`);
  assert.ok(s.slots > s.size);
  const random = seeded(42);
  const counts = new Map<string, number>();
  const draws = 133_000;
  const memberAt = s.memberReader();
  for (const slot of randomSlots(random, s, -draws)) counts.set(memberAt(slot), (counts.get(memberAt(slot)) ?? 0) + 1);
  assert.equal(counts.size, s.size);
  const expected = draws / s.size;
  for (const [m, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.2, `${m} drawn ${n} times, expected about ${expected}`);
});

/** Counts the slots a pick examines. */
function counting(table: Slotted): { table: Slotted; examined: () => number } {
  let n = 0;
  return {
    table: {
      get size() {
        return table.size;
      },
      get slots() {
        return table.slots;
      },
      get firstSlot() {
        return table.firstSlot;
      },
      liveAt(slot: number) {
        n++;
        return table.liveAt(slot);
      },
    },
    examined: () => n,
  };
}

test('a pick examines a few slots whatever the size: a set or hash emptied down to a fraction, a keyspace', () => {
  const s = new MemberSet(7);
  const d = new Dict<number>(7);
  for (let i = 0; i < 200_000; i++) {
    s.add(`m${i}`);
    d.set(`k${i}`, i);
  }
  // Remove from the front, as a queue of SPOPs in insertion order would: the most holes the
  // set keeps before squeezing them out; the hash is left as sparse as it gets before shrinking.
  for (let i = 0; i < 150_000; i++) {
    s.delete(`m${i}`);
    d.delete(`k${i}`);
  }
  s.check();
  // The hash is shrinking: the part of its old array not yet drained (an eighth full at most) and
  // the new one (filling up to half) both hold elements. Picks cost more meanwhile.
  assert.ok(d.resizing);
  const picks = (table: Slotted): number => {
    const c = counting(table);
    const random = seeded(7);
    for (let i = 0; i < 1000; i++) randomSlots(random, c.table, 1);
    randomSlots(random, c.table, 100);
    return c.examined() / 1100;
  };
  const during = picks(d);
  // Slots a pick draws from (from the drain's position on) per element: 5.6 here, below the 8
  // of a table an eighth full.
  const duringRatio = (d.slots - d.firstSlot) / d.size;
  assert.ok(duringRatio < 8, `${duringRatio}`);
  while (d.rehash(100_000));
  // At most 2 tries per pick on average for the set (holes never outnumber members), 8 for the
  // hash (it shrinks below an eighth full), the ratio above for the resizing hash; a little more
  // for chance.
  for (const [name, tries, bound] of [['set', picks(s), 2.5], ['hash', picks(d), 8.5], ['resizing hash', during, duringRatio * 1.15]] as const) {
    assert.ok(tries < bound, `${name}: ${tries} slots examined per pick`);
  }
});
