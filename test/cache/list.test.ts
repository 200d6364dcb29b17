// The list value (ring buffer) against an array as the model: pushes and pops at both ends,
// access by index, replacement; and the ring gives memory back as the list shrinks (a drained
// or trimmed list does not keep the ring of its largest size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { List } from '../../src/cache/machine/list.js';

type Op =
  | { op: 'pushBack' | 'pushFront'; v: string; n: number }
  | { op: 'popBack' | 'popFront'; n: number }
  | { op: 'set'; i: number; v: string }
  | { op: 'replace'; vs: string[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('pushBack' as const, 'pushFront' as const), v: fc.string({ maxLength: 3 }), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ op: fc.constantFrom('popBack' as const, 'popFront' as const), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ op: fc.constant('set' as const), i: fc.nat(), v: fc.string({ maxLength: 3 }) }),
  fc.record({ op: fc.constant('replace' as const), vs: fc.array(fc.string({ maxLength: 3 }), { maxLength: 40 }) }),
);

test('behaves as an array through pushes, pops, sets and replacement; the ring stays within 4x the length', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const list = new List();
      const model: string[] = [];
      for (const o of ops) {
        if (o.op === 'pushBack' || o.op === 'pushFront') {
          for (let k = 0; k < o.n; k++) {
            const v = `${o.v}${k}`;
            if (o.op === 'pushBack') {
              list.pushBack(v);
              model.push(v);
            } else {
              list.pushFront(v);
              model.unshift(v);
            }
          }
        } else if (o.op === 'popBack' || o.op === 'popFront') {
          for (let k = 0; k < o.n && model.length > 0; k++) assert.equal(o.op === 'popBack' ? list.popBack() : list.popFront(), o.op === 'popBack' ? model.pop() : model.shift());
          // Popping is what gives memory back: after it, at most 4 slots per element (8 at
          // least), or for a chunked list the chunks its elements are in (two partly used).
          assert.ok(list.capacity <= Math.max(8, 4 * list.length, list.length + 2 * 1024), `${list.capacity} slots for ${list.length} elements`);
        } else if (o.op === 'set') {
          if (model.length === 0) continue;
          const i = o.i % model.length;
          list.setAt(i, o.v);
          model[i] = o.v;
        } else if (o.op === 'replace') {
          list.replace(o.vs);
          model.splice(0, model.length, ...o.vs);
        }
        assert.equal(list.length, model.length);
      }
      assert.deepEqual(list.toArray(), model);
      for (let i = 0; i < model.length; i++) assert.equal(list.at(i), model[i]);
    }),
  );
});

test('a chunked ring: grows past several doublings from both ends, wraps, and gives chunks back as pops leave them', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('pushBack', 'pushFront', 'popBack', 'popFront'), fc.integer({ min: 1, max: 5000 })), { maxLength: 40 }), (steps) => {
      const list = new List();
      const model: string[] = [];
      let n = 0;
      for (const [op, count] of steps) {
        for (let k = 0; k < count; k++) {
          if (op === 'pushBack') {
            list.pushBack(`v${n}`);
            model.push(`v${n++}`);
          } else if (op === 'pushFront') {
            list.pushFront(`v${n}`);
            model.unshift(`v${n++}`);
          } else if (model.length > 0) {
            assert.equal(op === 'popBack' ? list.popBack() : list.popFront(), op === 'popBack' ? model.pop() : model.shift());
          }
        }
        assert.equal(list.length, model.length);
        if (model.length > 0) {
          assert.equal(list.at(0), model[0]);
          assert.equal(list.at(model.length - 1), model[model.length - 1]);
          assert.equal(list.at(model.length >> 1), model[model.length >> 1]);
        }
        if (op.startsWith('pop')) assert.ok(list.capacity <= Math.max(8, 4 * list.length, list.length + 2 * 1024), `${list.capacity} slots for ${list.length} elements`);
      }
      assert.deepEqual(list.toArray(), model);
    }),
    { numRuns: 60 },
  );
});

test('a list of 200,000 drained from the front keeps only the chunks its elements are in', () => {
  const list = new List();
  for (let i = 0; i < 200_000; i++) list.pushBack(`v${i}`);
  assert.ok(list.capacity <= 200_000 + 2 * 1024);
  for (let i = 0; i < 190_000; i++) assert.equal(list.popFront(), `v${i}`);
  assert.ok(list.capacity <= 10_000 + 2 * 1024, `${list.capacity} slots for 10,000 elements`);
  for (let i = 190_000; i < 199_900; i++) assert.equal(list.popFront(), `v${i}`);
  // 100 left: one small ring again.
  assert.ok(list.capacity <= 400, `${list.capacity} slots for 100 elements`);
  assert.deepEqual(list.toArray(), Array.from({ length: 100 }, (_, i) => `v${199_900 + i}`));
});
