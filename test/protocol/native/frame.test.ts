import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder, FrameKind, FRAME_HEADER_BYTES, prefixedBody } from '../../../src/protocol/native/frame.js';
import { isDepotError } from '../../../src/util/errors.js';

const frameArb = fc.record({
  kind: fc.constantFrom(FrameKind.Request, FrameKind.Response, FrameKind.Push, FrameKind.Error),
  api: fc.integer({ min: 0, max: 0xffff }),
  correlationId: fc.integer({ min: 0, max: 0xffffffff }),
  body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

test('frames survive any split of the byte stream', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (frames, cuts) => {
      const stream = Buffer.concat(frames.map((f) => encodeFrame(f.kind, f.api, f.correlationId, f.body)));
      const decoder = new FrameDecoder(1024);
      const out = [];
      let pos = 0;
      for (let i = 0; pos < stream.length; i++) {
        const n = cuts[i % cuts.length]!;
        out.push(...decoder.push(stream.subarray(pos, pos + n)));
        pos += n;
      }
      assert.equal(decoder.buffered, 0);
      assert.deepEqual(
        out.map((f) => ({ kind: f.kind, api: f.api, correlationId: f.correlationId, body: Buffer.from(f.body) })),
        frames.map((f) => ({ ...f })),
      );
    }),
  );
});

test('a frame inside one chunk is a view, not a copy', () => {
  const body = Buffer.from('hello');
  const wire = encodeFrame(FrameKind.Request, 7, 42, body);
  const [frame] = new FrameDecoder(1024).push(wire);
  assert.equal(frame!.body.buffer, wire.buffer);
  assert.equal(frame!.body.byteOffset, wire.byteOffset + FRAME_HEADER_BYTES);
});

test('a decoded body gets a one-byte prefix in place, whether its frame came in one chunk or several', () => {
  const body = Buffer.from('the body');
  const wire = Buffer.concat([encodeFrame(FrameKind.Request, 10, 7, Buffer.from('x')), encodeFrame(FrameKind.Request, 10, 8, body)]);
  for (const split of [wire.length, 20, 27]) {
    const decoder = new FrameDecoder(1024);
    const frames = [...decoder.push(wire.subarray(0, split)), ...decoder.push(wire.subarray(split))];
    const f = frames[1]!;
    const prefixed = prefixedBody(f, 0x2a);
    assert.deepEqual(prefixed, Buffer.concat([Buffer.from([0x2a]), body]));
    assert.equal(prefixed.buffer, f.body.buffer, 'no copy');
    assert.equal(frames[0]!.body.toString(), 'x');
  }
  // A frame built by hand has no header in front of its body: a copy.
  const loose = { kind: FrameKind.Request, flags: 0, api: 10, correlationId: 1, body: Buffer.from('abc') };
  const copy = prefixedBody(loose, 1);
  assert.deepEqual(copy, Buffer.from([1, 0x61, 0x62, 0x63]));
  assert.deepEqual(loose.body, Buffer.from('abc'));
});

test('oversized, undersized and unknown-kind frames are typed errors', () => {
  const big = Buffer.alloc(4);
  big.writeUInt32BE(5000);
  assert.throws(() => new FrameDecoder(1024).push(big), (e) => isDepotError(e, 'FRAME_TOO_LARGE'));
  const small = Buffer.alloc(4);
  small.writeUInt32BE(3);
  assert.throws(() => new FrameDecoder(1024).push(small), (e) => isDepotError(e, 'MALFORMED_FRAME'));
  const badKind = encodeFrame(FrameKind.Request, 1, 1, Buffer.alloc(0));
  badKind.writeUInt8(9, 4);
  assert.throws(() => new FrameDecoder(1024).push(badKind), (e) => isDepotError(e, 'MALFORMED_FRAME'));
});
