// Restarts with a backlog against a real server process: the node replays only what its last
// snapshot and index checkpoint do not cover (not the whole log), after a graceful stop and
// after SIGKILL, and every stored message is still served in order.
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

const config = { broker: { snapshotEntries: 50 } };

async function checkAll(server: QueueServerProcess, n: number): Promise<void> {
  const depot = await Depot.connect({ servers: [server.address] });
  const got: ConsumedMessage[] = [];
  const c = depot.consumer({ group: `check-${n}`, topic: 'backlog', start: 'earliest', prefetch: 1000 });
  await c.run((m) => {
    got.push(m);
  });
  await eventually(() => got.length >= n, `${n} messages`);
  const next = [0, 0, 0, 0];
  for (const m of got) {
    assert.equal(m.offset, next[m.queue], `queue ${m.queue} in order`);
    assert.equal(m.body.toString(), `m${m.offset * 4 + m.queue}`);
    next[m.queue]!++;
  }
  await depot.close();
}

test('a restart replays only what the last snapshot does not cover, after a clean stop and after SIGKILL', async () => {
  let server = await startQueueServer({ config });
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('backlog', { queues: 4 });
    const p = depot.producer();
    // One batch per message: 600 log entries.
    for (let i = 0; i < 600; i++) await p.send('backlog', { queue: i % 4, body: `m${i}` });
    await depot.close();
    await server.stop();

    server = await startQueueServer({ dataDir: server.dataDir, config });
    // Batches applied since this start are the replayed ones: at most a snapshot interval's worth.
    const replayed = (await server.metric('depot_broker_batches_stored_total', { group: 'broker-1' }))!;
    assert.ok(replayed <= 60, `${replayed} of 600 batches replayed`);
    await checkAll(server, 600);

    const more = await Depot.connect({ servers: [server.address] });
    const p2 = more.producer();
    for (let i = 600; i < 700; i++) await p2.send('backlog', { queue: i % 4, body: `m${i}` });
    await server.kill();
    await more.close();

    server = await startQueueServer({ dataDir: server.dataDir, config });
    const afterKill = (await server.metric('depot_broker_batches_stored_total', { group: 'broker-1' }))!;
    assert.ok(afterKill <= 160, `${afterKill} of 700 batches replayed after SIGKILL`);
    await checkAll(server, 700);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
