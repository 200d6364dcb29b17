import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Log } from '../../src/log/log.js';
import { isDepotError } from '../../src/util/errors.js';
import { makeEntries, makeEntry, tempDir } from '../helpers/log.js';

function plain(e: { index: number; term: number; timestamp: number; type: number; payload: Buffer }) {
  return { index: e.index, term: e.term, timestamp: e.timestamp, type: e.type, payload: Buffer.from(e.payload) };
}

test('append, read back, reopen, across segment rolls', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let log = await Log.open({ dir, segmentBytes: 1024 });
    assert.equal(log.lastIndex, 0);
    await log.append(makeEntries(1, 50, 1, 40));
    await log.append(makeEntries(51, 50, 2, 40));
    assert.equal(log.lastIndex, 100);
    assert.equal(log.durableIndex, 100);
    assert.ok(log.segmentInfo().length > 5);
    assert.deepEqual(log.entries(1, 101).map(plain), [...makeEntries(1, 50, 1, 40), ...makeEntries(51, 50, 2, 40)]);
    assert.equal(log.term(50), 1);
    assert.equal(log.term(51), 2);
    await log.close();
    log = await Log.open({ dir, segmentBytes: 1024 });
    assert.equal(log.lastIndex, 100);
    assert.deepEqual(log.entries(1, 101).map(plain), [...makeEntries(1, 50, 1, 40), ...makeEntries(51, 50, 2, 40)]);
    assert.deepEqual((await log.read(20, 80)).map(plain), [...makeEntries(20, 31, 1, 40), ...makeEntries(51, 29, 2, 40)]);
    assert.equal(log.term(50), 1);
    assert.equal(log.term(100), 2);
    await log.close();
  } finally {
    cleanup();
  }
});

test('maxBytes caps a range but always returns one entry', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await Log.open({ dir, segmentBytes: 1024 });
    await log.append(makeEntries(1, 20, 1, 100));
    assert.equal(log.entries(1, 21, 10).length, 1);
    assert.equal(log.entries(1, 21, 3 * 132).length, 3);
    assert.equal((await log.read(1, 21, 5 * 132)).length, 5);
    await log.close();
  } finally {
    cleanup();
  }
});

test('truncate suffix into an earlier segment, prefix, reset, all survive reopen', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let log = await Log.open({ dir, segmentBytes: 512 });
    await log.append(makeEntries(1, 60, 1, 20));
    await log.truncateSuffix(10);
    assert.equal(log.lastIndex, 9);
    await log.append(makeEntries(10, 5, 3, 30));
    assert.equal(log.term(12), 3);
    await log.truncatePrefix(5);
    assert.equal(log.firstIndex, 5);
    assert.throws(() => log.entry(4), (e) => isDepotError(e, 'INDEX_COMPACTED'));
    await log.close();
    log = await Log.open({ dir, segmentBytes: 512 });
    assert.equal(log.firstIndex, 5);
    assert.equal(log.lastIndex, 14);
    assert.deepEqual(plain(log.entry(12)), makeEntry(12, 3, 30));
    assert.deepEqual(plain(log.entry(9)), makeEntry(9, 1, 20));
    await log.reset(1000);
    assert.equal(log.firstIndex, 1000);
    assert.equal(log.lastIndex, 999);
    await log.append(makeEntries(1000, 3, 7));
    await log.close();
    log = await Log.open({ dir, segmentBytes: 512 });
    assert.equal(log.firstIndex, 1000);
    assert.equal(log.lastIndex, 1002);
    assert.equal(log.term(1001), 7);
    await log.close();
  } finally {
    cleanup();
  }
});

test('positions are observable: written moves with an append, durable with a sync, both back with a truncation', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await Log.open({ dir, flush: { mode: 'interval', intervalMs: 60_000 } });
    const seen: Array<[number, number]> = [];
    const stop = log.onPositions((p) => seen.push([p.writtenIndex, p.durableIndex]));
    await log.append(makeEntries(1, 5));
    assert.deepEqual(seen.at(-1), [5, 0]);
    await log.sync();
    assert.deepEqual(seen.at(-1), [5, 5]);
    await log.truncateSuffix(3);
    assert.deepEqual(log.positions(), { firstIndex: 1, lastIndex: 2, writtenIndex: 2, durableIndex: 2 });
    assert.deepEqual(seen.at(-1), [2, 2]);
    stop();
    const count = seen.length;
    await log.append(makeEntries(3, 1));
    assert.equal(seen.length, count, 'an unsubscribed listener hears nothing');
    await log.close();
  } finally {
    cleanup();
  }
});
