// The native server inside a real node (in-process, real raft groups on a temporary data
// directory): counters, and a graceful close that answers what is in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Depot, isDepotError } from '../../../src/client/index.js';
import { loadConfig } from '../../../src/node/config.js';
import { DepotNode } from '../../../src/node/node.js';
import { silentLogger } from '../../../src/util/logger.js';

test('in-process server: counters, and a close that answers requests in flight', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'depot-native-'));
  const config = loadConfig({ flags: { data: dataDir, port: 0, httpPort: 0, raftPort: 0, redisPort: 0, cache: false } });
  const node = await DepotNode.start(config, silentLogger);
  const { brokers, server } = node.queue;
  const broker = brokers.get(1)!;
  try {
    const depot = await Depot.connect({ servers: [`127.0.0.1:${node.ports.native}`], reconnectMinMs: 10_000 });
    await depot.admin.createTopic('t', { queues: 2 });
    const p = depot.producer({ retries: 0 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => p.send('t', { body: `${i}` })));
    await assert.rejects(p.send('missing', { body: 'x' }), (e) => isDepotError(e, 'TOPIC_NOT_FOUND'));
    assert.equal(broker.counters.messagesStored, 10);
    assert.equal(server.counters.connectionsOpen, 1);
    assert.equal(server.counters.errors.get('TOPIC_NOT_FOUND'), 1);
    assert.ok((server.counters.requests.get('Produce') ?? 0) >= 1);
    // Sent while the server closes: what it read is answered, the rest fails cleanly, and every
    // acknowledged message is stored.
    const late = Array.from({ length: 20 }, (_, i) => p.send('t', { body: `late${i}` }));
    await new Promise((r) => setTimeout(r, 5));
    const [, settled] = await Promise.all([server.close(), Promise.allSettled(late)]);
    for (const s of settled) if (s.status === 'rejected') assert.ok(isDepotError(s.reason, 'CONNECTION_CLOSED'), String(s.reason));
    const acked = settled.filter((s) => s.status === 'fulfilled').length;
    assert.ok(broker.counters.messagesStored >= 10 + acked);
    await depot.close();
  } finally {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
