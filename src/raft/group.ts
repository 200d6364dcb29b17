// The contract between a replicated group and the state machine it runs.
//
// The raft driver implements `Group`; the broker, cache and controller implement
// `StateMachine`. A single node runs the same code with a quorum of one.

/** Entry types. Values are stored on disk: append only. */
export const EntryType = {
  /** Written by a new leader to commit entries of earlier terms; never reaches apply. */
  Noop: 0,
  /** Membership change; handled by raft itself. */
  ConfChange: 1,
  /** A state machine command. */
  Command: 2,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  /** Position in the group's log, contiguous, starting at 1. */
  readonly index: number;
  readonly term: number;
  /** The leader's clock (ms since epoch) when it accepted the proposal. The only time a state machine may read. */
  readonly timestamp: number;
  readonly type: number;
  readonly payload: Buffer;
}

export interface StateMachine<Result = unknown> {
  /**
   * Applies one committed Command entry. Deterministic: no I/O, no clock but
   * `entry.timestamp`, no randomness. The result is handed to the proposer on this node.
   * Throwing a DepotError rejects the proposer's promise with it (the entry still counts as applied).
   */
  apply(entry: Entry): Result;
  /**
   * Streams a snapshot of the state as of the last applied entry. Apply may continue while the
   * stream is consumed: the implementation captures a consistent view (copy-on-write) when
   * `snapshot()` is called, not when the stream is first read. A chunk's bytes are valid until
   * the next chunk is requested (an implementation may refill one buffer); a consumer that keeps
   * chunks copies them.
   */
  snapshot(): AsyncIterable<Buffer>;
  /** Replaces the whole state with a snapshot produced by `snapshot()`. */
  restore(chunks: AsyncIterable<Buffer>): Promise<void>;
}

export interface Proposal<Result = unknown> {
  /** The log index assigned to the entry. */
  readonly index: number;
  /** Settles when the entry has been applied on this node (rejects with NOT_LEADER if it was lost). */
  readonly applied: Promise<Result>;
}

export interface GroupStatus {
  readonly id: string;
  readonly isLeader: boolean;
  /** Address of the current leader when known (for NOT_LEADER hints). */
  readonly leaderAddress: string | undefined;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /**
   * Why the group cannot write: its storage failed. With `retrying` the group waits for its log
   * to take writes again (disk full, read-only: proposals are refused meanwhile); without, it
   * stopped and leads nothing until the node restarts.
   */
  readonly failure?: string;
  readonly retrying?: boolean;
}

export interface Group<Result = unknown> {
  readonly id: string;
  status(): GroupStatus;
  /**
   * Appends a Command entry. Throws DepotError NOT_LEADER (with details.leader when known)
   * synchronously on a follower, so the caller learns the index at once on the leader.
   */
  propose(payload: Buffer): Proposal<Result>;
  /**
   * Handles what was proposed so far now instead of in the group's own setImmediate: for a
   * caller that batches a turn's proposals itself and proposes them from the check phase, where
   * a setImmediate queued now would run only in the next event-loop iteration.
   */
  flush(): void;
  /** Runs `fn` against the state machine once a linearizable read point has been applied. */
  read<T>(fn: () => T): Promise<T>;
  /** Called with `true` when this node becomes leader and `false` when it stops being leader. */
  onLeadershipChange(listener: (isLeader: boolean) => void): () => void;
  /**
   * Called with the error when the group's log writes start failing (proposals are refused from
   * just after the call until they work again) and with undefined when they work again.
   */
  onStorageChange(listener: (failure: string | undefined) => void): () => void;
}
