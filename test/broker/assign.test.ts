import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assignQueues } from '../../src/broker/groups/assign.js';

const sizes = (m: Map<string, number[]>) => [...m.values()].map((q) => q.length).sort((a, b) => b - a);

test('5 queues over 2 members is 3 and 2; more members than queues leaves the extra ones idle', () => {
  assert.deepEqual(sizes(assignQueues(5, new Map([['a', []], ['b', []]]))), [3, 2]);
  assert.deepEqual(sizes(assignQueues(2, new Map([['a', []], ['b', []], ['c', []]]))), [1, 1, 0]);
});

test('assignment is balanced, complete and moves only what it must', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 11 }), (queues, members, leaver) => {
      const ids = Array.from({ length: members }, (_, i) => `m${i}`);
      const first = assignQueues(queues, new Map(ids.map((id) => [id, []])));
      const all = [...first.values()].flat().sort((a, b) => a - b);
      assert.deepEqual(all, Array.from({ length: queues }, (_, q) => q));
      const s = sizes(first);
      assert.ok(s[0]! - s[s.length - 1]! <= 1);
      // A member joins: every existing member keeps all or all but a few of its queues.
      const joined = assignQueues(queues, new Map([...first, ['new', []]]));
      const moved = ids.reduce((n, id) => n + first.get(id)!.filter((q) => !joined.get(id)!.includes(q)).length, 0);
      assert.equal(moved, joined.get('new')!.length);
      // A member leaves: the others keep everything they had.
      const gone = ids[leaver % members]!;
      const rest = new Map([...first].filter(([id]) => id !== gone));
      const after = assignQueues(queues, rest);
      for (const [id, qs] of rest) for (const q of qs) assert.ok(after.get(id)!.includes(q));
    }),
  );
});
