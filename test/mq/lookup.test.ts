// Message lookup against a real server process: by message id, by key and by store time, from
// the client and from `depot message get|find`, also after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { depotBin } from '../helpers/depot-process.js';
import { startQueueServer } from '../helpers/mq-server.js';
import { Depot, isDepotError, parseMessageId, formatMessageId } from '../../src/client/index.js';

function cli(args: string[], server: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [depotBin, ...args, '--server', server], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

test('messages are found by id, by key and by time, from the SDK and the CLI, also after a restart', async () => {
  const server = await startQueueServer();
  let again: Awaited<ReturnType<typeof startQueueServer>> | undefined;
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('orders', { queues: 4 });
    await depot.admin.createTopic('other', { queues: 2 });
    const p = depot.producer({ lingerMs: 2 });
    const sent = await Promise.all(Array.from({ length: 300 }, (_, i) => p.send('orders', { key: `user-${i % 30}`, tag: 'created', headers: { n: String(i) }, body: `order ${i}` })));
    await p.send('other', { key: 'user-7', body: 'not an order' });
    await new Promise((r) => setTimeout(r, 30));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    const late = await Promise.all(Array.from({ length: 8 }, (_, i) => p.send('orders', { queue: i % 4, body: `late ${i}` })));

    const m = await depot.admin.getMessage(sent[123]!.messageId);
    assert.deepEqual([m.topic, m.queue, m.offset, m.key, m.tag, m.headers['n'], m.body.toString()], ['orders', sent[123]!.queue, sent[123]!.offset, 'user-3', 'created', '123', 'order 123']);
    const wrong = formatMessageId({ ...parseMessageId(sent[123]!.messageId), position: parseMessageId(sent[123]!.messageId).position + 1 });
    await assert.rejects(depot.admin.getMessage(wrong), (e) => isDepotError(e, 'MESSAGE_NOT_FOUND'));
    await assert.rejects(depot.admin.getMessage(formatMessageId({ brokerGroup: 9, logIndex: 1, position: 0 })), (e) => isDepotError(e, 'GROUP_NOT_FOUND'));

    const byKey = await depot.admin.findByKey('orders', 'user-7', 100);
    assert.deepEqual(byKey.map((x) => x.body.toString()), Array.from({ length: 10 }, (_, k) => `order ${7 + 30 * (9 - k)}`));
    assert.deepEqual((await depot.admin.findByKey('orders', 'nobody')).length, 0);
    const byTime = await depot.admin.findByTime('orders', since, 5);
    assert.deepEqual(byTime.map((x) => x.body.toString()).sort(), late.map((_, i) => `late ${i}`).sort());

    const got = await cli(['message', 'get', sent[5]!.messageId, '--json'], server.address);
    assert.equal(got.code, 0, got.err);
    assert.equal(JSON.parse(got.out).body, 'order 5');
    const found = await cli(['message', 'find', '--topic', 'orders', '--key', 'user-7', '--max', '3'], server.address);
    assert.equal(found.code, 0, found.err);
    assert.match(found.out, /ID\s+QUEUE\s+OFFSET\s+KEY/);
    assert.equal(found.out.trim().split('\n').length, 4);
    const missing = await cli(['message', 'get', 'zz'], server.address);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /not a message id/);
    await depot.close();

    await server.stop();
    again = await startQueueServer(server.dataDir);
    const d2 = await Depot.connect({ servers: [again.address] });
    assert.equal((await d2.admin.getMessage(sent[299]!.messageId)).body.toString(), 'order 299');
    assert.equal((await d2.admin.findByKey('orders', 'user-29', 1))[0]!.body.toString(), 'order 299');
    await d2.close();
  } finally {
    await again?.stop();
    server.cleanup();
  }
});
