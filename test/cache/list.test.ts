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
          // Popping is what shrinks the ring: after it, at most 4 slots per element (8 at least).
          assert.ok(list.capacity <= Math.max(8, 4 * list.length), `${list.capacity} slots for ${list.length} elements`);
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
