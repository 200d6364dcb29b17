// The blob store's free lists: a paged stack of integers against an array as the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntStack } from '../../src/cache/machine/int-stack.js';

type Op = { op: 'push'; x: number; n: number } | { op: 'pop'; n: number } | { op: 'filter'; mod: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('push' as const), x: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), n: fc.integer({ min: 1, max: 40_000 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pop' as const), n: fc.integer({ min: 1, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('filter' as const), mod: fc.integer({ min: 1, max: 5 }) }) },
);

test('pushes, pops across page boundaries and filters as an array does', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
      const stack = new IntStack();
      let model: number[] = [];
      for (const o of ops) {
        if (o.op === 'push') {
          for (let k = 0; k < o.n; k++) {
            stack.push((o.x + k) | 0);
            model.push((o.x + k) | 0);
          }
        } else if (o.op === 'pop') {
          for (let k = 0; k < o.n && model.length > 0; k++) assert.equal(stack.pop(), model.pop());
        } else {
          const keep = (x: number) => Math.abs(x) % o.mod !== 0;
          stack.filter(keep);
          model = model.filter(keep);
        }
        assert.equal(stack.length, model.length);
      }
      while (model.length > 0) assert.equal(stack.pop(), model.pop());
    }),
    { numRuns: 60 },
  );
});
