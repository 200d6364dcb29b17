// `npm run bench:mq`: Depot against RabbitMQ (persistent + publisher confirms) and NATS JetStream
// (file storage, acked publish; note JetStream does not fsync each write) on loopback, with each
// system's standard Node client and the same message count, sizes and in-flight window:
//   - durable publish throughput, consume throughput (100 B and 1 KiB);
//   - publish p50/p99 latency at a fixed rate of half Depot's peak (1 KiB);
//   - Depot with a backlog of --backlog unconsumed 1 KiB messages against an empty Depot, the two
//     servers side by side with alternating rounds (mq/backlog.ts).
// The clients run in --clients processes per system (default 2: one Node process of some client
// libraries saturates a core before its server does), the window and messages split among them.
// Every system first gets a warm-up round (--warmup messages of each size, published and consumed,
// not recorded), so the runs measure steady state rather than JIT and cache warm-up.
// Options: --messages N (per size, default 200000) --window W (default 1000) --runs R (median of R,
// default 1) --clients C (default 2) --warmup N (default 100000; 0 skips) --latency-seconds S
// (default 5) --backlog N (default 10000000; 0 skips) --backlog-minutes M (bound on filling,
// default 30) --no-peers --json
import { parseArgs } from 'node:util';
import { Report } from './lib/report.js';
import { median, percentile } from './lib/stats.js';
import { backlogComparison } from './mq/backlog.js';
import { connectClient, destName, type SystemName } from './mq/clients.js';
import { Fleet } from './mq/fleet.js';
import { installPeers, startDepot, startNats, startRabbit, type RunningPeer } from './mq/peers.js';
import { round } from './mq/round.js';

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

async function measure(peer: RunningPeer, system: SystemName, latencyRate: () => number, out: SystemFigures): Promise<void> {
  const admin = await connectClient(system, peer.address);
  const fleet = await Fleet.start(system, peer.address, CLIENTS);
  try {
    for (const size of WARMUP > 0 ? SIZES : []) await round(system, admin, fleet, 'warmup', WARMUP, size, WINDOW);
    for (let run = 0; run < RUNS; run++) {
      for (const size of SIZES) {
        const { pub, con, pubServerUs, conServerUs } = await round(system, admin, fleet, `run${run}`, N, size, WINDOW, peer.pid);
        (out.publish.get(size) ?? out.publish.set(size, []).get(size)!).push(pub.rate);
        (out.consume.get(size) ?? out.consume.set(size, []).get(size)!).push(con.rate);
        const cost = (cores: number, serverUs: number | undefined) => `clients ${cores.toFixed(2)} cores${serverUs === undefined ? '' : `, server ${serverUs.toFixed(2)} µs/msg`}`;
        report.note(`${peer.name} run ${run + 1}: ${size} B publish ${Math.round(pub.rate)}/s (${cost(pub.clientCores, pubServerUs)}), consume ${Math.round(con.rate)}/s (${cost(con.clientCores, conServerUs)})`);
      }
      const dest = destName(system, `latency-${run}`);
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
if (BACKLOG > 0) {
  const o = { backlog: BACKLOG, minutes: Number(values['backlog-minutes']), messages: N, runs: RUNS, window: WINDOW, clients: CLIENTS, warmup: WARMUP, sizes: SIZES };
  await backlogComparison(o, report);
}
report.print();
