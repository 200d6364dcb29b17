// The backlog comparison of `npm run bench:mq` (the target: with ten million 1 KiB
// messages stored and unconsumed, publish and consume cost under 10% against an empty broker).
// Two Depot servers run side by side: one is filled with the backlog, the other stays empty.
// Both get the same warm-up, the same number of client processes, window and message size, and
// their measured rounds alternate (empty then backlog, backlog then empty, ...), so whatever
// else loads the machine meanwhile falls on both alike. Comparing against an empty server
// measured many minutes earlier, as this benchmark first did, put the machine's drift and the
// backlog server's cold consume path (its first consume came right after the fill, on fresh
// client processes) into the ratio.
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Report } from '../lib/report.js';
import { median } from '../lib/stats.js';
import { connectClient, type SystemClient } from './clients.js';
import { Fleet, processCpuMs } from './fleet.js';
import { startDepot, type RunningPeer } from './peers.js';
import { round } from './round.js';

export interface BacklogOptions {
  /** Messages of 1 KiB to store and leave unconsumed. */
  backlog: number;
  /** Bound on filling, in minutes. */
  minutes: number;
  /** Messages per measured round. */
  messages: number;
  /** Measured rounds on each server. */
  runs: number;
  window: number;
  clients: number;
  /** Messages of each size in each server's warm-up round. */
  warmup: number;
  sizes: readonly number[];
}

interface Side {
  label: 'empty' | 'backlog';
  peer: RunningPeer;
  admin: SystemClient;
  fleet: Fleet;
  publish: number[];
  consume: number[];
  /** Server CPU per message (µs) of each round's phases. */
  publishUs: number[];
  consumeUs: number[];
}

const SIZE = 1024;
const FILL_CHUNK = 500_000;
/** Bound on waiting for the filled server to go idle. */
const SETTLE_MS = 60_000;
/** Below this CPU use (cores, over a second) a server counts as idle. */
const IDLE_CORES = 0.05;

export async function backlogComparison(o: BacklogOptions, report: Report): Promise<void> {
  const free = statfsSync(tmpdir());
  const need = o.backlog * 1100 * 1.2;
  if (free.bavail * free.bsize < need) {
    report.note(`backlog run skipped: needs ${(need / 2 ** 30).toFixed(1)} GiB free in ${tmpdir()}, has ${((free.bavail * free.bsize) / 2 ** 30).toFixed(1)} GiB`);
    return;
  }
  const sides: Side[] = [];
  try {
    for (const label of ['empty', 'backlog'] as const) sides.push(await open(label, o.clients));
    for (const side of sides) for (const size of o.warmup > 0 ? o.sizes : []) await round('depot', side.admin, side.fleet, `${side.label}-warmup`, o.warmup, size, o.window);
    const [empty, full] = sides as [Side, Side];
    const stored = await fill(full, o);
    report.note(`backlog: ${stored} messages of 1 KiB stored and left unconsumed`);
    // A stored backlog is on disk, not in flight: the fill leaves gigabytes of dirty pages whose
    // write-back would otherwise compete with the measured rounds' fdatasyncs.
    execFileSync('sync');
    report.note(`backlog server idle ${((await settle(full.peer.pid)) / 1000).toFixed(1)} s after the fill`);
    for (let run = 0; run < o.runs; run++) {
      for (const side of run % 2 === 0 ? [empty, full] : [full, empty]) {
        const r = await round('depot', side.admin, side.fleet, side.label, o.messages, SIZE, o.window, side.peer.pid);
        side.publish.push(r.pub.rate);
        side.consume.push(r.con.rate);
        if (r.pubServerUs !== undefined) side.publishUs.push(r.pubServerUs);
        if (r.conServerUs !== undefined) side.consumeUs.push(r.conServerUs);
        const us = (x: number | undefined) => (x === undefined ? '' : ` (server ${x.toFixed(2)} µs/msg)`);
        report.note(`depot ${side.label} run ${run + 1}: ${SIZE} B publish ${Math.round(r.pub.rate)}/s${us(r.pubServerUs)}, consume ${Math.round(r.con.rate)}/s${us(r.conServerUs)}`);
      }
    }
    for (const side of sides) report.note(`depot ${side.label}: ${await memory(side.peer)}`);
    // Each run's two rounds ran back to back: their ratio leaves out the drift between runs.
    const paired = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
    const ratios = (r: number[]) => `${r.map((x) => x.toFixed(2)).join(' ')} (median ${median(r).toFixed(2)})`;
    report.note(`backlog ÷ empty by run: publish ${ratios(paired(full.publish, empty.publish))}, consume ${ratios(paired(full.consume, empty.consume))}`);
    report.add({ name: 'publish_1024B_with_backlog', value: median(full.publish), unit: 'msg/s', peer: 'depot-empty', peer_value: median(empty.publish) });
    report.add({ name: 'consume_1024B_with_backlog', value: median(full.consume), unit: 'msg/s', peer: 'depot-empty', peer_value: median(empty.consume) });
    // Server CPU per message: the backlog's cost on the server itself, less shaken by the machine's
    // load than throughput. Ratio backlog ÷ empty: above 1 means the backlog costs CPU.
    if (full.publishUs.length > 0 && empty.publishUs.length > 0) {
      report.add({ name: 'publish_1024B_server_cpu_with_backlog', value: median(full.publishUs), unit: 'µs/msg', peer: 'depot-empty', peer_value: median(empty.publishUs) });
      report.add({ name: 'consume_1024B_server_cpu_with_backlog', value: median(full.consumeUs), unit: 'µs/msg', peer: 'depot-empty', peer_value: median(empty.consumeUs) });
    }
    report.add({ name: 'backlog_messages', value: stored, unit: 'messages' });
  } finally {
    for (const side of sides) await close(side);
  }
}

async function open(label: Side['label'], clients: number): Promise<Side> {
  const peer = await startDepot();
  let admin: SystemClient | undefined;
  try {
    admin = await connectClient('depot', peer.address);
    return { label, peer, admin, fleet: await Fleet.start('depot', peer.address, clients), publish: [], consume: [], publishUs: [], consumeUs: [] };
  } catch (err) {
    await admin?.close();
    await peer.stop();
    throw err;
  }
}

async function close(side: Side): Promise<void> {
  await side.fleet.close();
  await side.admin.close();
  await side.peer.stop();
}

/** Publishes the backlog to one topic (bounded by `o.minutes`); returns how many were stored. */
async function fill(side: Side, o: BacklogOptions): Promise<number> {
  await side.admin.create('backlog');
  const deadline = Date.now() + o.minutes * 60_000;
  let stored = 0;
  while (stored < o.backlog && Date.now() < deadline) {
    const n = Math.min(FILL_CHUNK, o.backlog - stored);
    await side.fleet.publish('backlog', n, SIZE, o.window);
    stored += n;
  }
  return stored;
}

/** Waits until the server has been idle for a second (bounded); returns how long it took. */
async function settle(pid: number | undefined): Promise<number> {
  const t0 = Date.now();
  while (pid !== undefined && Date.now() - t0 < SETTLE_MS) {
    const before = processCpuMs(pid);
    await new Promise((r) => setTimeout(r, 1000));
    const after = processCpuMs(pid);
    if (before === undefined || after === undefined || (after - before) / 1000 < IDLE_CORES) break;
  }
  return Date.now() - t0;
}

/** The server's heap and resident memory, from its /metrics. */
async function memory(peer: RunningPeer): Promise<string> {
  const mib = async (name: string) => ((await peer.metric?.(name)) ?? NaN) / 2 ** 20;
  const heap = await mib('depot_nodejs_heap_size_used_bytes');
  const external = await mib('depot_nodejs_external_memory_bytes');
  const rss = await mib('depot_process_resident_memory_bytes');
  return `server heap used ${heap.toFixed(0)} MiB, external ${external.toFixed(0)} MiB, resident ${rss.toFixed(0)} MiB`;
}
