// The driver's handle on one group's core: feed inputs, take Ready batches, acknowledge them.
// Several Ready batches may be in flight (the driver persists them in order, asynchronously);
// `advance` must be called for each, in the order they were taken.
import { assert } from '../../util/assert.js';
import { Raft, type ProposedEntry } from './raft.js';
import { NOTHING, type Entry, type HardState, type Message, type NodeId, type RaftConfig, type Ready, type SoftState } from './types.js';

export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding = 0;

  constructor(cfg: RaftConfig) {
    this.raft = new Raft(cfg);
    this.prevSoft = { lead: 0, role: 'follower' };
    this.prevHard = { ...cfg.hardState };
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  campaign(): void {
    this.raft.campaign();
  }

  propose(entries: readonly ProposedEntry[], timestamp: number): number {
    return this.raft.propose(entries, timestamp);
  }

  readIndex(id: number): void {
    this.raft.readIndex(id);
  }

  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(id, ok);
  }

  hasReady(): boolean {
    const r = this.raft;
    r.flush();
    return (
      r.msgs.length > 0 ||
      r.msgsAfterPersist.length > 0 ||
      r.readStates.length > 0 ||
      r.droppedReads.length > 0 ||
      r.snapshotWanted ||
      r.log.unstable.hasNextEntries() ||
      r.log.unstable.nextSnapshot() !== undefined ||
      r.log.hasNextCommitted() ||
      r.lead !== this.prevSoft.lead ||
      r.role !== this.prevSoft.role ||
      r.hardStateDiffers(this.prevHard)
    );
  }

  /** Hands out everything accumulated since the last Ready. */
  ready(): Ready {
    const r = this.raft;
    r.flush();
    // New objects only for what changed: a leader's turn takes two Readies.
    const softChanged = r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role;
    const hardChanged = r.hardStateDiffers(this.prevHard);
    const hs = hardChanged ? r.hardState() : this.prevHard;
    const entries = r.log.unstable.nextEntries();
    const rd: Ready = {
      softState: softChanged ? { lead: r.lead, role: r.role } : undefined,
      hardState: hardChanged ? hs : undefined,
      snapshot: r.log.unstable.nextSnapshot(),
      entries,
      committed: r.log.nextCommitted(r.maxApplyBytes),
      messages: taken(r.msgs),
      persistedMessages: taken(r.msgsAfterPersist),
      readStates: taken(r.readStates),
      droppedReads: taken(r.droppedReads),
      snapshotWanted: r.snapshotWanted,
      mustSync: hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || entries.length > 0,
    };
    if (r.msgs.length > 0) r.msgs = [];
    if (r.msgsAfterPersist.length > 0) r.msgsAfterPersist = [];
    if (r.readStates.length > 0) r.readStates = [];
    if (r.droppedReads.length > 0) r.droppedReads = [];
    r.snapshotWanted = false;
    r.log.unstable.acceptInProgress();
    if (rd.committed.length > 0) {
      r.log.applying = rd.committed[rd.committed.length - 1]!.index;
      r.onCommittedHandedOut(rd.committed);
    }
    if (softChanged) this.prevSoft = rd.softState!;
    this.prevHard = hs;
    this.outstanding++;
    return rd;
  }

  /**
   * The entries from `from` on that Readies handed out and that are not acknowledged stable yet:
   * what a driver writes again once its storage works after a failed write. A conflicting
   * append since the Ready replaced them here too, so these are the ones to persist.
   */
  handedOutFrom(from: number): Entry[] {
    const u = this.raft.log.unstable;
    assert(from >= u.offset, 'entries from %s requested, below the unstable offset %s', from, u.offset);
    return from >= u.offsetInProgress ? [] : u.slice(from, u.offsetInProgress);
  }

  /** The driver persisted `rd` (per the group's durability mode) and applied its committed entries. */
  advance(rd: Ready): void {
    assert(this.outstanding > 0, 'advance without an outstanding Ready');
    this.outstanding--;
    const r = this.raft;
    if (rd.snapshot !== undefined) r.log.stableSnapTo(rd.snapshot.index);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.log.stableTo(last.index, last.term);
    }
    r.onStable();
    if (rd.committed.length > 0) {
      r.log.appliedTo(rd.committed[rd.committed.length - 1]!.index);
      r.onApplied(rd.committed);
    }
  }
}

/** What a Ready hands out of a list the core keeps filling: the list itself, or the shared empty one. */
function taken<T>(list: T[]): readonly T[] {
  return list.length > 0 ? list : NOTHING;
}
