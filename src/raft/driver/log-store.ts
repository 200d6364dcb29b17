// The part of the foundation log (src/log) the driver uses. Kept as an interface so that the
// driver states exactly what it relies on; `Log` satisfies it (foundation-log.ts opens one),
// and tests may run a group on an in-memory one.
import type { FlushPolicy } from '../../log/options.js';
import type { RetentionPolicy } from '../../log/retention.js';

export interface StoredEntry {
  readonly index: number;
  readonly term: number;
  readonly timestamp: number;
  readonly type: number;
  readonly payload: Buffer;
}

export interface GroupLog {
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly writtenIndex: number;
  readonly durableIndex: number;
  /**
   * The last entry whose append is settled under the flush policy in force: durable under
   * `always`, written otherwise. An append it covers as soon as `append` returns was written on
   * the calling thread; the driver then goes on without waiting for the promise.
   */
  readonly stableIndex: number;
  /**
   * The error a failed write left the log recovering from, until it has reloaded its state from
   * its files (appends meanwhile fail with it); undefined while the log is healthy.
   */
  readonly failure: Error | undefined;
  /** Resolves once durable under the log's flush policy (fdatasync'ed, or written to the OS). */
  append(entries: readonly StoredEntry[]): Promise<void>;
  term(index: number): number;
  entries(lo: number, hi: number, maxBytes?: number): StoredEntry[];
  /** The entry at `index` if held in memory (no I/O), else undefined. */
  cached(index: number): StoredEntry | undefined;
  read(lo: number, hi: number, maxBytes?: number): Promise<StoredEntry[]>;
  truncateSuffix(index: number): Promise<void>;
  truncatePrefix(index: number): Promise<void>;
  reset(nextIndex: number): Promise<void>;
  sync(): Promise<void>;
  /**
   * Appends from now on resolve under `policy`; earlier ones keep their promise. Resolves once
   * everything appended before is durable.
   */
  setFlushPolicy(policy: FlushPolicy): Promise<void>;
  /** Deletes the oldest closed segments `policy` condemns, never an entry at or after `pinnedIndex`. */
  retain(policy: RetentionPolicy, pinnedIndex: number, now: number): Promise<{ segments: number; bytes: number }>;
  close(): Promise<void>;
}
