// The in-memory group log (the cache's `appendonly no`): the GroupLog contract the driver
// relies on, without files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLog } from '../../src/raft/driver/memory-log.js';
import { isDepotError } from '../../src/util/errors.js';

const entry = (index: number, term: number, bytes = 10) => ({ index, term, timestamp: 0, type: 1, payload: Buffer.alloc(bytes, index) });

test('appends are stable at once; ranges, terms and bounds as the foundation log reports them', async () => {
  const log = new MemoryLog(5);
  assert.equal(log.lastIndex, 4);
  await log.append([entry(5, 1), entry(6, 1), entry(7, 2, 100), entry(8, 2)]);
  assert.deepEqual([log.firstIndex, log.lastIndex, log.writtenIndex, log.durableIndex], [5, 8, 8, 8]);
  assert.equal(log.term(7), 2);
  // The first entry always comes back, whatever the byte budget.
  assert.deepEqual(log.entries(5, 9, 25).map((e) => e.index), [5, 6]);
  assert.deepEqual(log.entries(7, 9, 1).map((e) => e.index), [7]);
  assert.deepEqual((await log.read(6, 9)).map((e) => e.index), [6, 7, 8]);
  assert.equal(log.cached(8)?.index, 8);
  assert.equal(log.cached(9), undefined);
  assert.throws(() => log.term(4), (err: unknown) => isDepotError(err, 'INDEX_COMPACTED'));
  assert.throws(() => log.entries(6, 10), (err: unknown) => isDepotError(err, 'INDEX_OUT_OF_RANGE'));
  assert.throws(() => log.append([entry(10, 2)]), /append of 10 after 8/);
});

test('truncation at either end, and reset', async () => {
  const log = new MemoryLog(1);
  await log.append([1, 2, 3, 4, 5].map((i) => entry(i, 1)));
  await log.truncateSuffix(4);
  assert.equal(log.lastIndex, 3);
  await log.append([entry(4, 2)]);
  assert.equal(log.term(4), 2);
  await log.truncatePrefix(3);
  assert.deepEqual([log.firstIndex, log.lastIndex], [3, 4]);
  assert.deepEqual(log.entries(3, 5).map((e) => e.term), [1, 2]);
  // Everything applied: an empty log that continues after 4.
  await log.truncatePrefix(5);
  assert.deepEqual([log.firstIndex, log.lastIndex], [5, 4]);
  await assert.rejects(log.truncatePrefix(7), (err: unknown) => isDepotError(err, 'INDEX_OUT_OF_RANGE'));
  await log.reset(100);
  assert.deepEqual([log.firstIndex, log.lastIndex], [100, 99]);
  await log.append([entry(100, 3)]);
  assert.equal(log.term(100), 3);
});
