// Server processes for the cache tests: Depot (`depot start`, serving RESP on a free port)
// and Debian's redis-server as the reference, each on a free loopback port, stopped by pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { startDepot as startNode } from './depot-process.js';

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
    child.ref(); // the wait below must keep the test process alive (depot-process unrefs it)
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await waitExit(child);
    cleanup();
  };
  return { port, pid: child.pid!, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL') };
}

/**
 * Starts `depot start` (the queue off) and resolves with its Redis port once it serves.
 * Arguments: `--data DIR` (kept after stop; without it a temporary directory removed on stop),
 * `--fsync always|everysec|no`, `--appendonly yes|no`, `--snapshot-entries N`; `--maxmemory N`,
 * `--maxmemory-policy P`, `--cache-snapshot-min-bytes N`, `--cache-snapshot-growth-percent N` and
 * `--aclfile F` go to `depot start` as they are.
 */
export async function startDepot(extraArgs: readonly string[] = []): Promise<ServerProcess> {
  const option = (name: string) => {
    const i = extraArgs.indexOf(name);
    return i < 0 ? undefined : extraArgs[i + 1];
  };
  const dataDir = option('--data');
  const args = ['--appendfsync', option('--fsync') ?? 'everysec'];
  const appendonly = option('--appendonly');
  if (appendonly !== undefined) args.push('--appendonly', appendonly);
  const snapshotEntries = option('--snapshot-entries');
  if (snapshotEntries !== undefined) args.push('--cache-snapshot-entries', snapshotEntries);
  for (const name of ['--maxmemory', '--maxmemory-policy', '--cache-snapshot-min-bytes', '--cache-snapshot-growth-percent', '--cache-journal-compression', '--aclfile']) {
    const value = option(name);
    if (value !== undefined) args.push(name, value);
  }
  const node = await startNode({ ...(dataDir === undefined ? {} : { dataDir }), args });
  return handle(node.proc, node.ports['redis']!, () => {
    if (dataDir === undefined) node.cleanup();
  });
}

let redisInstalled = false;

/** Installs redis-server and redis-tools through scripts/install-redis.sh when missing. */
export function ensureRedisInstalled(): void {
  if (redisInstalled) return;
  execFileSync('bash', [join(repoRoot, 'scripts', 'install-redis.sh')], { stdio: 'inherit' });
  redisInstalled = true;
}

/**
 * Starts Debian's redis-server as the reference: no persistence, a temporary directory. The
 * free port is found before redis-server binds it, so another process (a second test run on
 * the machine) may take it in between: a start that exits early is retried on a new port.
 */
/** A redis-server on a free loopback port, `extraArgs` after Depot's usual ones (no persistence). */
export async function startRedis(extraArgs: readonly string[] = []): Promise<ServerProcess> {
  ensureRedisInstalled();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(extraArgs);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startRedisOnce(extraArgs: readonly string[]): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolveReady, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolveReady();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return handle(child, port, () => rmSync(dir, { recursive: true, force: true }));
}

export interface DepotAndRedis {
  readonly depot: ServerProcess;
  readonly redis: ServerProcess;
}

/**
 * A Depot and a redis-server for the tests of one file, started before them and stopped after
 * (node:test hooks); read `depot` and `redis` inside the tests.
 */
export function depotAndRedis(): DepotAndRedis {
  let servers: [ServerProcess, ServerProcess] | undefined;
  before(async () => {
    servers = await Promise.all([startDepot(), startRedis()]);
  });
  after(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
  });
  return {
    get depot() {
      return servers![0];
    },
    get redis() {
      return servers![1];
    },
  };
}

/**
 * Runs `scenario` against Depot, then against redis-server (one after the other, so that timings
 * of one do not disturb the other), each given its server's port and `name` suffixed with the
 * server's; returns what each produced, for the test to compare.
 */
export async function onBoth<T>(servers: DepotAndRedis, name: string, scenario: (port: number, name: string) => Promise<T>): Promise<{ depot: T; redis: T }> {
  const depot = await scenario(servers.depot.port, `${name}-depot`);
  const redis = await scenario(servers.redis.port, `${name}-redis`);
  return { depot, redis };
}
