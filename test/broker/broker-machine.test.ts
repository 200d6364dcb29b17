import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerMachine, type StoredBatch } from '../../src/broker/machine/broker-machine.js';
import { encodeCommit, encodeDropTopic, encodeProduceHeader } from '../../src/broker/machine/commands.js';
import { encodeBatch } from '../../src/protocol/native/record-batch.js';
import { isDepotError } from '../../src/util/errors.js';

let index = 0;
const entry = (payload: Buffer) => ({ index: ++index, term: 1, timestamp: 1000 + index, type: 2, payload });
const produce = (topic: string, queue: number, pid: number, seq: number, count: number) =>
  entry(Buffer.concat([encodeProduceHeader(topic, queue, pid, seq), encodeBatch(Array.from({ length: count }, () => ({ body: 'x' })), 0)]));

test('offsets are assigned per queue, in log order', () => {
  const m = new BrokerMachine();
  const a = m.apply(produce('t', 0, 0, 0, 3)) as StoredBatch;
  const b = m.apply(produce('t', 1, 0, 0, 2)) as StoredBatch;
  const c = m.apply(produce('t', 0, 0, 0, 1)) as StoredBatch;
  assert.deepEqual([a.baseOffset, b.baseOffset, c.baseOffset], [0, 0, 3]);
  assert.equal(m.endOffset('t', 0), 4);
  assert.equal(c.storeTimestamp, 1000 + index);
});

test('an idempotent retry returns the original result and stores nothing; a gap is refused', () => {
  const m = new BrokerMachine();
  const first = m.apply(produce('t', 0, 42, 0, 5)) as StoredBatch;
  const retry = m.apply(produce('t', 0, 42, 0, 5)) as StoredBatch;
  assert.equal(retry.duplicate, true);
  assert.equal(retry.baseOffset, first.baseOffset);
  assert.equal(retry.logIndex, first.logIndex);
  assert.equal(m.endOffset('t', 0), 5);
  assert.equal((m.apply(produce('t', 0, 42, 5, 1)) as StoredBatch).baseOffset, 5);
  assert.throws(() => m.apply(produce('t', 0, 42, 9, 1)), (e) => isDepotError(e, 'OUT_OF_ORDER_SEQUENCE'));
  assert.equal(m.endOffset('t', 0), 6);
});

test('commits, drops and snapshots are deterministic', () => {
  const m = new BrokerMachine();
  m.apply(produce('t', 0, 7, 0, 2));
  m.apply(entry(encodeCommit('g', 't', [{ queue: 0, offset: 1 }])));
  assert.equal(m.committed('g', 't', 0), 1);
  const copy = new BrokerMachine();
  copy.restore(JSON.parse(JSON.stringify(m.snapshot())));
  assert.deepEqual(copy.snapshot(), m.snapshot());
  assert.equal((copy.apply(produce('t', 0, 7, 0, 2)) as StoredBatch).duplicate, true);
  m.apply(entry(encodeDropTopic('t')));
  assert.equal(m.endOffset('t', 0), 0);
  assert.equal(m.committed('g', 't', 0), undefined);
});
