// The broker's message store on real files: the reput builds the queue and key indexes from
// applied entries, a snapshot waits for their checkpoint, and a restart (or a crash) replays only
// what the checkpoint does not cover. Entries are applied directly, as the raft driver would.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerService } from '../../src/broker/broker-service.js';
import { encodeDropTopic, encodeProduceHeader } from '../../src/broker/machine/commands.js';
import type { BrokerLog } from '../../src/broker/store/broker-log.js';
import { FdCache } from '../../src/log/fd-cache.js';
import { nodeFileSystem } from '../../src/log/file-system.js';
import { decodeRecord, encodeBatch, storedRecordSize, type MessageInput } from '../../src/protocol/native/record-batch.js';
import type { Entry } from '../../src/raft/group.js';
import { DepotError, isDepotError } from '../../src/util/errors.js';
import { FaultyFileSystem } from '../log/faulty-fs.js';

/** A log in memory: what the store reads back and what apply is fed. */
class MemoryLog implements BrokerLog {
  readonly entries: Entry[] = [];
  firstIndex = 1;
  durableIndex = 0;
  append(payload: Buffer, timestamp = 1_000_000 + this.entries.length): Entry {
    const e = { index: this.entries.length + 1, term: 1, timestamp, type: 2, payload };
    this.entries.push(e);
    return e;
  }
  cachedPayload(): Buffer | undefined {
    return undefined;
  }
  /** Entries read from "files", one call per range. */
  reads = 0;
  /** The most entries one call was allowed to span (`hi - lo`). */
  widest = 0;
  async readPayloads(lo: number, hi: number, maxBytes: number): Promise<Buffer[]> {
    this.reads++;
    this.widest = Math.max(this.widest, hi - lo);
    if (this.entries[lo - 1] === undefined || lo < this.firstIndex) throw new DepotError('INDEX_COMPACTED', `entry ${lo} is gone`);
    const out = [this.entries[lo - 1]!.payload];
    let bytes = out[0]!.length;
    for (let i = lo + 1; i < hi && bytes + this.entries[i - 1]!.payload.length <= maxBytes; i++) {
      out.push(this.entries[i - 1]!.payload);
      bytes += out[out.length - 1]!.length;
    }
    return out;
  }
  pin(): () => void {
    return () => undefined;
  }
  async retain(): Promise<{ segments: number; bytes: number }> {
    return { segments: 0, bytes: 0 };
  }
}

function produce(topic: string, queue: number, messages: MessageInput[]): Buffer {
  return Buffer.concat([encodeProduceHeader(topic, queue, 0, 0), encodeBatch(messages, 1)]);
}

async function openBroker(dir: string, fds: FdCache, log: MemoryLog): Promise<BrokerService> {
  const b = await BrokerService.open({ brokerGroup: 1, store: { dir, fds, index: { recordsPerFile: 64, timeInterval: 8 }, keyIndex: { slots: 64, capacity: 256 } } });
  b.attach({ id: 'broker-1', status: () => assert.fail(), propose: () => assert.fail(), flush: () => assert.fail(), read: () => assert.fail(), onLeadershipChange: () => () => undefined, onStorageChange: () => () => undefined }, log);
  return b;
}

async function snapshotOf(b: BrokerService): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of b.stateMachine.snapshot()) parts.push(c);
  return Buffer.concat(parts);
}

async function* chunks(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

async function bodies(b: BrokerService, topic: string, queue: number): Promise<string[]> {
  const r = await b.store.read({ topic, queue, from: 0, tags: undefined, maxMessages: 10_000, maxBytes: 1 << 30 });
  const out: string[] = [];
  for (const run of r.runs) {
    for (let i = 0, at = 0; i < run.count; i++, at += storedRecordSize(run.records, at)) out.push(decodeRecord(run.records, at).body.toString());
  }
  assert.equal(out.length, r.count);
  return out;
}

async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A temporary store directory and descriptor cache, closed and removed after the test. */
function storeDir(t: TestContext, maxOpen = 8): { dir: string; fds: FdCache } {
  const dir = mkdtempSync(join(tmpdir(), 'depot-store-'));
  const fds = new FdCache(nodeFileSystem, maxOpen);
  t.after(() => {
    fds.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, fds };
}

test('reput, snapshot and restart: the indexes are checkpointed with the snapshot, and only later entries are replayed', async (t) => {
  const { dir, fds } = storeDir(t);
  const log = new MemoryLog();
  let b = await openBroker(dir, fds, log);
  const apply = (payload: Buffer, to = b) => to.stateMachine.apply(log.append(payload));
  for (let i = 0; i < 100; i++) apply(produce('t', i % 3, [{ key: `k${i % 10}`, body: `m${i}` }, { body: `n${i}` }]));
  const snap = await snapshotOf(b); // covers everything so far
  const snapIndex = log.entries.length;
  for (let i = 100; i < 150; i++) apply(produce('t', i % 3, [{ key: `k${i % 10}`, body: `m${i}` }, { body: `n${i}` }]));
  await b.store.checkpoint();
  for (let i = 150; i < 160; i++) apply(produce('t', i % 3, [{ body: `m${i}` }, { body: `n${i}` }])); // not checkpointed: a crash loses them
  await new Promise((r) => setImmediate(r)); // the reput runs after apply
  const before = await bodies(b, 't', 1);
  assert.equal(before.length, 2 * 53);

  // "Crash": reopen without closing; the raft driver restores the snapshot and replays after it.
  fds.closeAll();
  b = await openBroker(dir, fds, log);
  await b.stateMachine.restore(chunks(snap));
  for (const e of log.entries.slice(snapIndex)) b.stateMachine.apply(e);
  await b.store.checkpoint();
  assert.deepEqual(await bodies(b, 't', 1), before);
  assert.equal(b.store.endOffset('t', 0), 2 * 54);
  assert.equal(b.machine.endOffset('t', 0), 2 * 54);

  const found = await b.findByKey('t', 'k7', 100);
  assert.deepEqual(found.map((m) => decodeRecord(m.record).body.toString()), ['m147', 'm137', 'm127', 'm117', 'm107', 'm97', 'm87', 'm77', 'm67', 'm57', 'm47', 'm37', 'm27', 'm17', 'm7']);
  const one = await b.getMessage(found[0]!.logIndex, found[0]!.position);
  assert.deepEqual([one.queue, one.offset], [found[0]!.queue, found[0]!.offset]);
  await assert.rejects(b.getMessage(found[0]!.logIndex, found[0]!.position + 1), (e) => isDepotError(e, 'MESSAGE_NOT_FOUND'));
  const byTime = await b.findByTime({ name: 't', queues: 3, retentionMs: 0, maxMessageBytes: 1 << 20, flush: 'sync', createdAt: 0, brokerGroup: 1 }, log.entries[120]!.timestamp, 1);
  assert.deepEqual(byTime.map((m) => decodeRecord(m.record).body.toString()), ['m120', 'm121', 'm122']);
  await b.close();
});

test('a read from the files brings in the entries of the queues in between: their readers need no file read', async (t) => {
  const { dir, fds } = storeDir(t);
  const log = new MemoryLog();
  const b = await openBroker(dir, fds, log);
  // Four queues interleaved in the log, one entry of three messages each time.
  for (let i = 0; i < 40; i++) b.stateMachine.apply(log.append(produce('t', i % 4, [{ body: `a${i}` }, { body: `b${i}` }, { body: `c${i}` }])));
  await b.store.checkpoint();
  const expect = (queue: number) => Array.from({ length: 10 }, (_, k) => [`a${4 * k + queue}`, `b${4 * k + queue}`, `c${4 * k + queue}`]).flat();
  assert.deepEqual(await bodies(b, 't', 0), expect(0));
  const reads = log.reads;
  assert.ok(reads >= 1 && reads <= 2, `${reads} file reads for queue 0`);
  for (const queue of [1, 2, 3]) assert.deepEqual(await bodies(b, 't', queue), expect(queue));
  assert.equal(log.reads, reads, 'queues 1 to 3 come from the read cache');
  await b.close();
});

test('a read from the files spans at most 1,024 entries: a long run of small entries comes back in several ranges', async (t) => {
  const { dir, fds } = storeDir(t);
  const log = new MemoryLog();
  const b = await openBroker(dir, fds, log);
  // Entries of one small message: 64 KiB of them is more than 1,024 entries.
  for (let i = 0; i < 3000; i++) b.stateMachine.apply(log.append(produce('t', 0, [{ body: `m${i}` }])));
  await b.store.checkpoint();
  assert.deepEqual(await bodies(b, 't', 0), Array.from({ length: 3000 }, (_, i) => `m${i}`));
  assert.ok(log.widest <= 1024, `a read spanned ${log.widest} entries`);
  assert.ok(log.reads >= 3, `${log.reads} reads for 3,000 entries`);
  await b.close();
});

test('a dropped topic loses its indexes; one created again under the same name starts empty', async (t) => {
  const { dir, fds } = storeDir(t);
  const log = new MemoryLog();
  const b = await openBroker(dir, fds, log);
  for (let i = 0; i < 5; i++) b.stateMachine.apply(log.append(produce('gone', 0, [{ key: 'same', body: `old${i}` }])));
  b.stateMachine.apply(log.append(encodeDropTopic('gone')));
  b.stateMachine.apply(log.append(produce('gone', 0, [{ key: 'same', body: 'new' }])));
  await b.store.checkpoint();
  assert.deepEqual(await bodies(b, 'gone', 0), ['new']);
  assert.deepEqual((await b.findByKey('gone', 'same', 10)).map((m) => decodeRecord(m.record).body.toString()), ['new']);
  await b.close();
});

// 2,000 queues by default (the end-to-end test runs 10,000 through a real node); DEPOT_QUEUE_COUNT=10000 for the full scale here.
test('thousands of queues: one checkpoint file, a bounded number of descriptors, all back after a restart', async (t) => {
  const { dir, fds } = storeDir(t, 64);
  const log = new MemoryLog();
  let b = await openBroker(dir, fds, log);
  const queues = Number(process.env['DEPOT_QUEUE_COUNT'] ?? 2_000);
  for (let q = 0; q < queues; q++) b.stateMachine.apply(log.append(produce('wide', q, [{ body: `q${q}` }])));
  await b.store.checkpoint();
  assert.ok(fds.size <= 64, `${fds.size} descriptors`);
  await b.close();
  b = await openBroker(dir, fds, log);
  assert.equal(b.store.indexes.size, queues);
  for (const q of [0, Math.floor(queues / 3), queues - 1]) assert.deepEqual(await bodies(b, 'wide', q), [`q${q}`]);
  assert.ok(fds.size <= 64);
  await b.close();
});

test('a queue index whose files are gone stops the store at open, naming the queue', async (t) => {
  const { dir, fds } = storeDir(t);
  const log = new MemoryLog();
  const b = await openBroker(dir, fds, log);
  for (let i = 0; i < 10; i++) b.stateMachine.apply(log.append(produce('t', i % 2, [{ body: `m${i}` }])));
  await b.close();
  rmSync(join(dir, 't-t', '1'), { recursive: true });
  await assert.rejects(openBroker(dir, fds, log), (e) => isDepotError(e, 'CORRUPT_LOG') && e.details['queue'] === 1);
});

test('a full disk holds the indexes back instead of stopping the store: what was applied meanwhile is indexed once it has room', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-store-'));
  const faulty = new FaultyFileSystem();
  const fds = new FdCache(faulty.fs, 8);
  t.after(() => {
    fds.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const log = new MemoryLog();
  const b = await openBroker(dir, fds, log);
  const apply = (payload: Buffer) => b.stateMachine.apply(log.append(payload));
  for (let i = 0; i < 50; i++) apply(produce('t', 0, [{ key: `k${i}`, body: `a${i}` }]));
  await b.store.checkpoint();

  // The disk fills: the queue index's buffered records (128 a write) and the key index cannot
  // be written, and a queue seen for the first time cannot create its index files.
  faulty.failWith('ENOSPC', ['writeSync', 'write', 'openSync', 'open', 'mkdir']);
  for (let i = 50; i < 400; i++) apply(produce('t', 0, [{ key: `k${i}`, body: `a${i}` }]));
  for (let i = 0; i < 10; i++) apply(produce('t', 1, [{ body: `b${i}` }]));
  await new Promise((r) => setTimeout(r, 100));
  // Held back, not stopped: what was indexed is served, a checkpoint (a snapshot, a close)
  // fails with the error, as the log's own writes do.
  assert.equal(b.store.failed, undefined);
  assert.deepEqual(b.store.indexFailure?.retrying, true);
  assert.match(b.store.indexFailure?.failure ?? '', /no space left on device/);
  const served = await bodies(b, 't', 0);
  assert.ok(served.length >= 50 && served.length < 400, `${served.length} messages indexed on a full disk`);
  assert.deepEqual(served, Array.from({ length: served.length }, (_, i) => `a${i}`));
  await assert.rejects(b.store.checkpoint(), (err: unknown) => isDepotError(err, 'STORAGE_FULL'));

  faulty.heal();
  await waitUntil(() => b.store.endOffset('t', 1) === 10, 'the new queue to be indexed');
  await b.store.checkpoint();
  assert.equal(b.store.indexFailure, undefined);
  assert.deepEqual(await bodies(b, 't', 0), Array.from({ length: 400 }, (_, i) => `a${i}`));
  assert.deepEqual(await bodies(b, 't', 1), Array.from({ length: 10 }, (_, i) => `b${i}`));
  const found = await b.findByKey('t', 'k321', 10);
  assert.deepEqual(found.map((m) => decodeRecord(m.record).body.toString()), ['a321']);
  await b.close();
});
