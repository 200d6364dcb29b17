// Server processes for the cache tests: Depot's RESP server (test/cache/fixtures/server.ts)
// and Debian's redis-server as the reference, each on a free loopback port, stopped by pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file runs from dist/test/helpers). */
export const repoRoot = resolve(here, '..', '..', '..');

export interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

function handle(child: ChildProcess, port: number, cleanup: () => void): ServerProcess {
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await waitExit(child);
    cleanup();
  };
  return { port, pid: child.pid!, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL') };
}

/** Starts Depot's cache server fixture; resolves once it listens. */
export async function startDepot(extraArgs: readonly string[] = []): Promise<ServerProcess> {
  const script = join(repoRoot, 'dist', 'test', 'cache', 'fixtures', 'server.js');
  // Without the test runner's marker, which tells the fixture it was loaded as a test file.
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, [script, '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m !== null) resolvePort(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`depot fixture exited with ${code}`)));
  });
  return handle(child, port, () => undefined);
}

let redisInstalled = false;

/** Installs redis-server and redis-tools through scripts/install-redis.sh when missing. */
export function ensureRedisInstalled(): void {
  if (redisInstalled) return;
  execFileSync('bash', [join(repoRoot, 'scripts', 'install-redis.sh')], { stdio: 'inherit' });
  redisInstalled = true;
}

/** Starts Debian's redis-server as the reference: no persistence, a temporary directory. */
export async function startRedis(): Promise<ServerProcess> {
  ensureRedisInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'depot-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolveReady, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return handle(child, port, () => rmSync(dir, { recursive: true, force: true }));
}
