// Small statistics for benchmarks: percentiles over bounded sample arrays, medians of runs.

/** A sorted copy of `samples` (numerically: a Float64Array sorts by value). */
function sortedCopy(samples: readonly number[]): Float64Array {
  return Float64Array.from(samples).sort();
}

/** The p-th percentile (0..100) of `samples`, by nearest rank. Sorts a copy. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = sortedCopy(samples);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The middle sample, or the mean of the two middle ones for an even count (of rounds, say). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = sortedCopy(samples);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nanosecond stopwatch reading, as a number of milliseconds with sub-ms precision. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
