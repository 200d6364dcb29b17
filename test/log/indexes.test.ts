import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catchUp } from '../../src/log/catch-up.js';
import { FdCache } from '../../src/log/fd-cache.js';
import { nodeFileSystem } from '../../src/log/file-system.js';
import { hashString } from '../../src/log/hash.js';
import { HashIndex } from '../../src/log/hash-index.js';
import { Log } from '../../src/log/log.js';
import { OffsetIndex, type OffsetRecord } from '../../src/log/offset-index.js';
import { isDepotError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/log.js';

const rec = (o: number): OffsetRecord => ({ logIndex: 1000 + Math.floor(o / 4), position: (o % 4) * 100, size: 100, tagHash: hashString(`tag${o % 7}`), timestamp: 1_700_000_000_000 + o * 10 });

test('offset index: lookups by offset and time, across files, durable at checkpoints', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const fds = new FdCache(nodeFileSystem, 8);
    const opts = { dir, fds, recordsPerFile: 1000, bufferRecords: 16, timeInterval: 100 };
    let idx = await OffsetIndex.open(opts);
    for (let o = 0; o < 5000; o++) idx.append(o, rec(o));
    idx.cover(2249);
    assert.deepEqual(idx.get(0), rec(0));
    assert.deepEqual(idx.get(4999), rec(4999));
    assert.deepEqual(idx.range(990, 50), Array.from({ length: 10 }, (_, i) => rec(990 + i)));
    assert.equal(idx.offsetForTime(rec(3333).timestamp), 3333);
    assert.equal(idx.offsetForTime(rec(3333).timestamp - 5), 3333);
    assert.equal(idx.offsetForTime(0), 0);
    assert.equal(idx.offsetForTime(Number.MAX_SAFE_INTEGER), 5000);
    await idx.checkpoint();
    for (let o = 5000; o < 5500; o++) idx.append(o, rec(o)); // lost: no checkpoint
    idx.range(5000, 10);
    fds.closeAll();
    appendFileSync(join(dir, readdirSync(dir).filter((n) => n.endsWith('.oix')).sort().pop()!), Buffer.alloc(7, 0xff));
    idx = await OffsetIndex.open(opts);
    assert.equal(idx.nextOffset, 5000);
    assert.equal(idx.coveredLogIndex, 2249);
    assert.deepEqual(idx.get(4999), rec(4999));
    idx.append(5000, rec(5000));
    await idx.truncateFrom(4500);
    assert.equal(idx.nextOffset, 4500);
    assert.equal(idx.offsetForTime(rec(4700).timestamp), 4500);
    await idx.dropBefore(2500);
    assert.equal(idx.firstOffset, 2500);
    assert.throws(() => idx.get(2499), (e) => isDepotError(e, 'INVALID_OFFSET'));
    assert.deepEqual(idx.get(2500), rec(2500));
    await idx.checkpoint();
    idx = await OffsetIndex.open(opts);
    assert.equal(idx.firstOffset, 2500);
    assert.equal(idx.nextOffset, 4500);
    assert.ok(fds.size <= 8);
  } finally {
    cleanup();
  }
});

test('offset index: a damaged record is reported, never returned', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const fds = new FdCache(nodeFileSystem, 4);
    const idx = await OffsetIndex.open({ dir, fds, recordsPerFile: 1000 });
    for (let o = 0; o < 100; o++) idx.append(o, rec(o));
    await idx.checkpoint();
    fds.closeAll();
    const file = join(dir, readdirSync(dir).find((n) => n.endsWith('.oix'))!);
    const b = readFileSync(file);
    b[40 * 42 + 3] ^= 1;
    writeFileSync(file, b);
    assert.throws(() => idx.get(42), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details.offset === 42);
    assert.deepEqual(idx.get(43), rec(43));
  } finally {
    cleanup();
  }
});

// 2,000 by default to keep the suite fast on a shared machine; DEPOT_INDEX_COUNT=10000 for the full scale.
test('thousands of offset indexes share a bounded set of descriptors', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const fds = new FdCache(nodeFileSystem, 64);
    const n = Number(process.env.DEPOT_INDEX_COUNT ?? 2_000);
    const indexes: OffsetIndex[] = [];
    for (let q = 0; q < n; q += 100) {
      const batch = Array.from({ length: Math.min(100, n - q) }, (_, i) => OffsetIndex.open({ dir: join(dir, `q${q + i}`), fds, bufferRecords: 4 }));
      indexes.push(...(await Promise.all(batch)));
    }
    for (let round = 0; round < 3; round++) {
      for (let q = 0; q < n; q++) for (let k = 0; k < 3; k++) indexes[q]!.append(indexes[q]!.nextOffset, rec(q + round * 3 + k));
    }
    for (let q = 0; q < n; q += 97) assert.deepEqual(indexes[q]!.get(8), rec(q + 8));
    assert.ok(fds.size <= 64, `${fds.size} descriptors open`);
    for (let q = 0; q < n; q += 997) await indexes[q]!.checkpoint();
    fds.closeAll();
  } finally {
    cleanup();
  }
});

test('hash index: values by key, newest first, across sealed files and a crash', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const fds = new FdCache(nodeFileSystem, 8);
    const opts = { dir, fds, slots: 64, capacity: 500, bufferEntries: 32 };
    let idx = await HashIndex.open(opts);
    const key = (k: number) => Buffer.from(`key-${k % 300}`);
    for (let v = 0; v < 2000; v++) idx.put(key(v), v);
    assert.deepEqual(idx.get(key(7)), [1807, 1507, 1207, 907, 607, 307, 7]);
    assert.deepEqual(idx.get(key(7), 2), [1807, 1507]);
    assert.deepEqual(idx.get(Buffer.from('absent')), []);
    idx.cover(77);
    await idx.checkpoint();
    for (let v = 2000; v < 2600; v++) idx.put(key(v), v); // lost: no checkpoint (and a roll)
    fds.closeAll();
    idx = await HashIndex.open(opts);
    assert.equal(idx.coveredLogIndex, 77);
    assert.deepEqual(idx.get(key(7)), [1807, 1507, 1207, 907, 607, 307, 7]);
    idx.put(key(7), 2107);
    assert.deepEqual(idx.get(key(7)).slice(0, 2), [2107, 1807]);
    await idx.dropBelow(1000);
    assert.deepEqual(idx.get(key(7)), [2107, 1807, 1507, 1207]);
  } finally {
    cleanup();
  }
});

test('a lost index is rebuilt from the log by catchUp', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await Log.open({ dir: join(dir, 'log'), segmentBytes: 4096 });
    // Each entry carries 3 messages of a queue; the payload is just their queue offsets.
    for (let i = 1; i <= 200; i++) {
      const payload = Buffer.alloc(12);
      for (let m = 0; m < 3; m++) payload.writeUInt32LE((i - 1) * 3 + m, 4 * m);
      await log.append([{ index: i, term: 1, timestamp: 1_700_000_000_000 + i, type: 2, payload }]);
    }
    const fds = new FdCache(nodeFileSystem, 8);
    const idx = await OffsetIndex.open({ dir: join(dir, 'q0'), fds });
    const last = await catchUp(log, idx.coveredLogIndex, (e) => {
      for (let m = 0; m < 3; m++) {
        idx.append(e.payload.readUInt32LE(4 * m), { logIndex: e.index, position: 4 * m, size: 4, tagHash: 0, timestamp: e.timestamp });
      }
      idx.cover(e.index);
    });
    assert.equal(last, 200);
    assert.equal(idx.nextOffset, 600);
    const r = idx.get(301);
    assert.equal(log.entry(r.logIndex).payload.readUInt32LE(r.position), 301);
    assert.equal(idx.offsetForTime(1_700_000_000_150), 447);
    await log.close();
  } finally {
    cleanup();
  }
});
