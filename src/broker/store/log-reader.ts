// What the broker needs from its group's log besides apply: reading stored entries back (the log
// is the message store) and keeping unconsumed entries from being truncated.
export interface LogReader {
  /** The payload of the Command entry at `index`. Rejects with INDEX_COMPACTED if it is gone. */
  readPayload(index: number): Promise<Buffer>;
  /** Keeps entries at and after `index` from truncation until released. */
  pin?(index: number): () => void;
}
