import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueProgress } from '../../src/client/queue-progress.js';

test('the commit point moves past a message only once every earlier one is done', () => {
  const p = new QueueProgress();
  assert.equal(p.commitPoint(), undefined);
  for (const o of [3, 4, 5, 7]) p.delivered(o);
  p.complete(4);
  p.complete(7);
  assert.equal(p.commitPoint(), 3);
  p.complete(3);
  assert.equal(p.commitPoint(), 5);
  p.complete(5);
  assert.equal(p.commitPoint(), 8);
  p.scannedTo(10);
  assert.equal(p.commitPoint(), 10);
  p.committed = 10;
  assert.equal(p.commitPoint(), undefined);
});

test('a message completed twice (commit() in the handler, then its return) leaves nothing behind', () => {
  const p = new QueueProgress();
  for (let o = 0; o < 1000; o++) p.delivered(o);
  for (let o = 0; o < 1000; o++) {
    p.complete(o);
    p.complete(o);
  }
  assert.equal(p.commitPoint(), 1000);
  // Nothing is left waiting: a later out-of-order completion still holds the point back correctly.
  p.delivered(1000);
  p.delivered(1001);
  p.complete(1001);
  assert.equal(p.commitPoint(), 1000);
  p.complete(1000);
  assert.equal(p.commitPoint(), 1002);
  assert.equal((p as unknown as { done: Set<number> }).done.size, 0);
});
