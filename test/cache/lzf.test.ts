// LZF: what the compressor writes expands back to the input, stays within the bound it was given
// (or gives up), and the decompressor refuses malformed data instead of reading past it. Byte
// equality with Redis's own output is checked through DUMP (dump-restore.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { lzfCompress, lzfDecompress } from '../../src/cache/rdb/lzf.js';

/** Inputs with repeats at every distance LZF can reach (up to 8 KiB back) and beyond. */
const inputs = fc.oneof(
  fc.uint8Array({ minLength: 3, maxLength: 3000 }),
  fc.array(fc.constantFrom(0, 1, 2, 97), { minLength: 3, maxLength: 20_000 }).map((a) => Uint8Array.from(a)),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 80 }), fc.uint8Array({ minLength: 0, maxLength: 9000 }))
    .map(([unit, times, gap]) => {
      const parts: number[] = [];
      for (let i = 0; i < times; i++) parts.push(...unit, ...(i % 7 === 3 ? gap : []));
      return Uint8Array.from(parts.length >= 3 ? parts : [...parts, 1, 2, 3]);
    }),
);

test('property: compressed data expands back to the input, within the bound given', () => {
  fc.assert(
    fc.property(inputs, (input) => {
      const packed = lzfCompress(input, input.length + 64);
      assert.ok(packed !== null, 'any input fits in its length plus the runs headers');
      assert.ok(packed.length <= input.length + 64);
      assert.deepEqual(lzfDecompress(packed, input.length), Buffer.from(input));
      // Redis asks for at least 4 bytes saved: a bound it cannot meet is refused, not overrun.
      const tight = lzfCompress(input, input.length - 4);
      if (tight !== null) {
        assert.ok(tight.length <= input.length - 4);
        assert.deepEqual(lzfDecompress(tight, input.length), Buffer.from(input));
      }
    }),
    { numRuns: 300 },
  );
});

test('repeats compress: a run of one byte, a repeated phrase; random bytes do not', () => {
  const run = Buffer.alloc(100_000, 'x');
  assert.ok(lzfCompress(run, run.length)!.length < 1300);
  const phrase = Buffer.from('the quick brown fox '.repeat(200));
  assert.ok(lzfCompress(phrase, phrase.length)!.length < 200);
  const random = randomBytes(1000);
  assert.equal(lzfCompress(random, random.length - 4), null);
});

test('property: the decompressor refuses or expands malformed data without reading past it', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (data, length) => {
      const out = lzfDecompress(data, length);
      if (out !== null) assert.equal(out.length, length);
    }),
    { numRuns: 2000 },
  );
});
