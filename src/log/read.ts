// Reading entries of one segment: positions give the byte range, the tail cache serves what it
// holds, and one read per call fetches the rest from the file. Every record read from a file
// is verified (CRC and index) before it is returned; a bad one is reported, never served.
import { assert } from '../util/assert.js';
import { DepotError } from '../util/errors.js';
import type { FileSystem } from './file-system.js';
import { checkRecord, decodeRecord, type LogEntry, recordIndex } from './format.js';
import type { Segment } from './segment.js';

/** Bound on entries per read call, so one call's work is bounded whatever the range. */
export const MAX_ENTRIES_PER_READ = 65_536;

export interface SegmentRead {
  readonly segment: Segment;
  /** Offset of the first entry in the segment. */
  readonly k0: number;
  /** Entry positions and the end of the last one (n + 1 values). */
  readonly positions: Uint32Array;
  readonly n: number;
  /** Entries [0, fromCache) come from the file, the rest from the tail cache. */
  readonly fromCache: number;
}

/**
 * Plans reading entries k0.. of `segment` up to offset `kEnd` (exclusive) within `budget`
 * bytes; the first entry is always included whatever its size.
 */
export function planRead(fsys: FileSystem, segment: Segment, k0: number, kEnd: number, budget: number): SegmentRead {
  const last = Math.min(kEnd, k0 + MAX_ENTRIES_PER_READ, segment.count) - 1;
  const positions = segment.positionsOf(fsys, k0, last);
  let n = 1;
  while (n <= last - k0 && positions[n + 1]! - positions[0]! <= budget) n++;
  const cacheStart = segment.cache?.startPos ?? Infinity;
  let fromCache = n;
  while (fromCache > 0 && positions[fromCache - 1]! >= cacheStart) fromCache--;
  return { segment, k0, positions: positions.subarray(0, n + 1), n, fromCache };
}

/** File bytes the plan needs: [position, position + length). */
export function diskRange(plan: SegmentRead): { position: number; length: number } {
  const p = plan.positions;
  return { position: p[0]!, length: p[plan.fromCache]! - p[0]! };
}

/** Decodes the plan's file entries into `out`, given the bytes of `diskRange(plan)`. */
export function decodeFromDisk(plan: SegmentRead, disk: Buffer, out: LogEntry[]): void {
  const { segment, k0, positions: p } = plan;
  for (let i = 0; i < plan.fromCache; i++) {
    const off = p[i]! - p[0]!;
    const end = p[i + 1]! - p[0]!;
    if (end > disk.length || checkRecord(disk, off, end) !== end - off || recordIndex(disk, off) !== segment.base + k0 + i) {
      throw corrupt(segment, segment.base + k0 + i, p[i]!);
    }
    out.push(decodeRecord(disk, off));
  }
}

/** Decodes the plan's cached entries into `out` (call before anything can evict them). */
export function decodeFromCache(plan: SegmentRead, out: LogEntry[]): void {
  const { segment, k0, positions: p } = plan;
  for (let i = plan.fromCache; i < plan.n; i++) {
    const bytes = segment.cache?.slice(p[i]!, p[i + 1]!);
    assert(bytes !== undefined, `entry ${segment.base + k0 + i} left the tail cache during a read`);
    out.push(decodeRecord(bytes, 0));
  }
}

export function corrupt(segment: Segment, index: number, position: number): DepotError {
  return new DepotError('CORRUPT_LOG', `${segment.path}: entry ${index} at byte ${position} fails its checksum or index check`, {
    details: { file: segment.path, index, position },
  });
}
