import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCommitRequest, decodeDelivery, DELIVERY_RUNS, encodeCommitRequest, encodeDelivery, encodeDeliveryRuns, type Delivery } from '../../../src/protocol/native/consume.js';
import { decodeError, encodeError } from '../../../src/protocol/native/error-body.js';
import { decodeGroupDescription, decodeResetRequest, encodeGroupDescription, encodeResetRequest } from '../../../src/protocol/native/group-admin.js';
import { decodeAssignment, decodeJoinRequest, encodeAssignment, encodeJoinRequest, type JoinRequest } from '../../../src/protocol/native/membership.js';
import { formatMessageId, parseMessageId } from '../../../src/protocol/native/message-id.js';
import { decodeProduceRequest, encodeProduceHead } from '../../../src/protocol/native/produce.js';
import { BATCH_HEADER_BYTES, decodeRecord, encodeBatch } from '../../../src/protocol/native/record-batch.js';
import { decodeTopicDescription, encodeTopicDescription } from '../../../src/protocol/native/topics.js';
import { DepotError, isDepotError } from '../../../src/util/errors.js';

const join: JoinRequest = { group: 'billing', topic: 'orders', mode: 'broadcast', instanceId: 'i-1', tags: ['a', 'b'], start: { timestamp: 1700000000000 }, sessionTimeoutMs: 5000 };

test('bodies round-trip', () => {
  assert.deepEqual(decodeJoinRequest(encodeJoinRequest(join)), join);
  const a = { group: 'g', topic: 't', generation: 7, queues: [0, 3, 9] };
  assert.deepEqual(decodeAssignment(encodeAssignment(a)), a);
  const c = { memberId: 'm', offsets: [{ queue: 1, offset: 2 ** 40 }] };
  assert.deepEqual(decodeCommitRequest(encodeCommitRequest(c)), c);
  const topic = { name: 't', queues: 2, retentionMs: 1000, maxMessageBytes: 10, flush: 'async' as const, createdAt: 5, brokerGroup: 1 };
  const td = { topic, queues: [{ startOffset: 0, endOffset: 3, lastStoreTimestamp: 4 }, { startOffset: 0, endOffset: 0, lastStoreTimestamp: 0 }] };
  assert.deepEqual(decodeTopicDescription(encodeTopicDescription(td)), td);
  const gd = { group: 'g', topic: 't', mode: 'clustering' as const, generation: 3, members: [{ memberId: 'm', clientId: 'c', instanceId: 'i', queues: [1] }], queues: [{ owner: '', queue: 1, committed: undefined, endOffset: 4, lagMessages: 4, lagMs: 10 }] };
  assert.deepEqual(decodeGroupDescription(encodeGroupDescription(gd)), gd);
  for (const to of ['earliest', 'latest', { timestamp: 5 }, { offset: 6 }] as const) {
    assert.deepEqual(decodeResetRequest(encodeResetRequest({ group: 'g', topic: 't', to })).to, to);
  }
  const head = encodeProduceHead({ topic: 't', queue: 3, producerId: 2 ** 46, baseSequence: 9 });
  const p = decodeProduceRequest(Buffer.concat([head, Buffer.from('batch')]));
  assert.deepEqual({ ...p, batch: p.batch.toString() }, { topic: 't', queue: 3, producerId: 2 ** 46, baseSequence: 9, batch: 'batch' });
  const err = decodeError(encodeError(new DepotError('NOT_LEADER', 'not the leader', { details: { leader: '127.0.0.1:1' } })));
  assert.equal(err.code, 'NOT_LEADER');
  assert.deepEqual(err.details, { leader: '127.0.0.1:1' });
  const loc = { brokerGroup: 3, logIndex: 2 ** 40 + 5, position: 77 };
  assert.deepEqual(parseMessageId(formatMessageId(loc)), loc);
});

/** Three records of one batch as one run, and a run of one from another. */
function delivery(): Delivery {
  const batch = encodeBatch([{ body: 'a' }, { key: 'k', tag: 't', headers: { h: 'v' }, body: 'bb' }, { body: 'ccc' }], 7);
  const other = encodeBatch([{ body: 'z' }], 8);
  return {
    brokerGroup: 1,
    topic: 't',
    runs: [
      { queue: 2, offset: 5, count: 3, storeTimestamp: 9, logIndex: 11, position: 40 + BATCH_HEADER_BYTES, records: batch.subarray(BATCH_HEADER_BYTES) },
      { queue: 3, offset: 0, count: 1, storeTimestamp: 10, logIndex: 12, position: 50, records: other.subarray(BATCH_HEADER_BYTES) },
    ],
    scanned: [{ queue: 2, next: 9 }, { queue: 3, next: 1 }],
  };
}

test('a Delivery in runs round-trips; the legacy layout carries the same messages one run each', () => {
  const d = delivery();
  assert.deepEqual(decodeDelivery(Buffer.concat(encodeDeliveryRuns(d)), DELIVERY_RUNS), d);
  const legacy = decodeDelivery(encodeDelivery(d), 0);
  assert.deepEqual(legacy.scanned, d.scanned);
  assert.deepEqual(
    legacy.runs.map((r) => [r.queue, r.offset, r.count, r.storeTimestamp, r.logIndex, r.position, decodeRecord(r.records).body.toString()]),
    [[2, 5, 1, 9, 11, 50, 'a'], [2, 6, 1, 9, 11, 70, 'bb'], [2, 7, 1, 9, 11, 105, 'ccc'], [3, 0, 1, 10, 12, 50, 'z']],
  );
  // The records travel as views of the stored bytes, not copies.
  assert.ok(encodeDeliveryRuns(d).includes(d.runs[0]!.records));
});

test('a run whose records do not match its count is MALFORMED_FRAME', () => {
  const d = delivery();
  d.runs[0]!.count = 2;
  assert.throws(() => decodeDelivery(Buffer.concat(encodeDeliveryRuns(d)), DELIVERY_RUNS), (e) => isDepotError(e, 'MALFORMED_FRAME'));
  d.runs[0]!.count = 4;
  assert.throws(() => decodeDelivery(Buffer.concat(encodeDeliveryRuns(d)), DELIVERY_RUNS), (e) => isDepotError(e, 'MALFORMED_FRAME'));
});

test('any truncation of a body is MALFORMED_FRAME, never a crash or an over-read', () => {
  const bodies = [encodeJoinRequest(join), encodeCommitRequest({ memberId: 'm', offsets: [{ queue: 1, offset: 2 }] }), Buffer.concat(encodeDeliveryRuns(delivery())), encodeDelivery(delivery())];
  const decoders = [decodeJoinRequest, decodeCommitRequest, (b: Buffer) => decodeDelivery(b, DELIVERY_RUNS), (b: Buffer) => decodeDelivery(b, 0)];
  bodies.forEach((body, i) => {
    for (let n = 0; n < body.length; n++) {
      assert.throws(() => decoders[i]!(Buffer.from(body.subarray(0, n))), (e) => isDepotError(e, 'MALFORMED_FRAME'));
    }
  });
});

test('random bytes never escape as anything but a DepotError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const runs = (b: Buffer) => decodeDelivery(b, DELIVERY_RUNS);
      const legacy = (b: Buffer) => decodeDelivery(b, 0);
      for (const decode of [decodeJoinRequest, decodeCommitRequest, runs, legacy, decodeGroupDescription, decodeResetRequest, decodeTopicDescription]) {
        try {
          decode(Buffer.from(bytes));
        } catch (e) {
          assert.ok(e instanceof DepotError, String(e));
        }
      }
    }),
  );
});
