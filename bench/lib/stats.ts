// Small statistics for benchmarks: percentiles over bounded sample arrays, medians of runs.

/** The p-th percentile (0..100) of `samples`, by nearest rank. Sorts a copy. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Nanosecond stopwatch reading, as a number of milliseconds with sub-ms precision. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
