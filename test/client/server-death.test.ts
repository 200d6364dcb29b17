// The SDK when the server dies mid-request: every call in flight settles with a typed error or
// succeeds after the restart, and nothing escapes as an unhandled rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer } from '../helpers/mq-server.js';
import { Depot, isDepotError } from '../../src/client/index.js';

test('SIGKILL of the server with produce, consume, fetch and admin calls in flight: no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const first = await startQueueServer();
  let second: Awaited<ReturnType<typeof startQueueServer>> | undefined;
  try {
    const depot = await Depot.connect({ servers: [first.address], reconnectMinMs: 20, reconnectMaxMs: 100, requestTimeoutMs: 3000 });
    await depot.admin.createTopic('dying', { queues: 4 });
    const producer = depot.producer({ retries: 3, lingerMs: 1 });
    const push = depot.consumer({ group: 'push', topic: 'dying', start: 'earliest', sessionTimeoutMs: 1000 });
    const pull = depot.consumer({ group: 'pull', topic: 'dying', start: 'earliest', delivery: 'pull', sessionTimeoutMs: 1000 });
    await push.run(async () => {
      await new Promise((r) => setImmediate(r));
    });
    await pull.run(() => undefined);
    // Every call's outcome is taken at once (so a rejection is handled) and checked at the end.
    const outcomes: Array<Promise<unknown>> = [];
    const track = (p: Promise<unknown>) => outcomes.push(p.then(() => undefined, (err: unknown) => err));
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        track(producer.send('dying', { key: `k${i % 7}`, body: `m${i}` }));
        if (i % 50 === 0) {
          track(depot.admin.describeGroup('push', 'dying'));
          track(depot.admin.getMessage('000100000000000100000000'));
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await first.kill();
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    second = await startQueueServer({ dataDir: first.dataDir, port: first.port });
    for (const err of await Promise.all(outcomes)) {
      if (err !== undefined) assert.ok(isDepotError(err), `a typed error, not ${String(err)}`);
    }
    // The client is usable again on the restarted server.
    assert.equal((await producer.send('dying', { body: 'after' })).queue >= 0, true);
    await depot.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await second?.stop();
    first.cleanup();
  }
});
