import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadCache } from '../../src/broker/store/read-cache.js';

const payloads = (n: number, bytes: number, fill: number) => Array.from({ length: n }, () => Buffer.alloc(bytes, fill));

test('the read cache holds at most its limit, dropping the oldest reads first', () => {
  const c = new ReadCache(1000);
  c.add(1, payloads(4, 100, 1)); // 1..4
  c.add(5, payloads(4, 100, 2)); // 5..8
  assert.equal(c.heldBytes, 800);
  assert.equal(c.get(3)![0], 1);
  c.add(9, payloads(4, 100, 3)); // over the limit: 1..4 go
  assert.equal(c.heldBytes, 800);
  assert.equal(c.get(3), undefined);
  assert.equal(c.get(8)![0], 2);
  assert.equal(c.get(12)![0], 3);
});

test('an entry read again survives the drop of its older read', () => {
  const c = new ReadCache(500);
  c.add(1, payloads(3, 100, 1)); // 1..3
  c.add(3, payloads(2, 100, 2)); // 3..4 again, newer
  c.add(10, payloads(1, 100, 3)); // 600 > 500: the first read goes, entry 3 stays (from the second)
  assert.equal(c.get(1), undefined);
  assert.equal(c.get(3)![0], 2);
  assert.equal(c.heldBytes, 300);
});

test('a single read larger than the limit is not kept', () => {
  const c = new ReadCache(100);
  c.add(1, payloads(2, 100, 1));
  assert.equal(c.get(1), undefined);
  assert.equal(c.heldBytes, 0);
});
