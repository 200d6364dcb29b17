// `npm run bench:mq`: Depot against RabbitMQ (persistent + publisher confirms) and NATS JetStream
// (file storage, acked publish; note JetStream does not fsync each write) on loopback, with each
// system's standard Node client and the same message count, sizes and in-flight window:
//   - durable publish throughput, consume throughput (100 B and 1 KiB);
//   - publish p50/p99 latency at a fixed rate of half Depot's peak (1 KiB);
//   - Depot with a backlog of --backlog unconsumed 1 KiB messages against an empty broker.
// The clients run in --clients processes per system (default 2: one Node process of some client
// libraries saturates a core before its server does), the window and messages split among them.
// Every system first gets a warm-up round (--warmup messages of each size, published and consumed,
// not recorded), so the runs measure steady state rather than JIT and cache warm-up.
// Options: --messages N (per size, default 200000) --window W (default 1000) --runs R (median of R,
// default 1) --clients C (default 2) --warmup N (default 100000; 0 skips) --latency-seconds S
// (default 5) --backlog N (default 10000000; 0 skips) --backlog-minutes M (bound on filling,
// default 30) --no-peers --json
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { Report } from './lib/report.js';
import { median, percentile } from './lib/stats.js';
import { connectClient, destName, type SystemName } from './mq/clients.js';
import { Fleet } from './mq/fleet.js';
import { installPeers, startDepot, startNats, startRabbit, type RunningPeer } from './mq/peers.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    window: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '1' },
    clients: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '100000' },
    'latency-seconds': { type: 'string', default: '5' },
    backlog: { type: 'string', default: '10000000' },
    'backlog-minutes': { type: 'string', default: '30' },
    'no-peers': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.messages);
const WINDOW = Number(values.window);
const RUNS = Number(values.runs);
const CLIENTS = Number(values.clients);
const WARMUP = Number(values.warmup);
const LAT_S = Number(values['latency-seconds']);
const BACKLOG = Number(values.backlog);
const SIZES = [100, 1024];
const report = new Report('Queue: Depot vs RabbitMQ 3.10 and NATS JetStream 2.9 (loopback, one node)');

interface SystemFigures {
  publish: Map<number, number[]>;
  consume: Map<number, number[]>;
  latency: number[];
}

let destinations = 0;

/** One publish then consume round of `n` messages of `size` bytes on a fresh destination. */
async function round(system: SystemName, admin: Awaited<ReturnType<typeof connectClient>>, fleet: Fleet, label: string, n: number, size: number) {
  const dest = destName(system, `${label}-${destinations++}`);
  await admin.create(dest);
  const pub = await fleet.publish(dest, n, size, WINDOW);
  await admin.prepareConsume(dest);
  const con = await fleet.consume(dest, n, WINDOW);
  return { pub, con };
}

async function measure(peer: RunningPeer, system: SystemName, latencyRate: () => number, out: SystemFigures): Promise<void> {
  const admin = await connectClient(system, peer.address);
  const fleet = await Fleet.start(system, peer.address, CLIENTS);
  try {
    for (const size of WARMUP > 0 ? SIZES : []) await round(system, admin, fleet, 'warmup', WARMUP, size);
    for (let run = 0; run < RUNS; run++) {
      for (const size of SIZES) {
        const { pub, con } = await round(system, admin, fleet, `run${run}`, N, size);
        (out.publish.get(size) ?? out.publish.set(size, []).get(size)!).push(pub.rate);
        (out.consume.get(size) ?? out.consume.set(size, []).get(size)!).push(con.rate);
        const cores = (x: number) => `clients ${x.toFixed(2)} cores`;
        report.note(`${peer.name} run ${run + 1}: ${size} B publish ${Math.round(pub.rate)}/s (${cores(pub.clientCores)}), consume ${Math.round(con.rate)}/s (${cores(con.clientCores)})`);
      }
      const dest = destName(system, `latency-${destinations++}`);
      await admin.create(dest);
      for (const ms of await fleet.latency(dest, latencyRate(), LAT_S, 1024)) out.latency.push(ms);
    }
  } finally {
    await fleet.close();
    await admin.close();
  }
}

async function withPeer(start: () => Promise<RunningPeer>, fn: (p: RunningPeer) => Promise<void>): Promise<void> {
  const p = await start();
  try {
    await fn(p);
  } finally {
    await p.stop();
  }
}

function figures(depot: SystemFigures, peers: Map<string, SystemFigures>, rate: number): void {
  for (const size of SIZES) {
    for (const kind of ['publish', 'consume'] as const) {
      const value = median(depot[kind].get(size)!);
      if (peers.size === 0) report.add({ name: `${kind}_${size}B`, value, unit: 'msg/s' });
      for (const [peer, f] of peers) report.add({ name: `${kind}_${size}B`, value, unit: 'msg/s', peer, peer_value: median(f[kind].get(size)!) });
    }
  }
  for (const p of [50, 99]) {
    const value = percentile(depot.latency, p);
    const label = `publish_latency_p${p}_1024B_at_${Math.round(rate)}_per_s`;
    if (peers.size === 0) report.add({ name: label, value, unit: 'ms' });
    // Lower is better: ratio = peer / depot, so above 1 means Depot is faster.
    for (const [peer, f] of peers) {
      const pv = percentile(f.latency, p);
      report.add({ name: label, value, unit: 'ms', peer, peer_value: pv, ratio: value > 0 ? pv / value : 0 });
    }
  }
}

async function backlogRun(empty: SystemFigures): Promise<void> {
  const free = statfsSync(tmpdir());
  const need = BACKLOG * 1100 * 1.2;
  if (free.bavail * free.bsize < need) {
    report.note(`backlog run skipped: needs ${(need / 2 ** 30).toFixed(1)} GiB free in ${tmpdir()}, has ${((free.bavail * free.bsize) / 2 ** 30).toFixed(1)} GiB`);
    return;
  }
  await withPeer(startDepot, async (peer) => {
    const admin = await connectClient('depot', peer.address);
    const fleet = await Fleet.start('depot', peer.address, CLIENTS);
    try {
      await admin.create('backlog');
      const deadline = Date.now() + Number(values['backlog-minutes']) * 60_000;
      let stored = 0;
      const chunk = 500_000;
      while (stored < BACKLOG && Date.now() < deadline) {
        const n = Math.min(chunk, BACKLOG - stored);
        await fleet.publish('backlog', n, 1024, WINDOW);
        stored += n;
      }
      report.note(`backlog: ${stored} messages of 1 KiB stored and left unconsumed`);
      // A stored backlog is on disk, not in flight: the fill leaves gigabytes of dirty pages whose
      // write-back would otherwise compete with the measured rounds' fdatasyncs.
      execFileSync('sync');
      const pubs: number[] = [];
      const cons: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const { pub, con } = await round('depot', admin, fleet, `with-backlog${run}`, N, 1024);
        pubs.push(pub.rate);
        cons.push(con.rate);
        report.note(`depot with backlog run ${run + 1}: 1024 B publish ${Math.round(pub.rate)}/s, consume ${Math.round(con.rate)}/s`);
      }
      report.add({ name: 'publish_1024B_with_backlog', value: median(pubs), unit: 'msg/s', peer: 'depot-empty', peer_value: median(empty.publish.get(1024)!) });
      report.add({ name: 'consume_1024B_with_backlog', value: median(cons), unit: 'msg/s', peer: 'depot-empty', peer_value: median(empty.consume.get(1024)!) });
      report.add({ name: 'backlog_messages', value: stored, unit: 'messages' });
    } finally {
      await fleet.close();
      await admin.close();
    }
  });
}

const fresh = (): SystemFigures => ({ publish: new Map(), consume: new Map(), latency: [] });
const depotFigures = fresh();
let peak = 0;
const rate = () => peak / 2;
await withPeer(startDepot, (p) => measure(p, 'depot', () => (peak = median(depotFigures.publish.get(1024)!)) / 2, depotFigures));
const peers = new Map<string, SystemFigures>();
if (!values['no-peers']) {
  installPeers();
  const rabbit = fresh();
  await withPeer(startRabbit, (p) => measure(p, 'rabbitmq', rate, rabbit));
  peers.set('rabbitmq', rabbit);
  const nats = fresh();
  await withPeer(startNats, (p) => measure(p, 'nats-jetstream', rate, nats));
  peers.set('nats-jetstream', nats);
}
figures(depotFigures, peers, rate());
if (BACKLOG > 0) await backlogRun(depotFigures);
report.print();
