// Durability against a real server process: SIGKILL during produce loses no acknowledged
// message, an idempotent retry stores once, and 10,000 queues on one node work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer } from '../helpers/mq-server.js';
import { RawClient } from '../helpers/mq-raw-client.js';
import { Depot, type ConsumedMessage, type SendResult } from '../../src/client/index.js';
import { Api } from '../../src/protocol/native/apis.js';
import { FrameKind } from '../../src/protocol/native/frame.js';
import { decodeProduceResult, encodeProduceHead } from '../../src/protocol/native/produce.js';
import { encodeBatch } from '../../src/protocol/native/record-batch.js';

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGKILL of the server during produce: every acknowledged message is there after restart, in order', async () => {
  const first = await startQueueServer();
  const depot = await Depot.connect({ servers: [first.address], reconnectMaxMs: 200 });
  await depot.admin.createTopic('durable', { queues: 4 });
  const producer = depot.producer({ retries: 0 });
  const acked: Array<{ key: string; seq: number; r: SendResult }> = [];
  let stop = false;
  const keys = 16;
  const loops = Array.from({ length: keys }, async (_, k) => {
    for (let seq = 0; !stop && seq < 1_000_000; seq++) {
      try {
        const r = await producer.send('durable', { key: `k${k}`, body: `${k}:${seq}` });
        acked.push({ key: `k${k}`, seq, r });
      } catch {
        return;
      }
    }
  });
  await eventually(() => acked.length >= 3000, '3000 acknowledged messages');
  await first.kill();
  stop = true;
  await Promise.all(loops);
  await depot.close();

  const second = await startQueueServer(first.dataDir);
  try {
    const reader = await Depot.connect({ servers: [second.address] });
    const got: ConsumedMessage[] = [];
    const c = reader.consumer({ group: 'audit', topic: 'durable', start: 'earliest' });
    await c.run((m) => {
      got.push(m);
    });
    const total = (await reader.admin.describeTopic('durable')).queues.reduce((n, q) => n + q.endOffset, 0);
    assert.ok(total >= acked.length);
    await eventually(() => got.length >= total, 'everything stored');
    const stored = new Map(got.map((m) => [`${m.queue}:${m.offset}`, m.body.toString()]));
    for (const a of acked) assert.equal(stored.get(`${a.r.queue}:${a.r.offset}`), `${a.key.slice(1)}:${a.seq}`);
    const last = new Map<string, number>();
    for (const m of got) {
      const [k, seq] = m.body.toString().split(':').map(Number) as [number, number];
      assert.ok(seq > (last.get(String(k)) ?? -1), `key ${k} out of order`);
      last.set(String(k), seq);
    }
    await reader.close();
  } finally {
    await second.stop();
    second.cleanup();
  }
});

test('an idempotent retry after a lost response stores once, also across a restart', async () => {
  const server = await startQueueServer();
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('once', { queues: 1 });
    const body = Buffer.concat([encodeProduceHead({ topic: 'once', queue: 0, producerId: 777, baseSequence: 0 }), encodeBatch([{ body: 'a' }, { body: 'b' }], 1)]);
    const raw = await RawClient.open(server.port);
    const r1 = await raw.request(Api.Produce, body);
    assert.equal(r1.kind, FrameKind.Response);
    // The "lost response": the client never saw r1 and sends the same batch again.
    const r2 = decodeProduceResult((await raw.request(Api.Produce, body)).body);
    assert.equal(r2.duplicate, true);
    assert.equal(r2.baseOffset, decodeProduceResult(r1.body).baseOffset);
    raw.close();
    await depot.close();
    await server.stop();
    const again = await startQueueServer(server.dataDir);
    try {
      const raw2 = await RawClient.open(again.port);
      const r3 = decodeProduceResult((await raw2.request(Api.Produce, body)).body);
      assert.equal(r3.duplicate, true);
      raw2.close();
      const d = await Depot.connect({ servers: [again.address] });
      assert.equal((await d.admin.describeTopic('once')).queues[0]!.endOffset, 2);
      await d.close();
    } finally {
      await again.stop();
    }
  } finally {
    server.cleanup();
  }
});

test('10,000 queues on one node: created, written, described and consumed', async () => {
  const server = await startQueueServer();
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    const queues = 10_000;
    await depot.admin.createTopic('wide', { queues });
    const p = depot.producer();
    await Promise.all(Array.from({ length: queues }, (_, q) => p.send('wide', { queue: q, body: `q${q}` })));
    const d = await depot.admin.describeTopic('wide');
    assert.equal(d.queues.length, queues);
    assert.ok(d.queues.every((q) => q.endOffset === 1));
    const seen = new Set<number>();
    const c = depot.consumer({ group: 'sweep', topic: 'wide', start: 'earliest', prefetch: 2000 });
    await c.run((m) => {
      assert.equal(m.body.toString(), `q${m.queue}`);
      seen.add(m.queue);
    });
    await eventually(() => seen.size === queues, 'one message from every queue');
    await depot.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a client reconnects after a server restart: the producer retries, the consumer rejoins', async () => {
  const first = await startQueueServer();
  const port = first.port;
  const depot = await Depot.connect({ servers: [first.address], reconnectMinMs: 20, reconnectMaxMs: 200 });
  try {
    await depot.admin.createTopic('restart', { queues: 2 });
    const got = new Set<string>();
    const c = depot.consumer({ group: 'survivors', topic: 'restart', start: 'earliest', sessionTimeoutMs: 2000 });
    await c.run((m) => {
      got.add(m.body.toString());
    });
    const p = depot.producer();
    await Promise.all(Array.from({ length: 50 }, (_, i) => p.send('restart', { body: `before${i}` })));
    await eventually(() => got.size === 50, 'the first 50');
    await first.stop();
    const second = await startQueueServer(first.dataDir, port);
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => p.send('restart', { body: `after${i}` })));
      await eventually(() => got.size === 100, 'the 50 sent after the restart');
    } finally {
      await depot.close();
      await second.stop();
    }
  } finally {
    first.cleanup();
  }
});
