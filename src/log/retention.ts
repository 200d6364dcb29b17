// Which closed segments retention deletes: a pure decision over segment sizes, ages and disk
// usage, so that the rules are testable without a disk. Retention only ever removes a prefix
// of whole closed segments, never the active one, and never an entry at or after the pin.
import type { DiskUsage } from './file-system.js';

export interface RetentionPolicy {
  /** Delete closed segments whose newest entry is older than this (by entry timestamps). */
  maxAgeMs?: number;
  /** Delete the oldest closed segments while the log is larger than this. */
  maxBytes?: number;
  /** Delete the oldest closed segments while the disk is fuller than this fraction. Default 0.75. */
  diskUsageWatermark?: number;
}

export interface RetentionSegment {
  readonly lastIndex: number;
  readonly bytes: number;
  readonly maxTimestamp: number;
}

export interface RetentionInput {
  /** Oldest first; the last one is the active segment. */
  readonly segments: readonly RetentionSegment[];
  readonly now: number;
  /** Entries from this index on must stay (unconsumed data, the last snapshot, ...). */
  readonly pinnedIndex: number;
  readonly usage: DiskUsage | undefined;
}

export const DEFAULT_DISK_USAGE_WATERMARK = 0.75;

/** How many of the oldest segments to delete. */
export function segmentsToDelete(policy: RetentionPolicy, input: RetentionInput): number {
  const watermark = policy.diskUsageWatermark ?? DEFAULT_DISK_USAGE_WATERMARK;
  let total = input.segments.reduce((sum, s) => sum + s.bytes, 0);
  let free = input.usage?.freeBytes ?? 0;
  const disk = input.usage?.totalBytes ?? 0;
  let k = 0;
  for (; k < input.segments.length - 1; k++) {
    const s = input.segments[k]!;
    if (s.lastIndex >= input.pinnedIndex) break;
    const old = policy.maxAgeMs !== undefined && s.maxTimestamp < input.now - policy.maxAgeMs;
    const big = policy.maxBytes !== undefined && total > policy.maxBytes;
    const full = disk > 0 && (disk - free) / disk > watermark;
    if (!old && !big && !full) break;
    total -= s.bytes;
    free += s.bytes;
  }
  return k;
}
