// What the broker needs from its group's log besides apply: reading stored entries back (the log
// is the message store), its marks, pins that keep needed entries, and deleting old segments.
import type { RetentionPolicy } from '../../log/retention.js';

export interface BrokerLog {
  /** The payload of the entry at `index` if the log holds it in memory (no I/O). */
  cachedPayload(index: number): Buffer | undefined;
  /**
   * Payloads of the entries `lo, lo + 1, ...` below `hi`, up to about `maxBytes` (at least the
   * first), read off the event loop with as few file reads as possible. Rejects with
   * INDEX_COMPACTED if `lo` is gone.
   */
  readPayloads(lo: number, hi: number, maxBytes: number): Promise<Buffer[]>;
  /** First index still stored. */
  readonly firstIndex: number;
  /** Every entry up to here is fdatasync'ed. */
  readonly durableIndex: number;
  /** Keeps entries at and after `index` from truncation (snapshots, retention) until released. */
  pin(index: number): () => void;
  /** Deletes the oldest closed segments `policy` condemns, below every pin and the last snapshot. */
  retain(policy: RetentionPolicy, now: number): Promise<{ segments: number; bytes: number }>;
}
