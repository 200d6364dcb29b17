// A simulated disk for one node: what was written, and what an fsync made durable. A power
// loss keeps the durable state plus either the old tail (an unsynced truncation never reached
// the platter) or a random prefix of the unsynced writes, the last of which may be torn
// (recovery detects it by checksum and drops it: the same as not written).
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import type { SeededRandom } from '../../src/raft/core/random.js';
import type { Entry, HardState, SnapshotMeta } from '../../src/raft/core/types.js';

export interface DurableSnapshot {
  meta: SnapshotMeta;
  data: string[];
}

export class SimDisk {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  private pendingHard: HardState | undefined;
  private snap: DurableSnapshot;
  /** Entries after the snapshot, as fsynced and as written. */
  private durable: Entry[] = [];
  private written: Entry[] = [];

  constructor(snapshot: DurableSnapshot, hard: HardState) {
    this.snap = snapshot;
    this.hard = { ...hard };
  }

  /** Appends at ents[0].index, replacing anything after it. */
  writeEntries(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    this.written = [...this.written.filter((e) => e.index < first), ...ents];
  }

  writeHardState(hs: HardState): void {
    this.pendingHard = { ...hs };
  }

  fsync(): void {
    if (this.pendingHard) this.hard = this.pendingHard;
    this.pendingHard = undefined;
    this.durable = [...this.written];
  }

  /** Snapshots are written to a temporary file, fsynced and renamed: durable at once. */
  installSnapshot(s: DurableSnapshot, keepEntries: boolean): void {
    this.snap = s;
    const after = (e: Entry) => keepEntries && e.index > s.meta.index;
    this.durable = this.durable.filter(after);
    this.written = this.written.filter(after);
  }

  snapshot(): DurableSnapshot {
    return this.snap;
  }

  crash(powerLoss: boolean, rng: SeededRandom): void {
    if (powerLoss) {
      let common = 0;
      while (common < this.durable.length && common < this.written.length && this.durable[common] === this.written[common]) common++;
      if (rng.chance(0.5) || this.written.length === common) {
        this.written = [...this.durable];
      } else {
        const kept = rng.int(this.written.length - common + 1);
        this.written = this.written.slice(0, common + kept);
      }
      if (this.pendingHard && rng.chance(0.5)) this.hard = this.pendingHard;
    } else if (this.pendingHard) {
      this.hard = this.pendingHard;
    }
    this.pendingHard = undefined;
    this.durable = [...this.written];
  }

  /** What a restarted process reads back. */
  recover(): { storage: MemoryStorage; hard: HardState; snapshot: DurableSnapshot } {
    const storage = new MemoryStorage(this.snap.meta);
    if (this.durable.length > 0 && this.durable[0]!.index === this.snap.meta.index + 1) storage.append(this.durable);
    return { storage, hard: { ...this.hard }, snapshot: this.snap };
  }
}
