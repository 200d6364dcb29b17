import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueIndex } from '../../src/broker/store/queue-index.js';

test('entries across chunk boundaries read back, and timestamps are searchable', () => {
  const idx = new QueueIndex();
  const n = 10_000;
  for (let i = 0; i < n; i++) idx.append(i + 1, i * 3, 100 + (i % 7), i % 5, 1000 + Math.floor(i / 10));
  assert.equal(idx.endOffset, n);
  const e = { logIndex: 0, position: 0, size: 0, tagHash: 0, timestamp: 0 };
  for (const i of [0, 15, 16, 4095, 4096, 8191, 9999]) {
    assert.deepEqual(idx.get(i, e), { logIndex: i + 1, position: i * 3, size: 100 + (i % 7), tagHash: i % 5, timestamp: 1000 + Math.floor(i / 10) });
  }
  assert.equal(idx.offsetForTimestamp(0), 0);
  assert.equal(idx.offsetForTimestamp(1500), 5000);
  assert.equal(idx.offsetForTimestamp(1500.5), 5010);
  assert.equal(idx.offsetForTimestamp(1e9), n);
});
