// The native server wired in-process the way src/node wires it: controller and broker services
// on their groups, the server on a free port; counters, and a graceful close that answers what
// is in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerService } from '../../../src/broker/broker-service.js';
import { ControllerService } from '../../../src/cluster/controller-service.js';
import { NativeServer } from '../../../src/server/native/native-server.js';
import { Depot, isDepotError } from '../../../src/client/index.js';
import { QueueTestGroup } from '../../helpers/mq-group.js';

test('in-process server: counters, and a close that answers requests in flight', async () => {
  const controller = new ControllerService(1);
  const cg = QueueTestGroup.open('controller-1', controller.stateMachine);
  controller.attach(cg);
  const broker = new BrokerService({ brokerGroup: 1 });
  const bg = QueueTestGroup.open('broker-1', broker.stateMachine);
  broker.attach(bg, bg);
  const server = new NativeServer({ controller, broker });
  const port = await server.listen(0);
  const depot = await Depot.connect({ servers: [`127.0.0.1:${port}`], reconnectMinMs: 10_000 });
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
  await Promise.all([cg.close(), bg.close()]);
});
