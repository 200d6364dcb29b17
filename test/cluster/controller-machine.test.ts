import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerMachine, encodeControllerCommand } from '../../src/cluster/machine/controller-machine.js';
import { TOPIC_DEFAULTS } from '../../src/cluster/machine/topic-rules.js';
import { isDepotError } from '../../src/util/errors.js';

let index = 0;
const entry = (cmd: Parameters<typeof encodeControllerCommand>[0]) => ({ index: ++index, term: 1, timestamp: 5000, type: 2, payload: encodeControllerCommand(cmd) });

test('topics are created once, validated, listed and deleted', () => {
  const m = new ControllerMachine();
  m.apply(entry({ op: 'createTopic', name: 'orders', settings: TOPIC_DEFAULTS, brokerGroup: 1 }));
  assert.equal(m.topic('orders')?.queues, 8);
  assert.equal(m.topic('orders')?.createdAt, 5000);
  assert.throws(() => m.apply(entry({ op: 'createTopic', name: 'orders', settings: TOPIC_DEFAULTS, brokerGroup: 1 })), (e) => isDepotError(e, 'TOPIC_EXISTS'));
  assert.throws(() => m.apply(entry({ op: 'createTopic', name: 'bad name', settings: TOPIC_DEFAULTS, brokerGroup: 1 })), (e) => isDepotError(e, 'INVALID_TOPIC'));
  assert.throws(() => m.apply(entry({ op: 'createTopic', name: 'x', settings: { ...TOPIC_DEFAULTS, queues: 0 }, brokerGroup: 1 })), (e) => isDepotError(e, 'INVALID_TOPIC'));
  m.apply(entry({ op: 'createTopic', name: 'alpha', settings: { ...TOPIC_DEFAULTS, queues: 10_000 }, brokerGroup: 1 }));
  assert.deepEqual(m.listTopics().map((t) => t.name), ['alpha', 'orders']);
  m.apply(entry({ op: 'deleteTopic', name: 'orders' }));
  assert.throws(() => m.apply(entry({ op: 'deleteTopic', name: 'orders' })), (e) => isDepotError(e, 'TOPIC_NOT_FOUND'));
  const copy = new ControllerMachine();
  copy.restore(m.snapshot());
  assert.deepEqual(copy.listTopics(), m.listTopics());
});
