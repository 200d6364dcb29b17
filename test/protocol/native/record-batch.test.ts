import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeRecord, encodeBatch, scanBatch, tagHash, BATCH_HEADER_BYTES, type MessageInput } from '../../../src/protocol/native/record-batch.js';
import { isDepotError } from '../../../src/util/errors.js';

const text = fc.string({ maxLength: 40 });
const messageArb: fc.Arbitrary<MessageInput> = fc.record(
  {
    key: text,
    tag: text,
    headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), text, { maxKeys: 4 }),
    body: fc.uint8Array({ maxLength: 200 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 50 }),
  },
  { requiredKeys: ['body', 'timestamp'] },
);

test('every record decodes to what was encoded, at the offset the scan reports', () => {
  fc.assert(
    fc.property(fc.array(messageArb, { minLength: 1, maxLength: 20 }), (messages) => {
      const batch = encodeBatch(messages, 0);
      const infos = scanBatch(batch);
      assert.equal(infos.length, messages.length);
      infos.forEach((info, i) => {
        const m = messages[i]!;
        const rec = decodeRecord(batch.subarray(info.offset, info.offset + info.size));
        assert.equal(rec.key, m.key);
        assert.equal(rec.tag, m.tag);
        assert.deepEqual(rec.headers, Object.assign(Object.create(null), m.headers));
        assert.deepEqual(new Uint8Array(rec.body), new Uint8Array(m.body as Uint8Array));
        assert.equal(rec.timestamp, m.timestamp);
        assert.equal(info.tagHash, m.tag === undefined ? 0 : tagHash(m.tag));
      });
    }),
  );
});

test('any flipped byte is caught by the CRC or the structure check, never read out of bounds', () => {
  const batch = encodeBatch([{ key: 'k', tag: 't', body: 'hello world', headers: { a: 'b' } }, { body: 'x' }], 1);
  for (let i = 0; i < batch.length; i++) {
    const bad = Buffer.from(batch);
    bad[i] = bad[i]! ^ 0x5a;
    assert.throws(
      () => scanBatch(bad),
      (e) => isDepotError(e, 'CRC_MISMATCH') || isDepotError(e, 'INVALID_MESSAGE'),
      `byte ${i}`,
    );
  }
});

test('truncated batches and oversized bodies are typed errors', () => {
  const batch = encodeBatch([{ body: Buffer.alloc(100) }], 1);
  for (const n of [0, 5, BATCH_HEADER_BYTES, batch.length - 1]) {
    assert.throws(() => scanBatch(batch.subarray(0, n)), (e) => isDepotError(e, 'INVALID_MESSAGE') || isDepotError(e, 'CRC_MISMATCH'));
  }
  assert.throws(() => scanBatch(batch, 99), (e) => isDepotError(e, 'MESSAGE_TOO_LARGE'));
  assert.equal(scanBatch(batch, 100).length, 1);
});
