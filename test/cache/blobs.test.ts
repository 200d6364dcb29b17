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

test('a chunk whose blocks are all free goes back while other blobs live, and its number is reused', () => {
  const b = new BlobStore();
  const chunk = 4 * 1024 * 1024;
  const keep = b.store('k'.repeat(100));
  const value = 'v'.repeat(1024);
  const refs = Array.from({ length: 60_000 }, () => b.store(value));
  const grown = b.reservedBytes;
  assert.ok(grown >= 14 * chunk, `${grown} bytes reserved`);
  for (const r of refs) b.release(r);
  // The chunk holding `keep`, and the one blocks are being cut from.
  assert.ok(b.reservedBytes <= 2 * chunk, `${b.reservedBytes} bytes still reserved`);
  assert.equal(b.text(keep), 'k'.repeat(100));
  // The same size class again (its free list must hold no block of a chunk given back), then another.
  const text = (i: number) => String(i % 10).repeat(i % 2 === 0 ? 1024 : 2000);
  const again = Array.from({ length: 60_000 }, (_, i) => b.store(text(i)));
  assert.ok(b.reservedBytes <= grown * 2 + chunk);
  again.forEach((r, i) => assert.equal(b.text(r), text(i)));
  assert.ok(again.every((r) => (r as number) < 2 ** 30));
  assert.equal(b.text(keep), 'k'.repeat(100));
  assert.equal(b.count, 60_001);
});

test('a chunk that emptied and took a block again before the batch ran is kept', () => {
  const b = new BlobStore();
  const chunkOf = (r: Stored) => (r as number) >>> 18;
  const value = (i: number) => String.fromCharCode(i % 256).repeat(MAX_BLOB);
  // 16 full chunks and a 17th being cut from: a batch runs once three of them are empty.
  const refs: Stored[] = [];
  for (let i = 0; ; i++) {
    const r = b.store(value(i));
    if (chunkOf(r) === 16) {
      b.release(r);
      break;
    }
    refs.push(r);
  }
  const inChunk = (c: number) => refs.flatMap((r, i) => (chunkOf(r) === c ? [i] : []));
  for (const i of inChunk(3)) b.release(refs[i]!);
  const back = b.store('b'.repeat(MAX_BLOB));
  assert.equal(chunkOf(back), 3);
  for (const i of inChunk(5)) b.release(refs[i]!);
  assert.equal(b.reservedBytes, 17 * 4 * 1024 * 1024);
  for (const i of inChunk(7)) b.release(refs[i]!);
  // 5 and 7 went back; 3 holds `back`.
  assert.equal(b.reservedBytes, 15 * 4 * 1024 * 1024);
  assert.equal(b.text(back), 'b'.repeat(MAX_BLOB));
  for (const [i, r] of refs.entries()) if (![3, 5, 7].includes(chunkOf(r))) assert.equal(b.text(r), value(i));
  // Their numbers serve the next chunks.
  const more = Array.from({ length: 200 }, (_, i) => b.store(value(i)));
  assert.ok(more.some((r) => chunkOf(r) === 5 || chunkOf(r) === 7));
  more.forEach((r, i) => assert.equal(b.text(r), value(i)));
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

test('property: long values across many chunks: contents survive chunks given back and reused', () => {
  // Three stores of 16-64 KiB to one free: the store spans several chunks, and some empty.
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ put: fc.integer({ min: MAX_BLOB / 4, max: MAX_BLOB }), fill: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 1, arbitrary: fc.record({ free: fc.nat() }) },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
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
      if (live.length === 0) return;
      // Down to one blob: its chunk and the one being cut from are all that may stay (a store
      // this small gives back every chunk as soon as it empties).
      for (const [v] of live.splice(1)) b.release(v);
      assert.ok(b.reservedBytes <= 2 * 4 * 1024 * 1024, `${b.reservedBytes} bytes reserved`);
      assert.equal(b.text(live[0]![0]), live[0]![1]);
      const s = 'n'.repeat(5000);
      assert.equal(b.text(b.store(s)), s);
    }),
    { numRuns: 100 },
  );
});
