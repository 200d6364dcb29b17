// Per-command statistics and error replies, as Redis 7 keeps them for INFO commandstats
// (calls, time, rejected and failed calls), INFO latencystats and LATENCY HISTOGRAM (a latency
// histogram per command), and INFO errorstats (error replies by their first word) with
// total_error_replies. Monitoring tools (redis_exporter, Datadog, RedisInsight) read these.
//
// The histogram keeps nanoseconds in 16 buckets per power of two (at most 6% apart), which is
// what percentiles need, instead of Redis's HDR histogram with two significant digits: the
// figures are of the same kind and precision, not the same to the last digit.
import type { CommandSpec } from './commands/context.js';

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const TWO_SECONDS_NS = 2_147_483_648;

/** Command latencies in nanoseconds, log-linear buckets. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(64 * SUB);
  total = 0;

  record(ns: number): void {
    if (ns >= TWO_SECONDS_NS) return this.recordLong(ns);
    const v = ns < 1 ? 1 : ns | 0;
    const major = 31 - Math.clz32(v);
    const sub = major >= SUB_BITS ? (v >>> (major - SUB_BITS)) & (SUB - 1) : v & ((1 << major) - 1);
    this.counts[(major << SUB_BITS) | sub]!++;
    this.total++;
  }

  /** Past 2^31 ns (2 s): by float math. */
  private recordLong(ns: number): void {
    const major = Math.min(63, Math.floor(Math.log2(ns)));
    const sub = Math.min(SUB - 1, Math.floor(ns / 2 ** (major - SUB_BITS)) - SUB);
    this.counts[major * SUB + sub]!++;
    this.total++;
  }

  /** The largest value a bucket holds, in nanoseconds. */
  private static upper(i: number): number {
    const major = Math.floor(i / SUB);
    const sub = i % SUB;
    return major >= SUB_BITS ? 2 ** major + (sub + 1) * 2 ** (major - SUB_BITS) - 1 : 2 ** major + sub;
  }

  /** The value at percentile `p` (0-100), in nanoseconds. */
  percentile(p: number): number {
    const want = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= want) return LatencyHistogram.upper(i);
    }
    return 0;
  }

  /**
   * LATENCY HISTOGRAM's cumulative counts where they grew, at Redis's bounds: its HDR histogram's
   * log iteration from 1,024 ns, doubling, each bound printed as the highest value equivalent to
   * it (two significant digits: a 128th of the power of two above it) in whole microseconds
   * (1, 2, 4, 8, 16, 33, 66, 132, ...).
   */
  cumulative(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let seen = 0;
    let previous = 0;
    for (let major = 0; major < 64 && previous < this.total; major++) {
      for (let s = 0; s < SUB; s++) seen += this.counts[major * SUB + s]!;
      if (major < 9) continue;
      const bound = 2 ** (major + 1);
      if (seen > previous) out.push([Math.floor((bound + Math.max(1, bound / 128) - 1) / 1000), seen]);
      previous = seen;
    }
    return out;
  }
}

interface CommandStat {
  calls: number;
  micros: number;
  rejected: number;
  failed: number;
  latency: LatencyHistogram;
}

export class CommandStats {
  private byCommand = new Map<CommandSpec, CommandStat>();
  private errors = new Map<string, number>();
  totalErrorReplies = 0;
  /**
   * Every error reply, counted or not, never reset: a command failed when this grew while it
   * ran (after the last command it called, for a script: Redis's prev_err_count).
   */
  errorEvents = 0;

  /** The last command's: a pipeline repeats one command. */
  private lastSpec: CommandSpec | null = null;
  private lastStat: CommandStat | null = null;

  private of(spec: CommandSpec): CommandStat {
    if (spec === this.lastSpec) return this.lastStat!;
    let s = this.byCommand.get(spec);
    if (s === undefined) {
      s = { calls: 0, micros: 0, rejected: 0, failed: 0, latency: new LatencyHistogram() };
      this.byCommand.set(spec, s);
    }
    this.lastSpec = spec;
    this.lastStat = s;
    return s;
  }

  /** A command ran for `micros`; `failed` when it replied with an error; `histogram`: latency-tracking is on. */
  ran(spec: CommandSpec, micros: number, failed: boolean, histogram: boolean): void {
    const s = this.of(spec);
    s.calls++;
    s.micros += micros;
    if (failed) s.failed++;
    if (histogram) s.latency.record(micros * 1000);
  }

  /** A command refused before it ran (arity, permissions, OOM, ...). */
  rejected(spec: CommandSpec): void {
    this.of(spec).rejected++;
  }

  /**
   * An error reply was written: counted under its first word, as Redis's errorstats (at most 128
   * kinds), unless `counted` is false (an error a script's call already counted).
   */
  errorReply(text: string, counted = true): void {
    this.errorEvents++;
    if (!counted) return;
    this.totalErrorReplies++;
    const space = text.indexOf(' ');
    const prefix = space < 0 ? text : text.slice(0, space);
    const n = this.errors.get(prefix);
    if (n !== undefined) this.errors.set(prefix, n + 1);
    else if (this.errors.size < 128) this.errors.set(prefix, 1);
  }

  reset(): void {
    this.byCommand = new Map();
    this.lastSpec = null;
    this.lastStat = null;
    this.errors = new Map();
    this.totalErrorReplies = 0;
  }

  commandLines(): string[] {
    const lines: string[] = [];
    for (const [spec, s] of this.byCommand) {
      if (s.calls === 0 && s.rejected === 0 && s.failed === 0) continue;
      const perCall = s.calls === 0 ? 0 : s.micros / s.calls;
      lines.push(`cmdstat_${spec.name}:calls=${s.calls},usec=${Math.floor(s.micros)},usec_per_call=${perCall.toFixed(2)},rejected_calls=${s.rejected},failed_calls=${s.failed}`);
    }
    return lines;
  }

  errorLines(): string[] {
    return [...this.errors].map(([prefix, n]) => `errorstat_${prefix}:count=${n}`);
  }

  latencyLines(percentiles: readonly number[]): string[] {
    const lines: string[] = [];
    for (const [spec, s] of this.byCommand) {
      if (s.latency.total === 0) continue;
      const figures = percentiles.map((p) => `p${p}=${(s.latency.percentile(p) / 1000).toFixed(3)}`);
      lines.push(`latency_percentiles_usec_${spec.name}:${figures.join(',')}`);
    }
    return lines;
  }

  /** The commands with a latency histogram, and theirs (LATENCY HISTOGRAM). */
  histograms(): Array<[CommandSpec, LatencyHistogram]> {
    const out: Array<[CommandSpec, LatencyHistogram]> = [];
    for (const [spec, s] of this.byCommand) if (s.latency.total > 0) out.push([spec, s.latency]);
    return out;
  }
}
