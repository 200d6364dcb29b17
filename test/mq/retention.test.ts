// Retention against a real server process with small commit log segments: expired messages are
// no longer served and whole segments go; unexpired, unconsumed messages always stay; above the
// disk watermark consumed messages go early, never unconsumed ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer, type QueueServerProcess } from '../helpers/mq-server.js';
import { Depot, type ConsumedMessage } from '../../src/client/index.js';

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Small segments, a snapshot every 20 entries and a retention run every 100 ms. */
const smallSegments = (extra: Record<string, unknown> = {}) => ({ broker: { segmentBytes: 16_384, snapshotEntries: 20, retentionCheckMs: 100, ...extra } });

/** Sends one message per batch (one log entry each), so the messages spread over many segments. */
async function sendEach(depot: Depot, topic: string, n: number, prefix: string): Promise<void> {
  const p = depot.producer();
  for (let i = 0; i < n; i++) await p.send(topic, { queue: i % 2, body: `${prefix}${i}`.padEnd(200, '.') });
}

async function consumeAll(depot: Depot, group: string, topic: string, expect: number): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = [];
  const c = depot.consumer({ group, topic, start: 'earliest' });
  await c.run((m) => {
    got.push(m);
  });
  await eventually(() => got.length >= expect, `${expect} messages of ${topic}`);
  await new Promise((r) => setTimeout(r, 200));
  await c.close();
  return got;
}

const served = async (depot: Depot, topic: string) => (await depot.admin.describeTopic(topic)).queues.reduce((n, q) => n + q.endOffset - q.startOffset, 0);

test('expired messages stop being served and their segments are deleted; unconsumed unexpired ones stay', async () => {
  let server: QueueServerProcess = await startQueueServer({ config: smallSegments() });
  try {
    let depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('short', { queues: 2, retentionMs: 1500 });
    await depot.admin.createTopic('long', { queues: 2 });
    await sendEach(depot, 'short', 300, 's');
    await sendEach(depot, 'long', 40, 'l');
    // All 300 are stored; how many are still served depends on how long the sends took (1.5 s
    // retention on a loaded machine), so only the stored end is asserted here.
    assert.equal((await depot.admin.describeTopic('short')).queues.reduce((n, q) => n + q.endOffset, 0), 300);
    await eventually(async () => (await served(depot, 'short')) === 0, 'the short topic to expire');
    await eventually(async () => (await server.metric('depot_broker_log_first_index', { group: 'broker-1' }))! > 100, 'segments of expired messages to be deleted');
    assert.equal((await consumeAll(depot, 'late', 'short', 0)).length, 0);
    const long = await consumeAll(depot, 'readers', 'long', 40);
    assert.deepEqual(long.map((m) => m.body.toString().replace(/\.+$/, '')).sort(), Array.from({ length: 40 }, (_, i) => `l${i}`).sort());
    await depot.close();

    // The first served offsets are durable: a restart serves no expired message again.
    await server.stop();
    server = await startQueueServer({ dataDir: server.dataDir, config: smallSegments() });
    depot = await Depot.connect({ servers: [server.address] });
    assert.equal(await served(depot, 'short'), 0);
    assert.equal((await depot.admin.describeTopic('short')).queues.reduce((n, q) => n + q.endOffset, 0), 300);
    const p = depot.producer();
    await p.send('short', { queue: 0, body: 'fresh' });
    const fresh = await consumeAll(depot, 'late', 'short', 1);
    assert.deepEqual(fresh.map((m) => m.body.toString()), ['fresh']);
    assert.equal((await consumeAll(depot, 'again', 'long', 40)).length, 40);
    await depot.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('above the disk watermark, consumed messages are deleted before they expire, unconsumed ones never', async () => {
  // A watermark below any real usage: the disk always counts as full.
  const server = await startQueueServer({ config: smallSegments({ diskUsageWatermark: 0.0001 }) });
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('w', { queues: 2 });
    await sendEach(depot, 'w', 300, 'w');
    // Group g has consumed each queue up to offset 100 (of 150).
    await depot.admin.resetOffsets('g', 'w', { offset: 100 });
    await eventually(async () => (await depot.admin.describeTopic('w')).queues.every((q) => q.startOffset > 0), 'consumed messages to be deleted');
    const queues = (await depot.admin.describeTopic('w')).queues;
    assert.ok(queues.every((q) => q.startOffset <= 100 && q.endOffset === 150), JSON.stringify(queues));
    const left = queues.reduce((n, q) => n + q.endOffset - q.startOffset, 0);
    const got = await consumeAll(depot, 'g2', 'w', left);
    assert.equal(got.length, left);
    for (const m of got) assert.equal(m.body.toString().replace(/\.+$/, ''), `w${m.offset * 2 + m.queue}`);
    await depot.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});
