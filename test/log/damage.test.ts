// Damage made by editing the files directly: torn tails are cut, bit flips are detected and
// reported (never served), derived files (position index, checkpoint) are rebuilt or ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { isDepotError } from '../../src/util/errors.js';
import { makeEntries, makeEntry, tempDir } from '../helpers/log.js';

const options = (dir: string) => ({ dir, segmentBytes: 2048, checkpointBytes: 1 << 30 });

/** A log of 100 entries of 100-byte payloads (132-byte records) over several segments. */
async function build(dir: string): Promise<string[]> {
  const log = await Log.open(options(dir));
  await log.append(makeEntries(1, 100, 1, 100));
  await log.close();
  return readdirSync(dir).filter((n) => n.endsWith('.seg')).sort().map((n) => join(dir, n));
}

function flip(path: string, at: number): void {
  const b = readFileSync(path);
  b[at] ^= 0x10;
  writeFileSync(path, b);
}

function payloadEq(log: Log, index: number): void {
  assert.ok(log.entry(index).payload.equals(makeEntry(index, 1, 100).payload));
}

test('a torn tail (cut mid-record, or garbage appended) is cut on open', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segs = await build(dir);
    const active = segs[segs.length - 1]!;
    truncateSync(active, statSync(active).size - 50);
    let log = await Log.open(options(dir));
    assert.equal(log.lastIndex, 99);
    assert.ok(log.truncatedBytes > 0);
    payloadEq(log, 99);
    await log.append(makeEntries(100, 1, 1, 100));
    await log.close();
    appendFileSync(active, Buffer.alloc(300));
    log = await Log.open(options(dir));
    assert.equal(log.lastIndex, 100);
    assert.equal(log.truncatedBytes, 300);
    await log.verify();
    await log.close();
  } finally {
    cleanup();
  }
});

test('a bit flip in the last record of the active segment is a torn write', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segs = await build(dir);
    const active = segs[segs.length - 1]!;
    flip(active, statSync(active).size - 10);
    const log = await Log.open(options(dir));
    assert.equal(log.lastIndex, 99);
    await log.close();
  } finally {
    cleanup();
  }
});

test('a bit flip followed by valid records in the active segment is reported, or cut on request', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segs = await build(dir);
    const active = segs[segs.length - 1]!;
    const base = Number(active.slice(-24, -4));
    flip(active, 32 + 40); // inside the first record's payload
    // Below the checkpoint recovery does not rescan: the damage is caught when read.
    const checked = await Log.open(options(dir));
    assert.throws(() => checked.entry(base), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details.index === base);
    payloadEq(checked, base + 1);
    await checked.close();
    unlinkSync(join(dir, 'checkpoint'));
    await assert.rejects(Log.open(options(dir)), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details.index === base);
    const log = await Log.open({ ...options(dir), onCorruptTail: 'truncate' });
    assert.equal(log.lastIndex, base - 1);
    await log.verify();
    await log.close();
  } finally {
    cleanup();
  }
});

test('a bit flip in a closed segment is reported on read and by verify, never served', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segs = await build(dir);
    flip(segs[1]!, 32 + 132 + 60); // the second record of the second segment
    const log = await Log.open(options(dir));
    const bad = Number(segs[1]!.slice(-24, -4)) + 1;
    assert.throws(() => log.entry(bad), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details.index === bad);
    await assert.rejects(log.read(bad - 1, bad + 2), (e) => isDepotError(e, 'CORRUPT_LOG'));
    assert.throws(() => log.entries(1, 101), (e) => isDepotError(e, 'CORRUPT_LOG'));
    payloadEq(log, bad - 1);
    payloadEq(log, bad + 1);
    await assert.rejects(log.verify(), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details.index === bad);
    await log.close();
    // Without its position index the segment must be rescanned, and the damage stops the open.
    unlinkSync(segs[1]!.replace(/\.seg$/, '.idx'));
    await assert.rejects(Log.open(options(dir)), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details.index === bad);
  } finally {
    cleanup();
  }
});

test('lost or damaged position indexes and checkpoint are rebuilt from the segments', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segs = await build(dir);
    unlinkSync(segs[0]!.replace(/\.seg$/, '.idx'));
    flip(segs[2]!.replace(/\.seg$/, '.idx'), 20); // header CRC breaks
    writeFileSync(join(dir, 'checkpoint'), Buffer.from('garbage'));
    const log = await Log.open(options(dir));
    assert.equal(log.lastIndex, 100);
    for (let i = 1; i <= 100; i++) payloadEq(log, i);
    assert.equal(log.term(42), 1);
    await log.verify();
    await log.close();
  } finally {
    cleanup();
  }
});

test('a missing segment in the middle is reported, not skipped', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const segs = await build(dir);
    unlinkSync(segs[2]!);
    await assert.rejects(Log.open(options(dir)), (e) => isDepotError(e, 'CORRUPT_LOG'));
  } finally {
    cleanup();
  }
});
