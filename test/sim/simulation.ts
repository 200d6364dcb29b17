// One seeded simulated run: 3 or 5 nodes on virtual time, clients writing and reading, and
// faults (partitions of every shape, drops, duplicates, reordering and delay, crashes with
// power loss and torn writes). Everything random comes from the seed: a failing seed replays.
import { SeededRandom } from '../../src/raft/core/random.js';
import { ConfChangeType, type ConfChange } from '../../src/raft/core/confchange.js';
import { MessageType, StateRole, type Message } from '../../src/raft/core/types.js';
import { Checker, checkHistory, SafetyViolation, type ReadOp, type WriteOp } from './checker.js';
import type { DurableSnapshot } from './disk.js';
import { EventQueue } from './events.js';
import { SimNode, type NodeOptions } from './node.js';

const TICK_MS = 10;
const WORKLOAD_MS = 3000;
const SETTLE_MS = 4000;
const CLIENT_TIMEOUT_MS = 400;
const MAX_EVENTS = 2_000_000;
/** What a node added by a membership change starts from: nothing. */
const EMPTY_DISK: DurableSnapshot = { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: [] };
/** Fresh nodes a run may add through membership changes. */
const MAX_ADDED_NODES = 3;

export interface SimSummary {
  seed: number;
  nodes: number;
  durability: string;
  acked: number;
  events: number;
}

interface Faults {
  drop: number;
  duplicate: number;
  maxDelay: number;
  powerLoss: boolean;
  crashInFsync: number;
}

export class Simulation {
  private readonly rng: SeededRandom;
  private readonly q = new EventQueue();
  private readonly checker = new Checker();
  private readonly nodes: SimNode[] = [];
  /** Directed links that drop everything: "from>to". */
  private readonly blocked = new Set<string>();
  private readonly faults: Faults;
  private readonly writes: WriteOp[] = [];
  private readonly reads: ReadOp[] = [];
  private nextValue = 0;
  private nextRead = 0;
  private faultsOn = true;
  /** Mean spacing of faults: some seeds change the network every few tens of milliseconds. */
  private readonly faultGapMs: number;
  private clientsOn = true;

  constructor(readonly seed: number) {
    this.rng = new SeededRandom(seed * 2654435761);
    const size = this.rng.chance(0.5) ? 3 : 5;
    const checkQuorum = this.rng.chance(0.75);
    const durability = this.rng.chance(0.7) ? 'sync' : 'async';
    // Some seeds get a slow disk, so replication often beats the leader's own fsync.
    const maxFsyncMs = this.rng.chance(0.5) ? 4 : 40;
    const opts: NodeOptions = {
      preVote: this.rng.chance(0.75),
      checkQuorum,
      leaseTicks: checkQuorum && this.rng.chance(0.4) ? 6 : 0,
      durability,
      compactEvery: 8 + this.rng.int(40),
      fsyncDelay: () => 1 + this.rng.int(maxFsyncMs),
      onFsync: (node, ms) => this.maybeCrashDuringFsync(node, ms),
    };
    this.faults = {
      drop: this.rng.chance(0.3) ? this.rng.int(25) / 100 : this.rng.int(6) / 100,
      duplicate: this.rng.int(6) / 100,
      maxDelay: 2 + this.rng.int(20),
      // Async durability acknowledges what is only in the page cache: it survives a process
      // crash, not a power loss, by design.
      powerLoss: durability === 'sync',
      crashInFsync: this.rng.chance(0.5) ? 0.03 : 0,
    };
    this.faultGapMs = this.rng.chance(0.3) ? 20 : 100;
    this.opts = opts;
    this.size = size;
    const voters = Array.from({ length: size }, (_, i) => i + 1);
    const bootstrap: DurableSnapshot = { meta: { index: 1, term: 1, conf: { voters, learners: [] } }, data: [] };
    for (const id of voters) this.addNode(id, bootstrap);
    this.summary = this.describeFaults();
  }

  private readonly summary: string;
  private readonly opts: NodeOptions;
  private readonly size: number;
  private replacing = false;

  private addNode(id: number, bootstrap: DurableSnapshot): SimNode {
    const n = new SimNode(id, bootstrap, this.opts, this.q, this.rng, this.checker, (from, m) => this.send(from, m));
    this.nodes.push(n);
    return n;
  }

  describe(): string {
    return this.summary;
  }

  private describeFaults(): string {
    const o = this.faults;
    return `seed ${this.seed}: ${this.nodes.length} nodes, drop ${o.drop}, dup ${o.duplicate}, delay ≤${o.maxDelay}ms, powerLoss ${o.powerLoss}, crash in fsync ${o.crashInFsync}`;
  }

  run(): SimSummary {
    for (const n of this.nodes) this.scheduleTicks(n, this.rng.int(TICK_MS));
    for (let c = 0; c < 3; c++) this.q.after(this.rng.int(20), () => this.clientLoop(c, 1));
    this.q.after(50 + this.rng.int(200), () => this.faultLoop());
    this.q.at(WORKLOAD_MS, () => this.endFaults());
    let events = 0;
    while (this.q.step(WORKLOAD_MS + SETTLE_MS)) {
      if (++events > MAX_EVENTS) throw new SafetyViolation(`${this.describe()}: event budget exhausted`);
    }
    this.finalCheck();
    return {
      seed: this.seed,
      nodes: this.nodes.length,
      durability: this.faults.powerLoss ? 'sync' : 'async',
      acked: this.writes.filter((w) => w.outcome === 'ok').length,
      events,
    };
  }

  private scheduleTicks(n: SimNode, first: number): void {
    const loop = () => {
      n.tick();
      this.q.after(TICK_MS, loop);
    };
    this.q.after(first, loop);
  }

  // ---- network ------------------------------------------------------------------------------

  private send(from: SimNode, m: Message): void {
    if (this.rng.chance(this.faults.drop)) return this.reportDrop(from, m);
    const copies = this.rng.chance(this.faults.duplicate) ? 2 : 1;
    const snapshot = m.type === MessageType.Snap ? from.disk.snapshot() : undefined;
    for (let i = 0; i < copies; i++) {
      this.q.after(1 + this.rng.int(this.faults.maxDelay), () => this.deliver(from, m, snapshot));
    }
  }

  private deliver(from: SimNode, m: Message, snapshot: DurableSnapshot | undefined): void {
    const to = this.nodes[m.to - 1];
    if (to === undefined || !to.up || this.blocked.has(`${m.from}>${m.to}`)) return this.reportDrop(from, m);
    to.deliver(m, snapshot);
    if (m.type === MessageType.Snap) from.raw?.reportSnapshot(m.to, true);
  }

  private reportDrop(from: SimNode, m: Message): void {
    if (m.type !== MessageType.Snap) return;
    // The sender's transport learns that the snapshot stream broke, a little later.
    const inc = from.incarnation;
    this.q.after(20, () => {
      if (inc === from.incarnation) from.raw?.reportSnapshot(m.to, false);
    });
  }

  // ---- faults -------------------------------------------------------------------------------

  private faultLoop(): void {
    if (!this.faultsOn) return;
    const kind = this.rng.int(8);
    if (kind === 0) this.partitionHalves();
    else if (kind === 1) this.isolateLeaderWithMinority();
    else if (kind === 2) this.blockOneWay();
    else if (kind === 3) this.crash(this.nodes[this.rng.int(this.nodes.length)]!);
    else if (kind === 4) this.crash(this.nodes.find((n) => n.raw?.raft.role === StateRole.Leader));
    else if (kind === 5) this.replaceMember();
    else this.heal();
    this.q.after(this.faultGapMs + this.rng.int(3 * this.faultGapMs), () => this.faultLoop());
  }

  private partitionHalves(): void {
    this.blocked.clear();
    const side = this.nodes.map(() => this.rng.chance(0.5));
    for (const a of this.nodes) for (const b of this.nodes) {
      if (side[a.id - 1] !== side[b.id - 1]) this.blocked.add(`${a.id}>${b.id}`);
    }
  }

  private isolateLeaderWithMinority(): void {
    const leader = this.nodes.find((n) => n.raw?.raft.role === StateRole.Leader);
    if (leader === undefined) return;
    this.blocked.clear();
    const minority = new Set([leader.id]);
    const extra = Math.floor((this.nodes.length - 1) / 2) - 1;
    for (const n of this.nodes) if (minority.size <= extra && n.id !== leader.id) minority.add(n.id);
    for (const a of this.nodes) for (const b of this.nodes) {
      if (minority.has(a.id) !== minority.has(b.id)) this.blocked.add(`${a.id}>${b.id}`);
    }
  }

  private blockOneWay(): void {
    const a = 1 + this.rng.int(this.nodes.length);
    const b = 1 + this.rng.int(this.nodes.length);
    if (a !== b) this.blocked.add(`${a}>${b}`);
  }

  private crash(n: SimNode | undefined): void {
    if (n === undefined || !n.up) return;
    n.crash(this.faults.powerLoss && this.rng.chance(0.7));
    this.q.after(30 + this.rng.int(400), () => {
      if (!n.up) n.start();
    });
  }

  /**
   * The most dangerous moment: durable state is being written and messages that depend on it
   * wait. A power loss now must not make the node forget a vote or an acknowledged entry.
   */
  private maybeCrashDuringFsync(node: SimNode, ms: number): void {
    if (!this.faultsOn || !this.faults.powerLoss || !this.rng.chance(this.faults.crashInFsync)) return;
    this.q.after(this.rng.int(ms), () => {
      if (!node.up) return;
      node.crash(true);
      this.q.after(5 + this.rng.int(50), () => {
        if (!node.up) node.start();
      });
    });
  }

  /**
   * Replaces a member, one server at a time, as an operator would: add a fresh node as a
   * learner, promote it once it has caught up, then remove a random voter (perhaps the
   * leader). Each step is retried on whichever node leads until it is accepted. Node ids are
   * never reused; a removed node keeps running, outside the group.
   */
  private replaceMember(): void {
    // A removed node that missed its removal campaigns with ever higher terms; PreVote or
    // CheckQuorum keep it from deposing leaders (thesis §4.2.3). Without either, no changes.
    if (this.replacing || this.nodes.length >= this.size + MAX_ADDED_NODES) return;
    if (!this.opts.preVote && !this.opts.checkQuorum) return;
    this.replacing = true;
    const id = this.nodes.length + 1;
    let phase: 'add' | 'promote' | 'remove' | 'done' = 'add';
    const attempt = (tries: number) => {
      if (!this.faultsOn || tries === 0 || phase === 'done') {
        this.replacing = false;
        return;
      }
      const leader = this.nodes.find((n) => n.raw?.raft.role === StateRole.Leader);
      if (leader?.raw !== undefined) {
        const voters = leader.raw.raft.conf.voters.filter((v) => v !== id);
        const cc: ConfChange =
          phase === 'add' ? { type: ConfChangeType.AddLearner, node: id, address: '' }
          : phase === 'promote' ? { type: ConfChangeType.AddVoter, node: id, address: '' }
          : { type: ConfChangeType.RemoveNode, node: voters[this.rng.int(voters.length)]!, address: '' };
        if (leader.changeMembership(cc)) {
          if (phase === 'add') this.scheduleTicks(this.addNode(id, EMPTY_DISK), this.rng.int(TICK_MS));
          phase = phase === 'add' ? 'promote' : phase === 'promote' ? 'remove' : 'done';
        }
      }
      this.q.after(30, () => attempt(tries - 1));
    };
    attempt(100);
  }

  private heal(): void {
    this.blocked.clear();
  }

  private endFaults(): void {
    this.faultsOn = false;
    this.clientsOn = false;
    this.heal();
    // Drops and duplicates go on: an idle group must still repair lost appends by itself.
    for (const n of this.nodes) if (!n.up) n.start();
    // Liveness once healed: a write proposed now must be acknowledged before the run ends.
    this.q.after(1500, () => this.probeWrite(20));
  }

  /** Proposes `probe<k>` on the leader; retries (a new value) until one is acknowledged. */
  private probeWrite(attempts: number): void {
    if (this.writes.some((w) => w.value.startsWith('probe') && w.outcome === 'ok')) return;
    if (attempts === 0) throw new SafetyViolation(`${this.describe()}: no leader acknowledges writes after healing`);
    const leader = this.nodes.find((n) => n.raw?.raft.role === StateRole.Leader);
    if (leader !== undefined) {
      const op: WriteOp = { kind: 'write', value: `probe${attempts}`, invoke: this.q.now, complete: Infinity, outcome: 'unknown' };
      const res = leader.propose(op.value, (o) => {
        op.outcome = o;
        if (o === 'ok') op.complete = this.q.now;
      });
      if (res.ok) this.writes.push(op);
    }
    this.q.after(100, () => this.probeWrite(attempts - 1));
  }

  // ---- clients ------------------------------------------------------------------------------

  private clientLoop(client: number, target: number): void {
    if (!this.clientsOn) return;
    const node = this.nodes[target - 1]!;
    const next = (hint: number) => {
      const t = hint > 0 ? hint : 1 + this.rng.int(this.nodes.length);
      this.q.after(1 + this.rng.int(5), () => this.clientLoop(client, t));
    };
    if (this.rng.chance(0.7)) this.clientWrite(client, node, next);
    else this.clientRead(node, next);
  }

  private clientWrite(client: number, node: SimNode, next: (hint: number) => void): void {
    const value = `c${client}v${this.nextValue++}`;
    const op: WriteOp = { kind: 'write', value, invoke: this.q.now, complete: Infinity, outcome: 'unknown' };
    let settled = false;
    const res = node.propose(value, (o) => {
      if (settled) return;
      settled = true;
      op.outcome = o;
      if (o === 'ok') op.complete = this.q.now;
      next(node.id);
    });
    if (!res.ok) return next(res.leader);
    this.writes.push(op);
    this.q.after(CLIENT_TIMEOUT_MS, () => {
      if (settled) return;
      settled = true;
      next(0);
    });
  }

  private clientRead(node: SimNode, next: (hint: number) => void): void {
    const invoke = this.q.now;
    let settled = false;
    node.read(this.nextRead++, (seq) => {
      if (settled) return;
      settled = true;
      if (seq !== undefined) this.reads.push({ kind: 'read', invoke, complete: this.q.now, result: seq });
      next(seq !== undefined ? node.id : 0);
    });
    this.q.after(CLIENT_TIMEOUT_MS, () => {
      if (settled) return;
      settled = true;
      next(0);
    });
  }

  // ---- end of run ---------------------------------------------------------------------------

  private finalCheck(): void {
    const leader = this.nodes.find((n) => n.raw?.raft.role === StateRole.Leader);
    const conf = leader?.raw?.raft.conf;
    const member = (id: number) => conf === undefined || conf.voters.includes(id) || conf.learners.includes(id);
    const live = this.nodes.filter((n) => n.up && member(n.id));
    const longest = live.reduce((a, b) => (b.smIndex > a.smIndex ? b : a));
    for (const n of live) {
      if (n.smIndex !== longest.smIndex || n.sm.join(',') !== longest.sm.join(',')) {
        throw new SafetyViolation(`${this.describe()}: node ${n.id} applied up to ${n.smIndex}, node ${longest.id} up to ${longest.smIndex} after settling`);
      }
    }
    if (!this.writes.some((w) => w.value.startsWith('probe') && w.outcome === 'ok')) {
      throw new SafetyViolation(`${this.describe()}: no write was acknowledged after healing`);
    }
    const problems = checkHistory(longest.sm, this.writes, this.reads);
    if (problems.length > 0) throw new SafetyViolation(`${this.describe()}: ${problems.join('; ')}`);
  }
}
