// `npm run bench:log`: the disk's own sequential bandwidth and write+fdatasync latency, then
// the log's append throughput per entry size and flush policy, and the latency of a durable
// append under group commit with 1, 64 and 1024 concurrent appenders, each as a ratio to the
// disk figure. Every figure is the median of --runs runs (default 3). Data goes to --dir
// (default .bench/log, removed afterwards); it should be on the disk under test.
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { Log } from '../src/log/log.js';
import type { LogEntry } from '../src/log/format.js';
import type { FlushPolicy } from '../src/log/options.js';
import { Report } from './lib/report.js';
import { median, nowMs, percentile } from './lib/stats.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const root = resolve(arg('dir', '.bench/log'));
const runs = Number(arg('runs', '3'));
const report = new Report('log');
const MiB = 1 << 20;

function freshDir(name: string): string {
  const dir = join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Sequential bandwidth: 256 MiB in 4 MiB writes, then one fdatasync; MB/s. */
function diskBandwidth(): number {
  const dir = freshDir('disk');
  const fd = fs.openSync(join(dir, 'seq'), 'w');
  const chunk = Buffer.alloc(4 * MiB, 0x5a);
  const total = 256 * MiB;
  const t0 = nowMs();
  for (let pos = 0; pos < total; pos += chunk.length) fs.writeSync(fd, chunk, 0, chunk.length, pos);
  fs.fdatasyncSync(fd);
  const ms = nowMs() - t0;
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
  return total / MiB / (ms / 1000);
}

/** Latency of one 1 KiB write + fdatasync appended to a file, in µs: [p50, p99]. */
function diskSyncLatency(): [number, number] {
  const dir = freshDir('disk');
  const fd = fs.openSync(join(dir, 'sync'), 'w');
  const buf = Buffer.alloc(1056, 0x5a);
  const samples: number[] = [];
  for (let i = 0, pos = 0; i < 2000; i++, pos += buf.length) {
    const t0 = nowMs();
    fs.writeSync(fd, buf, 0, buf.length, pos);
    fs.fdatasyncSync(fd);
    samples.push((nowMs() - t0) * 1000);
  }
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
  return [percentile(samples, 50), percentile(samples, 99)];
}

function entry(index: number, payload: Buffer): LogEntry {
  return { index, term: 1, timestamp: 1_700_000_000_000, type: 2, payload };
}

/** Appends batches of ~256 KiB, 8 in flight, for up to `maxMs` or `maxBytes`; entries/s and MB/s. */
async function throughput(size: number, flush: FlushPolicy, maxMs: number, maxBytes: number): Promise<[number, number]> {
  const log = await Log.open({ dir: freshDir('tput'), flush, segmentBytes: 256 * MiB });
  const payload = Buffer.alloc(size, 0x61);
  const batch = Math.max(1, Math.floor((256 * 1024) / size));
  let next = 1;
  let bytes = 0;
  const t0 = nowMs();
  const appender = async () => {
    while (nowMs() - t0 < maxMs && bytes < maxBytes) {
      const entries = Array.from({ length: batch }, (_, i) => entry(next + i, payload));
      next += batch;
      bytes += batch * size;
      await log.append(entries);
    }
  };
  await Promise.all(Array.from({ length: 8 }, appender));
  const s = (nowMs() - t0) / 1000;
  await log.close();
  return [(next - 1) / s, bytes / MiB / s];
}

/** `n` appenders each appending one 1 KiB entry and waiting for durability; p50/p99 µs and entries/s. */
async function durableLatency(n: number, maxMs: number): Promise<[number, number, number]> {
  const log = await Log.open({ dir: freshDir('lat'), flush: { mode: 'always' } });
  const payload = Buffer.alloc(1024, 0x62);
  const samples: number[] = [];
  let next = 1;
  const t0 = nowMs();
  const appender = async () => {
    for (let i = 0; i < 1_000_000 && nowMs() - t0 < maxMs; i++) {
      const start = nowMs();
      await log.append([entry(next++, payload)]);
      if (samples.length < 2_000_000) samples.push((nowMs() - start) * 1000);
    }
  };
  await Promise.all(Array.from({ length: n }, appender));
  const s = (nowMs() - t0) / 1000;
  await log.close();
  return [percentile(samples, 50), percentile(samples, 99), (next - 1) / s];
}

async function medianOf<T extends number[]>(f: () => Promise<T> | T): Promise<T> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await f());
  return results[0]!.map((_, k) => median(results.map((r) => r[k]!))) as T;
}

async function main(): Promise<void> {
  const [bw] = await medianOf(() => [diskBandwidth()]);
  const [rawP50, rawP99] = await medianOf(diskSyncLatency);
  report.add({ name: 'disk sequential write (256 MiB + fdatasync)', value: bw, unit: 'MB/s' });
  report.add({ name: 'disk 1 KiB write+fdatasync p50', value: rawP50, unit: 'µs' });
  report.add({ name: 'disk 1 KiB write+fdatasync p99', value: rawP99, unit: 'µs' });
  const policies: [string, FlushPolicy][] = [
    ['always', { mode: 'always' }],
    ['interval', { mode: 'interval', intervalMs: 100 }],
    ['never', { mode: 'never' }],
  ];
  for (const size of [100, 1024, 16 * 1024]) {
    for (const [name, flush] of policies) {
      const [eps, mbps] = await medianOf(() => throughput(size, flush, 800, 512 * MiB));
      const label = `append ${size} B ${name}`;
      report.add({ name: `${label} entries/s`, value: eps, unit: 'entries/s' });
      report.add({ name: `${label} MB/s`, value: mbps, unit: 'MB/s', peer: 'disk', peer_value: bw });
    }
  }
  for (const n of [1, 64, 1024]) {
    const [p50, p99, eps] = await medianOf(() => durableLatency(n, 1000));
    report.add({ name: `durable append 1 KiB, ${n} appenders, p50`, value: p50, unit: 'µs', peer: 'disk', peer_value: rawP50 });
    report.add({ name: `durable append 1 KiB, ${n} appenders, p99`, value: p99, unit: 'µs', peer: 'disk', peer_value: rawP99 });
    report.add({ name: `durable append 1 KiB, ${n} appenders`, value: eps, unit: 'entries/s' });
  }
  report.print();
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  fs.rmSync(root, { recursive: true, force: true });
  process.stderr.write(`bench:log failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exitCode = 1;
});
