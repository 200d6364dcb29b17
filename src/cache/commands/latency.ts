// LATENCY (Redis's latency.c): the latency monitor's events (LATEST, HISTORY, RESET, GRAPH, DOCTOR;
// ../latency-monitor.ts) and the commands' latency histograms (HISTOGRAM; ../command-stats.ts).
import type { LatencyHistogram } from '../command-stats.js';
import type { CommandSpec, Ctx } from './context.js';
import { fail } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

const FLAGS = 'admin noscript loading stale';
const CATEGORIES = '@admin @slow @dangerous';

function latest(c: Ctx): void {
  const events = c.server.latency.latest();
  c.out.array(events.length);
  for (const [name, time, latency, max] of events) {
    c.out.array(4);
    c.out.bulk(name);
    c.out.int(time);
    c.out.int(latency);
    c.out.int(max);
  }
}

function history(c: Ctx): void {
  const samples = c.server.latency.history(c.argv[2]!);
  c.out.array(samples.length);
  for (const [time, latency] of samples) {
    c.out.array(2);
    c.out.int(time);
    c.out.int(latency);
  }
}

/** Each named command's histogram (a container's: its subcommands'), or every command's with one. */
function histogram(c: Ctx): void {
  const all = c.server.commandStats.histograms();
  let chosen = all;
  if (c.argv.length > 2) {
    chosen = [];
    for (const name of c.argv.slice(2).map((n) => n.toLowerCase())) {
      for (const entry of all) if (entry[0].name === name || entry[0].name.startsWith(`${name}|`)) chosen.push(entry);
    }
  }
  c.out.map(chosen.length);
  for (const [spec, h] of chosen) {
    c.out.bulk(spec.name);
    writeHistogram(c, h);
  }
}

function writeHistogram(c: Ctx, h: LatencyHistogram): void {
  c.out.map(2);
  c.out.bulk('calls');
  c.out.int(h.total);
  c.out.bulk('histogram_usec');
  const buckets = h.cumulative();
  c.out.map(buckets.length);
  for (const [micros, count] of buckets) {
    c.out.int(micros);
    c.out.int(count);
  }
}

export const latencyCommands: CommandSpec[] = family('server', [
  command('latency', -2, '', NO_KEYS, '@slow', 'Reads the latency monitor and the commands\' latency histograms.', () => undefined, {
    subcommands: [
      command('latency|latest', 2, FLAGS, NO_KEYS, CATEGORIES, 'Returns each event\'s latest and worst latency samples.', latest),
      command('latency|graph', 3, FLAGS, NO_KEYS, CATEGORIES, "Draws an event's latency samples as an ASCII graph.", (c) => {
        const graph = c.server.latency.graph(c.argv[2]!, Math.floor(c.now / 1000));
        if (graph === null) fail(`ERR No samples available for event '${c.argv[2]!}'`);
        c.out.verbatim(graph);
      }),
      command('latency|history', 3, FLAGS, NO_KEYS, CATEGORIES, 'Returns an event\'s latency samples.', history),
      command('latency|reset', -2, FLAGS, NO_KEYS, CATEGORIES, 'Forgets the samples of events (all without names).', (c) => c.out.int(c.server.latency.reset(c.argv.slice(2)))),
      command('latency|doctor', 2, FLAGS, NO_KEYS, CATEGORIES, 'Returns a report of the latency events.', (c) => c.out.verbatim(c.server.latency.doctor(c.server.config.settings.latencyMonitorThresholdMs))),
      command('latency|histogram', -2, FLAGS, NO_KEYS, CATEGORIES, 'Returns the latency histograms of commands.', histogram),
    ],
  }),
]);
