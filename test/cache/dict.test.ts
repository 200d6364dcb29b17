// The keyspace's hash table against a Map as the model: random inserts, overwrites, deletes and
// lookups through growth, tombstones and shrinking; slots and access times; and live iterators
// that keep going while the table changes under them. Each property runs twice: with the
// default resizing (small arrays at once) and with every resize drained step by step, so that
// the drain's two arrays are exercised by tables of a few hundred keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dict } from '../../src/cache/machine/dict.js';
import { Scratch } from '../../src/util/scratch.js';

type Op =
  | { op: 'set'; key: string; value: number; at: number }
  | { op: 'delete'; key: string }
  | { op: 'get'; key: string }
  | { op: 'touch'; key: string; at: number } // access time and value set through the slot
  | { op: 'warm'; keys: string[] };

// Few distinct keys make overwrites, deletes of present keys and re-inserts over tombstones common.
const key = fc.oneof(fc.integer({ min: 0, max: 300 }).map((i) => `k:${i}`), fc.string({ maxLength: 6 }));
/** Different seeds in different runs of the suite: the table must work whichever keys collide. */
const seed = Number(process.env['DICT_SEED'] ?? Date.now() % 0x7fffffff);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.integer(), at: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('touch' as const), key, at: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('warm' as const), keys: fc.array(key, { maxLength: 40 }) }) },
);

/** How the tests build tables: at once up to the default size, or always drained (0). */
const resizing = [
  { name: 'resized at once', make: <V>() => new Dict<V>(seed) },
  { name: 'drained step by step', make: <V>() => new Dict<V>(seed, 0) },
];

for (const { name, make } of resizing) {
test(`behaves as a Map of [value, access time] through growth, tombstones, shrinking and warm() (${name})`, () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 2000 }), fc.integer({ min: 0, max: 20 }), (ops, checkEvery) => {
      const d = make<number>();
      const model = new Map<string, [number, number]>();
      for (const [n, o] of ops.entries()) {
        if (o.op === 'set') {
          assert.equal(d.set(o.key, o.value, o.at), model.get(o.key)?.[0]);
          model.set(o.key, [o.value, o.at]);
          const slot = d.find(o.key);
          assert.equal(d.valueAt(slot), o.value);
          assert.equal(d.accessAt(slot), o.at);
        } else if (o.op === 'delete') {
          assert.equal(d.delete(o.key), model.delete(o.key));
        } else if (o.op === 'warm') {
          // A hint: changes nothing the model can see; what it reads ahead are present values.
          const values = new Scratch<unknown>();
          d.warm(Scratch.of(o.keys), values);
          assert.ok(values.length <= o.keys.length);
          const present = new Set([...model.values()].map(([v]) => v));
          for (const v of values.toArray()) assert.ok(present.has(v as number), `warm() read ahead ${String(v)}, no present key's value`);
        } else if (o.op === 'touch') {
          const slot = d.find(o.key);
          assert.equal(slot >= 0, model.has(o.key));
          if (slot >= 0) {
            assert.equal(d.keyAt(slot), o.key);
            d.setAccessAt(slot, o.at);
            d.setValueAt(slot, o.at);
            model.set(o.key, [o.at, o.at]);
          }
        } else {
          assert.equal(d.get(o.key), model.get(o.key)?.[0]);
          assert.equal(d.has(o.key), model.has(o.key));
        }
        assert.equal(d.size, model.size);
        if (checkEvery > 0 && n % checkEvery === 0) d.check();
      }
      d.check();
      const seen = new Map<string, number>();
      for (const [k, v] of d) {
        assert.ok(!seen.has(k), `${k} iterated twice without a change to the table`);
        seen.set(k, v);
      }
      assert.deepEqual([...seen].sort(), [...model].map(([k, [v]]) => [k, v] as [string, number]).sort());
      for (const [k, [, at]] of model) assert.equal(d.accessAt(d.find(k)), at);
    }),
    { numRuns: 200 },
  );
});

test(`a live iterator visits every element present throughout, and nothing that never was there (${name})`, () => {
  fc.assert(
    fc.property(
      fc.array(key, { maxLength: 400 }),
      fc.array(fc.array(opArb, { maxLength: 30 }), { maxLength: 200 }),
      (initial, betweenSteps) => {
        const d = make<number>();
        for (const k of initial) d.set(k, 0, 0);
        const everPresent = new Set(initial);
        const present = new Set(d.keys());
        /** Present at the start and never deleted during the iteration. */
        const throughout = new Set(present);
        const visited = new Set<string>();
        const it = d.entries();
        let step = 0;
        for (;;) {
          const r = it.next();
          if (r.done === true) break;
          const [k] = r.value;
          assert.ok(everPresent.has(k), `${k} was never in the table`);
          visited.add(k);
          for (const o of betweenSteps[step++ % Math.max(1, betweenSteps.length)] ?? []) {
            if (o.op === 'set') {
              d.set(o.key, o.value, o.at);
              everPresent.add(o.key);
            } else if (o.op === 'delete' && d.delete(o.key)) throughout.delete(o.key);
          }
          assert.ok(step < 100_000, 'the iteration does not end');
        }
        for (const k of throughout) assert.ok(visited.has(k), `${k}, present throughout, was not visited`);
        d.check();
      },
    ),
    { numRuns: 300 },
  );
});
}

test('grows and shrinks: 200,000 distinct keys in, all out, then the table is small again', () => {
  const d = new Dict<string>(0x5eed);
  const n = 200_000;
  for (let i = 0; i < n; i++) d.set(`key:${i}`, `v${i}`, i);
  assert.equal(d.size, n);
  for (let i = 0; i < n; i += 997) assert.equal(d.get(`key:${i}`), `v${i}`);
  for (let i = 0; i < n; i++) assert.ok(d.delete(`key:${i}`));
  assert.equal(d.size, 0);
  d.check();
  assert.deepEqual([...d], []);
  d.set('again', 'x', 1);
  assert.deepEqual([...d], [['again', 'x']]);
});

/**
 * A table of `slots` slots filled to 3/4 (key:i holding i), its earlier resizes finished, and
 * one key more: the insert that starts its resize into twice the slots. Returns it and its size.
 */
function resizeJustStarted(slots: number): { d: Dict<number>; n: number } {
  const d = new Dict<number>(0x5eed);
  let n = 0;
  while (n < (slots / 4) * 3) d.set(`key:${n}`, n, n++);
  while (d.rehash(100_000));
  assert.equal(d.slots, slots);
  d.set(`key:${n}`, n, n++);
  assert.ok(d.resizing);
  assert.equal(d.slots, slots);
  return { d, n };
}

test('a big table prepares its next array a page every few writes, then moves a few elements per insert and delete; rehash() finishes an idle one', () => {
  // 98,304 keys fill 131,072 slots to 3/4: the next insert starts a resize into 262,144.
  const started = resizeJustStarted(131_072);
  const d = started.d;
  let n = started.n;
  // First the next array's 16 pages are allocated, one every 512 writes, in the one array meanwhile.
  let writes = 0;
  while (d.slots === 131_072) {
    d.set(`key:${n}`, n, n++);
    writes++;
  }
  assert.equal(writes, 15 * 512);
  assert.equal(d.slots, 131_072 + 262_144);
  const layout = d.layout;
  // Each insert moves at most 4 elements: 1,000 inserts later most of the old array remains.
  for (let i = 0; i < 1000; i++) d.set(`key:${n}`, n, n++);
  assert.ok(d.resizing);
  d.check();
  for (let i = 0; i < n; i += 101) assert.equal(d.get(`key:${i}`), i);
  for (let i = 0; i < 500; i++) assert.ok(d.delete(`key:${i * 3}`));
  assert.ok(d.resizing);
  d.check();
  // Idle: the server's rehash steps finish it.
  let steps = 0;
  while (d.rehash(10_000)) steps++;
  assert.ok(steps >= 8 && steps <= 10, `${steps} steps of 10,000`);
  assert.ok(!d.resizing);
  assert.notEqual(d.layout, layout);
  assert.equal(d.slots, 262_144);
  assert.equal(d.size, n - 500);
  d.check();
  for (let i = 0; i < n; i++) assert.equal(d.get(`key:${i}`), i % 3 === 0 && i < 1500 ? undefined : i);
});

test('marks travel with the elements a drain moves; inserts during a drain are marked', () => {
  const d = new Dict<number>(seed, 0);
  for (let i = 0; i < 1000; i++) d.set(`k${i}`, i);
  while (!d.resizing) d.set(`x${d.size}`, 0);
  const bit = d.startMarks();
  // Mark every third key, wherever it is now (old or new array).
  const marked = new Set<string>();
  for (let i = 0; i < 1000; i += 3) {
    d.mark(d.find(`k${i}`), bit);
    marked.add(`k${i}`);
  }
  const inserted: string[] = [];
  for (let i = 0; d.resizing; i++) {
    d.set(`y${i}`, i);
    inserted.push(`y${i}`);
  }
  assert.ok(inserted.length > 10, 'the drain took several inserts');
  for (let i = 0; i < 1000; i++) assert.equal(d.isMarked(d.find(`k${i}`), bit), marked.has(`k${i}`), `k${i}`);
  for (const k of inserted) assert.ok(d.isMarked(d.find(k), bit), k);
  d.stopMarks(bit);
  d.check();
});

test('captures mark with their own bits: one starting later sees nothing marked, and eight is the limit', () => {
  const d = new Dict<number>(seed, 0);
  for (let i = 0; i < 100; i++) d.set(`k${i}`, i);
  const a = d.startMarks();
  d.mark(d.find('k1'), a);
  d.set('new1', 1);
  const b = d.startMarks();
  assert.notEqual(a, b);
  assert.ok(d.isMarked(d.find('k1'), a) && !d.isMarked(d.find('k1'), b), 'k1 marked by the first only');
  assert.ok(d.isMarked(d.find('new1'), a) && !d.isMarked(d.find('new1'), b), 'made before the second began: not marked for it');
  d.set('new2', 2);
  assert.ok(d.isMarked(d.find('new2'), a) && d.isMarked(d.find('new2'), b), 'made after both began: marked for both');
  const more = Array.from({ length: 6 }, () => d.startMarks());
  assert.equal(new Set([a, b, ...more]).size, 8);
  assert.equal(d.startMarks(), 0, 'a ninth capture is refused');
  d.stopMarks(a);
  assert.ok(d.marking, 'still marked by the others');
  const again = d.startMarks();
  assert.equal(again, a, 'a freed bit is reused');
  assert.ok(!d.isMarked(d.find('k1'), again), 'and starts unmarked');
  for (const bit of [b, again, ...more]) d.stopMarks(bit);
  assert.ok(!d.marking);
  assert.throws(() => d.stopMarks(b), /not in use/);
});

test('an idle table finishes a resize it has only begun to prepare, through rehash() alone', () => {
  // 49,153 keys: the next array (131,072 slots, 8 pages) has its first page.
  const { d, n } = resizeJustStarted(65_536);
  let calls = 0;
  while (d.rehash(2_500)) calls++;
  // A page per call (7 calls), then 2,500 of the 49,153 elements per call.
  assert.ok(calls >= 7 + 19 && calls <= 7 + 21, `${calls} calls`);
  assert.equal(d.slots, 131_072);
  d.check();
  for (let i = 0; i < n; i++) assert.equal(d.get(`key:${i}`), i);
});
