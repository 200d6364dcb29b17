import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZSet } from '../../src/cache/machine/zset.js';

type Op = { kind: 'add'; member: string; score: number } | { kind: 'rem'; member: string };

function sorted(model: Map<string, number>): Array<{ member: string; score: number }> {
  return [...model]
    .map(([member, score]) => ({ member, score }))
    .sort((a, b) => (a.score !== b.score ? a.score - b.score : a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

test('the skiplist agrees with a sorted array on ranks, ranges and counts', () => {
  const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'aa', 'ab', 'ba');
  const score = fc.constantFrom(-2, -1, 0, 0.5, 1, 1, 2, 3, Infinity, -Infinity);
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), member, score }),
    fc.record({ kind: fc.constant('rem' as const), member }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), (ops, lo, hi) => {
      const z = new ZSet();
      const model = new Map<string, number>();
      for (const o of ops) {
        if (o.kind === 'add') {
          assert.equal(z.add(o.member, o.score), !model.has(o.member));
          model.set(o.member, o.score);
        } else {
          assert.equal(z.remove(o.member), model.delete(o.member));
        }
      }
      const want = sorted(model);
      assert.deepEqual(z.entries(), want);
      want.forEach((e, i) => assert.equal(z.rank(e.member), i));
      assert.deepEqual(z.fromRank(want.length - 1, 3, true), want.slice().reverse().slice(0, 3));
      const r = { min: Math.min(lo, hi), minExclusive: lo % 2 === 0, max: Math.max(lo, hi), maxExclusive: hi % 2 === 0 };
      const inRange = want.filter((e) => (r.minExclusive ? e.score > r.min : e.score >= r.min) && (r.maxExclusive ? e.score < r.max : e.score <= r.max));
      assert.deepEqual(z.byScore(r, false), inRange);
      assert.deepEqual(z.byScore(r, true, 1, 2), inRange.slice().reverse().slice(1, 3));
      assert.equal(z.countByScore(r), inRange.length);
      const lex = { min: { value: 'b', exclusive: false, infinity: 0 as const }, max: { value: '', exclusive: false, infinity: 1 as const } };
      // Lex ranges are only meaningful with equal scores; check them on the members of score 1.
      const same = new ZSet();
      for (const e of want) same.add(e.member, 1);
      const lexWant = want.map((e) => e.member).sort().filter((m) => m >= 'b');
      assert.deepEqual(same.byLex(lex, false).map((e) => e.member), lexWant);
      assert.equal(same.countByLex(lex), lexWant.length);
    }),
    { numRuns: 300 },
  );
});
