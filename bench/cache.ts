// `npm run bench:cache`: Depot's RESP server against Debian's redis-server with
// redis-benchmark, alternating the two servers round by round, for SET GET INCR LPUSH LPOP
// HSET SADD ZADD with 50 clients, pipelines of 1 and 16, 3-byte and 1 KiB values, persistence
// off (Depot: `depot start --appendonly no`, the log in memory only; Redis: no AOF, no RDB;
// neither writes anything unless asked to SAVE) and appendfsync everysec (Depot: `depot start`, the
// cache's single-replica raft group with async durability; Redis: AOF everysec). Prints ops/s
// of each and the Depot/Redis ratio, and the server's CPU time per request (all its threads,
// from /proc) with Redis/Depot as its ratio: redis-benchmark shares the machine with the
// server it measures, so ops/s move with whatever else runs, CPU per request much less
// (medians of the rounds; the `rounds` column is the range of the rounds' own ratios). Before a
// mode's rounds both servers get the same unmeasured requests of every test, so that Depot's
// code is optimized by V8 before it is measured.
// Options: --json, --rounds N (default 3), --quick (one value size, fewer requests), --only
// off|everysec, --large (instead of the above: random picks on large
// collections, SPOP SRANDMEMBER HRANDFIELD RANDOMKEY on a set, a hash and a database of about
// 780,000 elements each, persistence off, pipeline 1), --evict (instead of the above: SET and GET
// of 100-byte values on 2,000,000 random keys with maxmemory 64mb and allkeys-lru on both
// servers, so that every round evicts; pipeline 16, persistence off), --small (instead of the
// above: about 780,000 hashes, sets and sorted sets of 10 elements each, as a cache keeps
// objects: the resident memory each takes, then commands on them; pipeline 16, persistence off),
// --scripts (instead of the above: EVAL and EVALSHA of small scripts of the kinds clients send,
// pipelines of 1 and 16, persistence off), --hll (instead of the above: PFADD to a dense
// HyperLogLog of about 50,000 elements and to new keys, PFCOUNT of it (cached) and of it and
// another (merged each time); pipelines of 1 and 16, persistence off), --geo (instead of the
// above: GEOADD, GEOSEARCH of the 10 nearest among 100,000 points, GEODIST, GEOPOS; pipelines of
// 1 and 16, persistence off), --streams (instead of the above: XADD with MAXLEN ~, XRANGE,
// XREADGROUP of pending entries, XPENDING, XLEN on a stream of 100,000 entries; pipelines of 1
// and 16, persistence off), --rdb (instead of the above: `redis-cli --rdb` of about 630,000
// strings and a hash of as many fields, persistence off; Redis without its diskless-sync delay;
// with the longest wait for a PONG meanwhile), --control (the default table with a second
// redis-server in Depot's place: how far from 1.0x two identical servers land on this machine,
// which is the noise every Depot/Redis ratio carries).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The --large commands: each picks at random in a collection far larger than the CPU caches. */
const LARGE_COMMANDS = [['spop', 'myset'], ['srandmember', 'myset'], ['srandmember', 'myset', '10'], ['hrandfield', 'myhash'], ['hrandfield', 'myhash', '-5', 'withvalues'], ['randomkey']];
/** Random member names drawn from this many: 1,500,000 insertions leave about 780,000 distinct. */
const LARGE_RANGE = 1_000_000;

/** --evict: far more keys than fit under the limit, so that SETs evict all along. */
const EVICT_MAXMEMORY = '64mb';
const EVICT_RANGE = 2_000_000;

/** --scripts, --hll, --geo, --streams: command lines of one kind, run against both servers after `prepare`. */
interface CommandSet {
  /** Figures are named cache.<set>.<command>.P<pipeline>.off. */
  readonly set: string;
  readonly commands: ReadonlyArray<{ readonly name: string; readonly line: readonly string[]; readonly requests?: number }>;
  /** The range of __rand_int__. */
  readonly keyspace: number;
  prepare(port: number): Promise<void>;
}

/** --scripts: an INCR, a lock release (compare and delete), a rate limiter; the first again by SHA1; the first two as functions. */
const INCR_SCRIPT = "return redis.call('incr', KEYS[1])";
const LIBRARY = [
  '#!lua name=bench',
  "redis.register_function('incr', function(keys) return redis.call('incr', keys[1]) end)",
  "redis.register_function('lock_release', function(keys, args) if redis.call('get', keys[1]) == args[1] then return redis.call('del', keys[1]) else return 0 end end)",
].join('\n');
const SCRIPTS: CommandSet = {
  set: 'scripts',
  commands: [
    { name: 'eval_incr', line: ['eval', INCR_SCRIPT, '1', 'key:__rand_int__'] },
    { name: 'eval_lock_release', line: ['eval', "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", '1', 'lock:__rand_int__', 'token'] },
    {
      name: 'eval_rate_limit',
      line: ['eval', "local n = redis.call('incr', KEYS[1]) if n == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end return n <= tonumber(ARGV[2]) and 1 or 0", '1', 'rate:__rand_int__', '60000', '100'],
    },
    { name: 'evalsha_incr', line: ['evalsha', createHash('sha1').update(INCR_SCRIPT).digest('hex'), '1', 'key:__rand_int__'] },
    { name: 'fcall_incr', line: ['fcall', 'incr', '1', 'key:__rand_int__'] },
    { name: 'fcall_lock_release', line: ['fcall', 'lock_release', '1', 'lock:__rand_int__', 'token'] },
  ],
  keyspace: KEYSPACE,
  prepare: async (port) => {
    await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'script', 'load', INCR_SCRIPT]);
    await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'function', 'load', 'replace', LIBRARY]);
  },
};

/** --geo: 100,000 points spread over 2° by 2° around Paris (about 3 a square kilometre), seeded. */
const GEO_POINTS = 100_000;
const GEO: CommandSet = {
  set: 'geo',
  commands: [
    // __rand_int__ is 12 digits: longitudes 2.000000xxxxxx, for GEOADD's cost (the position does not matter).
    { name: 'geoadd', line: ['geoadd', 'geo:new', '2.__rand_int__', '48.5', 'm:__rand_int__'] },
    { name: 'geosearch_10_nearest', line: ['geosearch', 'geo:pts', 'fromlonlat', '2.35', '48.85', 'byradius', '5', 'km', 'asc', 'count', '10'], requests: 50_000 },
    { name: 'geodist', line: ['geodist', 'geo:pts', 'p1', 'p2', 'km'] },
    { name: 'geopos', line: ['geopos', 'geo:pts', 'p1', 'p2', 'p3'] },
  ],
  keyspace: KEYSPACE,
  prepare: async (port) => {
    let seed = 20261122;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
    const chunks: string[] = [];
    for (let i = 0; i < GEO_POINTS; i += 100) {
      const args = ['geoadd', 'geo:pts'];
      for (let k = i; k < i + 100; k++) args.push((1.35 + rnd() * 2).toFixed(6), (47.85 + rnd() * 2).toFixed(6), `p${k}`);
      chunks.push(`*${args.length}\r\n${args.map(bulk).join('')}`);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'depot-bench-geo-')), 'points.resp');
    writeFileSync(file, chunks.join(''));
    await run('bash', ['-c', `redis-cli -h 127.0.0.1 -p ${port} --pipe < ${file}`], { timeout: 600_000, maxBuffer: 1 << 20 });
    rmSync(dirname(file), { recursive: true, force: true });
  },
};

/** --hll: two HyperLogLogs of about 50,000 elements drawn from HLL_RANGE, which PFADD keeps drawing from. */
const HLL_RANGE = 1_000_000;
const HLL: CommandSet = {
  set: 'hll',
  commands: [
    { name: 'pfadd_dense', line: ['pfadd', 'hll:dense', '__rand_int__'] },
    { name: 'pfadd_new_key', line: ['pfadd', 'hll:__rand_int__', 'a', 'b', 'c'] },
    { name: 'pfcount_cached', line: ['pfcount', 'hll:dense'] },
    { name: 'pfcount_two_keys', line: ['pfcount', 'hll:dense', 'hll:other'], requests: 20_000 },
  ],
  keyspace: HLL_RANGE,
  prepare: async (port) => {
    for (const key of ['hll:dense', 'hll:other']) {
      await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-P', '16', '-n', '51300', '-r', String(HLL_RANGE), '-q', 'pfadd', key, '__rand_int__'], { timeout: 600_000, maxBuffer: 1 << 20 });
    }
  },
};

/**
 * --streams: XADD to a capped stream (MAXLEN ~, as logs and event feeds keep them), and reads of
 * a stream of 100,000 entries with a consumer group whose consumer has 1,000 pending entries:
 * XRANGE of 10, XREADGROUP reading 10 of its pending entries again (a write: each delivery
 * count goes up), XPENDING's summary, XLEN.
 */
const STREAM_ENTRIES = 100_000;
const STREAMS: CommandSet = {
  set: 'streams',
  commands: [
    { name: 'xadd_maxlen', line: ['xadd', 'stream:log', 'maxlen', '~', '100000', '*', 'event', 'click', 'user', '__rand_int__'] },
    { name: 'xrange_10', line: ['xrange', 'stream:pre', '-', '+', 'count', '10'] },
    { name: 'xreadgroup_pending_10', line: ['xreadgroup', 'group', 'g', 'c1', 'count', '10', 'streams', 'stream:pre', '0'] },
    { name: 'xpending_summary', line: ['xpending', 'stream:pre', 'g'] },
    { name: 'xlen', line: ['xlen', 'stream:pre'] },
  ],
  keyspace: KEYSPACE,
  prepare: async (port) => {
    const cli = (...a: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...a], { timeout: 600_000, maxBuffer: 1 << 24 });
    await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-P', '16', '-n', String(STREAM_ENTRIES), '-r', String(KEYSPACE), '-q', 'xadd', 'stream:pre', '*', 'event', 'view', 'user', '__rand_int__'], { timeout: 600_000, maxBuffer: 1 << 20 });
    await cli('xgroup', 'create', 'stream:pre', 'g', '0');
    await cli('xreadgroup', 'group', 'g', 'c1', 'count', '1000', 'streams', 'stream:pre', '>');
  },
};

/**
 * --small: values of 10 elements at random keys drawn from SMALL_RANGE (1,500,000 writes leave
 * about 780,000); redis-benchmark puts the same number in each __rand_int__ of a command.
 */
const SMALL_RANGE = 1_000_000;
const TEN = Array.from({ length: 10 }, (_, i) => i);
const SMALL_FILLS: ReadonlyArray<{ type: string; fill: readonly string[] }> = [
  { type: 'hash', fill: ['hset', 'obj:__rand_int__', ...TEN.flatMap((i) => [`field${i}`, 'value:__rand_int__'])] },
  { type: 'set', fill: ['sadd', 'set:__rand_int__', ...TEN.map((i) => `member:${i}:__rand_int__`)] },
  { type: 'zset', fill: ['zadd', 'zset:__rand_int__', ...TEN.flatMap((i) => [`${i}`, `member:${i}:__rand_int__`])] },
];
const SMALL_COMMANDS = [
  ['hset', 'obj:__rand_int__', 'field3', 'changed'],
  ['hget', 'obj:__rand_int__', 'field7'],
  ['hgetall', 'obj:__rand_int__'],
  ['sismember', 'set:__rand_int__', 'member:5:__rand_int__'],
  ['smembers', 'set:__rand_int__'],
  ['zadd', 'zset:__rand_int__', '4.5', 'member:2:__rand_int__'],
  ['zscore', 'zset:__rand_int__', 'member:7:__rand_int__'],
  ['zrange', 'zset:__rand_int__', '0', '-1', 'withscores'],
];

interface Args {
  rounds: number;
  quick: boolean;
  only: Persistence | null;
  large: boolean;
  evict: boolean;
  small: boolean;
  /** --scripts, --hll, --geo, --streams: the command set to run instead of the default table. */
  set: CommandSet | null;
  rdb: boolean;
  control: boolean;
}

const COMMAND_SETS: Readonly<Record<string, CommandSet>> = { '--scripts': SCRIPTS, '--hll': HLL, '--geo': GEO, '--streams': STREAMS };

function parseArgs(argv: readonly string[]): Args {
  const at = (name: string) => argv.indexOf(name);
  const rounds = at('--rounds') >= 0 ? Number(argv[at('--rounds') + 1]) : 3;
  const only = at('--only') >= 0 ? (argv[at('--only') + 1] as Persistence) : null;
  const has = (flag: string) => argv.includes(flag);
  const set = Object.entries(COMMAND_SETS).find(([flag]) => has(flag))?.[1] ?? null;
  return { rounds: Math.max(1, Math.min(10, rounds)), quick: has('--quick'), only, large: has('--large'), evict: has('--evict'), small: has('--small'), set, rdb: has('--rdb'), control: has('--control') };
}

async function startRedisServer(persistence: Persistence, extra: readonly string[] = []): Promise<ServerProcess & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  args.push(...(persistence === 'off' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec']), ...extra);
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

interface Sample {
  readonly opsPerSec: number;
  /** CPU time of the server process (user + system, every thread) per request, in µs. */
  readonly cpuUs: number;
}

/** User + system CPU time of a process so far, in µs (/proc/<pid>/stat, in clock ticks: USER_HZ, 100 on Linux). */
function cpuTimeUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** redis-benchmark's connection and load options. */
function loadArgs(port: number, pipeline: number, size: number, requests: number, keyspace = KEYSPACE): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-P', String(pipeline), '-d', String(size), '-n', String(requests), '-r', String(keyspace)];
}

/**
 * One redis-benchmark run: ops/s and the server's CPU per request. `test` is one of its -t tests
 * or a command line of its own (e.g. `spop myset`). Bounded by -n and a timeout.
 */
async function benchmark(port: number, pid: number, test: string | readonly string[], pipeline: number, size: number, requests: number, keyspace = KEYSPACE): Promise<Sample> {
  const args = [...loadArgs(port, pipeline, size, requests, keyspace), '--csv', ...(typeof test === 'string' ? ['-t', test] : test)];
  const name = typeof test === 'string' ? test : test.join(' ');
  const cpu0 = cpuTimeUs(pid);
  const { stdout } = await run('redis-benchmark', args, { timeout: 600_000, maxBuffer: 1 << 20 });
  const cpuUs = (cpuTimeUs(pid) - cpu0) / requests;
  for (const line of stdout.split('\n')) {
    // "<test or command line>","<requests per second>",...: the command line may hold commas (a script).
    const m = /^"((?:[^"]|"")*)","([0-9.]+)"/.exec(line);
    if (m === null) continue;
    const printed = m[1]!.replace(/""/g, '"').toLowerCase();
    if (printed === name.toLowerCase() || printed.split(' ')[0] === name) return { opsPerSec: Number(m[2]), cpuUs };
  }
  throw new Error(`redis-benchmark printed no figure for ${name}: ${stdout.slice(0, 200)}`);
}

/**
 * Unmeasured requests before a mode's rounds, the same for both servers: Depot's hot paths are
 * interpreted until V8 has optimized them (some thousands of calls each), which Redis's compiled
 * code never needs, so without it the first cells measure the compiler (as the queue and raft
 * benchmarks' warm-up rounds avoid). Both pipelines and value sizes, every test.
 */
async function warmUp(server: ServerProcess, sizes: readonly number[]): Promise<void> {
  for (const [pipeline, requests] of [[1, 20_000], [16, 200_000]] as const) {
    for (const size of sizes) await run('redis-benchmark', [...loadArgs(server.port, pipeline, size, requests), '-q', '-t', TESTS.join(',')], { timeout: 600_000, maxBuffer: 1 << 20 });
  }
}

/** Which server goes first in a round: alternating, so that drift on a shared machine hits both. */
function orderOf(round: number): readonly ['redis', 'depot'] | readonly ['depot', 'redis'] {
  return round % 2 === 0 ? (['redis', 'depot'] as const) : (['depot', 'redis'] as const);
}

/** Fills a set, a hash and database 0 with random names from LARGE_RANGE, pipelined. */
async function fillLarge(port: number): Promise<void> {
  const base = ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-P', '64', '-n', '1500000', '-r', String(LARGE_RANGE), '-q'];
  for (const fill of [['sadd', 'myset', 'element:__rand_int__'], ['hset', 'myhash', 'element:__rand_int__', 'v'], ['-t', 'set']]) {
    await run('redis-benchmark', [...base, ...fill], { timeout: 600_000, maxBuffer: 1 << 20 });
  }
}

/** `--large`: random picks on large collections, Depot and Redis alternating round by round. */
async function large(args: Args, report: Report): Promise<void> {
  const { server: depot, cleanup } = await depotServer('off');
  const redis = await startRedisServer('off');
  try {
    for (const server of [redis, depot]) await fillLarge(server.port);
    const samples = LARGE_COMMANDS.map(() => ({ depot: [] as Sample[], redis: [] as Sample[] }));
    for (let round = 0; round < args.rounds; round++) {
      for (const who of orderOf(round)) {
        const server = who === 'redis' ? redis : depot;
        // SPOP takes 100,000 members a round out of about 780,000: the set stays large.
        for (const [i, command] of LARGE_COMMANDS.entries()) samples[i]![who].push(await benchmark(server.port, server.pid, command, 1, 3, 100_000));
      }
    }
    for (const [i, command] of LARGE_COMMANDS.entries()) addFigures(report, `cache.large.${command.join('_')}.P1.off`, samples[i]!);
  } finally {
    await depot.stop();
    cleanup();
    await redis.stop();
  }
}

/** A command set (`--scripts`, `--hll`, ...): Depot and Redis alternating round by round. */
async function commandSet(cs: CommandSet, args: Args, report: Report): Promise<void> {
  const { server: depot, cleanup } = await depotServer('off');
  const redis = await startRedisServer('off');
  try {
    for (const server of [redis, depot]) await cs.prepare(server.port);
    for (const pipeline of [1, 16]) {
      const samples = cs.commands.map(() => ({ depot: [] as Sample[], redis: [] as Sample[] }));
      for (let round = 0; round < args.rounds; round++) {
        for (const who of orderOf(round)) {
          const server = who === 'redis' ? redis : depot;
          for (const [i, c] of cs.commands.entries()) {
            const requests = c.requests ?? (pipeline === 1 ? 100_000 : 500_000);
            samples[i]![who].push(await benchmark(server.port, server.pid, c.line, pipeline, 3, requests, cs.keyspace));
          }
        }
      }
      for (const [i, c] of cs.commands.entries()) addFigures(report, `cache.${cs.set}.${c.name}.P${pipeline}.off`, samples[i]!);
    }
  } finally {
    await depot.stop();
    cleanup();
    await redis.stop();
  }
}

/** User + system CPU time of a process and of its children it has waited for, in µs (Redis forks to write an RDB file). */
function cpuWithChildrenUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10_000;
}

/** --rdb: strings and a large hash (redis-benchmark's SET and HSET, 100-byte values, keys drawn from this many). */
const RDB_RANGE = 1_000_000;

/** `--rdb`: `redis-cli --rdb` timed on both servers, alternating round by round. */
async function rdb(args: Args, report: Report): Promise<void> {
  const { server: depot, cleanup } = await depotServer('off');
  // Redis waits 5 s by default for more replicas before a diskless transfer starts.
  const redis = await startRedisServer('off', ['--repl-diskless-sync-delay', '0']);
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-rdb-'));
  try {
    const fill = ['-c', String(CLIENTS), '-P', '64', '-n', String(RDB_RANGE), '-r', String(RDB_RANGE), '-d', '100', '-t', 'set,hset', '-q'];
    for (const server of [redis, depot]) await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(server.port), ...fill], { timeout: 600_000, maxBuffer: 1 << 20 });
    const seconds = { depot: [] as number[], redis: [] as number[] };
    const cpu = { depot: [] as number[], redis: [] as number[] };
    const bytes = { depot: 0, redis: 0 };
    const pingMax = { depot: [] as number[], redis: [] as number[] };
    for (let round = 0; round < args.rounds; round++) {
      for (const who of orderOf(round)) {
        const server = who === 'redis' ? redis : depot;
        const file = join(dir, `${who}.rdb`);
        const cpu0 = cpuWithChildrenUs(server.pid);
        const t0 = process.hrtime.bigint();
        const probe = await pingProbe(server.port);
        await run('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), '--rdb', file], { timeout: 600_000 });
        seconds[who].push(Number(process.hrtime.bigint() - t0) / 1e9);
        pingMax[who].push(await probe.stop());
        // Redis reaps the child that wrote the file in its next cron run (10 a second).
        await new Promise((r) => setTimeout(r, 500));
        cpu[who].push((cpuWithChildrenUs(server.pid) - cpu0) / 1e6);
        bytes[who] = readFileSync(file).length;
      }
    }
    const dbsize = async (port: number) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'dbsize'], { timeout: 60_000 })).stdout.trim();
    report.note(`data set: ${await dbsize(depot.port)} keys on Depot, ${await dbsize(redis.port)} on Redis (one of them a hash of about as many fields)`);
    const s = (xs: number[]) => median(xs);
    report.add({ name: 'cache.rdb.transfer', value: s(seconds.depot), unit: 's', peer: 'redis', peer_value: s(seconds.redis), ratio: s(seconds.redis) / s(seconds.depot) });
    report.add({ name: 'cache.rdb.cpu', value: s(cpu.depot), unit: 's', peer: 'redis', peer_value: s(cpu.redis), ratio: s(cpu.redis) / s(cpu.depot) });
    report.add({ name: 'cache.rdb.file', value: bytes.depot / 1e6, unit: 'MB', peer: 'redis', peer_value: bytes.redis / 1e6 });
    report.add({ name: 'cache.rdb.ping_max', value: s(pingMax.depot), unit: 'ms', peer: 'redis', peer_value: s(pingMax.redis), ratio: s(pingMax.redis) / s(pingMax.depot) });
  } finally {
    await depot.stop();
    cleanup();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * PINGs one after another on a connection of its own until stopped (or 10 minutes): `stop`
 * gives the longest wait for a PONG, in ms, which is how long the server held its event loop.
 */
async function pingProbe(port: number): Promise<{ stop(): Promise<number> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  let longest = 0;
  let stopped = false;
  const deadline = Date.now() + 600_000;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        let got = '';
        const onData = (d: Buffer) => {
          got += d.toString('latin1');
          if (!got.endsWith('\r\n')) return;
          socket.off('data', onData);
          if (got !== '+PONG\r\n') reject(new Error(`PING answered ${JSON.stringify(got)}`));
          else resolve();
        };
        socket.on('data', onData);
        socket.write('PING\r\n');
      });
      longest = Math.max(longest, Number(process.hrtime.bigint() - t0) / 1e6);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      socket.destroy();
      return longest;
    },
  };
}

/** A field of INFO as a number. */
async function infoField(port: number, field: string): Promise<number> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'info'], { timeout: 60_000 });
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(stdout);
  if (m === null) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

/**
 * `--evict`: SET and GET over many more keys than maxmemory holds, with allkeys-lru on both
 * servers; then how many keys each kept and evicted. The two count maxmemory differently
 * (Redis its allocator's used memory, Depot an estimate of the data set: docs/cache.md), so
 * the keys kept differ too.
 */
async function evict(args: Args, report: Report): Promise<void> {
  const { server: depot, cleanup } = await depotServer('off', ['--maxmemory', EVICT_MAXMEMORY, '--maxmemory-policy', 'allkeys-lru']);
  const redis = await startRedisServer('off', ['--maxmemory', EVICT_MAXMEMORY, '--maxmemory-policy', 'allkeys-lru']);
  try {
    const tests = ['set', 'get'];
    const samples = new Map(tests.map((t) => [t, { depot: [] as Sample[], redis: [] as Sample[] }]));
    for (let round = 0; round < args.rounds; round++) {
      for (const who of orderOf(round)) {
        const server = who === 'redis' ? redis : depot;
        for (const t of tests) samples.get(t)![who].push(await benchmark(server.port, server.pid, t, 16, 100, 1_000_000, EVICT_RANGE));
      }
    }
    for (const t of tests) addFigures(report, `cache.evict.${t}.P16.d100`, samples.get(t)!);
    for (const field of ['evicted_keys', 'keyspace_hits']) {
      report.add({ name: `cache.evict.${field}`, value: await infoField(depot.port, field), unit: 'keys', peer: 'redis', peer_value: await infoField(redis.port, field) });
    }
    report.add({ name: 'cache.evict.keys_kept', value: await dbsize(depot.port), unit: 'keys', peer: 'redis', peer_value: await dbsize(redis.port) });
  } finally {
    await depot.stop();
    cleanup();
    await redis.stop();
  }
}

/**
 * `--small`: many small values. Each server is filled with the same commands (about 780,000
 * hashes of 10 fields of 6 bytes with values of 16-18, then as many sets and sorted sets of 10
 * members of 10-16 bytes); what its resident memory grew by during each fill, per key, is
 * compared. Depot's includes its heap's garbage not yet collected, so it is an upper bound; its
 * own estimate (used_memory_dataset) is printed beside it. Then, alternating round by round,
 * reads and writes of random keys.
 */
async function small(args: Args, report: Report): Promise<void> {
  const { server: depot, cleanup } = await depotServer('off');
  const redis = await startRedisServer('off');
  try {
    for (const { type, fill } of SMALL_FILLS) {
      const perKey = new Map<string, number>();
      for (const [who, server] of [['redis', redis], ['depot', depot]] as const) {
        const [rss, keys, dataset] = [await infoField(server.port, 'used_memory_rss'), await dbsize(server.port), who === 'depot' ? await infoField(server.port, 'used_memory_dataset') : 0];
        const command = ['-h', '127.0.0.1', '-p', String(server.port), '-c', String(CLIENTS), '-P', '16', '-n', '1500000', '-r', String(SMALL_RANGE), '-q', ...fill];
        await run('redis-benchmark', command, { timeout: 600_000, maxBuffer: 1 << 20 });
        const added = (await dbsize(server.port)) - keys;
        perKey.set(who, ((await infoField(server.port, 'used_memory_rss')) - rss) / added);
        if (who === 'depot') report.add({ name: `cache.small.${type}.dataset_estimate_per_key`, value: Math.round(((await infoField(server.port, 'used_memory_dataset')) - dataset) / added), unit: 'B' });
      }
      const depotBytes = Math.round(perKey.get('depot')!);
      const redisBytes = Math.round(perKey.get('redis')!);
      report.add({ name: `cache.small.${type}.rss_per_key`, value: depotBytes, unit: 'B', peer: 'redis', peer_value: redisBytes, ratio: redisBytes / depotBytes });
    }
    const samples = SMALL_COMMANDS.map(() => ({ depot: [] as Sample[], redis: [] as Sample[] }));
    for (let round = 0; round < args.rounds; round++) {
      for (const who of orderOf(round)) {
        const server = who === 'redis' ? redis : depot;
        for (const [i, command] of SMALL_COMMANDS.entries()) samples[i]![who].push(await benchmark(server.port, server.pid, command, 16, 3, 1_000_000, SMALL_RANGE));
      }
    }
    for (const [i, command] of SMALL_COMMANDS.entries()) addFigures(report, `cache.small.${command[0]}.P16.off`, samples[i]!);
  } finally {
    await depot.stop();
    cleanup();
    await redis.stop();
  }
}

async function dbsize(port: number): Promise<number> {
  return Number((await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'dbsize'])).stdout.trim());
}

/**
 * The medians of a cell: ops/s (Depot/Redis) and CPU per request (Redis/Depot), with the range
 * of the rounds' own ratios (round i of Depot against round i of Redis) when there are several.
 */
function addFigures(report: Report, name: string, s: { depot: Sample[]; redis: Sample[] }): void {
  const ops = (xs: Sample[]) => Math.round(median(xs.map((x) => x.opsPerSec)));
  const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpuUs));
  const spread = (ratioOf: (depot: Sample, redis: Sample) => number) => {
    if (s.depot.length < 2 || s.depot.length !== s.redis.length) return {};
    const ratios = s.depot.map((d, i) => ratioOf(d, s.redis[i]!));
    return { ratio_low: Math.min(...ratios), ratio_high: Math.max(...ratios) };
  };
  report.add({ name, value: ops(s.depot), unit: 'ops/s', peer: 'redis', peer_value: ops(s.redis), ...spread((d, r) => d.opsPerSec / r.opsPerSec) });
  report.add({ name: `${name}.cpu`, value: cpu(s.depot), unit: 'µs/op', peer: 'redis', peer_value: cpu(s.redis), ratio: cpu(s.redis) / cpu(s.depot), ...spread((d, r) => r.cpuUs / d.cpuUs) });
}

/** Depot: `depot start` with the log in memory only (persistence off) or the journal fsynced every second. */
async function depotServer(persistence: Persistence, extra: readonly string[] = []): Promise<{ server: ServerProcess; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-cache-'));
  const server = await startDepot(['--data', dir, ...(persistence === 'off' ? ['--appendonly', 'no'] : ['--fsync', 'everysec']), ...extra]);
  return { server, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the default table measures against Redis: Depot, or with --control a second redis-server. */
async function subjectServer(persistence: Persistence, control: boolean): Promise<{ server: ServerProcess; cleanup: () => void }> {
  if (!control) return depotServer(persistence);
  return { server: await startRedisServer(persistence), cleanup: () => undefined };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const report = new Report(args.control ? 'Control: redis-server vs redis-server (redis-benchmark, 50 clients; "value" is the second server)' : 'Depot cache vs Redis (redis-benchmark, 50 clients)');
  execFileSync('bash', [join(repoRoot, 'scripts', 'install-redis.sh')], { stdio: 'inherit' });
  const sizes = args.quick ? [3] : [3, 1024];
  const persistences: Persistence[] = args.only !== null ? [args.only] : ['off', 'everysec'];
  // redis-benchmark shares the machine with the server it measures: the load says how much else did.
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  report.note(`load average at start: ${load()}`);
  if (args.large || args.evict || args.small || args.rdb || args.set !== null) {
    await (args.large ? large(args, report) : args.evict ? evict(args, report) : args.small ? small(args, report) : args.rdb ? rdb(args, report) : commandSet(args.set!, args, report));
    report.note(`load average at end: ${load()}`);
    return report.print();
  }
  for (const persistence of persistences) {
    const { server: depot, cleanup } = await subjectServer(persistence, args.control);
    const redis = await startRedisServer(persistence);
    try {
      for (const server of [redis, depot]) await warmUp(server, sizes);
      for (const pipeline of [1, 16]) {
        for (const size of sizes) {
          const requests = (pipeline === 1 ? 100_000 : 1_000_000) / (args.quick ? 4 : 1);
          const samples = new Map<string, { depot: Sample[]; redis: Sample[] }>(TESTS.map((t) => [t, { depot: [], redis: [] }]));
          for (let round = 0; round < args.rounds; round++) {
            for (const who of orderOf(round)) {
              const server = who === 'redis' ? redis : depot;
              for (const t of TESTS) samples.get(t)![who].push(await benchmark(server.port, server.pid, t, pipeline, size, requests));
            }
          }
          for (const t of TESTS) addFigures(report, `cache.${args.control ? 'control.' : ''}${t}.P${pipeline}.d${size}.${persistence}`, samples.get(t)!);
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
