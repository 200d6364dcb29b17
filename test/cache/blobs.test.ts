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

test('a chunk whose blocks are all free serves another size class instead of a new chunk', () => {
  const b = new BlobStore();
  const chunk = 4 * 1024 * 1024;
  const keep = b.store('k'.repeat(100));
  const value = 'v'.repeat(1024);
  const refs = Array.from({ length: 60_000 }, () => b.store(value));
  const grown = b.reservedBytes;
  assert.ok(grown >= 14 * chunk, `${grown} bytes reserved`);
  for (const r of refs) b.release(r);
  // The memory stays with the store (as freed memory stays with Redis's allocator)...
  assert.equal(b.reservedBytes, grown);
  // ...and another size class takes the empty chunks rather than new ones.
  const longer = (i: number) => String(i % 10).repeat(2000);
  const other = Array.from({ length: 25_000 }, (_, i) => b.store(longer(i)));
  assert.equal(b.reservedBytes, grown);
  // The first class again: its free list kept no block of a chunk the other class took.
  const again = Array.from({ length: 20_000 }, (_, i) => b.store(String(i % 7).repeat(1024)));
  other.forEach((r, i) => assert.equal(b.text(r), longer(i)));
  again.forEach((r, i) => assert.equal(b.text(r), String(i % 7).repeat(1024)));
  assert.equal(b.text(keep), 'k'.repeat(100));
  assert.equal(b.count, 45_001);
});

test('purge gives back the empty chunks only; their numbers serve new values with fresh memory', () => {
  const b = new BlobStore();
  const chunk = 4 * 1024 * 1024;
  const value = (i: number) => `${i}:`.padEnd(1024, 'v');
  const refs = Array.from({ length: 20_000 }, (_, i) => b.store(value(i)));
  const grown = b.reservedBytes;
  assert.equal(b.purge(), 0, 'nothing empty yet');
  // The first 12,000 values fill the first chunks; the rest stay.
  for (let i = 0; i < 12_000; i++) b.release(refs[i]!);
  const dropped = b.purge();
  assert.ok(dropped >= 2 * chunk && dropped % chunk === 0, `${dropped} bytes dropped`);
  assert.equal(b.reservedBytes, grown - dropped);
  assert.equal(b.purge(), 0, 'a second purge finds nothing more');
  for (let i = 12_000; i < 20_000; i++) assert.equal(b.text(refs[i]!), value(i));
  // New values take the purged numbers again (the store does not grow past what it had).
  const more = Array.from({ length: 12_000 }, (_, i) => b.store(value(-i)));
  assert.equal(b.reservedBytes, grown);
  more.forEach((r, i) => assert.equal(b.text(r), value(-i)));
  for (let i = 12_000; i < 20_000; i++) assert.equal(b.text(refs[i]!), value(i));
});

test('while held, blocks released are not free: purge keeps their chunks', () => {
  const b = new BlobStore();
  const refs = Array.from({ length: 10_000 }, () => b.store('h'.repeat(1024)));
  b.hold();
  for (const r of refs.slice(0, 9_000)) b.release(r);
  assert.equal(b.purge(), 0);
  assert.equal(b.text(refs[0]!), 'h'.repeat(1024));
  b.unhold();
  assert.ok(b.purge() > 0);
});

test('a chunk that emptied and took a block again before it was recycled is kept', () => {
  const b = new BlobStore();
  const chunkOf = (r: Stored) => (r as number) >>> 18;
  const value = (i: number) => String.fromCharCode(i % 256).repeat(MAX_BLOB);
  // 16 full chunks of the largest class, and a 17th being cut from.
  const refs: Stored[] = [];
  for (let i = 0; ; i++) {
    const r = b.store(value(i));
    refs.push(r);
    if (chunkOf(r) === 16) break;
  }
  const inChunk = (c: number) => refs.flatMap((r, i) => (chunkOf(r) === c ? [i] : []));
  for (const i of inChunk(3)) b.release(refs[i]!);
  const back = b.store('b'.repeat(MAX_BLOB));
  assert.equal(chunkOf(back), 3);
  for (const i of inChunk(5)) b.release(refs[i]!);
  // Another class fills chunk 16, then needs a chunk: 5 is empty, 3 is not.
  const small = (i: number) => String(i % 10).repeat(300);
  const others: Stored[] = [];
  for (let i = 0; b.reservedBytes === 17 * 4 * 1024 * 1024 && i < 100_000; i++) {
    others.push(b.store(small(i)));
    if (chunkOf(others.at(-1)!) !== 16) break;
  }
  assert.equal(chunkOf(others.at(-1)!), 5);
  assert.equal(b.reservedBytes, 17 * 4 * 1024 * 1024);
  // The largest class gets none of chunk 5's old blocks (they would overlap the small values).
  const more = Array.from({ length: 120 }, (_, i) => b.store(value(i + 7)));
  more.forEach((r, i) => assert.equal(b.text(r), value(i + 7)));
  others.forEach((r, i) => assert.equal(b.text(r), small(i)));
  assert.equal(b.text(back), 'b'.repeat(MAX_BLOB));
  for (const [i, r] of refs.entries()) if (![3, 5].includes(chunkOf(r))) assert.equal(b.text(r), value(i));
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

type Op = { put: number; fill: number } | { free: number };

/** Applies random stores and frees; returns the live values with what each should read. */
function run(b: BlobStore, ops: readonly Op[]): Array<[Stored, string]> {
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
  return live;
}

test('property: the store agrees with a model of live values under random stores and frees', () => {
  const op = fc.oneof(
    fc.record({ put: fc.integer({ min: 0, max: 3 * MIN_BLOB * 40 }), fill: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ free: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const b = new BlobStore();
      const live = run(b, ops);
      for (const [v, s] of live) assert.equal(b.text(v), s);
      assert.equal(b.count, live.filter(([v]) => typeof v === 'number').length);
    }),
    { numRuns: 200 },
  );
});

test('property: long values across many chunks: contents survive empty chunks recycled for another class', () => {
  // Three stores of 16-64 KiB to one free: the store spans several chunks, and some empty.
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ put: fc.integer({ min: MAX_BLOB / 4, max: MAX_BLOB }), fill: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 1, arbitrary: fc.record({ free: fc.nat() }) },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const b = new BlobStore();
      const live = run(b, ops);
      for (const [v, s] of live) assert.equal(b.text(v), s);
      if (live.length === 0) return;
      // Down to one blob, then another size class up to the chunks held: the empty chunks
      // serve it, and no block is handed out twice.
      for (const [v] of live.splice(1)) b.release(v);
      const reserved = b.reservedBytes;
      const fill = Math.floor((reserved - 4 * 1024 * 1024) / 512) - 1;
      const small = Array.from({ length: Math.max(0, fill) }, (_, i) => b.store(String(i % 10).repeat(400)));
      assert.ok(b.reservedBytes <= reserved + 4 * 1024 * 1024, `${b.reservedBytes} bytes reserved, ${reserved} before`);
      small.forEach((v, i) => assert.equal(b.text(v), String(i % 10).repeat(400)));
      assert.equal(b.text(live[0]![0]), live[0]![1]);
    }),
    { numRuns: 100 },
  );
});
