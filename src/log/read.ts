// Reading entries of one segment: positions give the byte range, the tail cache serves what it
// holds, and one read per call fetches the rest from the file. Every record read from a file
// is verified (CRC and index) before it is returned; a bad one is reported, never served.
import { assert } from '../util/assert.js';
import { DepotError } from '../util/errors.js';
import type { FileSystem } from './file-system.js';
import { checkRecord, decodeRecord, type LogEntry, recordIndex } from './format.js';
import { readSync, type Segment } from './segment.js';

/** Bound on entries per read call, so one call's work is bounded whatever the range. */
const MAX_ENTRIES_PER_READ = 65_536;

interface SegmentRead {
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
function planRead(fsys: FileSystem, segment: Segment, k0: number, kEnd: number, budget: number): SegmentRead {
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
function diskRange(plan: SegmentRead): { position: number; length: number } {
  const p = plan.positions;
  return { position: p[0]!, length: p[plan.fromCache]! - p[0]! };
}

/** Decodes the plan's file entries into `out`, given the bytes of `diskRange(plan)`. */
function decodeFromDisk(plan: SegmentRead, disk: Buffer, out: LogEntry[]): void {
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
function decodeFromCache(plan: SegmentRead, out: LogEntry[]): void {
  const { segment, k0, positions: p } = plan;
  for (let i = plan.fromCache; i < plan.n; i++) {
    const entry = segment.cache?.entry(p[i]!);
    assert(entry !== undefined, 'entry %s left the tail cache during a read', segment.base + k0 + i);
    out.push(entry);
  }
}

/** Entries [lo, hi) within about `budget` bytes (at least one), reading files synchronously. */
export function readRangeSync(fsys: FileSystem, segments: readonly Segment[], lo: number, hi: number, budget: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let index = lo; index < hi; ) {
    const plan = planAt(fsys, segments, index, hi, budget, out.length === 0);
    if (plan === undefined) break;
    const { position, length } = diskRange(plan);
    if (length > 0) {
      const disk = Buffer.allocUnsafe(length);
      const n = readSync(fsys, plan.segment.dataFd(fsys), disk, position, plan.segment.path);
      decodeFromDisk(plan, disk.subarray(0, n), out);
    }
    decodeFromCache(plan, out);
    budget -= plan.positions[plan.n]! - plan.positions[0]!;
    index += plan.n;
  }
  return out;
}

/**
 * Like `readRangeSync`, with file reads off the event loop. The caller checks that the log did
 * not change during the read (cached entries are taken before the first await).
 */
export async function readRange(fsys: FileSystem, segments: readonly Segment[], lo: number, hi: number, budget: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (let index = lo; index < hi; ) {
    const plan = planAt(fsys, segments, index, hi, budget, out.length === 0);
    if (plan === undefined) break;
    const cached: LogEntry[] = [];
    decodeFromCache(plan, cached);
    const { position, length } = diskRange(plan);
    if (length > 0) {
      const disk = Buffer.allocUnsafe(length);
      const n = await fsys.read(plan.segment.dataFd(fsys), disk, position);
      decodeFromDisk(plan, disk.subarray(0, n), out);
    }
    out.push(...cached);
    budget -= plan.positions[plan.n]! - plan.positions[0]!;
    index += plan.n;
  }
  return out;
}

/** The plan for entries from `index`; undefined when the first would exceed a spent budget. */
function planAt(fsys: FileSystem, segments: readonly Segment[], index: number, hi: number, budget: number, first: boolean): SegmentRead | undefined {
  const seg = segmentFor(segments, index);
  const plan = planRead(fsys, seg, index - seg.base, hi - seg.base, budget);
  if (!first && plan.positions[1]! - plan.positions[0]! > budget) return undefined;
  return plan;
}

/** The segment holding `index`: a binary search over the bases. */
function segmentFor(segments: readonly Segment[], index: number): Segment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid]!.base <= index) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo]!;
}

/** Throws unless entries [lo, hi) lie within [firstIndex, lastIndex]. */
export function checkRange(lo: number, hi: number, firstIndex: number, lastIndex: number): void {
  if (lo < firstIndex) {
    throw new DepotError('INDEX_COMPACTED', `entry ${lo} is before the first index ${firstIndex}`, { details: { index: lo, firstIndex } });
  }
  if (hi > lastIndex + 1 || lo > hi || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
    throw new DepotError('INDEX_OUT_OF_RANGE', `entries ${lo}..${hi - 1} are not in the log (last ${lastIndex})`, {
      details: { lo, hi, lastIndex },
    });
  }
}

export function corrupt(segment: Segment, index: number, position: number): DepotError {
  return new DepotError('CORRUPT_LOG', `${segment.path}: entry ${index} at byte ${position} fails its checksum or index check`, {
    details: { file: segment.path, index, position },
  });
}
