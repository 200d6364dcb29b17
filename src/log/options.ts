// Log configuration, validated once at open.
import { DepotError } from '../util/errors.js';
import { type FileSystem, nodeFileSystem } from './file-system.js';
import { MAX_INDEX, MAX_PAYLOAD_BYTES, SEGMENT_HEADER_BYTES } from './format.js';

/**
 * When appended bytes are made durable:
 * - `always`: group commit; an append resolves once an fdatasync covers it.
 * - `interval`: an fdatasync every `intervalMs`; an append resolves once written to the OS.
 * - `never`: the OS decides (fdatasync only at roll, truncation and close).
 */
export type FlushPolicy = { mode: 'always' } | { mode: 'interval'; intervalMs: number } | { mode: 'never' };

export interface LogOptions {
  dir: string;
  flush?: FlushPolicy;
  /** A segment rolls when the next append would take it past this size. Default 1 GiB. */
  segmentBytes?: number;
  /** Bytes of recent entries kept in memory for readers (written bytes beyond it are dropped). Default 32 MiB. */
  tailCacheBytes?: number;
  /**
   * Largest append written on the calling thread when no write job is queued (without `always`);
   * larger ones go to the thread pool. Default 64 KiB, about 30 µs of page-cache copy.
   */
  inlineWriteMaxBytes?: number;
  /** Largest payload accepted. Default 64 MiB. */
  maxEntryBytes?: number;
  /** First index of a new log. Default 1. */
  startIndex?: number;
  /** Durable bytes between checkpoints of the active segment (bounds recovery's scan). Default 64 MiB. */
  checkpointBytes?: number;
  /** Create the directory and the log if missing. Default true. */
  create?: boolean;
  /** What recovery does when the active segment is damaged before its end: see recovery-active.ts. */
  onCorruptTail?: 'fail' | 'truncate';
  /** File layer (tests inject faults here). */
  fs?: FileSystem;
}

export interface ResolvedOptions {
  dir: string;
  flush: FlushPolicy;
  segmentBytes: number;
  tailCacheBytes: number;
  inlineWriteMaxBytes: number;
  maxEntryBytes: number;
  startIndex: number;
  checkpointBytes: number;
  create: boolean;
  onCorruptTail: 'fail' | 'truncate';
  fs: FileSystem;
}

const GiB = 1 << 30;
const MiB = 1 << 20;

export function resolveOptions(o: LogOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    dir: o.dir,
    flush: o.flush ?? { mode: 'always' },
    segmentBytes: o.segmentBytes ?? GiB,
    tailCacheBytes: o.tailCacheBytes ?? 32 * MiB,
    inlineWriteMaxBytes: o.inlineWriteMaxBytes ?? 64 * 1024,
    maxEntryBytes: o.maxEntryBytes ?? 64 * MiB,
    startIndex: o.startIndex ?? 1,
    checkpointBytes: o.checkpointBytes ?? 64 * MiB,
    create: o.create ?? true,
    onCorruptTail: o.onCorruptTail ?? 'fail',
    fs: o.fs ?? nodeFileSystem,
  };
  check(typeof r.dir === 'string' && r.dir.length > 0, 'dir is required');
  check(r.segmentBytes >= SEGMENT_HEADER_BYTES + 64 && r.segmentBytes <= 2 * GiB, 'segmentBytes must be within 96 B..2 GiB');
  check(r.tailCacheBytes >= 0 && Number.isSafeInteger(r.tailCacheBytes), 'tailCacheBytes must be a non-negative integer');
  check(r.inlineWriteMaxBytes >= 0 && Number.isSafeInteger(r.inlineWriteMaxBytes), 'inlineWriteMaxBytes must be a non-negative integer');
  check(r.maxEntryBytes >= 0 && r.maxEntryBytes <= MAX_PAYLOAD_BYTES, 'maxEntryBytes must be within 0..1 GiB');
  check(Number.isSafeInteger(r.startIndex) && r.startIndex >= 1 && r.startIndex < MAX_INDEX, 'startIndex must be a positive integer');
  check(r.checkpointBytes > 0, 'checkpointBytes must be positive');
  checkFlushPolicy(r.flush);
  return r;
}

/** Throws INVALID_CONFIG unless `flush` is a policy the log knows (at open and at a switch). */
export function checkFlushPolicy(flush: FlushPolicy): void {
  check(flush.mode === 'always' || flush.mode === 'interval' || flush.mode === 'never', 'flush.mode must be always, interval or never');
  if (flush.mode === 'interval') check(Number.isSafeInteger(flush.intervalMs) && flush.intervalMs > 0, 'flush.intervalMs must be a positive integer');
}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new DepotError('INVALID_CONFIG', `log options: ${what}`);
}
