import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlobStore, MAX_BLOB, MIN_BLOB, type Stored } from '../../src/cache/machine/blobs.js';
import { AssertionError } from '../../src/util/assert.js';

const every = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

test('strings outside 64 bytes..64 KiB stay JS strings; inside, every byte value round-trips', () => {
  const b = new BlobStore();
  for (const s of ['', 'x', 'y'.repeat(MIN_BLOB - 1), 'z'.repeat(MAX_BLOB + 1)]) assert.equal(b.store(s), s);
  for (const s of [every.slice(0, MIN_BLOB), every, every.repeat(256), 'q'.repeat(MAX_BLOB), every.repeat(100).slice(0, 1027)]) {
    const v = b.store(s);
    assert.equal(typeof v, 'number');
    assert.equal(b.text(v), s);
    assert.equal(b.length(v), s.length);
    const start = b.startOf(v as number as never);
    assert.equal(b.chunkOf(v as never).toString('latin1', start, start + s.length), s);
  }
  assert.equal(b.count, 5);
});

test('a freed block is reused by its size class: churn does not grow the store', () => {
  const b = new BlobStore();
  const live: Stored[] = [];
  for (let i = 0; i < 5000; i++) live.push(b.store('v'.repeat(1024)));
  const reserved = b.reservedBytes;
  const used = b.usedBytes;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < live.length; i += 2) {
      b.release(live[i]!);
      live[i] = b.store(String(round % 10).repeat(1024));
    }
  }
  assert.equal(b.reservedBytes, reserved);
  assert.equal(b.usedBytes, used);
  assert.equal(b.text(live[0]!), '9'.repeat(1024));
  assert.equal(b.text(live[1]!), 'v'.repeat(1024));
});

test('freeing the last blob gives every chunk back', () => {
  const b = new BlobStore();
  const refs = Array.from({ length: 100 }, (_, i) => b.store('a'.repeat(MIN_BLOB + i * 300)));
  assert.ok(b.reservedBytes > 0);
  for (const r of refs) b.release(r);
  assert.equal(b.count, 0);
  assert.equal(b.usedBytes, 0);
  assert.equal(b.reservedBytes, 0);
  assert.equal(b.text(b.store('c'.repeat(100))), 'c'.repeat(100));
});

test('a second free and a read after free are caught', () => {
  const b = new BlobStore();
  const keep = b.store('k'.repeat(100));
  const r = b.store('r'.repeat(100));
  b.release(r);
  assert.throws(() => b.release(r), AssertionError);
  assert.throws(() => b.text(r), AssertionError);
  assert.equal(b.text(keep), 'k'.repeat(100));
});

test('while held, freed blocks are not reused and stay readable', () => {
  const b = new BlobStore();
  const a = b.store('a'.repeat(500));
  const keep = b.store('k'.repeat(500));
  b.hold();
  b.release(a);
  const c = b.store('c'.repeat(500));
  assert.notEqual(c, a);
  assert.equal(b.text(a), 'a'.repeat(500));
  b.unhold();
  assert.throws(() => b.text(a), AssertionError);
  assert.equal(b.count, 2);
  assert.equal(b.store('d'.repeat(500)), a);
  assert.equal(b.text(keep), 'k'.repeat(500));
});

test('property: the store agrees with a model of live values under random stores and frees', () => {
  const op = fc.oneof(
    fc.record({ put: fc.integer({ min: 0, max: 3 * MIN_BLOB * 40 }), fill: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ free: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const b = new BlobStore();
      const live: Array<[Stored, string]> = [];
      for (const o of ops) {
        if ('put' in o) {
          const s = String.fromCharCode(o.fill).repeat(o.put);
          live.push([b.store(s), s]);
        } else if (live.length > 0) {
          const [[v]] = live.splice(o.free % live.length, 1);
          b.release(v!);
        }
      }
      for (const [v, s] of live) assert.equal(b.text(v), s);
      assert.equal(b.count, live.filter(([v]) => typeof v === 'number').length);
    }),
    { numRuns: 200 },
  );
});
