// A raft connection's stream decodes the same however the socket cuts it: frames split at any
// byte, several frames in one read, a frame spread over many reads. Payloads that lie within one
// read are views into it (no copy); malformed streams are rejected, not misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader } from '../../src/raft/core/byte-reader.js';
import { MessageType, type Entry, type Message } from '../../src/raft/core/types.js';
import { RaftFrameReader } from '../../src/raft/driver/frame-reader.js';
import { encodeHello, encodeMessagesFrame, RaftApi, readMessages, SharedEntries } from '../../src/raft/driver/wire.js';
import { encodeFrame, FrameKind } from '../../src/protocol/native/frame.js';
import { isDepotError } from '../../src/util/errors.js';

const entry = (index: number, size: number): Entry => ({ index, term: 3, timestamp: index * 10, type: 2, payload: Buffer.alloc(size, index & 0xff) });
const append = (to: number, from: number, sizes: number[]): Message => ({
  type: MessageType.App, from: 1, to, term: 3, logTerm: 3, index: from - 1, commit: from - 1, reject: false, rejectHint: 0, context: 0, snapshot: undefined,
  entries: sizes.map((s, i) => entry(from + i, s)),
});

interface Decoded {
  api: number;
  group?: string;
  messages?: Message[];
  body?: Buffer;
}

function reader(out: Decoded[], max = 1 << 24): RaftFrameReader {
  return new RaftFrameReader(max, (api, body, n) => {
    if (api === RaftApi.Messages) out.push({ api, ...readMessages(body, n) });
    else out.push({ api, body: Buffer.from(body.bytes(n)) });
  });
}

/** `bytes` cut at the given positions (sorted, deduplicated, within the bytes). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    pieces.push(Buffer.from(bytes.subarray(last, p)));
    last = p;
  }
  return pieces;
}

const stream = (msgs: Message[][]): Buffer => Buffer.concat([
  encodeFrame(FrameKind.Request, RaftApi.Hello, 0, encodeHello(7)),
  ...msgs.flatMap((batch) => encodeMessagesFrame(Buffer.from('grp'), batch, new SharedEntries())),
]);

test('frames decode the same wherever the stream is cut', () => {
  const batches = [[append(2, 1, [5, 0, 300])], [append(2, 4, [1]), append(3, 4, [70, 2])], [append(2, 6, [])]];
  const bytes = stream(batches);
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 12 }), (at) => {
      const out: Decoded[] = [];
      const r = reader(out);
      for (const piece of cut(bytes, at)) r.push(piece);
      assert.deepEqual(out, [{ api: RaftApi.Hello, body: encodeHello(7) }, ...batches.map((messages) => ({ api: RaftApi.Messages, group: 'grp', messages }))]);
    }),
  );
});

test('every cut of a frame, byte by byte', () => {
  const batch = [append(2, 1, [3, 40, 0, 9])];
  const bytes = stream([batch]);
  for (let i = 0; i <= bytes.length; i++) {
    for (const step of [1, 7]) {
      const out: Decoded[] = [];
      const r = reader(out);
      r.push(bytes.subarray(0, i));
      for (let o = i; o < bytes.length; o += step) r.push(bytes.subarray(o, Math.min(bytes.length, o + step)));
      assert.deepEqual(out[1]?.messages, batch, `cut at ${i}, then every ${step} bytes`);
    }
  }
});

test('payloads within one read are views into it; only one cut by a read boundary is copied', () => {
  const batch = [append(2, 1, [1000, 1000, 1000])];
  const bytes = stream([batch]);
  const split = bytes.length - 1500; // inside the second payload
  const first = Buffer.from(bytes.subarray(0, split));
  const second = Buffer.from(bytes.subarray(split));
  const out: Decoded[] = [];
  const r = reader(out);
  r.push(first);
  r.push(second);
  assert.deepEqual(out[1]!.messages, batch);
  // Overwriting the reads shows which payloads are views into them.
  first.fill(0xee);
  second.fill(0xee);
  const [a, b, c] = out[1]!.messages![0]!.entries.map((e) => e.payload.every((x) => x === 0xee));
  assert.deepEqual([a, b, c], [true, false, true]);
});

test('malformed streams are rejected', () => {
  const bad = (bytes: Buffer, code: 'MALFORMED_FRAME' | 'FRAME_TOO_LARGE', max = 1 << 20) =>
    assert.throws(() => reader([], max).push(bytes), (e: unknown) => isDepotError(e, code), code);
  const tooShort = Buffer.alloc(12);
  tooShort.writeUInt32BE(3, 0);
  bad(tooShort, 'MALFORMED_FRAME');
  const hello = encodeFrame(FrameKind.Request, RaftApi.Hello, 0, encodeHello(7));
  bad(hello, 'FRAME_TOO_LARGE', 8);
  const kind = Buffer.from(hello);
  kind[4] = 9;
  bad(kind, 'MALFORMED_FRAME');
  // A messages frame whose count claims more than its body holds.
  const frame = Buffer.concat(encodeMessagesFrame(Buffer.from('g'), [append(2, 1, [4])], new SharedEntries()));
  const lying = Buffer.from(frame);
  lying.writeUInt32BE(2, 12 + 2 + 1);
  bad(lying, 'MALFORMED_FRAME');
  // A body the handler does not read exactly.
  assert.throws(() => new RaftFrameReader(1 << 20, () => undefined).push(hello), (e: unknown) => isDepotError(e, 'MALFORMED_FRAME'));
});

test('the byte reader joins a field cut across pieces and reads on after it', () => {
  const r = new ByteReader();
  for (const p of [[0x00, 0x01], [0x02], [0x03, 0x04, 0x05], [0x06, 0x07]]) r.push(Buffer.from(p));
  assert.equal(r.peekU32(), 0x00010203);
  r.skip(4);
  assert.deepEqual([...r.bytes(3)], [4, 5, 6]);
  assert.equal(r.available, 1);
  assert.throws(() => r.need(2), (e: unknown) => isDepotError(e, 'MALFORMED_FRAME'));
  assert.deepEqual([...r.bytes(1)], [7]);
  r.compact();
  assert.equal(r.available, 0);
});
