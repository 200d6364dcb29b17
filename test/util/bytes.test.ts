import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readF64BE, readU32BE, writeF64BE, writeU32BE } from '../../src/util/bytes.js';

// The byte-at-a-time helpers must read and write exactly what Buffer's own methods do: the
// effect log's records are read back after a restart, possibly by a build that used those.
test('u32 BE matches Buffer.writeUInt32BE and readUInt32BE', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 12 }), (n, at) => {
      const ours = Buffer.alloc(16);
      const theirs = Buffer.alloc(16);
      writeU32BE(ours, at, n);
      theirs.writeUInt32BE(n, at);
      assert.deepEqual(ours, theirs);
      assert.equal(readU32BE(theirs, at), n);
    }),
  );
});

test('f64 BE matches Buffer.writeDoubleBE and readDoubleBE, including NaN, infinities and -0', () => {
  fc.assert(
    fc.property(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, Number.MIN_VALUE)), fc.integer({ min: 0, max: 8 }), (n, at) => {
      const ours = Buffer.alloc(16);
      const theirs = Buffer.alloc(16);
      writeF64BE(ours, at, n);
      theirs.writeDoubleBE(n, at);
      assert.deepEqual(ours, theirs);
      assert.ok(Object.is(readF64BE(theirs, at), n));
    }),
  );
});
