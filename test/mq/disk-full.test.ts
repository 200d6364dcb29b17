// The queue on a disk that fills up, through a real server on a small tmpfs: producers get a
// typed error (STORAGE_FULL) instead of hanging, the server keeps answering metadata requests
// and /health reports the failure; once space is freed, producing works again without a
// restart, and every acknowledged message is there, then and after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer, type QueueServerProcess } from '../helpers/mq-server.js';
import { smallDisk } from '../log/mounts.js';
import { Depot, isDepotError, type ConsumedMessage, type SendResult } from '../../src/client/index.js';

/**
 * Consumes `topic` from the start until every acknowledged message and one whose body is
 * `last` have arrived (60 s at most). Counting is not enough: messages whose produce failed
 * with "outcome unknown" may have been written once the disk had room, and are consumed too.
 */
async function consumeAll(depot: Depot, topic: string, group: string, acked: ReadonlyArray<{ r: SendResult }>, last: string): Promise<Map<string, string>> {
  const got = new Map<string, string>();
  let lastSeen = false;
  const c = depot.consumer({ group, topic, start: 'earliest' });
  await c.run((m: ConsumedMessage) => {
    const text = m.body.toString();
    got.set(`${m.queue}:${m.offset}`, text);
    if (text === last) lastSeen = true;
  });
  const complete = () => lastSeen && acked.every((a) => got.has(`${a.r.queue}:${a.r.offset}`));
  const deadline = Date.now() + 60_000;
  while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await c.close();
  const missing = acked.filter((a) => !got.has(`${a.r.queue}:${a.r.offset}`)).length;
  assert.ok(complete(), `${group}: in 60 s, ${got.size} messages consumed, ${missing} acknowledged ones missing, '${last}' ${lastSeen ? 'seen' : 'not seen'}`);
  return got;
}

test('disk full: produce fails with STORAGE_FULL, works again once space is freed, nothing acknowledged lost', async (t) => {
  const disk = smallDisk(t, 48 << 20);
  if (disk === undefined) return;
  const { dataDir } = disk;
  let server: QueueServerProcess | undefined;
  let depot: Depot | undefined;
  try {
    server = await startQueueServer({ dataDir });
    depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('full', { queues: 2 });
    disk.fill(24 << 20);
    const producer = depot.producer({ retries: 0 });
    const body = (i: number) => `${i}:`.padEnd(4000, String.fromCharCode(97 + (i % 26)));
    const acked: Array<{ i: number; r: SendResult }> = [];
    let failure: unknown;
    for (let i = 0; failure === undefined && i < 100_000; i += 32) {
      const batch = Array.from({ length: 32 }, (_, k) => i + k);
      const results = await Promise.allSettled(batch.map((k) => producer.send('full', { key: `k${k}`, body: body(k) })));
      results.forEach((res, k) => {
        if (res.status === 'fulfilled') acked.push({ i: batch[k]!, r: res.value });
        else failure ??= res.reason;
      });
    }
    assert.ok(failure !== undefined, 'the disk never filled');
    assert.ok(acked.length > 1000, `only ${acked.length} messages before the disk filled`);
    t.diagnostic(`disk full after ${acked.length} messages: ${String(failure)}`);
    assert.ok(isDepotError(failure), `not a typed error: ${String(failure)}`);

    // Later produce requests are answered at once (with the error), not left waiting.
    await assert.rejects(producer.send('full', { body: 'more' }), (err: unknown) => isDepotError(err, 'STORAGE_FULL'));
    assert.equal((await depot.admin.describeTopic('full')).queues.length, 2);
    const full = (await (await fetch(`http://127.0.0.1:${server.httpPort}/health`)).json()) as { ok: boolean; groups: Array<{ id: string; failure?: string; retrying?: boolean }> };
    assert.equal(full.ok, false);
    assert.ok(full.groups.some((g) => /no space left on device/.test(g.failure ?? '') && g.retrying === true), JSON.stringify(full.groups));

    // Space again: the groups write what waited on their next retry, and produce works again
    // without a restart.
    disk.free();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const sent = await producer.send('full', { body: 'after' }).catch((err: unknown) => err);
      if (!(sent instanceof Error)) break;
      assert.ok(isDepotError(sent, 'STORAGE_FULL'), String(sent));
      assert.ok(Date.now() < deadline, 'produce still failing 20 s after space was freed');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Everything acknowledged, and what was produced after the disk had room, is consumed.
    const stored = await consumeAll(depot, 'full', 'after-space', acked, 'after');
    for (const a of acked) assert.equal(stored.get(`${a.r.queue}:${a.r.offset}`), body(a.i));
    t.diagnostic(`${stored.size - acked.length - 1} messages whose produce failed (outcome unknown) were written once the disk had room`);
    assert.equal(((await (await fetch(`http://127.0.0.1:${server.httpPort}/health`)).json()) as { ok: boolean }).ok, true);
    await depot.close();
    await server.stop();

    server = await startQueueServer({ dataDir });
    depot = await Depot.connect({ servers: [server.address] });
    const again = await consumeAll(depot, 'full', 'after-restart', acked, 'after');
    for (const a of acked) assert.equal(again.get(`${a.r.queue}:${a.r.offset}`), body(a.i));
    await depot.close();
    await server.stop();
  } finally {
    // After a failed assertion, neither the client nor the server may keep the test file running.
    await depot?.close().catch(() => undefined);
    await server?.kill().catch(() => undefined);
    disk.release();
  }
});
