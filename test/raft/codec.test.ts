// Raft messages and snapshot chunks survive encoding: property-tested over random messages,
// and malformed input is rejected with MALFORMED_FRAME instead of being misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, encodedMessageBytes, encodeMessageInto } from '../../src/raft/core/codec.js';
import { MessageType, type Message } from '../../src/raft/core/types.js';
import { decodeMessages, decodeSnapshotChunk, encodeMessagesFrame, encodeSnapshotChunk, SharedEntries } from '../../src/raft/driver/wire.js';
import { FrameDecoder } from '../../src/protocol/native/frame.js';
import { isDepotError } from '../../src/util/errors.js';

const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const id = fc.integer({ min: 1, max: 0xffffffff });
const plain = { noNullPrototype: true } as const;
const conf = fc.record({ voters: fc.array(id, { maxLength: 7 }), learners: fc.array(id, { maxLength: 3 }) }, plain);
const snapshot = fc.record({ index: u64, term: u64, conf }, plain);
const entry = fc.record({
  index: u64,
  term: u64,
  timestamp: u64,
  type: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
}, plain);
const message: fc.Arbitrary<Message> = fc.record({
  type: fc.constantFrom(...Object.values(MessageType)),
  from: id,
  to: id,
  term: u64,
  logTerm: u64,
  index: u64,
  entries: fc.array(entry, { maxLength: 5 }),
  commit: u64,
  reject: fc.boolean(),
  rejectHint: u64,
  context: u64,
  snapshot: fc.option(snapshot, { nil: undefined }),
}, plain);

/** The body of the one frame that encodeMessagesFrame's pieces make up. */
function encodeMessages(group: string, msgs: readonly Message[], shared = new SharedEntries()): Buffer {
  const frames = new FrameDecoder(1 << 20).push(Buffer.concat(encodeMessagesFrame(Buffer.from(group, 'utf8'), msgs, shared)));
  assert.equal(frames.length, 1);
  return frames[0]!.body;
}

test('messages round-trip through the codec', () => {
  fc.assert(
    fc.property(message, (m) => {
      const b = Buffer.alloc(encodedMessageBytes(m));
      assert.equal(encodeMessageInto(m, b, 0), b.length);
      const { message: back, next } = decodeMessage(b, 0);
      assert.equal(next, b.length);
      assert.deepEqual(back, m);
    }),
  );
});

test('message batches and snapshot chunks round-trip', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.array(message, { maxLength: 4 }), snapshot, u64, (group, msgs, meta, offset) => {
      assert.deepEqual(decodeMessages(encodeMessages(group, msgs)), { group, messages: msgs });
      const chunk = { group, from: 1, to: 2, term: 3, meta, offset, last: true, data: Buffer.from('abc') };
      assert.deepEqual(decodeSnapshotChunk(encodeSnapshotChunk(chunk)), chunk);
    }),
  );
});

test('truncated or corrupted batches are rejected as malformed', () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 3 }), fc.nat(), (msgs, cut) => {
      const b = encodeMessages('g', msgs);
      const short = b.subarray(0, cut % b.length);
      assert.throws(() => decodeMessages(short), (err: unknown) => isDepotError(err, 'MALFORMED_FRAME'));
    }),
  );
});

test('an append sent to several followers is encoded once and decodes for each', () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), (entries) => {
      const shared = new SharedEntries();
      const to = (id: number): Message => ({ type: MessageType.App, from: 1, to: id, term: 2, logTerm: 1, index: 7, entries, commit: 3, reject: false, rejectHint: 0, context: 0, snapshot: undefined });
      const a = encodeMessagesFrame(Buffer.from('g'), [to(2)], shared);
      const b = encodeMessagesFrame(Buffer.from('g'), [to(3), to(3)], shared);
      assert.equal(a[1], b[1], 'the entries are the same buffer');
      assert.equal(b[1], b[3]);
      assert.deepEqual(decodeMessages(encodeMessages('g', [to(3), to(3)], shared)).messages, [to(3), to(3)]);
      // A different run of entries is encoded on its own.
      const other = encodeMessagesFrame(Buffer.from('g'), [{ ...to(2), entries: entries.slice(1) }], shared);
      assert.ok(entries.length === 1 || other[1] !== a[1]);
    }),
  );
});
