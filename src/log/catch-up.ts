// Bringing a derived index (offset, time, hash) up to date with the log: after `open` an index
// holds what its last checkpoint covered, and the owner replays the log from the next entry.
// The same call rebuilds a lost or damaged index from scratch (coveredLogIndex 0).
import type { LogEntry } from './format.js';
import type { Log } from './log.js';

/**
 * Feeds every entry after `coveredLogIndex` (from the log's first index if that is later) to
 * `apply`, in order, reading off the event loop in batches of about `batchBytes`.
 * Returns the last index applied.
 */
export async function catchUp(log: Log, coveredLogIndex: number, apply: (entry: LogEntry) => void, batchBytes = 4 << 20): Promise<number> {
  let next = Math.max(coveredLogIndex + 1, log.firstIndex);
  // Bounded by the log's length at the start; entries appended meanwhile are the owner's to apply.
  const last = log.lastIndex;
  while (next <= last) {
    const batch = await log.read(next, last + 1, batchBytes);
    for (const entry of batch) apply(entry);
    next += batch.length;
  }
  return next - 1;
}
