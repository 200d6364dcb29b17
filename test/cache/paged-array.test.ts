// The paged array (paged-array.ts) against a plain array as the model, across page boundaries
// (16,384 elements a page): pushes, stores, and cuts to any length, one element or many pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PagedArray } from '../../src/cache/machine/paged-array.js';

const PAGE = 16_384;

type Op = { op: 'push'; n: number } | { op: 'set'; at: number } | { op: 'cut'; keep: number } | { op: 'pop'; n: number };

// Lengths near the page boundaries matter most: pushes and cuts are sized to cross them.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: PAGE - 40, max: 2 * PAGE + 40 })) }),
  fc.record({ op: fc.constant('set' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
  fc.record({ op: fc.constant('cut' as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('pop' as const), n: fc.integer({ min: 1, max: 40 }) }),
);

function same(a: PagedArray<number>, model: Array<number | undefined>): void {
  assert.equal(a.length, model.length);
  // Every element near a page boundary or an end, and a sample of the rest.
  for (let i = 0; i < model.length; i++) {
    const near = i % PAGE < 3 || i % PAGE > PAGE - 4 || i < 3 || i > model.length - 4;
    if (near || i % 97 === 0) assert.equal(a.at(i), model[i], `element ${i}`);
  }
  // Nothing cut is kept: past the end reads as empty, to the end of the last page.
  const pageEnd = (Math.floor(model.length / PAGE) + 1) * PAGE;
  for (const i of [model.length, model.length + 1, pageEnd - 1]) assert.equal(a.at(i), undefined, `past the end, ${i}`);
}

test('behaves as an array through pushes, stores and cuts across pages', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
      const a = new PagedArray<number>();
      const model: Array<number | undefined> = [];
      let next = 1;
      for (const o of ops) {
        if (o.op === 'push') {
          for (let k = 0; k < o.n; k++) {
            a.push(next);
            model.push(next++);
          }
        } else if (o.op === 'set') {
          if (model.length === 0) continue;
          const i = Math.floor(o.at * model.length);
          const v = next % 3 === 0 ? undefined : next;
          next++;
          a.set(i, v);
          model[i] = v;
        } else {
          const keep = o.op === 'cut' ? Math.floor(o.keep * model.length) : Math.max(0, model.length - o.n);
          a.truncate(keep);
          model.length = keep;
        }
        same(a, model);
      }
      // Growing again after a cut reuses nothing stale: the slots past the cut read as pushed.
      for (let k = 0; k < PAGE + 5; k++) {
        a.push(next);
        model.push(next++);
      }
      same(a, model);
    }),
    { numRuns: 60 },
  );
});

test('a store past the end is refused, and so is a cut that would lengthen', () => {
  const a = new PagedArray<string>();
  a.push('x');
  assert.throws(() => a.set(1, 'y'), /out of range/);
  assert.throws(() => a.truncate(2), /beyond its end/);
  assert.equal(a.at(5 * PAGE), undefined);
});
