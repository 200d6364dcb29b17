// The latency monitor (Redis's latency.c): with latency-monitor-threshold set (milliseconds),
// every command that takes at least that long is a sample of the event "command", or
// "fast-command" for a command flagged fast. Each event keeps its last 160 samples, one per
// second (the worst of that second), and its worst ever: LATENCY LATEST, HISTORY, RESET, GRAPH
// and DOCTOR read them.
import { renderSparkline } from './sparkline.js';

const SAMPLES = 160;
/** LATENCY GRAPH's width (Redis's LATENCY_GRAPH_COLS). */
const GRAPH_COLUMNS = 80;

interface Sample {
  readonly time: number;
  latency: number;
}

interface Series {
  samples: Sample[];
  max: number;
}

export class LatencyMonitor {
  private readonly events = new Map<string, Series>();

  /** A sample of `latencyMs` at `unixSeconds` (merged into that second's, if there is one). */
  add(event: string, unixSeconds: number, latencyMs: number): void {
    let s = this.events.get(event);
    if (s === undefined) {
      s = { samples: [], max: 0 };
      this.events.set(event, s);
    }
    const last = s.samples[s.samples.length - 1];
    if (last !== undefined && last.time === unixSeconds) last.latency = Math.max(last.latency, latencyMs);
    else {
      s.samples.push({ time: unixSeconds, latency: latencyMs });
      if (s.samples.length > SAMPLES) s.samples.shift();
    }
    s.max = Math.max(s.max, latencyMs);
  }

  /** Per event: its name, its last sample's time and latency, and its worst latency. */
  latest(): Array<[string, number, number, number]> {
    return [...this.events].map(([name, s]) => {
      const last = s.samples[s.samples.length - 1]!;
      return [name, last.time, last.latency, s.max];
    });
  }

  /** An event's samples, oldest first: [time, latency]. */
  history(event: string): Array<[number, number]> {
    return (this.events.get(event)?.samples ?? []).map((x) => [x.time, x.latency]);
  }

  /**
   * LATENCY GRAPH: the event's samples as a sparkline with how long ago each was, under a line
   * with its highest and lowest and its worst ever (latency.c's latencyCommandGenSparkeline);
   * null when the event has none.
   */
  graph(event: string, nowSeconds: number): string | null {
    const s = this.events.get(event);
    if (s === undefined) return null;
    const ago = (t: number): string => {
      const e = nowSeconds - t;
      return e < 60 ? `${e}s` : e < 3600 ? `${Math.trunc(e / 60)}m` : e < 86_400 ? `${Math.trunc(e / 3600)}h` : `${Math.trunc(e / 86_400)}d`;
    };
    const latencies = s.samples.map((x) => x.latency);
    const head = `${event} - high ${Math.max(...latencies)} ms, low ${Math.min(...latencies)} ms (all time high ${s.max} ms)\n${'-'.repeat(GRAPH_COLUMNS)}\n`;
    return head + renderSparkline(s.samples.map((x) => ({ value: x.latency, label: ago(x.time) })), GRAPH_COLUMNS, 4, true);
  }

  /** Forgets the named events (all of them without names); returns how many there were. */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }

  /** LATENCY DOCTOR: Redis's texts when monitoring is off or nothing was seen; else each event's figures (without Redis's advice). */
  doctor(thresholdMs: number): string {
    if (this.events.size === 0 && thresholdMs === 0) {
      return (
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use " +
        '"CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space ' +
        "mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
      );
    }
    if (this.events.size === 0) {
      return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
    }
    const lines = ['Dave, I have observed latency spikes in this Redis instance. You don\'t mind talking about it, do you Dave?', ''];
    let i = 1;
    for (const [name, s] of this.events) {
      const n = s.samples.length;
      const avg = s.samples.reduce((sum, x) => sum + x.latency, 0) / n;
      const mad = s.samples.reduce((sum, x) => sum + Math.abs(x.latency - avg), 0) / n;
      const period = n > 1 ? (s.samples[n - 1]!.time - s.samples[0]!.time) / (n - 1) : 0;
      lines.push(`${i++}. ${name}: ${n} latency spikes (average ${Math.round(avg)}ms, mean deviation ${Math.round(mad)}ms, period ${period.toFixed(2)} sec). Worst all time event ${s.max}ms.`);
    }
    return lines.join('\n') + '\n';
  }
}
