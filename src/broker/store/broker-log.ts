// What the broker needs from its group's log besides apply: reading stored entries back (the log
// is the message store), its marks, pins that keep needed entries, and deleting old segments.
import type { RetentionPolicy } from '../../log/retention.js';

export interface BrokerLog {
  /** The payload of the entry at `index` if the log holds it in memory (no I/O). */
  cachedPayload(index: number): Buffer | undefined;
  /** The payload of the Command entry at `index`. Rejects with INDEX_COMPACTED if it is gone. */
  readPayload(index: number): Promise<Buffer>;
  /** First index still stored. */
  readonly firstIndex: number;
  /** Every entry up to here is fdatasync'ed. */
  readonly durableIndex: number;
  /** Keeps entries at and after `index` from truncation (snapshots, retention) until released. */
  pin(index: number): () => void;
  /** Deletes the oldest closed segments `policy` condemns, below every pin and the last snapshot. */
  retain(policy: RetentionPolicy, now: number): Promise<{ segments: number; bytes: number }>;
}
