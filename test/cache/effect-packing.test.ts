// The journal's compressed form of a turn's effects: what is packed, what is stored as built, the
// back-off after payloads that do not compress, and damaged packed payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { compressSync } from 'lz4-napi';
import { effectBytes, EffectPacker, PACKED, unpackEffects } from '../../src/cache/machine/effect-packing.js';
import { applyEffects, EffectEncoder, Op } from '../../src/cache/machine/effects.js';
import { Keyspace } from '../../src/cache/machine/keyspace.js';
import { isDepotError } from '../../src/util/errors.js';

/** A turn of SETs as the encoder builds it: `n` keys, each value made by `value(i)`. */
function turn(n: number, value: (i: number) => string): Buffer {
  const enc = new EffectEncoder();
  for (let i = 0; i < n; i++) enc.op(Op.SET, 0).str(`key:${i}`).str(value(i)).num(0).flag(false);
  return Buffer.from(enc.take()!);
}
const repeated = (n: number) => turn(n, () => 'x'.repeat(1024));
const random = (n: number) => turn(n, () => randomBytes(768).toString('latin1'));
const isPacked = (p: Buffer) => p[0] === PACKED;

test('packs what saves an eighth, stores the rest as built, and unpacks to the same bytes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.oneof(fc.string({ maxLength: 3000 }), fc.string({ maxLength: 4, minLength: 1 }).map((s) => s.repeat(500))) }), { maxLength: 60 }),
      (sets) => {
        const enc = new EffectEncoder();
        for (const { key, value } of sets) enc.op(Op.SET, 0).str(key).str(value).num(0).flag(false);
        const built = enc.take();
        if (built === null) return;
        const raw = Buffer.from(built);
        const stored = new EffectPacker().pack(raw);
        if (isPacked(stored)) assert.ok(stored.length <= raw.length - (raw.length >>> 3), `${stored.length} of ${raw.length}`);
        else assert.equal(stored, raw);
        assert.deepEqual(unpackEffects(stored), raw);
        assert.equal(effectBytes(stored), raw.length);
      },
    ),
    { numRuns: 200 },
  );
});

test('a packed payload applies as the payload it was built from', () => {
  const raw = turn(40, (i) => `value ${i % 3} `.repeat(100));
  const stored = new EffectPacker().pack(raw);
  assert.ok(isPacked(stored) && stored.length < raw.length / 10, `${stored.length} of ${raw.length}`);
  const ks = new Keyspace(1);
  applyEffects(ks, stored);
  for (let i = 0; i < 40; i++) {
    const v = ks.dbs[0]!.keys.get(`key:${i}`);
    assert.equal(typeof v === 'number' ? ks.blobs.text(v) : v, `value ${i % 3} `.repeat(100));
  }
});

test('small and very large payloads are stored as built', () => {
  const packer = new EffectPacker();
  const small = repeated(3);
  assert.ok(small.length < 4096);
  assert.equal(packer.pack(small), small);
  const large = turn(1, () => 'x'.repeat(5 * 1024 * 1024));
  assert.equal(packer.pack(large), large);
  assert.ok(isPacked(packer.pack(repeated(20))), 'the packer still packs after payloads it did not try');
});

test('a payload over 64 KiB is judged by its first 16 KiB', () => {
  const enc = new EffectEncoder();
  enc.op(Op.SET, 0).str('noise').str(randomBytes(20 * 1024).toString('latin1')).num(0).flag(false);
  for (let i = 0; i < 100; i++) enc.op(Op.SET, 0).str(`key:${i}`).str('x'.repeat(1024)).num(0).flag(false);
  const raw = Buffer.from(enc.take()!);
  assert.ok(raw.length > 64 * 1024 && compressSync(raw).length < raw.length / 2, 'the whole would compress');
  assert.equal(new EffectPacker().pack(raw), raw);
});

test('after payloads that do not compress it tries again after 1, 2, 4 ... at most 64 payloads', () => {
  const outcomes = (packer: EffectPacker, payloads: Buffer[]) => payloads.map((p) => (isPacked(packer.pack(p)) ? 'P' : '-')).join('');
  const R = random(30);
  const C = repeated(20);
  // A miss; one payload goes untried; the next try packs, and so do the payloads after it.
  assert.equal(outcomes(new EffectPacker(), [R, C, C, C]), '--PP');
  // Misses at the 1st, 3rd and 6th payloads (the skip doubles), then 4 untried before a try.
  assert.equal(outcomes(new EffectPacker(), [R, R, R, R, R, R, C, C, C, C, C]), '----------P');
  // After many misses at most 64 payloads go untried.
  const packer = new EffectPacker();
  outcomes(packer, Array.from({ length: 300 }, () => R));
  const after = outcomes(packer, Array.from({ length: 70 }, () => C));
  assert.ok(after.indexOf('P') > 0 && after.indexOf('P') <= 64, after);
  assert.equal(after.slice(after.indexOf('P')), 'P'.repeat(70 - after.indexOf('P')));
});

test('a damaged packed payload is CORRUPT_LOG', () => {
  const raw = repeated(20);
  const stored = new EffectPacker().pack(raw);
  assert.ok(isPacked(stored));
  const corrupt = (p: Buffer) => assert.throws(() => unpackEffects(p), (e) => isDepotError(e, 'CORRUPT_LOG'));
  corrupt(Buffer.from([PACKED]));
  corrupt(Buffer.from([PACKED, 0, 0, 0, 0]));
  const claimsTooMuch = Buffer.from(stored);
  claimsTooMuch.writeUInt32LE(2 ** 31, 1);
  corrupt(claimsTooMuch);
  const claimsOther = Buffer.from(stored);
  claimsOther.writeUInt32LE(raw.length - 1, 1);
  corrupt(claimsOther);
  corrupt(stored.subarray(0, stored.length - 10));
  // A block that is not LZ4 at all.
  corrupt(Buffer.concat([Buffer.from([PACKED]), compressSync(raw).subarray(0, 5), Buffer.alloc(40, 0xff)]));
});
