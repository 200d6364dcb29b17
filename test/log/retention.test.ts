import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeFileSystem } from '../../src/log/file-system.js';
import { Log } from '../../src/log/log.js';
import { segmentsToDelete } from '../../src/log/retention.js';
import { isDepotError } from '../../src/util/errors.js';
import { makeEntries, tempDir } from '../helpers/log.js';

const seg = (lastIndex: number, bytes: number, maxTimestamp: number) => ({ lastIndex, bytes, maxTimestamp });
const segments = [seg(10, 100, 1000), seg(20, 100, 2000), seg(30, 100, 3000), seg(40, 100, 4000)];
const none = { segments, now: 5000, pinnedIndex: Infinity, usage: { totalBytes: 1000, freeBytes: 900 } };

test('retention deletes by age, by size and by disk watermark, oldest first', () => {
  assert.equal(segmentsToDelete({}, none), 0);
  assert.equal(segmentsToDelete({ maxAgeMs: 2500 }, none), 2);
  assert.equal(segmentsToDelete({ maxBytes: 250 }, none), 2);
  assert.equal(segmentsToDelete({}, { ...none, usage: { totalBytes: 1000, freeBytes: 50 } }), 2);
  assert.equal(segmentsToDelete({ diskUsageWatermark: 0.5 }, { ...none, usage: { totalBytes: 1000, freeBytes: 300 } }), 2);
});

test('retention never deletes the active segment or past the pinned index', () => {
  assert.equal(segmentsToDelete({ maxBytes: 0 }, none), 3);
  assert.equal(segmentsToDelete({ maxAgeMs: 0 }, { ...none, now: 1e9 }), 3);
  assert.equal(segmentsToDelete({ maxBytes: 0 }, { ...none, pinnedIndex: 20 }), 1);
  assert.equal(segmentsToDelete({ maxBytes: 0 }, { ...none, pinnedIndex: 21 }), 2);
  assert.equal(segmentsToDelete({ maxBytes: 0 }, { ...none, pinnedIndex: 5 }), 0);
});

test('a log applies retention to whole closed segments and remembers it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const fs = { ...nodeFileSystem, usage: async () => ({ totalBytes: 1 << 30, freeBytes: 1 << 29 }) };
    let log = await Log.open({ dir, segmentBytes: 1024, fs });
    await log.append(makeEntries(1, 100, 1, 100));
    const before = log.segmentInfo();
    const pinned = before[4]!.lastIndex;
    const res = await log.retain({ maxBytes: 0 }, pinned, Date.now());
    assert.equal(res.segments, 4);
    assert.equal(log.firstIndex, before[4]!.base);
    assert.throws(() => log.entry(1), (e) => isDepotError(e, 'INDEX_COMPACTED'));
    assert.equal(log.entry(pinned).index, pinned);
    await log.close();
    log = await Log.open({ dir, segmentBytes: 1024 });
    assert.equal(log.firstIndex, before[4]!.base);
    assert.equal(log.segmentInfo().length, before.length - 4);
    await log.verify();
    await log.close();
  } finally {
    cleanup();
  }
});
