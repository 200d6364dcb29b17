// Consumers joining, leaving and being SIGKILLed during a stream: no message is lost
// (duplicates only for work that was not acknowledged). Consumers run in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startQueueServer } from '../helpers/mq-server.js';
import { Depot } from '../../src/client/index.js';

const consumerMain = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'mq-consumer-main.js');

interface ChildConsumer {
  proc: ChildProcess;
  exited: Promise<void>;
}

function startConsumer(address: string, seen: Set<string>): ChildConsumer {
  const proc = spawn(process.execPath, [consumerMain, '--server', address, '--group', 'workers', '--topic', 'stream'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let rest = '';
  proc.stdout!.on('data', (c: Buffer) => {
    const lines = (rest + c.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      const body = l.split(' ')[2];
      if (body !== undefined) seen.add(body);
    }
  });
  return { proc, exited: new Promise((r) => proc.once('exit', () => r())) };
}

async function eventually(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a consumer joining, leaving and being SIGKILLed during a stream loses no message', async () => {
  const server = await startQueueServer();
  const children: ChildConsumer[] = [];
  try {
    const depot = await Depot.connect({ servers: [server.address] });
    await depot.admin.createTopic('stream', { queues: 6 });
    const seen = new Set<string>();
    const producer = depot.producer();
    const total = 6000;
    let sent = 0;
    const produceSome = async (n: number) => {
      const batch = [];
      for (let i = 0; i < n; i++) batch.push(producer.send('stream', { body: `m${sent++}` }));
      await Promise.all(batch);
    };
    const a = startConsumer(server.address, seen);
    children.push(a);
    await produceSome(1500);
    await eventually(() => seen.size > 200, 'the first consumer to be working');
    const b = startConsumer(server.address, seen);
    children.push(b);
    await produceSome(1500);
    a.proc.kill('SIGTERM');
    await a.exited;
    const c = startConsumer(server.address, seen);
    children.push(c);
    await produceSome(1500);
    await eventually(() => seen.size > 3000, 'progress before the kill');
    b.proc.kill('SIGKILL');
    await b.exited;
    await produceSome(total - sent);
    await eventually(() => seen.size === total, `all ${total} messages (have ${seen.size})`);
    for (let i = 0; i < total; i++) assert.ok(seen.has(`m${i}`));
    await depot.close();
  } finally {
    for (const ch of children) ch.proc.kill('SIGKILL');
    await Promise.all(children.map((ch) => ch.exited));
    await server.stop();
    server.cleanup();
  }
});
