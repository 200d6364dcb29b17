// The vocabulary of the consensus core: messages, persistent state, configuration and the
// Ready batch it hands to its driver. Everything here is plain data: the core does no I/O.
import type { Entry } from '../group.js';

export type { Entry };

/** Node ids are positive integers, never reused (a replaced node gets a fresh id). */
export type NodeId = number;
export const NONE: NodeId = 0;

/** Wire values of message types: append only, they are on the wire (docs/raft.md). */
export const MessageType = {
  App: 1,
  AppResp: 2,
  Vote: 3,
  VoteResp: 4,
  PreVote: 5,
  PreVoteResp: 6,
  Snap: 7,
  Heartbeat: 8,
  HeartbeatResp: 9,
  TimeoutNow: 10,
  ReadIndex: 11,
  ReadIndexResp: 12,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const messageTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(MessageType).map(([k, v]) => [v, k]),
);

/**
 * One message between the cores of a group. Field meaning depends on the type:
 * - App: `index`/`logTerm` locate the entry before `entries`; `commit` is the leader's commit.
 * - AppResp: `index` is the last matched index, or the rejected one with `reject`, in which case
 *   `rejectHint`/`logTerm` say where the follower's log could match.
 * - Vote/PreVote: `index`/`logTerm` are the candidate's last entry; `context` 1 marks a vote
 *   forced by leadership transfer (it bypasses the follower's leader lease).
 * - Heartbeat: `commit` as in App; `context` is the leader's heartbeat sequence number, echoed
 *   in HeartbeatResp, which confirms ReadIndex requests and extends the lease.
 * - ReadIndex/ReadIndexResp: `context` is the request id, `index` the read point.
 * - Snap: `snapshot` holds the metadata; the driver streams the data itself in chunks.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  context: number;
  snapshot: SnapshotMeta | undefined;
}

export function message(fields: Partial<Message> & Pick<Message, 'type' | 'to'>): Message {
  return {
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: 0,
    snapshot: undefined,
    ...fields,
  };
}

/** What must survive a crash besides the log: written and fsynced before dependent messages leave. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

/** The empty list a Ready or a query hands out when it has nothing: one frozen array, not a new one each time. */
export const NOTHING: readonly never[] = Object.freeze([]);

export const EMPTY_SNAPSHOT: SnapshotMeta = { index: 0, term: 0, conf: { voters: [], learners: [] } };

export const StateRole = {
  Follower: 'follower',
  PreCandidate: 'pre-candidate',
  Candidate: 'candidate',
  Leader: 'leader',
} as const;
export type StateRole = (typeof StateRole)[keyof typeof StateRole];

export interface SoftState {
  lead: NodeId;
  role: StateRole;
}

/** A confirmed linearizable read point: once `index` is applied, the read `id` may run. */
export interface ReadState {
  id: number;
  index: number;
}

/**
 * A batch of work for the driver. Order: persist `hardState`, `snapshot`, `entries` (a write at
 * index i replaces stored entries ≥ i); send `messages` at once (the leader's appends go out in
 * parallel with its own write); send `persistedMessages` only once this batch is stable; apply
 * `committed`; then call `advance(ready)`.
 */
export interface Ready {
  softState: SoftState | undefined;
  hardState: HardState | undefined;
  snapshot: SnapshotMeta | undefined;
  entries: readonly Entry[];
  committed: readonly Entry[];
  messages: readonly Message[];
  persistedMessages: readonly Message[];
  readStates: readonly ReadState[];
  /** Ids of read requests that can no longer be confirmed here (leadership lost, or too many). */
  droppedReads: readonly number[];
  /** A follower needs a snapshot that includes it: take one at the applied index. */
  snapshotWanted: boolean;
  /** The hard state's fsync is needed before `persistedMessages` may leave (term/vote changed). */
  mustSync: boolean;
}

/** Injected randomness: an integer in [0, n). */
export interface Random {
  int(n: number): number;
}

/** Read access to the durable log that the core replicates from; writes go through Ready. */
export interface LogStorage {
  /** Index of the first stored entry (snapshot index + 1). */
  firstIndex(): number;
  /** Index of the last stored entry (the snapshot index when none follows it). */
  lastIndex(): number;
  /** Term at `index` for firstIndex-1 ≤ index ≤ lastIndex, else undefined. */
  term(index: number): number | undefined;
  /** Entries [lo, hi) up to about `maxBytes`, at least one when lo < hi. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Metadata of the latest snapshot (index 0 when none). */
  snapshot(): SnapshotMeta;
}

export interface RaftConfig {
  id: NodeId;
  /** Followers wait a random timeout in [electionTicks, 2·electionTicks) before campaigning. */
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /**
   * Ticks after a quorum acknowledged a heartbeat during which the leader serves reads without a
   * round trip. 0 disables leases. Must leave room for clock drift: < electionTicks, and needs
   * checkQuorum (followers then refuse votes while they hear from a leader).
   */
  leaseTicks: number;
  /** Byte budget of one append message. */
  maxMsgBytes: number;
  /** Append messages in flight per follower. */
  maxInflightMsgs: number;
  /** Bytes in flight per follower (0: unbounded by bytes). */
  maxInflightBytes: number;
  /** Uncommitted bytes the leader accepts before refusing proposals (0: unbounded). */
  maxUncommittedBytes: number;
  /** Bytes of committed entries handed out in one Ready. */
  maxApplyBytes: number;
  random: Random;
  storage: LogStorage;
  hardState: HardState;
  /** Index already applied by the state machine when the core starts (its snapshot index). */
  applied: number;
  log?: (line: string) => void;
}

/** The knobs of RaftConfig that have defaults. */
export type Tuning = Pick<
  RaftConfig,
  | 'electionTicks'
  | 'heartbeatTicks'
  | 'preVote'
  | 'checkQuorum'
  | 'leaseTicks'
  | 'maxMsgBytes'
  | 'maxInflightMsgs'
  | 'maxInflightBytes'
  | 'maxUncommittedBytes'
  | 'maxApplyBytes'
>;

export const DEFAULT_TUNING: Readonly<Tuning> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  leaseTicks: 0,
  maxMsgBytes: 1 << 20,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 << 20,
  maxUncommittedBytes: 256 << 20,
  maxApplyBytes: 16 << 20,
};

/** Bytes an entry is counted as for flow control. */
export function entryBytes(e: Entry): number {
  return e.payload.length + 32;
}
