// The benchmark's client processes for one system (client-main.ts): the same number for every
// system, so a client library that saturates its process is not mistaken for its server. A
// phase is split evenly over the processes (messages and in-flight window) and timed from the
// first process's start to the last one's end, on one machine-wide clock.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientCommand, ClientReport } from './client-main.js';
import type { SystemName } from './clients.js';

const entry = fileURLToPath(new URL('./client-main.js', import.meta.url));
/** Bound on waiting for any one phase. */
const PHASE_TIMEOUT_MS = 30 * 60_000;

export interface PhaseResult {
  /** Messages per second over all processes. */
  rate: number;
  /** CPU the client processes used during the phase, in cores (1 = one core busy). */
  clientCores: number;
}

interface Member {
  proc: ChildProcess;
  reports: ClientReport[];
  waiters: Array<() => void>;
}

export class Fleet {
  private constructor(private readonly members: Member[]) {}

  static async start(system: SystemName, address: string, processes: number): Promise<Fleet> {
    const members = Array.from({ length: processes }, (): Member => {
      const proc = fork(entry, [system, address], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const m: Member = { proc, reports: [], waiters: [] };
      proc.on('message', (r: ClientReport) => {
        m.reports.push(r);
        m.waiters.splice(0).forEach((w) => w());
      });
      proc.on('exit', () => m.waiters.splice(0).forEach((w) => w()));
      return m;
    });
    const fleet = new Fleet(members);
    await Promise.all(members.map((m) => fleet.next(m, 'ready')));
    return fleet;
  }

  /** Publishes `total` messages of `size` bytes to `dest`, at most `window` in flight over all processes. */
  async publish(dest: string, total: number, size: number, window: number): Promise<PhaseResult> {
    const cpu = this.cpu();
    const done = this.members.map((m, i) => {
      this.send(m, { op: 'publish', dest, n: share(total, this.members.length, i), size, window: share(window, this.members.length, i) });
      return this.next(m, 'published');
    });
    const reports = await Promise.all(done);
    const t0 = Math.min(...reports.map((r) => r.t0));
    const t1 = Math.max(...reports.map((r) => r.t1));
    return { rate: (total * 1000) / (t1 - t0), clientCores: this.cores(cpu, t1 - t0) };
  }

  /** Consumes the `total` messages of `dest` with every process as one group of consumers. */
  async consume(dest: string, total: number, window: number): Promise<PhaseResult> {
    const n = this.members.length;
    await Promise.all(this.members.map((m, i) => (this.send(m, { op: 'join', dest, window: share(window, n, i) }), this.next(m, 'joined'))));
    const cpu = this.cpu();
    const t0 = performance.timeOrigin + performance.now();
    for (const m of this.members) this.send(m, { op: 'consume' });
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    while (this.progress() < total) {
      if (Date.now() > deadline) throw new Error(`consumed ${this.progress()} of ${total} messages of ${dest} in time`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const reports = await Promise.all(this.members.map((m) => (this.send(m, { op: 'stop' }), this.next(m, 'consumed'))));
    for (const m of this.members) m.reports = m.reports.filter((r) => r.op !== 'progress');
    const t1 = Math.max(...reports.map((r) => r.last));
    return { rate: (total * 1000) / (t1 - t0), clientCores: this.cores(cpu, t1 - t0) };
  }

  /** Publishes at `rate`/s (split over the processes) for `seconds`; every message's latency (ms). */
  async latency(dest: string, rate: number, seconds: number, size: number): Promise<number[]> {
    const n = this.members.length;
    const reports = await Promise.all(this.members.map((m) => (this.send(m, { op: 'latency', dest, rate: rate / n, seconds, size }), this.next(m, 'latencies'))));
    return reports.flatMap((r) => r.values);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (m.proc.exitCode !== null) return;
        const exited = new Promise<void>((r) => m.proc.once('exit', () => r()));
        this.send(m, { op: 'exit' });
        const kill = setTimeout(() => m.proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
      }),
    );
  }

  private send(m: Member, cmd: ClientCommand): void {
    m.proc.send(cmd);
  }

  /** The next report of kind `op` from `m` (a failure or an exit is an error). */
  private async next<K extends ClientReport['op']>(m: Member, op: K): Promise<Extract<ClientReport, { op: K }>> {
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    for (;;) {
      const k = m.reports.findIndex((r) => r.op === op || r.op === 'failed');
      if (k >= 0) {
        const r = m.reports.splice(k, 1)[0]!;
        if (r.op === 'failed') throw new Error(`benchmark client failed: ${r.error}`);
        return r as Extract<ClientReport, { op: K }>;
      }
      if (m.proc.exitCode !== null) throw new Error(`benchmark client exited with ${m.proc.exitCode}`);
      if (Date.now() > deadline) throw new Error(`no '${op}' from a benchmark client in time`);
      await new Promise<void>((r) => {
        m.waiters.push(r);
        setTimeout(r, 1000).unref();
      });
    }
  }

  /** Messages consumed so far over all processes (from their latest progress reports). */
  private progress(): number {
    let n = 0;
    for (const m of this.members) {
      let latest = 0;
      for (const r of m.reports) if (r.op === 'progress') latest = Math.max(latest, r.count);
      n += latest;
    }
    return n;
  }

  /** CPU ms used so far by each process. */
  private cpu(): Array<number | undefined> {
    return this.members.map((m) => (m.proc.pid === undefined ? undefined : processCpuMs(m.proc.pid)));
  }

  private cores(before: Array<number | undefined>, ms: number): number {
    const after = this.cpu();
    let used = 0;
    for (let i = 0; i < after.length; i++) used += (after[i] ?? NaN) - (before[i] ?? NaN);
    return used / ms;
  }
}

/** CPU ms (user + system) a process has used so far (Linux /proc; undefined elsewhere). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Process i's part of `total` split over `n` processes (the first ones take the remainder). */
function share(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}
