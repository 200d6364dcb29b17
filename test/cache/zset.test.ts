import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZSet, type ZSetLimits } from '../../src/cache/machine/zset.js';

type Op = { kind: 'add'; member: string; score: number } | { kind: 'rem'; member: string };

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
        } else {
          assert.equal(z.remove(o.member), model.delete(o.member));
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

test('a score of -0 is kept as 0 (as Redis small sorted sets keep it)', () => {
  const z = new ZSet(13);
  assert.equal(z.add('m', -0), true);
  assert.ok(Object.is(z.score('m'), 0));
  assert.equal(z.add('m', 0), false);
  assert.ok(Object.is(z.entries()[0]!.score, 0));
});

test('large sets: node splits and removals keep order, ranks and ranges right', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -50, max: 50 })), { minLength: 500, maxLength: 6000 }),
      (ops) => {
        const z = new ZSet(13);
        const model = new Map<string, number>();
        for (const [add, m, s] of ops) {
          const member = `m${m}`;
          if (add || !model.has(member)) {
            z.add(member, s);
            model.set(member, s);
          } else {
            z.remove(member);
            model.delete(member);
          }
        }
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
