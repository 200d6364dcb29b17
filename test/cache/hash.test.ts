// The hash value (machine/hash.ts) against a Map as the model: random writes, overwrites and
// removals with fields and values around the packing limits (and beyond 255 characters, which
// no packed hash holds), under random limits. As in Redis, it becomes a table for good at the
// first write of a field or value over the length limit, or that leaves more fields than the
// entry limit; until then it is packed; it reads the same either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Hash, type PackLimits } from '../../src/cache/machine/hash.js';
import type { Stored } from '../../src/cache/machine/blobs.js';

/** A table stores values through this: tagged, so the test sees which values went through it. */
const store = (v: string): Stored => `stored:${v}`;
const unstored = (v: Stored): string => {
  assert.equal(typeof v, 'string');
  return (v as string).replace(/^stored:/, '');
};

const text = fc.oneof(
  fc.constantFrom('', 'a', 'b', 'field', 'f'.repeat(13), 'g'.repeat(64), 'h'.repeat(65), 'i'.repeat(255), 'j'.repeat(256)),
  fc.string({ maxLength: 20 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')),
);
const field = fc.oneof(fc.integer({ min: 0, max: 12 }).map((i) => `f${i}`), text);

type Op = { op: 'set'; field: string; value: string } | { op: 'remove'; field: string };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), field, value: text }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), field }) },
);
const limitsArb: fc.Arbitrary<PackLimits> = fc.record({ entries: fc.integer({ min: 0, max: 10 }), value: fc.constantFrom(0, 1, 5, 64, 255, 1000) });

test('reads as a Map; packed exactly until a write exceeds the limits, then a table for good', () => {
  fc.assert(
    fc.property(limitsArb, fc.array(opArb, { maxLength: 120 }), (limits, ops) => {
      const h = new Hash(7);
      const model = new Map<string, string>();
      let table = false;
      for (const o of ops) {
        if (o.op === 'set') {
          const old = h.set(o.field, o.value, limits, store);
          assert.equal(old === undefined ? undefined : unstored(old), model.get(o.field));
          model.set(o.field, o.value);
          if (Math.max(o.field.length, o.value.length) > Math.min(limits.value, 255) || model.size > limits.entries) table = true;
        } else {
          const old = h.remove(o.field);
          assert.equal(old === undefined ? undefined : unstored(old), model.get(o.field));
          model.delete(o.field);
        }
        assert.equal(h.encoding, table ? 'hashtable' : 'listpack');
        assert.equal(h.size, model.size);
      }
      for (const [f, v] of model) {
        assert.ok(h.has(f));
        assert.equal(unstored(h.get(f)!), v);
      }
      assert.equal(h.get('absent field'), undefined);
      const entries = [...h].map(([f, v]) => [f, unstored(v)]);
      // A packed hash keeps insertion order, as a listpack does (an overwrite keeps its place).
      if (!table) assert.deepEqual(entries, [...model]);
      else assert.deepEqual(entries.sort(), [...model].sort());
      // A table's values all went through `store`; a packed hash's are the strings themselves.
      for (const v of h.values()) assert.equal((v as string).startsWith('stored:'), table);
      const at = h.entryReader();
      const picked = new Set<string>();
      for (let slot = h.firstSlot; slot < h.slots; slot++) if (h.liveAt(slot)) picked.add(at(slot)[0]);
      assert.deepEqual([...picked].sort(), [...model.keys()].sort());
      assert.equal(h.packedLength >= 0, !table);
    }),
    { numRuns: 500 },
  );
});
