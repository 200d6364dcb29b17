// The window of appended, unapplied entries answers the core's reads exactly as the log would
// (the same entries, the same byte budget), follows rewrites of the tail, and forgets what is
// applied or beyond its bounds, so that anything it cannot answer falls back to the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryBytes, type Entry } from '../../src/raft/core/types.js';
import { RecentEntries } from '../../src/raft/driver/recent-entries.js';

function run(from: number, to: number, term = 1, size = 10): Entry[] {
  const payload = Buffer.alloc(size);
  return Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i, term, timestamp: 0, type: 2, payload }));
}
const indexes = (ents: Entry[] | undefined) => ents?.map((e) => `${e.index}/${e.term}`);

test('contiguous appends are served; ranges outside the window are not', () => {
  const r = new RecentEntries();
  r.append(run(5, 7));
  r.append(run(8, 9));
  assert.deepEqual(indexes(r.entries(5, 10, Infinity)), ['5/1', '6/1', '7/1', '8/1', '9/1']);
  assert.equal(r.entries(4, 6, Infinity), undefined);
  assert.equal(r.entries(9, 11, Infinity), undefined);
  assert.equal(r.entries(6, 6, Infinity), undefined);
});

test('the byte budget gives at least one entry, then as many as fit', () => {
  const r = new RecentEntries();
  r.append(run(1, 4));
  const one = entryBytes(run(1, 1)[0]!);
  assert.deepEqual(indexes(r.entries(1, 5, 0)), ['1/1']);
  assert.deepEqual(indexes(r.entries(1, 5, 2 * one)), ['1/1', '2/1']);
  assert.deepEqual(indexes(r.entries(2, 5, 2 * one + 1)), ['2/1', '3/1']);
});

test('a rewrite of the tail replaces what follows it; an append elsewhere restarts the window', () => {
  const r = new RecentEntries();
  r.append(run(1, 5));
  r.append(run(3, 4, 2));
  assert.deepEqual(indexes(r.entries(1, 5, Infinity)), ['1/1', '2/1', '3/2', '4/2']);
  assert.equal(r.entries(1, 6, Infinity), undefined);
  r.append(run(1, 1, 3));
  assert.deepEqual(indexes(r.entries(1, 2, Infinity)), ['1/3']);
  assert.equal(r.entries(2, 3, Infinity), undefined);
  r.append(run(10, 11, 3));
  assert.equal(r.entries(1, 2, Infinity), undefined);
  assert.deepEqual(indexes(r.entries(10, 12, Infinity)), ['10/3', '11/3']);
  r.clear();
  assert.equal(r.entries(10, 11, Infinity), undefined);
});

test('applied entries are released, also across the batched compaction of the array', () => {
  const r = new RecentEntries();
  r.append(run(1, 10_000, 1, 1));
  r.release(3);
  assert.equal(r.entries(3, 4, Infinity), undefined);
  assert.deepEqual(indexes(r.entries(4, 5, Infinity)), ['4/1']);
  r.release(9_000);
  assert.equal(r.entries(9_000, 9_001, Infinity), undefined);
  assert.equal(r.entries(9_001, 10_001, Infinity)?.length, 1000);
  r.append(run(10_001, 10_001, 1, 1));
  assert.deepEqual(indexes(r.entries(10_000, 10_002, Infinity)), ['10000/1', '10001/1']);
  r.release(20_000);
  r.append(run(10_002, 10_002, 1, 1));
  assert.deepEqual(indexes(r.entries(10_002, 10_003, Infinity)), ['10002/1']);
});

test('the window is bounded in entries and in payload bytes, dropping the oldest', () => {
  const r = new RecentEntries();
  r.append(run(1, 70_000, 1, 1));
  assert.equal(r.entries(1, 2, Infinity), undefined);
  assert.equal(r.entries(70_000 - 65_535, 70_001, Infinity)?.length, 65_536);
  const big = new RecentEntries();
  big.append(run(1, 3, 1, 30 << 20));
  assert.equal(big.entries(1, 2, Infinity), undefined);
  assert.deepEqual(indexes(big.entries(2, 4, Infinity)), ['2/1', '3/1']);
});
