// The core's LogStorage over a group's foundation log and its latest snapshot. The core reads
// through it synchronously; the driver writes through it (append with conflict truncation,
// snapshot install, compaction bounded by pins).
import { assert } from '../../util/assert.js';
import type { FlushPolicy } from '../../log/options.js';
import type { ConfState, Entry, LogStorage, SnapshotMeta } from '../core/types.js';
import type { GroupLog } from './log-store.js';
import { RecentEntries } from './recent-entries.js';

export class DurableStorage implements LogStorage {
  private readonly pins = new Map<number, number>();
  private nextPin = 1;
  /** What was appended and not applied yet, as handed out by the core (recent-entries.ts). */
  private readonly recent = new RecentEntries();

  constructor(
    readonly log: GroupLog,
    private snap: SnapshotMeta,
  ) {
    assert(log.lastIndex >= snap.index, 'log ends at %s, before the snapshot at %s', log.lastIndex, snap.index);
  }

  firstIndex(): number {
    // Entries retained below the snapshot (for slow followers, or pinned) stay readable.
    return Math.min(this.log.firstIndex, this.snap.index + 1);
  }

  lastIndex(): number {
    return this.log.lastIndex;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index < this.log.firstIndex || index > this.log.lastIndex) return undefined;
    return this.log.term(index);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.recent.entries(lo, hi, maxBytes) ?? this.log.entries(lo, hi, maxBytes);
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  /**
   * Writes entries from a Ready: a conflicting suffix is cut first. Returns undefined when they
   * are stable per the log's policy already (written on this thread), else a promise that
   * resolves when they are.
   */
  append(ents: readonly Entry[]): Promise<void> | undefined {
    if (ents.length === 0) return undefined;
    const first = ents[0]!.index;
    assert(first > this.snap.index && first <= this.log.lastIndex + 1, 'append at %s after %s', first, this.log.lastIndex);
    const cut = first <= this.log.lastIndex ? this.log.truncateSuffix(first) : undefined;
    const written = this.log.append(ents);
    this.recent.append(ents);
    // The log answers an append it covers at once with a settled promise, which is not awaited.
    if (cut === undefined && this.log.stableIndex >= ents[ents.length - 1]!.index) return undefined;
    return cut === undefined ? written : Promise.all([cut, written]).then(() => undefined);
  }

  /**
   * Changes when appends count as stable (the group's durability) from the next append on: the
   * core is told an entry is persisted when the log resolves it, under the policy it was made under.
   */
  setFlushPolicy(policy: FlushPolicy): Promise<void> {
    return this.log.setFlushPolicy(policy);
  }

  /** A received snapshot replaces the whole log. */
  async install(meta: SnapshotMeta): Promise<void> {
    this.snap = meta;
    this.recent.clear();
    await this.log.reset(meta.index + 1);
  }

  /** Entries up to `index` are applied: the core will not ask for them again soon. */
  applied(index: number): void {
    this.recent.release(index);
  }

  /**
   * A volatile log (persistence off) drops entries once they are applied: the state machine in
   * memory stands for the snapshot at `index`, and the group has no follower that could ask for
   * what went before.
   */
  forget(index: number, conf: ConfState): Promise<void> {
    const term = this.term(index);
    assert(term !== undefined && index >= this.snap.index, 'forgetting up to %s: not in the log', index);
    this.snap = { index, term, conf };
    return this.log.truncatePrefix(index + 1);
  }

  /**
   * A local snapshot at `meta.index`: entries below it may go, except the `retain` most recent
   * (a slow follower catches up from them without a snapshot) and anything pinned.
   */
  async compact(meta: SnapshotMeta, retain: number): Promise<void> {
    assert(meta.index >= this.snap.index && meta.index <= this.log.lastIndex, 'compaction to %s out of range', meta.index);
    this.snap = meta;
    let upTo = Math.max(this.log.firstIndex, meta.index + 1 - retain);
    const pin = this.lowestPin();
    if (pin !== undefined) upTo = Math.min(upTo, pin);
    if (upTo > this.log.firstIndex) await this.log.truncatePrefix(upTo);
  }

  /** Keeps entries from `index` on from being truncated until the returned function is called. */
  pin(index: number): () => void {
    const id = this.nextPin++;
    this.pins.set(id, index);
    return () => this.pins.delete(id);
  }

  lowestPin(): number | undefined {
    let low: number | undefined;
    for (const i of this.pins.values()) if (low === undefined || i < low) low = i;
    return low;
  }
}
