// The producer cutting batches off a backlog: each batch's callers get that batch's results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer } from '../helpers/mq-server.js';
import { Depot } from '../../src/client/index.js';

test('a backlog cut into batches settles every send once, with its own offset', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const server = await startQueueServer();
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('backlog', { queues: 1 });
    // One batch in flight, two messages per batch: the sends made meanwhile wait as a backlog
    // of four, and the next cut takes two of them and leaves two.
    const producer = depot.producer({ batchMessages: 2, maxInFlight: 1 });
    await producer.send('backlog', { body: 'first' });
    const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => producer.send('backlog', { body: `m${i}` })));
    assert.deepEqual(
      sent.map((s) => s.offset),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(new Set(sent.map((s) => s.messageId)).size, 6);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    await depot.close();
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await server.stop();
    server.cleanup();
  }
});
