// An in-memory LogStorage: the simulator's disk and the scripted tests' storage. It keeps what
// was written apart from what was synced, so a simulated crash can lose the unsynced tail.
import { assert } from '../../util/assert.js';
import { entryBytes, type Entry, type LogStorage, type SnapshotMeta } from './types.js';

export class MemoryStorage implements LogStorage {
  /** Entries after the snapshot; entries[0].index === snap.index + 1. */
  entries_: Entry[] = [];
  snap: SnapshotMeta;

  constructor(snapshot: SnapshotMeta) {
    this.snap = snapshot;
  }

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.entries_.length;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index < this.snap.index || index > this.lastIndex()) return undefined;
    return this.entries_[index - this.snap.index - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo > this.snap.index && hi <= this.lastIndex() + 1, 'storage slice [%s,%s) out of range', lo, hi);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entries_[i - this.snap.index - 1]!;
      if (out.length > 0 && bytes + entryBytes(e) > maxBytes) break;
      bytes += entryBytes(e);
      out.push(e);
    }
    return out;
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  /** Writes entries, replacing any stored at or after the first one's index. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    assert(first > this.snap.index && first <= this.lastIndex() + 1, 'append at %s leaves a gap after %s', first, this.lastIndex());
    this.entries_.length = first - this.snap.index - 1;
    this.entries_.push(...ents);
  }

  /** Records a snapshot taken by the state machine at `index` and drops the entries it covers. */
  compact(snap: SnapshotMeta): void {
    assert(snap.index > this.snap.index && snap.index <= this.lastIndex(), 'compaction to %s out of range', snap.index);
    this.entries_ = this.entries_.slice(snap.index - this.snap.index);
    this.snap = snap;
  }

  /** Installs a received snapshot: the log restarts after it. */
  applySnapshot(snap: SnapshotMeta): void {
    this.entries_ = [];
    this.snap = snap;
  }

  /** Keeps only the first `n` entries after the snapshot (crash: the rest was never synced). */
  truncateTo(lastIndex: number): void {
    if (lastIndex < this.lastIndex()) this.entries_.length = Math.max(0, lastIndex - this.snap.index);
  }
}
