// The queue commands end to end: topic, send (argument and stdin), consume, group.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startQueueServer, type QueueServerProcess } from '../helpers/mq-server.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'mq-cli-main.js');
let server: QueueServerProcess;

before(async () => {
  server = await startQueueServer();
});
after(async () => {
  await server.stop();
  server.cleanup();
});

function depot(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args, '--server', server.address], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.stdin.end(stdin ?? '');
    p.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

test('topic, send, consume and group commands work together, as tables and as JSON', async () => {
  assert.match((await depot(['topic', 'create', 'cli-orders', '--queues', '3'])).out, /created topic cli-orders with 3 queues/);
  const list = await depot(['topic', 'list', '--json']);
  assert.deepEqual(JSON.parse(list.out).map((t: { name: string }) => t.name), ['cli-orders']);
  const one = await depot(['send', 'cli-orders', 'hello', '--key', 'u1', '--tag', 'created', '--json']);
  assert.equal(one.code, 0, one.err);
  assert.match(JSON.parse(one.out).messageId, /^[0-9a-f]{24}$/);
  const many = await depot(['send', 'cli-orders', '--key', 'u1'], 'a\nb\nc\n');
  assert.equal(many.out.trim().split('\n').length, 3);
  const consumed = await depot(['consume', 'cli-orders', '--group', 'cli-g', '--from', 'earliest', '--count', '4', '--json']);
  assert.equal(consumed.code, 0, consumed.err);
  assert.deepEqual(consumed.out.trim().split('\n').map((l) => JSON.parse(l).body), ['hello', 'a', 'b', 'c']);
  const described = await depot(['group', 'describe', 'cli-g', '--topic', 'cli-orders']);
  assert.match(described.out, /lag: 0 messages/);
  assert.match((await depot(['group', 'list'])).out, /cli-g\s+cli-orders\s+clustering\s+0\s+0/);
  const reset = await depot(['group', 'reset', 'cli-g', '--topic', 'cli-orders', '--to', 'earliest', '--json']);
  assert.deepEqual(JSON.parse(reset.out).map((o: { offset: number }) => o.offset), [0, 0, 0]);
  assert.match((await depot(['topic', 'describe', 'cli-orders'])).out, /QUEUE\s+START\s+END/);
  const missing = await depot(['topic', 'describe', 'nope']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /does not exist/);
  assert.match((await depot(['topic', 'delete', 'cli-orders'])).out, /deleted topic cli-orders/);
});
