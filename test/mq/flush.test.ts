// Flush policies against a real server process: `async` topics live in the async broker group
// and are acknowledged once written (before their fsync), `sync` ones only once fsynced; both
// kinds survive a graceful restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer } from '../helpers/mq-server.js';
import { Depot, parseMessageId, type ConsumedMessage } from '../../src/client/index.js';

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('async topics are acknowledged before their fsync, sync ones after; both survive a graceful restart', async () => {
  const server = await startQueueServer();
  let again: Awaited<ReturnType<typeof startQueueServer>> | undefined;
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    const fast = await depot.admin.createTopic('fast', { queues: 2, flush: 'async' });
    const safe = await depot.admin.createTopic('safe', { queues: 2 });
    assert.deepEqual([fast.brokerGroup, safe.brokerGroup], [2, 1]);
    const p = depot.producer();
    const ids: string[] = [];
    // One at a time: each acknowledgement is a separate write, fsynced (or not) on its own.
    for (let i = 0; i < 40; i++) {
      ids.push((await p.send('fast', { body: `f${i}` })).messageId);
      ids.push((await p.send('safe', { body: `s${i}` })).messageId);
    }
    assert.deepEqual(new Set(ids.map((id) => parseMessageId(id).brokerGroup)), new Set([1, 2]));
    // With fsync once a second, some of the async group's 40 acknowledgements came before theirs;
    // the sync group never acknowledges what is not fsynced.
    assert.ok((await server.metric('depot_broker_acks_before_fsync_total', { group: 'broker-2' }))! > 0);
    assert.equal(await server.metric('depot_broker_acks_before_fsync_total', { group: 'broker-1' }), 0);
    await depot.close();

    await server.stop();
    again = await startQueueServer(server.dataDir);
    const reader = await Depot.connect({ servers: [again.address] });
    for (const [topic, prefix] of [['fast', 'f'], ['safe', 's']] as const) {
      const got: ConsumedMessage[] = [];
      const c = reader.consumer({ group: 'check', topic, start: 'earliest' });
      await c.run((m) => {
        got.push(m);
      });
      await eventually(() => got.length >= 40, `the ${topic} messages`);
      assert.deepEqual(got.map((m) => m.body.toString()).sort(), Array.from({ length: 40 }, (_, i) => `${prefix}${i}`).sort());
      await c.close();
    }
    await reader.close();
  } finally {
    await again?.stop();
    server.cleanup();
  }
});
