import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZSet, type ZSetLimits } from '../../src/cache/machine/zset.js';
import { Scratch } from '../../src/util/scratch.js';

type Op =
  | { kind: 'add'; member: string; score: number }
  | { kind: 'rem'; member: string }
  | { kind: 'score'; member: string }
  | { kind: 'warm'; members: string[] };

/** An equal string that is a different object (not the interned literal). */
function fresh(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function sorted(model: Map<string, number>): Array<{ member: string; score: number }> {
  return [...model]
    .map(([member, score]) => ({ member, score }))
    .sort((a, b) => (a.score !== b.score ? a.score - b.score : a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

/** Packed throughout (these tests' sets stay small), a tree from the first member, and converting part way (a 5th member, or one of 2 bytes). */
const limitsArb = fc.constantFrom<ZSetLimits>({ entries: 128, value: 64 }, { entries: 0, value: 64 }, { entries: 4, value: 1 });

test('the sorted set agrees with a sorted array on ranks, ranges and counts, packed, as a tree, and converting between', () => {
  const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'aa', 'ab', 'ba');
  const score = fc.constantFrom(-2, -1, 0, 0.5, 1, 1, 2, 3, Infinity, -Infinity);
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), member, score }),
    fc.record({ kind: fc.constant('rem' as const), member }),
    // A lookup before adds and removals, as ZADD's (add() reuses the slot it found).
    fc.record({ kind: fc.constant('score' as const), member }),
    // The server's read-ahead of a pipeline's members (read-ahead.ts), between a lookup and its add too.
    fc.record({ kind: fc.constant('warm' as const), members: fc.array(member, { maxLength: 6 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), limitsArb, (ops, lo, hi, limits) => {
      const z = new ZSet(11);
      const model = new Map<string, number>();
      let tree = false;
      for (const o of ops) {
        if (o.kind === 'add') {
          // As in Redis: a new member past the limits converts; a score update never does.
          if (!model.has(o.member) && (model.size >= limits.entries || o.member.length > limits.value)) tree = true;
          // A fresh copy, as a member decoded from the socket is: the set must not rely on identity.
          assert.equal(z.add(fresh(o.member), o.score, limits), !model.has(o.member));
          model.set(o.member, o.score);
        } else if (o.kind === 'rem') {
          assert.equal(z.remove(o.member), model.delete(o.member));
        } else if (o.kind === 'warm') {
          z.warm(Scratch.of(o.members.map(fresh)));
        } else {
          assert.equal(z.score(fresh(o.member)), model.get(o.member));
        }
        assert.equal(z.encoding, tree ? 'skiplist' : 'listpack');
      }
      assert.deepEqual([...z].sort(), [...model].sort());
      assert.equal(z.get('absent'), undefined);
      assert.equal(z.has('absent'), false);
      const want = sorted(model);
      assert.deepEqual(z.entries(), want);
      z.dict?.check();
      assert.equal(z.size, model.size);
      for (const [m, s] of model) assert.equal(z.score(m), s);
      want.forEach((e, i) => assert.equal(z.rank(fresh(e.member)), i));
      assert.deepEqual(z.fromRank(want.length - 1, 3, true), want.slice().reverse().slice(0, 3));
      const r = { min: Math.min(lo, hi), minExclusive: lo % 2 === 0, max: Math.max(lo, hi), maxExclusive: hi % 2 === 0 };
      const inRange = want.filter((e) => (r.minExclusive ? e.score > r.min : e.score >= r.min) && (r.maxExclusive ? e.score < r.max : e.score <= r.max));
      assert.deepEqual(z.byScore(r, false), inRange);
      assert.deepEqual(z.byScore(r, true, 1, 2), inRange.slice().reverse().slice(1, 3));
      assert.equal(z.countByScore(r), inRange.length);
      const lex = { min: { value: 'b', exclusive: false, infinity: 0 as const }, max: { value: '', exclusive: false, infinity: 1 as const } };
      // Lex ranges are only meaningful with equal scores; check them on the members of score 1.
      const same = new ZSet(12);
      for (const e of want) same.add(e.member, 1, limits);
      const lexWant = want.map((e) => e.member).sort().filter((m) => m >= 'b');
      assert.deepEqual(same.byLex(lex, false).map((e) => e.member), lexWant);
      assert.equal(same.countByLex(lex), lexWant.length);
    }),
    { numRuns: 300 },
  );
});

test("add() reuses the slot of the lookup before it only while the member table is unchanged", () => {
  const tree: ZSetLimits = { entries: 0, value: 64 };
  // Looked up, removed, added again: the slot found is dead.
  for (const others of [0, 1, 1000]) {
    const z = new ZSet(14);
    for (let i = 0; i < others; i++) z.add(`o${i}`, i, tree);
    z.add('a', 1, tree);
    assert.equal(z.score(fresh('a')), 1);
    assert.equal(z.remove('a'), true);
    assert.equal(z.add(fresh('a'), 2, tree), true);
    assert.equal(z.score('a'), 2);
    assert.equal(z.size, others + 1);
    z.dict!.check();
  }
  // Looked up, then other members removed until the table shrinks (slots move), then updated.
  const z = new ZSet(15);
  for (let i = 0; i < 5000; i++) z.add(`m${i}`, i, tree);
  assert.equal(z.score(fresh('m7')), 7);
  for (let i = 100; i < 5000; i++) z.remove(`m${i}`);
  assert.equal(z.add(fresh('m7'), -1, tree), false);
  assert.deepEqual(z.entries()[0], { member: 'm7', score: -1 });
  // Looked up, then new members added until it grows, then updated.
  assert.equal(z.score(fresh('m8')), 8);
  for (let i = 0; i < 5000; i++) z.add(`n${i}`, i, tree);
  assert.equal(z.add(fresh('m8'), -2, tree), false);
  assert.deepEqual(z.entries().slice(0, 2), [{ member: 'm8', score: -2 }, { member: 'm7', score: -1 }]);
  assert.equal(z.size, 5100);
  z.dict!.check();
});

test('a score of -0 is kept as 0 (as Redis small sorted sets keep it)', () => {
  const z = new ZSet(13);
  assert.equal(z.add('m', -0), true);
  assert.ok(Object.is(z.score('m'), 0));
  assert.equal(z.add('m', 0), false);
  assert.ok(Object.is(z.entries()[0]!.score, 0));
});

/** Adds (or, when `add` is false and the member is there, removes) member `${prefix}${m}` with score s, in `z` and in `model`. */
function applyOps(z: ZSet, model: Map<string, number>, ops: ReadonlyArray<[boolean, number, number]>, prefix: string): void {
  for (const [add, m, s] of ops) {
    const member = `${prefix}${m}`;
    // Fresh copies, as members decoded from the socket are.
    if (add || !model.has(member)) {
      assert.equal(z.add(fresh(member), s), !model.has(member));
      model.set(member, s);
    } else {
      assert.equal(z.remove(fresh(member)), true);
      model.delete(member);
    }
  }
}

test('large sets: node splits and removals keep order, ranks and ranges right', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -50, max: 50 })), { minLength: 500, maxLength: 6000 }),
      (ops) => {
        const z = new ZSet(13);
        const model = new Map<string, number>();
        applyOps(z, model, ops, 'm');
        const want = sorted(model);
        assert.deepEqual(z.entries(), want);
        for (let i = 0; i < want.length; i += 37) {
          assert.equal(z.rank(want[i]!.member), i);
          assert.deepEqual(z.fromRank(i, 5, false), want.slice(i, i + 5));
        }
        const r = { min: -10, minExclusive: true, max: 20, maxExclusive: false };
        assert.equal(z.countByScore(r), want.filter((e) => e.score > -10 && e.score <= 20).length);
        // Drain from the front, as ZPOPMIN does, down to empty.
        for (const e of want) assert.equal(z.remove(e.member), true);
        assert.equal(z.size, 0);
        assert.deepEqual(z.entries(), []);
        z.add('again', 1);
        assert.deepEqual(z.entries(), [{ member: 'again', score: 1 }]);
      },
    ),
    { numRuns: 25 },
  );
});

test('a set of several slab pages of leaves keeps order and ranks when whole leaves empty and their numbers are reused', () => {
  // 30,000 members fill leaves past the first pages of the slabs (64 leaves a page, zset-leaves.ts).
  // Removing a run of consecutive scores empties whole leaves, whose numbers the next inserts
  // take again, in other places of the order.
  const z = new ZSet(23);
  const model = new Map<string, number>();
  const set = (m: string, s: number): void => {
    z.add(fresh(m), s);
    model.set(m, s);
  };
  for (let i = 0; i < 30000; i++) set(`e${i}`, (i * 7919) % 30000);
  for (let round = 0; round < 3; round++) {
    for (const [m, s] of [...model]) {
      if (s >= 5000 * round && s < 5000 * round + 4000) {
        assert.equal(z.remove(fresh(m)), true);
        model.delete(m);
      }
    }
    for (let i = 0; i < 4000; i++) set(`r${round}-${i}`, 30000 + ((i * 31) % 4000) + round * 0.5);
    // Score moves across the set: out of one leaf and into another.
    for (let i = 0; i < 30000; i += 97) if (model.has(`e${i}`)) set(`e${i}`, (i * 13) % 34000 + 0.25);
    const want = sorted(model);
    assert.deepEqual(z.entries(), want, `round ${round}`);
    for (let i = 0; i < want.length; i += 101) assert.equal(z.rank(fresh(want[i]!.member)), i);
    assert.deepEqual(z.fromRank(want.length - 3, 5, false), want.slice(-3));
    assert.deepEqual(z.fromRank(2, 5, true), want.slice(0, 3).reverse());
    const r = { min: 1000, minExclusive: true, max: 31000, maxExclusive: false };
    assert.equal(z.countByScore(r), want.filter((e) => e.score > 1000 && e.score <= 31000).length);
  }
  for (const m of [...model.keys()]) assert.equal(z.remove(m), true);
  assert.deepEqual(z.entries(), []);
  z.add('last', 2);
  assert.deepEqual(z.entries(), [{ member: 'last', score: 2 }]);
});

test('a lexicographic index (one score, runs of it across and within nodes) keeps order and ranks', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4000 }), fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1)), { minLength: 300, maxLength: 5000 }),
      (ops) => {
        // Mostly score 0, as a ZRANGEBYLEX index is: whole leaves and inner nodes of one score,
        // with runs that end inside a node where the few other scores begin.
        const z = new ZSet(19);
        const model = new Map<string, number>();
        applyOps(z, model, ops, 'k');
        const want = sorted(model);
        assert.deepEqual(z.entries(), want);
        for (let i = 0; i < want.length; i += 11) assert.equal(z.rank(fresh(want[i]!.member)), i);
        for (const probe of ['k', 'k1', 'k2000', 'k3', 'k9']) {
          assert.equal(z.score(probe), model.get(probe));
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('score updates that keep a member among its leaf neighbours (leaderboard increments) keep order, ranks and ranges', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1999 }), fc.integer({ min: -3, max: 3 })), { minLength: 200, maxLength: 3000 }),
      (bumps) => {
        const z = new ZSet(17);
        const model = new Map<string, number>();
        for (let i = 0; i < 2000; i++) {
          z.add(`p${i}`, i * 2);
          model.set(`p${i}`, i * 2);
        }
        // Small moves: most stay inside their leaf (the ones that lead it included), some cross
        // into the next or the previous one.
        for (const [m, d] of bumps) {
          const member = `p${m}`;
          const score = model.get(member)! + d * 0.75;
          z.add(fresh(member), score);
          model.set(member, score);
        }
        const want = sorted(model);
        assert.deepEqual(z.entries(), want);
        for (let i = 0; i < want.length; i += 7) assert.equal(z.rank(want[i]!.member), i);
        // Ranges by score descend through the inner nodes' smallest keys: a stale one shows here.
        for (let s = -3; s < 4000; s += 13.25) {
          const r = { min: s, minExclusive: false, max: s + 40, maxExclusive: true };
          assert.equal(z.countByScore(r), want.filter((e) => e.score >= s && e.score < s + 40).length, `count from ${s}`);
        }
      },
    ),
    { numRuns: 30 },
  );
});
