// `npm run bench:raft`: commit throughput and latency (p50/p99) of a group with 1 and with 3
// replicas on loopback, 1 KiB entries, at 1, 64 and 1024 proposals in flight, next to the
// foundation log's own durable appends measured in the same run. Followers run in their own
// processes (test/raft/helpers/node-main.ts). Every load loop is bounded in count and time.
// With the throughput, the CPU time per commit of each process (user + system): on a shared
// 2-core machine the commits/s of three processes swing with the neighbours' load, their CPU
// per commit much less, and it tells what the three processes cost where one did the work.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Report } from './lib/report.js';
import { nowMs, percentile } from './lib/stats.js';
import type { RaftGroup } from '../src/raft/driver/group.js';
import { RaftHost } from '../src/raft/driver/host.js';
import { CountingMachine } from '../test/raft/helpers/machines.js';
import { openFoundationLog } from '../src/raft/driver/foundation-log.js';

const ENTRY = Buffer.alloc(1024, 0x61);
const CONCURRENCY = [1, 64, 1024];
const RUN_MS = Number(process.env['BENCH_RUN_MS'] ?? 2000);
const MAX_PROPOSALS = 200_000;
/** Load before the measured runs of a group: the followers are fresh processes whose code is not yet optimized. */
const WARMUP_MS = Math.min(500, RUN_MS / 4);
const NODE_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'raft', 'helpers', 'node-main.js');

interface Result {
  perSec: number;
  p50: number;
  p99: number;
  commits: number;
  /** CPU time (user + system) per commit of the leader and of each follower, in µs. */
  cpu?: { leader: number; followers: number[] };
}

async function load(run: (payload: Buffer) => Promise<unknown>, concurrency: number, ms = RUN_MS): Promise<Result> {
  const lat: number[] = [];
  const start = nowMs();
  const deadline = start + ms;
  let issued = 0;
  const worker = async () => {
    while (nowMs() < deadline && issued < MAX_PROPOSALS) {
      issued++;
      const t0 = nowMs();
      await run(ENTRY);
      lat.push(nowMs() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (nowMs() - start) / 1000;
  return { perSec: lat.length / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), commits: lat.length };
}

// Above the id of the `open` request (1), whose reply must not be taken for one of these.
let nextRequest = 2;

/** A follower's CPU time so far (µs), asked over IPC. */
function followerCpu(proc: ChildProcess): Promise<number> {
  const id = nextRequest++;
  return new Promise((resolve) => {
    const on = (m: { op: string; id?: number; cpuMicros?: number }) => {
      if (m.op !== 'reply' || m.id !== id || m.cpuMicros === undefined) return;
      proc.off('message', on);
      resolve(m.cpuMicros!);
    };
    proc.on('message', on);
    proc.send({ op: 'cpu', id });
  });
}

/** Runs `load` and measures the CPU each process spent on it: what two cores are shared by. */
async function measured(followers: ChildProcess[], run: () => Promise<Result>): Promise<Result> {
  const before = { leader: process.cpuUsage(), followers: await Promise.all(followers.map(followerCpu)) };
  const r = await run();
  const lead = process.cpuUsage(before.leader);
  const after = await Promise.all(followers.map(followerCpu));
  const n = Math.max(1, r.commits);
  return { ...r, cpu: { leader: (lead.user + lead.system) / n, followers: after.map((a, i) => (a - before.followers[i]!) / n) } };
}

function spawnFollower(id: number, dir: string): Promise<{ proc: ChildProcess; address: string }> {
  // Longer election timeouts than the bench's own node, so that node leads.
  const proc = fork(NODE_MAIN, [String(id), dir, '0', '40', 'count'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env['BENCH_PROFILE_FOLLOWERS'] ? ['--cpu-prof', '--cpu-prof-dir=' + process.env['BENCH_PROFILE_FOLLOWERS']] : [] });
  return new Promise((resolve) => {
    proc.once('message', (m: { address: string }) => resolve({ proc, address: m.address }));
  });
}

async function raftFigures(replicas: number, dir: string): Promise<Result[]> {
  const host = await RaftHost.start({ nodeId: 1, host: '127.0.0.1', port: 0, tickMs: 50 });
  const followers = await Promise.all(Array.from({ length: replicas - 1 }, (_, i) => spawnFollower(i + 2, join(dir, `n${i + 2}`))));
  try {
    const peers: Record<number, string> = { 1: host.address };
    followers.forEach((f, i) => (peers[i + 2] = f.address));
    for (const [id, a] of Object.entries(peers)) host.learnAddress(Number(id), a);
    for (const f of followers) f.proc.send({ op: 'open', id: 1, peers });
    const group: RaftGroup<number> = await host.openGroup({ id: 'q', dir: join(dir, 'n1'), bootstrap: peers, durability: 'sync', stateMachine: new CountingMachine() });
    const deadline = Date.now() + 10_000;
    while (!group.status().isLeader) {
      if (Date.now() > deadline) throw new Error('the benchmark node did not become leader');
      await new Promise((r) => setTimeout(r, 20));
    }
    const propose = (p: Buffer) => group.propose(p).applied;
    await load(propose, 64, WARMUP_MS);
    const results: Result[] = [];
    for (const c of CONCURRENCY) results.push(await measured(followers.map((f) => f.proc), () => load(propose, c)));
    return results;
  } finally {
    for (const f of followers) f.proc.send({ op: 'exit' });
    await host.close();
  }
}

async function logFigures(dir: string): Promise<Result[]> {
  const results: Result[] = [];
  for (const c of CONCURRENCY) {
    const log = await openFoundationLog(join(dir, `log-c${c}`), { durability: 'sync', startIndex: 1 });
    let next = 1;
    results.push(await load((payload) => log.append([{ index: next++, term: 1, timestamp: 0, type: 2, payload }]), c));
    await log.close();
  }
  return results;
}

async function main(): Promise<void> {
  const report = new Report('raft: commits of 1 KiB entries on loopback (sync durability)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-raft-'));
  try {
    const logs = await logFigures(join(dir, 'log'));
    const one = await raftFigures(1, join(dir, 'r1'));
    const three = await raftFigures(3, join(dir, 'r3'));
    CONCURRENCY.forEach((c, i) => {
      report.add({ name: `log durable appends c=${c}`, value: logs[i]!.perSec, unit: 'entries/s' });
      report.add({ name: `raft 1 replica c=${c}`, value: one[i]!.perSec, unit: 'commits/s', peer: 'log', peer_value: logs[i]!.perSec });
      report.add({ name: `raft 3 replicas c=${c}`, value: three[i]!.perSec, unit: 'commits/s', peer: '1 replica', peer_value: one[i]!.perSec });
      for (const [label, r] of [['1 replica', one[i]!], ['3 replicas', three[i]!]] as const) {
        report.add({ name: `raft ${label} c=${c} p50`, value: r.p50, unit: 'ms' });
        report.add({ name: `raft ${label} c=${c} p99`, value: r.p99, unit: 'ms' });
      }
      const [cpu1, cpu3] = [one[i]!.cpu!, three[i]!.cpu!];
      const total3 = cpu3.leader + cpu3.followers.reduce((a, b) => a + b, 0);
      report.add({ name: `raft 3 replicas c=${c} leader cpu/commit`, value: cpu3.leader, unit: 'µs', peer: '1 replica', peer_value: cpu1.leader });
      report.add({ name: `raft 3 replicas c=${c} follower cpu/commit`, value: Math.max(...cpu3.followers), unit: 'µs' });
      report.add({ name: `raft 3 replicas c=${c} total cpu/commit`, value: total3, unit: 'µs', peer: '1 replica', peer_value: cpu1.leader });
    });
    report.print();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
