// The pieces a stream is built from, alone: IDs in their 16-byte form (stream-id.ts), the
// sorted map of pending entries (sorted-map.ts), listpack sizes (listpack-size.ts), and the
// radix-tree node count XINFO reports. The commands themselves are compared with redis-server
// in streams.test.ts and differential.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decrId, formatId, incrId, MAX_ID, MIN_ID, parseId, streamId } from '../../src/cache/machine/stream-id.js';
import { SortedMap } from '../../src/cache/machine/sorted-map.js';
import { LP_OVERHEAD, lpInt, lpString } from '../../src/cache/machine/listpack-size.js';
import { radixNodes } from '../../src/cache/commands/stream-info.js';

const U64_MAX = (1n << 64n) - 1n;
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, U64_MAX - 1n, U64_MAX));

test('IDs: text round trip, order as numbers, increment and decrement with carries', () => {
  fc.assert(
    fc.property(u64, u64, u64, u64, (ms1, seq1, ms2, seq2) => {
      const a = streamId(ms1, seq1);
      const b = streamId(ms2, seq2);
      assert.equal(formatId(a), `${ms1}-${seq1}`);
      assert.equal(parseId(formatId(a), 0, true)?.id, a);
      const numeric = ms1 === ms2 ? Math.sign(Number(seq1 - seq2)) : Math.sign(Number(ms1 - ms2));
      assert.equal(a < b ? -1 : a > b ? 1 : 0, numeric);
      const next = incrId(a);
      if (a === MAX_ID) assert.equal(next, null);
      else assert.equal(formatId(next!), seq1 === U64_MAX ? `${ms1 + 1n}-0` : `${ms1}-${seq1 + 1n}`);
      if (a !== MIN_ID) assert.equal(incrId(decrId(a)!), a);
    }),
    { numRuns: 2000 },
  );
  assert.equal(decrId(MIN_ID), null);
  assert.equal(formatId(decrId(streamId(5, 0))!), `4-${U64_MAX}`);
});

test("IDs are parsed as Redis's string2ull reads them", () => {
  const parse = (text: string, missingSeq: 0 | 'max' = 0, strict = false) => {
    const p = parseId(text, missingSeq, strict, true);
    return p === null ? null : `${formatId(p.id)}${p.seqGiven ? '' : ' auto'}`;
  };
  assert.equal(parse('5'), '5-0');
  assert.equal(parse('5', 'max'), `5-${U64_MAX}`);
  assert.equal(parse('007-1'), '7-1'); // leading zeros: strtoull
  assert.equal(parse('+8-1'), '8-1');
  assert.equal(parse(' 9-1'), '9-1');
  assert.equal(parse('-5'), null); // "" before the dash
  assert.equal(parse('9--1'), null); // a canonical negative
  assert.equal(parse('9--01'), `9-${U64_MAX}`); // strtoull wraps what string2ll refused
  assert.equal(parse('3-*'), '3-0 auto');
  assert.equal(parse(`${U64_MAX}-${U64_MAX}`), `${U64_MAX}-${U64_MAX}`);
  assert.equal(parse(`${U64_MAX + 1n}-0`), null);
  assert.equal(parse('-'), '0-0');
  assert.equal(parse('+'), `${U64_MAX}-${U64_MAX}`);
  assert.equal(parse('-', 0, true), null);
  assert.equal(parse('1-x'), null);
  assert.equal(parse(''), null);
});

test('the sorted map keeps key order through inserts and deletes anywhere, as a Map does, and its frozen views what it held', () => {
  const op = fc.record({ del: fc.boolean(), key: fc.integer({ min: 0, max: 600 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 1500 }), fc.integer({ min: 0, max: 600 }), fc.array(fc.nat(1500), { maxLength: 3 }), (ops, from, freezeAt) => {
      const map = new SortedMap<number>();
      const ref = new Map<string, number>();
      const k = (n: number) => streamId(n, n % 3);
      const byKey = (entries: Iterable<[string, number]>) => [...entries].sort(([a], [b]) => (a < b ? -1 : 1));
      // Frozen views (what a snapshot reads) with what the map held when each was taken.
      const views: Array<[ReturnType<SortedMap<number>['freeze']>, Array<[string, number]>]> = [];
      for (const [i, o] of ops.entries()) {
        if (freezeAt.includes(i)) views.push([map.freeze(), byKey(ref)]);
        if (o.del) assert.equal(map.delete(k(o.key)), ref.delete(k(o.key)));
        else {
          assert.equal(map.set(k(o.key), i), !ref.has(k(o.key)));
          ref.set(k(o.key), i);
        }
      }
      map.check();
      for (const [view, then] of views) {
        assert.deepEqual([...view], then);
        assert.equal(view.size, then.length);
        for (const [key, value] of then.slice(0, 20)) assert.equal(view.get(key), value);
      }
      const sorted = byKey(ref);
      assert.deepEqual([...map], sorted);
      assert.equal(map.size, ref.size);
      assert.equal(map.firstKey(), sorted[0]?.[0]);
      assert.equal(map.lastKey(), sorted[sorted.length - 1]?.[0]);
      const walked: string[] = [];
      map.forEachFrom(k(from), (key) => walked.push(key) < 10);
      assert.deepEqual(walked, sorted.map(([key]) => key).filter((key) => key >= k(from)).slice(0, 10));
    }),
    { numRuns: 200 },
  );
});

test("listpack element sizes are listpack.c's", () => {
  assert.equal(LP_OVERHEAD, 7);
  // Integers by range (encoding + one backlen byte).
  assert.deepEqual([0, 127, 128, -1, 4095, -4096, 4096, 32767, 32768, 8388607, 8388608, 2 ** 31 - 1, 2 ** 31].map(lpInt), [2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 10]);
  // Strings that read as int64 are stored as integers; others carry a 1, 2 or 5 byte header.
  assert.equal(lpString('100'), 2);
  assert.equal(lpString('-0'), 4);
  assert.equal(lpString('007'), 5);
  assert.equal(lpString('9223372036854775807'), 10);
  assert.equal(lpString('9223372036854775808'), 21);
  assert.equal(lpString('a'.repeat(63)), 65);
  assert.equal(lpString('a'.repeat(64)), 67);
  assert.equal(lpString('a'.repeat(125)), 128);
  assert.equal(lpString('a'.repeat(126)), 130); // the backlen needs a second byte past 127
  assert.equal(lpString('a'.repeat(4096)), 4096 + 5 + 2);
});

test("radix-tree node counts are rax's for the keys of a stream's nodes", () => {
  // What redis-server 7.0.15 reported (XINFO STREAM) for streams of 1, 2 and 10 nodes whose
  // first IDs differ only in the last byte of their ms half, as these do.
  assert.equal(radixNodes([]), 1);
  assert.equal(radixNodes([streamId(1, 1)]), 2);
  assert.equal(radixNodes([streamId(1, 1), streamId(34, 2)]), 6);
  assert.equal(radixNodes(Array.from({ length: 10 }, (_, i) => streamId(1 + i * 23, i % 3))), 22);
});
