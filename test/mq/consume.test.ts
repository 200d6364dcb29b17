// Consumption against a real server process: per-key order, broadcast, tag filtering, long
// polling, rebalancing, session expiry, offset reset to a timestamp, message ids, lag.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer, type QueueServerProcess } from '../helpers/mq-server.js';
import { RawClient } from '../helpers/mq-raw-client.js';
import { Depot, parseMessageId, type ConsumedMessage, type Consumer } from '../../src/client/index.js';
import { Api } from '../../src/protocol/native/apis.js';
import { decodeJoinResponse, encodeJoinRequest, encodeMemberId } from '../../src/protocol/native/membership.js';
import { decodeDelivery, DELIVERY_RUNS, encodeCreditRequest, encodeFetchRequest, type Delivery } from '../../src/protocol/native/consume.js';
import { decodeRecord, storedRecordSize } from '../../src/protocol/native/record-batch.js';
import { FrameKind } from '../../src/protocol/native/frame.js';

let server: QueueServerProcess;
let depot: Depot;

before(async () => {
  server = await startQueueServer();
  depot = await Depot.connect({ servers: [server.address] });
});

after(async () => {
  await depot.close();
  await server.stop();
  server.cleanup();
});

/** Polls `check` until it holds; fails after a generous deadline (never asserts on speed). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `consumer`, collecting what it receives; resolves once it has joined. */
function collect(consumer: Consumer, into: ConsumedMessage[]): Promise<void> {
  return consumer.run((m) => {
    into.push(m);
  });
}

test('messages with the same key keep their order; ids locate them', async () => {
  await depot.admin.createTopic('ordered', { queues: 4 });
  const p = depot.producer({ lingerMs: 2 });
  const keys = 20;
  const perKey = 200;
  const sends = [];
  for (let i = 0; i < perKey; i++) for (let k = 0; k < keys; k++) sends.push(p.send('ordered', { key: `k${k}`, body: `${i}` }));
  const results = await Promise.all(sends);
  assert.equal(new Set(results.map((r) => r.messageId)).size, results.length);
  const got: ConsumedMessage[] = [];
  const c = depot.consumer({ group: 'order-check', topic: 'ordered', start: 'earliest' });
  await collect(c, got);
  await eventually(() => got.length >= keys * perKey, 'every message');
  const next = new Map<string, number>();
  for (const m of got) {
    const n = Number(m.body.toString());
    assert.equal(n, next.get(m.key!) ?? 0, `key ${m.key} out of order`);
    next.set(m.key!, n + 1);
  }
  const byId = new Map(results.map((r) => [r.messageId, r]));
  for (const m of got.slice(0, 50)) {
    assert.equal(byId.get(m.messageId)?.offset, m.offset);
    assert.equal(parseMessageId(m.messageId).brokerGroup, 1);
  }
  await c.close();
  await eventually(async () => (await depot.admin.describeGroup('order-check', 'ordered')).queues.every((q) => q.lagMessages === 0), 'lag 0');
});

test('broadcast: every member receives every message', async () => {
  await depot.admin.createTopic('news', { queues: 3 });
  const a: ConsumedMessage[] = [];
  const b: ConsumedMessage[] = [];
  const ca = depot.consumer({ group: 'screens', topic: 'news', mode: 'broadcast', instanceId: 'a', start: 'earliest' });
  const cb = depot.consumer({ group: 'screens', topic: 'news', mode: 'broadcast', instanceId: 'b', start: 'earliest' });
  await collect(ca, a);
  await collect(cb, b);
  await Promise.all([ca.start(), cb.start()]);
  const p = depot.producer();
  await Promise.all(Array.from({ length: 300 }, (_, i) => p.send('news', { body: `n${i}` })));
  await eventually(() => a.length >= 300 && b.length >= 300, 'both members to have everything');
  assert.equal(new Set(a.map((m) => m.body.toString())).size, 300);
  assert.equal(new Set(b.map((m) => m.body.toString())).size, 300);
  await Promise.all([ca.close(), cb.close()]);
  const d = await depot.admin.describeGroup('screens', 'news');
  assert.equal(d.mode, 'broadcast');
  assert.deepEqual([...new Set(d.queues.map((q) => q.owner))].sort(), ['a', 'b']);
});

test('tag filtering happens on the broker, and filtered messages count as consumed', async () => {
  await depot.admin.createTopic('tagged', { queues: 2 });
  const p = depot.producer();
  await Promise.all(Array.from({ length: 600 }, (_, i) => p.send('tagged', { tag: ['a', 'b', 'c'][i % 3]!, body: `${i}` })));
  const got: ConsumedMessage[] = [];
  const c = depot.consumer({ group: 'only-ac', topic: 'tagged', tags: ['a', 'c'], start: 'earliest' });
  await collect(c, got);
  await eventually(() => got.length >= 400, 'the a and c messages');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got.length, 400);
  assert.ok(got.every((m) => m.tag === 'a' || m.tag === 'c'));
  await c.close();
  await eventually(async () => (await depot.admin.describeGroup('only-ac', 'tagged')).queues.every((q) => q.lagMessages === 0), 'lag 0 with filtered messages');
});

test('long-polling fetch delivers what arrives while it waits', async () => {
  await depot.admin.createTopic('polled', { queues: 2 });
  const got: ConsumedMessage[] = [];
  const c = depot.consumer({ group: 'pullers', topic: 'polled', delivery: 'pull', start: 'latest' });
  await collect(c, got);
  await c.start();
  await eventually(async () => (await depot.admin.describeGroup('pullers', 'polled')).members.length === 1, 'member');
  const p = depot.producer();
  await Promise.all(Array.from({ length: 50 }, (_, i) => p.send('polled', { body: `${i}` })));
  await eventually(() => got.length >= 50, 'pulled messages');
  await c.close();
});

/** Bodies of a delivery's messages, in order. */
function bodiesOf(d: Delivery): string[] {
  const out: string[] = [];
  for (const run of d.runs) {
    for (let i = 0, at = 0; i < run.count; i++, at += storedRecordSize(run.records, at)) out.push(decodeRecord(run.records, at).body.toString());
  }
  return out;
}

test('deliveries come in runs to whoever asks for them, one entry per message to the others', async () => {
  await depot.admin.createTopic('layouts', { queues: 1 });
  const p = depot.producer();
  // One batch: the five records are stored back to back in one log entry.
  await Promise.all(Array.from({ length: 5 }, (_, i) => p.send('layouts', { body: `m${i}` })));
  const raw = await RawClient.open(server.port);
  const member = async (group: string) => {
    const join = encodeJoinRequest({ group, topic: 'layouts', mode: 'clustering', instanceId: group, tags: [], start: 'earliest', sessionTimeoutMs: 10_000 });
    return decodeJoinResponse((await raw.request(Api.JoinGroup, join)).body).memberId;
  };
  const fetched = await raw.request(Api.Fetch, encodeFetchRequest({ memberId: await member('runs'), maxMessages: 100, maxWaitMs: 5000 }), DELIVERY_RUNS);
  assert.equal(fetched.flags, DELIVERY_RUNS);
  const runs = decodeDelivery(fetched.body, fetched.flags);
  assert.deepEqual(runs.runs.map((r) => [r.offset, r.count]), [[0, 5]]);
  assert.deepEqual(bodiesOf(runs), ['m0', 'm1', 'm2', 'm3', 'm4']);
  const subscribe = await raw.request(Api.Subscribe, encodeCreditRequest({ memberId: await member('legacy'), credits: 100 }));
  const got: string[] = [];
  while (got.length < 5) {
    const f = await raw.next();
    assert.ok(f !== undefined, 'connection closed');
    if (f.kind !== FrameKind.Push || f.api !== Api.Deliver) continue;
    assert.equal(f.correlationId, subscribe.correlationId);
    assert.equal(f.flags, 0);
    const legacy = decodeDelivery(f.body, f.flags);
    assert.ok(legacy.runs.every((r) => r.count === 1));
    got.push(...bodiesOf(legacy));
  }
  assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
  raw.close();
});

test('queues are spread 3 and 2; a member that stops heartbeating loses its queues', async () => {
  await depot.admin.createTopic('five', { queues: 5 });
  const c1 = depot.consumer({ group: 'pair', topic: 'five' });
  await collect(c1, []);
  await c1.start();
  const raw = await RawClient.open(server.port);
  const join = encodeJoinRequest({ group: 'pair', topic: 'five', mode: 'clustering', instanceId: 'silent', tags: [], start: 'latest', sessionTimeoutMs: 1000 });
  const joined = await raw.request(Api.JoinGroup, join);
  const memberId = decodeJoinResponse(joined.body).memberId;
  // Heartbeat until the split is seen (a loaded machine must not expire the member early)...
  await eventually(async () => {
    await raw.request(Api.Heartbeat, encodeMemberId(memberId));
    const d = await depot.admin.describeGroup('pair', 'five');
    return d.members.length === 2 && d.members.map((m) => m.queues.length).sort().join() === '2,3';
  }, '3 and 2');
  // ...then stop: the member expires and the other one gets all five queues.
  await eventually(async () => {
    const d = await depot.admin.describeGroup('pair', 'five');
    return d.members.length === 1 && d.members[0]!.queues.length === 5;
  }, 'the silent member to expire');
  await eventually(() => c1.queues.length === 5, 'the live member to learn its new queues');
  raw.close();
  await c1.close();
});

test('an admin reset to a timestamp replays exactly what was stored from then on', async () => {
  await depot.admin.createTopic('replay', { queues: 2 });
  const p = depot.producer();
  await Promise.all(Array.from({ length: 100 }, (_, i) => p.send('replay', { body: `old${i}` })));
  await new Promise((r) => setTimeout(r, 30));
  const since = Date.now();
  await new Promise((r) => setTimeout(r, 30));
  await Promise.all(Array.from({ length: 100 }, (_, i) => p.send('replay', { body: `new${i}` })));
  const first: ConsumedMessage[] = [];
  const c = depot.consumer({ group: 'replayers', topic: 'replay', start: 'earliest' });
  await collect(c, first);
  await eventually(() => first.length >= 200, 'the first pass');
  await c.close();
  const offsets = await depot.admin.resetOffsets('replayers', 'replay', { timestamp: since });
  assert.equal(offsets.reduce((n, o) => n + o.offset, 0), 100);
  const second: ConsumedMessage[] = [];
  const again = depot.consumer({ group: 'replayers', topic: 'replay', start: 'latest' });
  await collect(again, second);
  await eventually(() => second.length >= 100, 'the replay');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(second.length, 100);
  assert.ok(second.every((m) => m.body.toString().startsWith('new')));
  await again.close();
  const groups = await depot.admin.listGroups();
  assert.ok(groups.some((g) => g.group === 'replayers' && g.lagMessages === 0));
});
