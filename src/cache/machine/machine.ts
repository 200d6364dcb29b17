// The cache group's state machine: the keyspace, changed only by effects.
//
// On the leader, the command layer applies effects to the keyspace as it executes commands
// ("execute, then log the effect", docs/architecture.md) and proposes them afterwards; when the
// entry comes back through `apply` it is already in the keyspace and is skipped. Followers and
// recovery apply every entry. `eagerThrough` is the highest index whose effects are already in
// the keyspace without having passed through `apply`.
import type { Entry, StateMachine } from '../../raft/group.js';
import { assert } from '../../util/assert.js';
import { DepotError } from '../../util/errors.js';
import { applyEffects } from './effects.js';
import { DATABASES, Keyspace } from './keyspace.js';
import { readSnapshot, streamSnapshot } from './snapshot.js';
import { streamCapture } from './capture.js';
import { RdbFileFormat, type RdbFileOptions } from './rdb-export.js';

export class CacheMachine implements StateMachine<void> {
  readonly ks: Keyspace;
  /** Highest log index applied through `apply` since the last restore (0 right after one: see `restoredThrough`). */
  appliedIndex = 0;
  private eagerThrough = 0;
  /** What the restored snapshot includes: committed (its file completed only once it had), before any apply. */
  private restoredThrough = 0;
  /** The payload being proposed right now, in case a group applies it before propose returns. */
  private proposing: Buffer | null = null;
  private waiters: Array<{ index: number; resolve: () => void; reject: (e: Error) => void }> = [];
  /**
   * Proposes effects already applied to the keyspace but not yet proposed (the leader batches
   * a turn's effects); a snapshot calls it first so that its index covers everything it holds.
   */
  proposePending: () => void = () => undefined;

  /** `hashSeed` seeds the keyspace's hash tables (a random number per process, from the node). */
  constructor(hashSeed: number) {
    this.ks = new Keyspace(hashSeed);
  }

  apply(entry: Entry): void {
    assert(entry.index > this.appliedIndex, 'cache entry %s applied twice', entry.index);
    if (entry.payload === this.proposing) {
      this.eagerThrough = Math.max(this.eagerThrough, entry.index);
    } else if (entry.index > this.eagerThrough) {
      applyEffects(this.ks, entry.payload);
    }
    this.appliedIndex = entry.index;
    while (this.waiters.length > 0 && this.waiters[0]!.index <= entry.index) this.waiters.shift()!.resolve();
  }

  /** Proposes a payload whose effects are already in the keyspace; returns what propose returns. */
  proposeApplied<P>(payload: Buffer, propose: (payload: Buffer) => P & { index: number }): P {
    this.proposing = payload;
    try {
      const proposal = propose(payload);
      assert(proposal.index > this.eagerThrough || proposal.index <= this.appliedIndex, 'proposal index went backwards');
      this.eagerThrough = Math.max(this.eagerThrough, proposal.index);
      return proposal;
    } finally {
      this.proposing = null;
    }
  }

  /** True when effects in the keyspace are still waiting for their entries to commit. */
  get hasUncommitted(): boolean {
    return this.eagerThrough > this.appliedIndex;
  }

  /**
   * Leadership was lost with uncommitted effects: they may never commit, so pending snapshots
   * fail. The keyspace must then be rebuilt from a snapshot and the log by the group's driver.
   */
  abandonUncommitted(): void {
    const err = new DepotError('NOT_LEADER', 'leadership lost before the snapshot committed');
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.eagerThrough = this.appliedIndex;
  }

  /**
   * The keyspace when the stream is first read, including effects of entries proposed but not
   * yet applied (pending effects are proposed first, so that every effect it holds has an
   * index); the stream records that index and completes only once it has committed.
   */
  snapshot(): AsyncIterable<Buffer> {
    return streamSnapshot(
      this.ks,
      () => {
        this.proposePending();
        this.ks.changesAtSnapshot = this.ks.changes;
        return Math.max(this.appliedIndex, this.eagerThrough);
      },
      (includes) => this.appliedThrough(includes),
    );
  }

  /**
   * The keyspace as an RDB file (redis-cli --rdb), captured as `snapshot()` captures it: its
   * EOF and checksum come only once everything it holds has committed, so a whole file never
   * holds a write that was lost.
   */
  rdbSnapshot(o: RdbFileOptions): AsyncIterable<Buffer> {
    return streamCapture(
      this.ks,
      () => new RdbFileFormat(this.ks.dbs.slice(), o),
      () => {
        this.proposePending();
        return Math.max(this.appliedIndex, this.eagerThrough);
      },
      (includes) => this.appliedThrough(includes),
    );
  }

  async restore(chunks: AsyncIterable<Buffer>): Promise<void> {
    const state = await readSnapshot(chunks, DATABASES, this.ks.hashSeed, { hash: this.ks.hashLimits, zset: this.ks.zsetLimits });
    this.ks.load(state.dbs, state.blobs, state.libraries);
    // Entries up to `includes` are already in the state; their replay from the log is skipped.
    this.appliedIndex = 0;
    this.eagerThrough = state.includes;
    this.restoredThrough = state.includes;
  }

  private appliedThrough(index: number): Promise<void> {
    // Not only appliedIndex: after a restore it stays below what the state holds until an entry
    // is applied, and none may come (a SAVE right after a restart would wait forever).
    if (Math.max(this.appliedIndex, this.restoredThrough) >= index) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }
}
