// One simulated node: the real core behind a miniature driver with the same rules as
// src/raft/driver (persist before dependent sends, apply only what Ready hands out, resolve a
// proposal when its index is applied), over a SimDisk whose fsyncs take virtual time.
import { EntryType } from '../../src/raft/group.js';
import { applyConfChange, decodeConfChange, encodeConfChange, type ConfChange } from '../../src/raft/core/confchange.js';
import type { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { RawNode } from '../../src/raft/core/node.js';
import { SeededRandom } from '../../src/raft/core/random.js';
import { DEFAULT_TUNING, MessageType, type ConfState, type Entry, type Message, type Ready } from '../../src/raft/core/types.js';
import type { Checker } from './checker.js';
import type { DurableSnapshot } from './disk.js';
import { SimDisk } from './disk.js';
import type { EventQueue } from './events.js';

export interface NodeOptions {
  preVote: boolean;
  checkQuorum: boolean;
  leaseTicks: number;
  /** sync: an entry counts once fsynced; async: once written (fsync in the background). */
  durability: 'sync' | 'async';
  compactEvery: number;
  fsyncDelay: () => number;
  /** Called when an fsync starts, with its duration: lets the simulation crash a node mid-fsync. */
  onFsync: (node: SimNode, ms: number) => void;
}

/** SIM_TRACE=1 prints every node's raft log lines with the virtual time (for one seed). */
const TRACE = process.env['SIM_TRACE'] === '1';

export type Outcome = 'ok' | 'failed' | 'unknown';

interface PendingProposal {
  term: number;
  done: (outcome: Outcome) => void;
}

export class SimNode {
  raw: RawNode | undefined;
  storage!: MemoryStorage;
  /** The state machine: an append-only sequence of values. */
  sm: string[] = [];
  smIndex = 0;
  conf!: ConfState;
  readonly disk: SimDisk;
  private proposals = new Map<number, PendingProposal>();
  private reads = new Map<number, (seq: string[] | undefined) => void>();
  private readsWaiting: { index: number; id: number }[] = [];
  private fsyncQueue: Ready[] = [];
  private fsyncBusy = false;
  /** Bumped on every crash so that events scheduled for the old incarnation are ignored. */
  incarnation = 0;
  incomingSnapshot: DurableSnapshot | undefined;

  constructor(
    readonly id: number,
    bootstrap: DurableSnapshot,
    private readonly opts: NodeOptions,
    private readonly q: EventQueue,
    private readonly rng: SeededRandom,
    private readonly checker: Checker,
    private readonly send: (from: SimNode, m: Message) => void,
  ) {
    this.disk = new SimDisk(bootstrap, { term: bootstrap.meta.term, vote: 0, commit: bootstrap.meta.index });
    this.start();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  start(): void {
    const { storage, hard, snapshot } = this.disk.recover();
    this.storage = storage;
    this.sm = [...snapshot.data];
    this.smIndex = snapshot.meta.index;
    this.conf = snapshot.meta.conf;
    this.raw = new RawNode({
      ...DEFAULT_TUNING,
      id: this.id,
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      leaseTicks: this.opts.leaseTicks,
      maxMsgBytes: 4096,
      maxInflightMsgs: 16,
      storage,
      hardState: hard,
      applied: snapshot.meta.index,
      random: new SeededRandom(this.rng.next()),
      log: TRACE ? (line) => process.stdout.write(`${this.q.now} ${line}\n`) : undefined,
    });
    this.pump();
  }

  crash(powerLoss: boolean): void {
    if (TRACE) process.stdout.write(`${this.q.now} ${this.id} crashed${powerLoss ? ' (power loss)' : ''}\n`);
    this.incarnation++;
    this.raw = undefined;
    this.disk.crash(powerLoss, this.rng);
    for (const p of this.proposals.values()) p.done('unknown');
    for (const r of this.reads.values()) r(undefined);
    this.proposals.clear();
    this.reads.clear();
    this.readsWaiting = [];
    this.fsyncQueue = [];
    this.fsyncBusy = false;
    this.incomingSnapshot = undefined;
  }

  tick(): void {
    this.raw?.tick();
    this.pump();
  }

  deliver(m: Message, snapshot: DurableSnapshot | undefined): void {
    if (!this.raw) return;
    if (m.type === MessageType.Snap) this.incomingSnapshot = snapshot;
    this.raw.step(m);
    this.pump();
  }

  /** Proposes a value; returns false (definitely not appended) on a follower. */
  propose(value: string, done: (o: Outcome) => void): { ok: true } | { ok: false; leader: number } {
    if (!this.raw) return { ok: false, leader: 0 };
    try {
      const index = this.raw.propose([{ type: EntryType.Command, payload: Buffer.from(value) }], this.q.now);
      this.proposals.set(index, { term: this.raw.raft.term, done });
    } catch {
      return { ok: false, leader: this.raw.raft.lead };
    }
    this.pump();
    return { ok: true };
  }

  /** Proposes a membership change as leader; false when refused (not leader, one pending, ...). */
  changeMembership(cc: ConfChange): boolean {
    if (!this.raw) return false;
    try {
      this.raw.propose([{ type: EntryType.ConfChange, payload: encodeConfChange(cc) }], this.q.now);
    } catch {
      return false;
    }
    this.pump();
    return true;
  }

  read(id: number, done: (seq: string[] | undefined) => void): void {
    if (!this.raw) return done(undefined);
    this.reads.set(id, done);
    this.raw.readIndex(id);
    this.pump();
  }

  private pump(): void {
    for (let guard = 0; this.raw && this.raw.hasReady(); guard++) {
      if (guard > 10_000) throw new Error(`node ${this.id}: Ready loop does not converge`);
      this.handleReady(this.raw, this.raw.ready());
    }
  }

  private handleReady(raw: RawNode, rd: Ready): void {
    this.checker.onReady(this, rd);
    if (rd.hardState) this.disk.writeHardState(rd.hardState);
    if (rd.snapshot) this.installSnapshot(rd.snapshot.index);
    this.storage.append(rd.entries);
    this.disk.writeEntries(rd.entries);
    for (const m of rd.messages) this.send(this, m);
    this.apply(rd.committed);
    for (const r of rd.readStates) this.readsWaiting.push({ index: r.index, id: r.id });
    for (const id of rd.droppedReads) this.finishRead(id, undefined);
    this.serveReads();
    if (rd.snapshotWanted || this.smIndex - this.storage.snapshot().index >= this.opts.compactEvery) this.compact();
    const needsSync = rd.mustSync && this.opts.durability === 'sync';
    if (!needsSync && this.fsyncQueue.length === 0) {
      this.finish(raw, rd);
      return;
    }
    this.fsyncQueue.push(rd);
    this.scheduleFsync();
  }

  private scheduleFsync(): void {
    if (this.fsyncBusy) return;
    this.fsyncBusy = true;
    const inc = this.incarnation;
    const ms = this.opts.fsyncDelay();
    this.opts.onFsync(this, ms);
    this.q.after(ms, () => {
      if (inc !== this.incarnation || !this.raw) return;
      this.fsyncBusy = false;
      this.disk.fsync();
      const done = this.fsyncQueue;
      this.fsyncQueue = [];
      for (const rd of done) this.finish(this.raw, rd);
      this.pump();
    });
  }

  private finish(raw: RawNode, rd: Ready): void {
    for (const m of rd.persistedMessages) this.send(this, m);
    raw.advance(rd);
  }

  private apply(ents: readonly Entry[]): void {
    for (const e of ents) {
      this.checker.onApply(this, e);
      if (e.type === EntryType.Command) this.sm.push(e.payload.toString());
      if (e.type === EntryType.ConfChange) this.conf = applyConfChange(this.conf, decodeConfChange(e.payload));
      this.smIndex = e.index;
      const p = this.proposals.get(e.index);
      if (p !== undefined) {
        this.proposals.delete(e.index);
        p.done(p.term === e.term ? 'ok' : 'failed');
      }
    }
  }

  private serveReads(): void {
    this.readsWaiting = this.readsWaiting.filter((r) => {
      if (r.index > this.smIndex) return true;
      this.finishRead(r.id, [...this.sm]);
      return false;
    });
  }

  private finishRead(id: number, seq: string[] | undefined): void {
    const done = this.reads.get(id);
    if (done === undefined) return;
    this.reads.delete(id);
    done(seq);
  }

  private compact(): void {
    const snap = this.storage.snapshot();
    if (this.smIndex <= snap.index) return;
    const meta = { index: this.smIndex, term: this.storage.term(this.smIndex)!, conf: this.conf };
    this.storage.compact(meta);
    this.disk.installSnapshot({ meta, data: [...this.sm] }, true);
  }

  private installSnapshot(index: number): void {
    const s = this.incomingSnapshot;
    if (s === undefined || s.meta.index !== index) throw new Error(`node ${this.id}: snapshot ${index} arrived without its data`);
    this.storage.applySnapshot(s.meta);
    this.disk.installSnapshot(s, false);
    this.sm = [...s.data];
    this.smIndex = s.meta.index;
    this.conf = s.meta.conf;
    this.checker.onSnapshotInstalled(this, s);
    // Proposals the snapshot covers have an unknown fate from here.
    for (const [i, p] of this.proposals) {
      if (i <= index) {
        p.done('unknown');
        this.proposals.delete(i);
      }
    }
  }
}
