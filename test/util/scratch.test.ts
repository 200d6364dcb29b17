import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scratch } from '../../src/util/scratch.js';

test('a scratch list refills from empty and lets go of what it held when cleared', () => {
  const s = new Scratch<{ id: number }>();
  for (let round = 0; round < 3; round++) {
    const n = [5, 2, 40][round]!;
    for (let i = 0; i < n; i++) s.push({ id: round * 100 + i });
    assert.equal(s.length, n);
    assert.deepEqual(
      s.toArray().map((x) => x.id),
      Array.from({ length: n }, (_, i) => round * 100 + i),
    );
    s.set(1, { id: -1 });
    assert.equal(s.at(1).id, -1);
    s.clear();
    assert.equal(s.length, 0);
    assert.deepEqual(s.toArray(), []);
    // Nothing cleared stays reachable through the kept slots.
    assert.ok(s.items.every((x) => x === undefined));
  }
  assert.deepEqual(Scratch.of(['a', 'b']).toArray(), ['a', 'b']);
});
