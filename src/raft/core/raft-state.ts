// The state of one group member and the small helpers every part of the protocol uses; the
// protocol itself is in raft.ts, which extends this class.
import { assert } from '../../util/assert.js';
import { Progress } from './progress.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import { MessageType, NONE, StateRole, type ConfState, type HardState, type Message, type NodeId, type RaftConfig, type ReadState } from './types.js';

/** Messages that may leave only once the state they report is stable on this node. */
const AFTER_PERSIST = new Set<number>([MessageType.AppResp, MessageType.Vote, MessageType.VoteResp]);

export abstract class RaftState {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: StateRole = StateRole.Follower;
  readonly log: RaftLog;
  conf: ConfState;
  readonly progress = new Map<NodeId, Progress>();
  /** Messages to send at once, and messages to send once this batch is stable. */
  msgs: Message[] = [];
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  droppedReads: number[] = [];
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change proposed; a new one waits until it is applied. */
  pendingConfIndex = 0;
  /** A peer needs a snapshot newer than the stored one; the driver should take one. */
  snapshotWanted = false;
  /** Timestamp of the newest entry seen, so a new leader never stamps time backwards. */
  lastTimestamp = 0;

  protected readonly cfg: RaftConfig;
  protected electionElapsed = 0;
  protected heartbeatElapsed = 0;
  protected randomizedElectionTimeout = 0;
  protected ticks = 0;
  protected votes = new Map<NodeId, boolean>();
  protected readonly readOnly = new ReadOnly();
  protected heartbeatSeq = 0;
  protected uncommittedBytes = 0;
  protected needAppend = false;
  protected needHeartbeat = false;

  constructor(cfg: RaftConfig) {
    assert(cfg.id > 0, 'node id is positive');
    assert(cfg.heartbeatTicks > 0 && cfg.electionTicks > cfg.heartbeatTicks, 'election timeout exceeds heartbeat');
    assert(cfg.leaseTicks === 0 || (cfg.checkQuorum && cfg.leaseTicks < cfg.electionTicks), 'lease needs checkQuorum and < electionTicks');
    this.cfg = cfg;
    this.id = cfg.id;
    this.log = new RaftLog(cfg.storage, cfg.applied, cfg.maxApplyBytes);
    this.conf = cfg.storage.snapshot().conf;
    this.term = cfg.hardState.term;
    this.vote = cfg.hardState.vote;
    this.log.commitTo(Math.min(Math.max(cfg.hardState.commit, this.log.committed), this.log.lastIndex()));
    const last = this.log.lastIndex();
    if (last >= this.log.firstIndex()) this.lastTimestamp = cfg.storage.entries(last, last + 1, 1)[0]!.timestamp;
  }

  get maxApplyBytes(): number {
    return this.cfg.maxApplyBytes;
  }

  /**
   * The commit index is recorded only as far as the log is already stable here: the hard state
   * and the log are written separately, and a crash may keep the one without the other. A commit
   * index beyond the durable log could otherwise mark a stale entry at that index as committed.
   */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.stableCommitted() };
  }

  /** Whether hardState() would differ from `hs` (without building it). */
  hardStateDiffers(hs: HardState): boolean {
    return this.term !== hs.term || this.vote !== hs.vote || this.log.stableCommitted() !== hs.commit;
  }

  isVoter(id: NodeId = this.id): boolean {
    return this.conf.voters.includes(id);
  }

  protected quorum(): number {
    return Math.floor(this.conf.voters.length / 2) + 1;
  }

  protected resetProgress(): void {
    this.progress.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of this.conf.voters) this.progress.set(id, this.newProgress(next, false));
    for (const id of this.conf.learners) this.progress.set(id, this.newProgress(next, true));
    const self = this.progress.get(this.id);
    if (self !== undefined) self.match = this.log.stableIndex();
  }

  protected newProgress(next: number, learner: boolean): Progress {
    return new Progress(next, learner, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
  }

  protected send(m: Message): void {
    m.from = this.id;
    // Vote traffic carries its own term (a pre-vote asks for term+1 without adopting it).
    const ownTerm = m.type === MessageType.Vote || m.type === MessageType.PreVote ||
      m.type === MessageType.VoteResp || m.type === MessageType.PreVoteResp;
    if (!ownTerm) m.term = this.term;
    if (AFTER_PERSIST.has(m.type)) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }

  protected committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** Current tick count and election state, for status output. */
  describe(): string {
    return `${this.role} term=${this.term} lead=${this.lead} commit=${this.log.committed} applied=${this.log.applied} last=${this.log.lastIndex()}`;
  }

  progressOf(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  protected info(line: string): void {
    this.cfg.log?.(`${this.id} ${line}`);
  }
}
