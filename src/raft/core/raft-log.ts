// The core's view of its log: the driver's stable storage plus the unstable tail, the commit
// index, and how far committed entries were handed out and applied.
import { assert } from '../../util/assert.js';
import { EntryType } from '../group.js';
import { Unstable } from './unstable.js';
import { entryBytes, NOTHING, type Entry, type LogStorage, type SnapshotMeta } from './types.js';

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed out for applying (in a Ready). */
  applying: number;
  /** Highest index the driver reported applied. */
  applied: number;
  /** Indexes of membership entries beyond `applied`, committed or not, ascending. */
  confIndexes: number[] = [];

  constructor(readonly storage: LogStorage, applied: number, maxScanBytes: number) {
    this.unstable = new Unstable(storage.lastIndex() + 1);
    const first = storage.firstIndex();
    this.committed = first - 1;
    this.applied = Math.max(applied, first - 1);
    this.applying = this.applied;
    this.scanConfIndexes(maxScanBytes);
    this.inferCommitFromConfChanges();
  }

  /** Finds the membership entries between the applied index and the end of the stored log. */
  private scanConfIndexes(maxBytes: number): void {
    const last = this.storage.lastIndex();
    for (let lo = this.applied + 1; lo <= last; ) {
      const ents = this.storage.entries(lo, last + 1, maxBytes);
      for (const e of ents) if (e.type === EntryType.ConfChange) this.confIndexes.push(e.index);
      lo += ents.length;
    }
  }

  /**
   * Membership takes effect when applied, and a leader proposes a change only once the previous
   * one is applied: so every membership entry before the last one in this log is committed
   * (log matching makes this log's prefix the proposer's). Committing up to it keeps a node
   * that forgot its commit index (it is re-learnt after a restart) from campaigning in a
   * configuration two changes old.
   */
  private inferCommitFromConfChanges(): void {
    const n = this.confIndexes.length;
    if (n >= 2) this.commitTo(this.confIndexes[n - 2]!);
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'term of the last index is known');
    return t;
  }

  /** Term at i, or undefined when i is compacted away or beyond the last entry. */
  term(i: number): number | undefined {
    const u = this.unstable.maybeTerm(i);
    if (u !== undefined) return u;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    return this.storage.term(i);
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** True when (lastIndex, term) is at least as up to date as this log (§5.4.1). */
  isUpToDate(lastIndex: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries: if the entry at `index` has `logTerm`, appends `ents`
   * (dropping a conflicting suffix) and advances commit. Returns the last new index, or undefined.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, 'entry %s conflicts with committed entry %s', ci, this.committed);
      this.append(ents.slice(ci - index - 1));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const from = ents[0]!.index;
    assert(from - 1 >= this.committed, 'append at %s would overwrite committed %s', from, this.committed);
    this.unstable.truncateAndAppend(ents);
    // Membership entries from `from` on are replaced (rare): a new list only then.
    const conf = this.confIndexes;
    if (conf.length > 0 && conf[conf.length - 1]! >= from) this.confIndexes = conf.filter((i) => i < from);
    for (const e of ents) if (e.type === EntryType.ConfChange) this.confIndexes.push(e.index);
    this.inferCommitFromConfChanges();
    return this.lastIndex();
  }

  /** Index of the first entry of `ents` whose term differs from ours (or that is new), else 0. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest (index, term) with index ≤ `index` and term ≤ `term` in this log, used to skip
   * a whole term of mismatching entries after a rejected append.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; ; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
  }

  commitTo(c: number): void {
    if (c <= this.committed) return;
    assert(c <= this.lastIndex(), 'commit %s beyond last index %s', c, this.lastIndex());
    this.committed = c;
  }

  /** Leader: commits `maxIndex` if it belongs to the current term (§5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Entries [lo, hi) up to maxBytes (at least one), or undefined if lo was compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1, 'slice [%s,%s) beyond last index %s', lo, hi, this.lastIndex());
    const out: Entry[] = [];
    let bytes = 0;
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      const stored = this.storage.entries(lo, Math.min(hi, uoff), maxBytes);
      for (const e of stored) bytes += entryBytes(e);
      out.push(...stored);
      if (stored.length < Math.min(hi, uoff) - lo || bytes >= maxBytes) return out;
    }
    for (let i = Math.max(lo, uoff); i < hi; i++) {
      const e = this.unstable.entries[i - uoff]!;
      if (out.length > 0 && bytes + entryBytes(e) > maxBytes) break;
      bytes += entryBytes(e);
      out.push(e);
    }
    return out;
  }

  /** Highest index stable on this node; while a snapshot is pending, only what storage held before it. */
  stableIndex(): number {
    if (this.unstable.snapshot !== undefined) return Math.min(this.storage.lastIndex(), this.unstable.snapshot.index - 1);
    return this.unstable.offset - 1;
  }

  /** The last index both committed and stable: what may be applied, and what the hard state records. */
  stableCommitted(): number {
    return Math.min(this.committed, this.stableIndex());
  }

  /** Committed entries not yet handed out; only stable ones, so a crash cannot un-apply them. */
  nextCommitted(maxBytes: number): readonly Entry[] {
    if (!this.hasNextCommitted()) return NOTHING;
    return this.slice(this.applying + 1, this.stableCommitted() + 1, maxBytes) ?? NOTHING;
  }

  /** Whether nextCommitted would hand out anything, without reading the entries. */
  hasNextCommitted(): boolean {
    if (this.unstable.snapshot !== undefined) return false;
    return this.applying < this.stableCommitted() && this.applying + 1 >= this.firstIndex();
  }

  appliedTo(i: number): void {
    assert(i <= this.committed, 'applied %s beyond committed %s', i, this.committed);
    if (i > this.applied) this.applied = i;
    if (i > this.applying) this.applying = i;
    while (this.confIndexes.length > 0 && this.confIndexes[0]! <= this.applied) this.confIndexes.shift();
  }

  /** A membership entry is committed but not applied yet. */
  hasUnappliedConfChange(): boolean {
    return this.confIndexes.length > 0 && this.confIndexes[0]! <= this.committed;
  }

  restore(snap: SnapshotMeta): void {
    this.committed = snap.index;
    this.confIndexes = [];
    this.unstable.restore(snap);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
    if (index > this.applied) {
      this.applied = index;
      this.applying = Math.max(this.applying, index);
    }
  }
}
