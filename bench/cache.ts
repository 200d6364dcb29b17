// `npm run bench:cache`: Depot's RESP server against Debian's redis-server with
// redis-benchmark, alternating the two servers round by round, for SET GET INCR LPUSH LPOP
// HSET SADD ZADD with 50 clients, pipelines of 1 and 16, 3-byte and 1 KiB values, persistence
// off (Depot: `depot start --appendfsync no`, its journal never fsynced — Depot's log cannot be
// switched off; Redis: no AOF, no RDB) and appendfsync everysec (Depot: `depot start`, the
// cache's single-replica raft group with async durability; Redis: AOF everysec). Prints ops/s of each and the Depot/Redis ratio
// (medians of the rounds). Options: --json, --rounds N (default 3), --quick (one value size,
// fewer requests), --only off|everysec.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';
import { Report } from './lib/report.js';
import { median } from './lib/stats.js';
import { freePort, repoRoot, startDepot, type ServerProcess } from '../test/helpers/cache-servers.js';

const run = promisify(execFile);
const TESTS = ['set', 'get', 'incr', 'lpush', 'lpop', 'hset', 'sadd', 'zadd'];
const CLIENTS = 50;
const KEYSPACE = 100_000;

type Persistence = 'off' | 'everysec';

interface Args {
  rounds: number;
  quick: boolean;
  only: Persistence | null;
}

function parseArgs(argv: readonly string[]): Args {
  const at = (name: string) => argv.indexOf(name);
  const rounds = at('--rounds') >= 0 ? Number(argv[at('--rounds') + 1]) : 3;
  const only = at('--only') >= 0 ? (argv[at('--only') + 1] as Persistence) : null;
  return { rounds: Math.max(1, Math.min(10, rounds)), quick: argv.includes('--quick'), only };
}

async function startRedisServer(persistence: Persistence): Promise<ServerProcess & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  args.push(...(persistence === 'off' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec']));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  };
  return { port, pid: child.pid!, dir, stop, kill: stop };
}

/** One redis-benchmark run: ops/s per test. Bounded by -n and a timeout. */
async function benchmark(port: number, pipeline: number, size: number, requests: number): Promise<Map<string, number>> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-P', String(pipeline), '-d', String(size)];
  args.push('-n', String(requests), '-r', String(KEYSPACE), '-t', TESTS.join(','), '--csv');
  const { stdout } = await run('redis-benchmark', args, { timeout: 600_000, maxBuffer: 1 << 20 });
  const out = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    const name = cells[0]?.toLowerCase() ?? '';
    const rps = Number(cells[1]);
    if (TESTS.includes(name.split(' ')[0]!) && Number.isFinite(rps)) out.set(name.split(' ')[0]!, rps);
  }
  return out;
}

/** Depot: `depot start` with the journal never fsynced (persistence off) or fsynced every second. */
async function depotServer(persistence: Persistence): Promise<{ server: ServerProcess; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-cache-'));
  const server = await startDepot(['--data', dir, '--fsync', persistence === 'off' ? 'no' : 'everysec']);
  return { server, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const report = new Report('Depot cache vs Redis (redis-benchmark, 50 clients)');
  execFileSync('bash', [join(repoRoot, 'scripts', 'install-redis.sh')], { stdio: 'inherit' });
  const sizes = args.quick ? [3] : [3, 1024];
  const persistences: Persistence[] = args.only !== null ? [args.only] : ['off', 'everysec'];
  // redis-benchmark shares the machine with the server it measures: the load says how much else did.
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  report.note(`load average at start: ${load()}`);
  for (const persistence of persistences) {
    const { server: depot, cleanup } = await depotServer(persistence);
    const redis = await startRedisServer(persistence);
    try {
      for (const pipeline of [1, 16]) {
        for (const size of sizes) {
          const requests = (pipeline === 1 ? 100_000 : 1_000_000) / (args.quick ? 4 : 1);
          const samples = new Map<string, { depot: number[]; redis: number[] }>(TESTS.map((t) => [t, { depot: [], redis: [] }]));
          for (let round = 0; round < args.rounds; round++) {
            // Alternate which server goes first so that drift on a shared machine hits both.
            const order = round % 2 === 0 ? (['redis', 'depot'] as const) : (['depot', 'redis'] as const);
            for (const who of order) {
              const result = await benchmark(who === 'redis' ? redis.port : depot.port, pipeline, size, requests);
              for (const t of TESTS) samples.get(t)![who].push(result.get(t) ?? 0);
            }
          }
          for (const t of TESTS) {
            const s = samples.get(t)!;
            report.add({
              name: `cache.${t}.P${pipeline}.d${size}.${persistence}`,
              value: Math.round(median(s.depot)),
              unit: 'ops/s',
              peer: 'redis',
              peer_value: Math.round(median(s.redis)),
            });
          }
        }
      }
    } finally {
      await depot.stop();
      cleanup();
      await redis.stop();
    }
  }
  report.note(`load average at end: ${load()}`);
  report.print();
}

await main();
