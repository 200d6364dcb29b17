// The generators' reference: a redis-server of Debian's on a free loopback port, no persistence,
// for as long as `body(client, version)` runs; `pairs` reads the flat key-value lists its
// replies are made of.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export async function withReferenceRedis(body) {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const client = new Redis(port, { retryStrategy: (n) => (n > 50 ? null : 100) });
  // The first attempts come before redis-server listens: retried, not reported.
  client.on('error', () => undefined);
  try {
    const version = (await client.info('server')).match(/redis_version:(\S+)/)[1];
    await body(client, version);
  } finally {
    client.disconnect();
    server.kill();
  }
}

export const pairs = (list) => Object.fromEntries(Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i], list[2 * i + 1]]));
