// The Raft state machine of one group member, in the style of etcd's raft: no I/O, no clock,
// no threads. Inputs are `tick()`, `step(message)`, `propose(...)`, `readIndex(...)`,
// `transferLeader(...)`; outputs accumulate until `ready()` (see node.ts) hands them out.
//
// Replication work that several inputs may trigger (appends, heartbeats for reads) is marked
// and done once when the driver next asks for a Ready, so proposals and reads arriving in one
// event-loop turn travel in one message per follower.
import { assert } from '../../util/assert.js';
import { DepotError } from '../../util/errors.js';
import { EntryType } from '../group.js';
import { applyConfChange, decodeConfChange, describeConf, describeConfChange, ConfChangeType } from './confchange.js';
import { Progress, ProgressState } from './progress.js';
import { RaftState } from './raft-state.js';
import {
  MessageType,
  NONE,
  StateRole,
  entryBytes,
  message,
  messageTypeName,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type SnapshotMeta,
} from './types.js';

const CAMPAIGN_TRANSFER = 1;

export interface ProposedEntry {
  type: number;
  payload: Buffer;
}

export class Raft extends RaftState {
  constructor(cfg: RaftConfig) {
    super(cfg);
    const last = this.log.lastIndex();
    this.resetProgress();
    this.becomeFollower(this.term, NONE);
    this.info(`started ${describeConf(this.conf)} term=${this.term} commit=${this.log.committed} applied=${this.log.applied} last=${last}`);
    // A group of one elects itself at once: there is nobody to wait for.
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) this.hup(false);
  }

  // ---- time ---------------------------------------------------------------------------------

  tick(): void {
    this.ticks++;
    if (this.role === StateRole.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isVoter() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.info(`stepped down at term ${this.term}: no quorum heard from`);
        this.becomeFollower(this.term, NONE);
        return;
      }
      if (this.leadTransferee !== NONE) this.abortTransfer('timed out');
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.needHeartbeat = true;
    }
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id)!;
      if (id === this.id || pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= this.quorum();
  }

  // ---- roles --------------------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.random.int(this.cfg.electionTicks);
    this.votes = new Map();
    this.abortTransfer(undefined);
    this.droppedReads.push(...this.readOnly.reset().map((r) => r.id));
    this.needAppend = false;
    this.needHeartbeat = false;
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.resetProgress();
  }

  becomeFollower(term: number, lead: NodeId): void {
    const changed = this.role !== StateRole.Follower || term !== this.term;
    this.reset(term);
    this.lead = lead;
    this.role = StateRole.Follower;
    if (changed) this.info(`became follower at term ${term}${lead !== NONE ? ` (leader ${lead})` : ''}`);
  }

  private becomePreCandidate(): void {
    assert(this.role !== StateRole.Leader, 'a leader does not pre-campaign');
    // Term and vote stay: a pre-vote changes nothing durable, so a failed one costs nothing.
    this.votes = new Map();
    this.lead = NONE;
    this.role = StateRole.PreCandidate;
    this.info(`became pre-candidate at term ${this.term}`);
  }

  private becomeCandidate(): void {
    assert(this.role !== StateRole.Leader, 'a leader does not campaign');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = StateRole.Candidate;
    this.info(`became candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    assert(this.role !== StateRole.Follower, 'a follower cannot become leader directly');
    this.reset(this.term);
    this.lead = this.id;
    this.role = StateRole.Leader;
    for (const pr of this.progress.values()) pr.recentActive = true;
    this.progress.get(this.id)?.becomeReplicate();
    // An empty entry of the new term commits everything before it (§5.4.2) and gates conf changes.
    this.appendEntries([{ type: EntryType.Noop, payload: Buffer.alloc(0) }], this.lastTimestamp);
    this.pendingConfIndex = this.log.lastIndex();
    this.info(`became leader at term ${this.term}`);
  }

  // ---- elections ----------------------------------------------------------------------------

  /** Starts an election now (the election timeout elapsed, or a test or operator asks). */
  campaign(): void {
    this.hup(false);
  }

  private hup(transfer: boolean): void {
    if (this.role === StateRole.Leader) return;
    if (!this.isVoter()) return;
    if (this.log.hasUnappliedConfChange()) {
      this.info('cannot campaign: a committed conf change is not applied yet');
      return;
    }
    if (this.cfg.preVote && !transfer) this.startElection(true, false);
    else this.startElection(false, transfer);
  }

  private startElection(pre: boolean, transfer: boolean): void {
    if (pre) this.becomePreCandidate();
    else this.becomeCandidate();
    const type = pre ? MessageType.PreVote : MessageType.Vote;
    const term = pre ? this.term + 1 : this.term;
    if (this.poll(this.id, true) === 'won') {
      if (pre) this.startElection(false, false);
      else this.becomeLeader();
      return;
    }
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.info(`sent ${pre ? 'pre-vote' : 'vote'} request to ${id} at term ${term}`);
      this.send(message({
        type,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: transfer ? CAMPAIGN_TRANSFER : 0,
      }));
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.conf.voters) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    if (yes >= this.quorum()) return 'won';
    if (no > this.conf.voters.length - this.quorum()) return 'lost';
    return 'pending';
  }

  // ---- messages -----------------------------------------------------------------------------

  step(m: Message): void {
    if (m.term > this.term) {
      if (!this.stepHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.stepLowerTerm(m);
      return;
    }
    switch (m.type) {
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
      default:
        if (this.role === StateRole.Leader) this.stepLeader(m);
        else if (this.role === StateRole.Follower) this.stepFollower(m);
        else this.stepCandidate(m);
    }
  }

  /** Returns false when the message is to be ignored. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      const force = m.context === CAMPAIGN_TRANSFER;
      // CheckQuorum: a follower that hears from a live leader refuses to help depose it, so a
      // node rejoining after a partition cannot disrupt the group (and leases stay sound).
      // With leases, a restarted node (which forgot its leader) also waits out one election
      // timeout, since it may have acknowledged a lease just before it crashed.
      const inLease = this.cfg.checkQuorum &&
        ((this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks) ||
          (this.cfg.leaseTicks > 0 && this.ticks < this.cfg.electionTicks));
      if (!force && inLease) {
        this.info(`ignored ${messageTypeName[m.type]} from ${m.from} at term ${m.term}: leader ${this.lead} is alive`);
        return false;
      }
    }
    if (m.type === MessageType.PreVote) return true;
    if (m.type === MessageType.PreVoteResp && !m.reject) return true;
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
    this.info(`received ${messageTypeName[m.type]} from ${m.from} at higher term ${m.term}`);
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
      // A stale leader cut off by a partition learns the new term and steps down; without
      // this, pre-vote and check-quorum could leave it and its old followers stuck.
      this.send(message({ type: MessageType.AppResp, to: m.from }));
    } else if (m.type === MessageType.PreVote) {
      this.send(message({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
    }
  }

  private handleVoteRequest(m: Message): void {
    const pre = m.type === MessageType.PreVote;
    const canVote = this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (pre && m.term > this.term);
    const respType = pre ? MessageType.PreVoteResp : MessageType.VoteResp;
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.info(`granted ${pre ? 'pre-vote' : 'vote'} to ${m.from} at term ${m.term}`);
      this.send(message({ type: respType, to: m.from, term: m.term }));
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.info(`rejected ${pre ? 'pre-vote' : 'vote'} for ${m.from} at term ${m.term}`);
      this.send(message({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  private stepCandidate(m: Message): void {
    const respType = this.role === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case respType: {
        const result = this.poll(m.from, !m.reject);
        this.info(`received ${m.reject ? 'rejection' : 'grant'} from ${m.from}: ${result}`);
        if (result === 'won') {
          if (this.role === StateRole.PreCandidate) this.startElection(false, false);
          else this.becomeLeader();
        } else if (result === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
        this.send(message({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TimeoutNow:
        this.info(`received TimeoutNow from ${m.from}: campaigning for leadership transfer`);
        this.hup(true);
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ id: m.context, index: m.index });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      if (m.entries.length > 0) this.lastTimestamp = Math.max(this.lastTimestamp, m.entries[m.entries.length - 1]!.timestamp);
      this.send(message({ type: MessageType.AppResp, to: m.from, index: lastNew }));
      return;
    }
    // Tell the leader where our log could match so it skips a whole term per round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.info(`rejected append at ${m.index}/${m.logTerm} from ${m.from}: hint ${hint.index}/${hint.term}`);
    this.send(message({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    assert(s !== undefined, 'a Snap message carries snapshot metadata');
    if (this.restore(s)) {
      this.info(`restored snapshot at ${s.index}/${s.term} ${describeConf(s.conf)}`);
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.log.lastIndex() }));
    } else {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.log.committed }));
    }
  }

  private restore(s: SnapshotMeta): boolean {
    if (s.index <= this.log.committed) return false;
    if (!s.conf.voters.includes(this.id) && !s.conf.learners.includes(this.id)) return false;
    if (this.log.matchTerm(s.index, s.term)) {
      // We already hold the snapshot's last entry: just commit up to it.
      this.log.commitTo(s.index);
      return false;
    }
    this.log.restore(s);
    this.conf = s.conf;
    this.resetProgress();
    return true;
  }

  // ---- leader -------------------------------------------------------------------------------

  /**
   * Appends entries as leader, stamped with `timestamp` (the driver's clock, never earlier
   * than the last entry's). Returns the index of the last one. Throws NOT_LEADER on a follower
   * and PROPOSAL_DROPPED when the proposal cannot be accepted now.
   */
  propose(entries: readonly ProposedEntry[], timestamp: number): number {
    if (this.role !== StateRole.Leader) {
      throw new DepotError('NOT_LEADER', `node ${this.id} is not the leader`, { details: { leaderId: this.lead } });
    }
    if (this.leadTransferee !== NONE) {
      throw new DepotError('PROPOSAL_DROPPED', `leadership is being transferred to ${this.leadTransferee}`);
    }
    let bytes = 0;
    for (const e of entries) {
      bytes += entryBytes(e as Entry);
      if (e.type === EntryType.ConfChange) this.checkConfChange(e.payload);
    }
    if (this.cfg.maxUncommittedBytes > 0 && this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) {
      throw new DepotError('PROPOSAL_DROPPED', `uncommitted log exceeds ${this.cfg.maxUncommittedBytes} bytes`);
    }
    this.uncommittedBytes += bytes;
    const last = this.appendEntries(entries, timestamp);
    for (const e of entries) if (e.type === EntryType.ConfChange) this.pendingConfIndex = last;
    return last;
  }

  private checkConfChange(payload: Buffer): void {
    if (this.pendingConfIndex > this.log.applied) {
      throw new DepotError('PROPOSAL_DROPPED', `conf change at ${this.pendingConfIndex} is not applied yet`);
    }
    const cc = decodeConfChange(payload);
    if (cc.type === ConfChangeType.AddVoter && this.conf.learners.includes(cc.node)) {
      // A learner votes only once it holds everything committed so far.
      const pr = this.progress.get(cc.node)!;
      if (pr.match < this.log.committed) {
        throw new DepotError('PROPOSAL_DROPPED', `learner ${cc.node} has not caught up (match ${pr.match} < commit ${this.log.committed})`);
      }
    }
    if (cc.type === ConfChangeType.RemoveNode && this.conf.voters.length === 1 && this.conf.voters[0] === cc.node) {
      throw new DepotError('BAD_REQUEST', `cannot remove ${cc.node}, the last voter`);
    }
  }

  private appendEntries(entries: readonly ProposedEntry[], timestamp: number): number {
    const ts = Math.max(timestamp, this.lastTimestamp);
    this.lastTimestamp = ts;
    let index = this.log.lastIndex();
    const ents: Entry[] = entries.map((e) => ({ index: ++index, term: this.term, timestamp: ts, type: e.type, payload: e.payload }));
    this.log.append(ents);
    this.needAppend = true;
    return index;
  }

  /** The driver made entries up to `index` stable here: a leader counts its own copy now. */
  onStable(): void {
    if (this.role !== StateRole.Leader) return;
    const self = this.progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(this.log.stableIndex())) this.maybeCommit();
  }

  private maybeCommit(): void {
    const matches = this.conf.voters.map((id) => this.progress.get(id)!.match).sort((a, b) => b - a);
    const mci = matches[this.quorum() - 1]!;
    if (this.log.maybeCommit(mci, this.term)) {
      this.needAppend = true;
      this.releaseReads();
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (m.type === MessageType.ReadIndex) {
      this.readIndex(m.context, m.from);
      return;
    }
    if (pr === undefined) return;
    switch (m.type) {
      case MessageType.AppResp:
        pr.recentActive = true;
        if (m.reject) this.handleAppendRejection(m, pr);
        else this.handleAppendAck(m, pr);
        return;
      case MessageType.HeartbeatResp:
        pr.recentActive = true;
        pr.probeSent = false;
        // A full window with a live follower means appends were lost: let one more through, and
        // the follower's rejection of it drops us back to probing.
        if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
        // Even with nothing new to send, an empty append probes whether appends were lost:
        // the follower rejects it if it misses entries, and the rejection starts the repair.
        if (pr.match < this.log.lastIndex()) this.sendAppends(m.from, pr);
        if (m.context > pr.ackedHeartbeat) {
          pr.ackedHeartbeat = m.context;
          this.releaseReads();
        }
        return;
      default:
        return;
    }
  }

  private handleAppendRejection(m: Message, pr: Progress): void {
    let nextProbe = m.rejectHint;
    if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (pr.maybeDecrTo(m.index, nextProbe)) {
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      this.sendAppends(m.from, pr);
    }
  }

  private handleAppendAck(m: Message, pr: Progress): void {
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === ProgressState.Probe)) return;
    if (pr.state === ProgressState.Probe) pr.becomeReplicate();
    else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
      this.info(`${m.from} restored the snapshot at ${pr.pendingSnapshot}, resuming replication`);
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) pr.inflights.freeLE(m.index);
    this.maybeCommit();
    // Commit news goes out with the broadcast that maybeCommit scheduled; here only new entries.
    if (wasPaused || pr.next <= this.log.lastIndex()) this.sendAppends(m.from, pr, false);
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.info(`sent TimeoutNow to ${m.from}: it caught up`);
      this.send(message({ type: MessageType.TimeoutNow, to: m.from }));
    }
  }

  /** Sends appends to one peer while its window allows and there is something to send. */
  private sendAppends(to: NodeId, pr: Progress, sendIfEmpty = true): void {
    if (!this.maybeSendAppend(to, pr, sendIfEmpty)) return;
    for (let i = 0; i < this.cfg.maxInflightMsgs && this.maybeSendAppend(to, pr, false); i++);
  }

  /** Sends one append (or a snapshot). `sendIfEmpty` also sends one without entries (commit news). */
  private maybeSendAppend(to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const last = this.log.lastIndex();
    const ents = prevTerm === undefined ? undefined : this.log.slice(pr.next, last + 1, this.cfg.maxMsgBytes);
    if (prevTerm === undefined || ents === undefined) return this.sendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += entryBytes(e);
    pr.sentEntries(prevIndex + ents.length, ents.length, bytes);
    this.send(message({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed }));
    return ents.length > 0;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // An unresponsive peer would only waste a snapshot transfer.
    if (!pr.recentActive) return false;
    const snap = this.log.storage.snapshot();
    assert(snap.index > 0, 'entries before %s are compacted but there is no snapshot', pr.next);
    if (!snap.conf.voters.includes(to) && !snap.conf.learners.includes(to)) {
      // The stored snapshot predates the peer's membership: ask the driver for a fresh one
      // (taken at the applied index, where the peer is a member) and retry on a later round.
      this.snapshotWanted = true;
      return false;
    }
    this.info(`sent snapshot at ${snap.index}/${snap.term} to ${to} (${pr.describe()})`);
    pr.becomeSnapshot(snap.index);
    this.send(message({ type: MessageType.Snap, to, snapshot: snap }));
    return false;
  }

  private broadcastAppend(): void {
    for (const [id, pr] of this.progress) if (id !== this.id) this.sendAppends(id, pr);
  }

  private broadcastHeartbeat(): void {
    this.heartbeatSeq++;
    this.readOnly.recordBroadcast(this.heartbeatSeq, this.ticks);
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // A follower must not commit entries it may not hold yet.
      const commit = Math.min(pr.match, this.log.committed);
      this.send(message({ type: MessageType.Heartbeat, to: id, commit, context: this.heartbeatSeq }));
    }
    this.releaseReads();
  }

  /** Heartbeat sequence number acknowledged by a quorum (the leader acknowledges its own). */
  private quorumAckedHeartbeat(): number {
    const acks = this.conf.voters.map((id) => (id === this.id ? this.heartbeatSeq : this.progress.get(id)!.ackedHeartbeat));
    acks.sort((a, b) => b - a);
    return acks[this.quorum() - 1]!;
  }

  // ---- reads, transfer, snapshot reports ----------------------------------------------------

  /** Requests a linearizable read point for request `id`; it arrives as a ReadState. */
  readIndex(id: number, from: NodeId = this.id): void {
    if (this.role !== StateRole.Leader) {
      if (from !== this.id) return;
      if (this.lead === NONE) this.droppedReads.push(id);
      else this.send(message({ type: MessageType.ReadIndex, to: this.lead, context: id }));
      return;
    }
    // A quorum of one is confirmed by itself; otherwise the next broadcast must be acknowledged.
    const seq = this.conf.voters.length === 1 ? this.heartbeatSeq : this.heartbeatSeq + 1;
    if (!this.readOnly.add({ id, from, seq })) {
      this.rejectRead(id, from);
      return;
    }
    if (this.leaseValid() || this.conf.voters.length === 1) this.releaseReads();
    else this.needHeartbeat = true;
  }

  private rejectRead(id: number, from: NodeId): void {
    if (from === this.id) this.droppedReads.push(id);
  }

  private leaseValid(): boolean {
    return this.cfg.leaseTicks > 0 && this.leadTransferee === NONE && this.ticks < this.readOnly.leaseUntil;
  }

  private releaseReads(): void {
    if (this.role !== StateRole.Leader || !this.committedInTerm()) return;
    if (this.readOnly.size === 0 && this.cfg.leaseTicks === 0) return;
    const confirmed = this.readOnly.confirm(this.quorumAckedHeartbeat(), this.cfg.leaseTicks);
    const lease = this.leaseValid() ? this.readOnly.takeAll() : [];
    for (const r of [...confirmed, ...lease]) {
      const index = this.log.committed;
      if (r.from === this.id) this.readStates.push({ id: r.id, index });
      else this.send(message({ type: MessageType.ReadIndexResp, to: r.from, index, context: r.id }));
    }
  }

  transferLeader(to: NodeId): void {
    if (this.role !== StateRole.Leader) return;
    if (to === this.id || !this.isVoter(to) || this.leadTransferee === to) return;
    this.abortTransfer(undefined);
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    this.info(`transferring leadership to ${to}`);
    if (pr.match === this.log.lastIndex()) this.send(message({ type: MessageType.TimeoutNow, to }));
    else this.sendAppends(to, pr);
  }

  /**
   * Whom a leader that cannot write its own log hands leadership to (the driver asks while its
   * log writes are retried): the voter with the longest matched log among those heard from in
   * this quorum round (any voter without CheckQuorum). NONE when not leading, when a transfer is
   * under way already, or when there is nobody (a group of one).
   */
  handOffTarget(): NodeId {
    if (this.role !== StateRole.Leader || this.leadTransferee !== NONE) return NONE;
    let best: NodeId = NONE;
    let bestMatch = -1;
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id)!;
      if (id === this.id || (this.cfg.checkQuorum && !pr.recentActive)) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    return best;
  }

  private abortTransfer(why: string | undefined): void {
    if (this.leadTransferee !== NONE && why !== undefined) this.info(`aborted leadership transfer to ${this.leadTransferee}: ${why}`);
    this.leadTransferee = NONE;
  }

  /** The transport could not deliver to `id`: stop pipelining into the void. */
  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (this.role === StateRole.Leader && pr !== undefined && pr.state === ProgressState.Replicate) pr.becomeProbe();
  }

  /** The driver finished (or failed) streaming a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.progress.get(id);
    if (this.role !== StateRole.Leader || pr === undefined || pr.state !== ProgressState.Snapshot) return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the next heartbeat response before probing again.
    pr.probeSent = true;
  }

  // ---- driver hooks -------------------------------------------------------------------------

  /** Does deferred replication work; called before a Ready is built. */
  flush(): void {
    if (this.role !== StateRole.Leader) return;
    if (this.needHeartbeat) {
      this.needHeartbeat = false;
      this.broadcastHeartbeat();
    }
    if (this.needAppend) {
      this.needAppend = false;
      this.broadcastAppend();
    }
  }

  /** Committed entries were handed to the state machine. */
  onCommittedHandedOut(ents: readonly Entry[]): void {
    for (const e of ents) this.uncommittedBytes = Math.max(0, this.uncommittedBytes - entryBytes(e));
  }

  /** The state machine applied `ents`: conf changes take effect now. */
  onApplied(ents: readonly Entry[]): void {
    for (const e of ents) {
      if (e.type !== EntryType.ConfChange) continue;
      this.applyConf(e);
    }
  }

  private applyConf(e: Entry): void {
    const cc = decodeConfChange(e.payload);
    const before = this.conf;
    this.conf = applyConfChange(this.conf, cc);
    this.info(`applied conf change ${describeConfChange(cc)} at ${e.index}: ${describeConf(this.conf)}`);
    const next = this.log.lastIndex() + 1;
    for (const id of [...this.progress.keys()]) {
      if (!this.isVoter(id) && !this.conf.learners.includes(id)) this.progress.delete(id);
    }
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = this.progress.get(id);
      if (pr === undefined) this.progress.set(id, this.newProgress(next, !this.isVoter(id)));
      else pr.isLearner = !this.isVoter(id);
    }
    if (this.role !== StateRole.Leader || before === this.conf) return;
    if (!this.isVoter()) {
      this.info(`stepped down: no longer a voter`);
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.isVoter(this.leadTransferee)) this.abortTransfer('transferee removed');
    this.maybeCommit();
    this.needAppend = true;
  }

}
