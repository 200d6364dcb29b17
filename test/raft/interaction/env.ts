// The interaction-test environment: a whole group of cores in one process, driven by script
// commands, with every Ready and delivered message printed. Storage is synchronous and never
// lost, so `restart` models a clean process restart.
import { EntryType } from '../../../src/raft/group.js';
import { ConfChangeType, encodeConfChange } from '../../../src/raft/core/confchange.js';
import { describeEntry, describeMessage, describeReady } from '../../../src/raft/core/describe.js';
import { MemoryStorage } from '../../../src/raft/core/memory-storage.js';
import { RawNode } from '../../../src/raft/core/node.js';
import { SeededRandom } from '../../../src/raft/core/random.js';
import { DEFAULT_TUNING, type HardState, type Message, type Ready, type RaftConfig, type SnapshotMeta } from '../../../src/raft/core/types.js';
import { isDepotError } from '../../../src/util/errors.js';
import { parseArgs, parseList } from './datadriven.js';

interface TestNode {
  id: number;
  node: RawNode;
  storage: MemoryStorage;
  hard: HardState;
  /** The state machine: payloads of applied Command entries. */
  applied: string[];
  opts: Omit<RaftConfig, 'id' | 'storage' | 'hardState' | 'applied' | 'random' | 'log'>;
}

const MAX_STABILIZE_ROUNDS = 1000;

export class InteractionEnv {
  private readonly nodes = new Map<number, TestNode>();
  private mailbox: Message[] = [];
  private readonly isolated = new Set<number>();
  /** Snapshot contents by "index/term": the state is deterministic, so any node's copy will do. */
  private readonly snapshotData = new Map<string, string[]>();
  private out: string[] = [];
  private readonly unpersisted = new Map<number, Ready[]>();
  private logging = true;
  private timestamp = 1000;

  handle(command: string, args: string[]): string {
    this.out = [];
    const { positional, kv } = parseArgs(args);
    const ids = positional.map(Number);
    try {
      this.dispatch(command, ids, positional, kv);
    } catch (err) {
      if (!isDepotError(err)) throw err;
      this.out.push(`error: ${err.code}: ${err.message}`);
    }
    return this.out.length === 0 ? 'ok' : this.out.join('\n');
  }

  private dispatch(command: string, ids: number[], positional: string[], kv: Map<string, string>): void {
    switch (command) {
      case 'log-level':
        this.logging = positional[0] !== 'none';
        return;
      case 'add-nodes':
        return this.addNodes(ids[0]!, kv);
      case 'campaign':
        return this.get(ids[0]!).node.campaign();
      case 'propose':
        this.get(ids[0]!).node.propose([{ type: EntryType.Command, payload: Buffer.from(positional[1]!) }], this.timestamp++);
        return;
      case 'propose-conf-change':
        return this.proposeConfChange(ids[0]!, positional[1]!, Number(positional[2]));
      case 'tick':
        for (let i = 0; i < (ids[1] ?? 1); i++) this.get(ids[0]!).node.tick();
        return;
      case 'process-ready':
        for (const id of ids) this.processReady(id, kv.get('async') === 'true');
        return;
      case 'persist':
        return this.persist(ids[0]!);
      case 'deliver-msgs':
        return this.deliver(ids.length > 0 ? new Set(ids) : undefined, kv.get('drop') === 'true');
      case 'stabilize':
        return this.stabilize();
      case 'isolate':
        this.isolated.add(ids[0]!);
        return;
      case 'heal':
        this.isolated.clear();
        return;
      case 'raft-log':
        return this.printLog(ids[0]!);
      case 'raft-state':
        for (const n of this.sorted()) this.out.push(`${n.id}: ${n.node.raft.describe()}`);
        return;
      case 'status':
        return this.printStatus(ids[0]!);
      case 'applied':
        this.out.push(`${ids[0]}: [${this.get(ids[0]!).applied.join(' ')}]`);
        return;
      case 'compact':
        return this.compact(ids[0]!);
      case 'transfer-leadership':
        return this.get(Number(kv.get('from'))).node.transferLeader(Number(kv.get('to')));
      case 'read-index':
        return this.get(ids[0]!).node.readIndex(ids[1]!);
      case 'report-snapshot':
        return this.get(ids[0]!).node.reportSnapshot(ids[1]!, positional[2] === 'ok');
      case 'report-unreachable':
        return this.get(ids[0]!).node.reportUnreachable(ids[1]!);
      case 'restart':
        return this.restart(ids[0]!);
      default:
        throw new Error(`unknown command '${command}'`);
    }
  }

  private addNodes(n: number, kv: Map<string, string>): void {
    const first = this.nodes.size + 1;
    const newIds = Array.from({ length: n }, (_, i) => first + i);
    const voters = kv.has('voters') ? parseList(kv.get('voters')) : newIds;
    const learners = parseList(kv.get('learners'));
    // Like a bootstrapped group: an empty snapshot at 1 holds the initial configuration, so a
    // member added later learns it from a snapshot.
    const index = Number(kv.get('index') ?? 1);
    const opts = {
      ...DEFAULT_TUNING,
      preVote: kv.get('prevote') === 'true',
      checkQuorum: kv.get('checkquorum') === 'true',
      leaseTicks: Number(kv.get('lease') ?? 0),
      electionTicks: Number(kv.get('election') ?? 10),
      maxInflightMsgs: Number(kv.get('inflight') ?? DEFAULT_TUNING.maxInflightMsgs),
      maxMsgBytes: Number(kv.get('maxmsg') ?? DEFAULT_TUNING.maxMsgBytes),
    };
    for (const id of newIds) {
      const snap: SnapshotMeta = { index, term: index > 0 ? 1 : 0, conf: { voters, learners } };
      if (index > 0) this.snapshotData.set(`${index}/1`, []);
      const storage = new MemoryStorage(snap);
      const hard = { term: snap.term, vote: 0, commit: index };
      const t: TestNode = { id, storage, hard, applied: [], opts, node: undefined as unknown as RawNode };
      this.nodes.set(id, t);
      t.node = this.newRawNode(t, index);
    }
  }

  private newRawNode(t: TestNode, applied: number): RawNode {
    return new RawNode({
      ...t.opts,
      id: t.id,
      storage: t.storage,
      hardState: { ...t.hard },
      applied,
      random: new SeededRandom(t.id),
      log: (line) => {
        if (this.logging) this.out.push(`INFO ${line}`);
      },
    });
  }

  private proposeConfChange(id: number, kind: string, node: number): void {
    const type = { 'add-voter': ConfChangeType.AddVoter, 'add-learner': ConfChangeType.AddLearner, remove: ConfChangeType.RemoveNode }[kind];
    if (type === undefined) throw new Error(`unknown conf change '${kind}'`);
    const payload = encodeConfChange({ type, node, address: '' });
    this.get(id).node.propose([{ type: EntryType.ConfChange, payload }], this.timestamp++);
    if (!this.nodes.has(node) && type !== ConfChangeType.RemoveNode) {
      // The new member starts empty and learns everything from the leader (a snapshot or the log).
      const t = this.get(id);
      const storage = new MemoryStorage({ index: 0, term: 0, conf: { voters: [], learners: [] } });
      const fresh: TestNode = { id: node, storage, hard: { term: 0, vote: 0, commit: 0 }, applied: [], opts: t.opts, node: undefined as unknown as RawNode };
      this.nodes.set(node, fresh);
      fresh.node = this.newRawNode(fresh, 0);
    }
  }

  /**
   * Handles one Ready. With `async`, the write is only started: messages that may leave before
   * persistence go out, the rest wait for `persist`, which completes the write and advances.
   */
  private processReady(id: number, async = false): void {
    const t = this.get(id);
    if (!t.node.hasReady()) return;
    const rd = t.node.ready();
    this.out.push(`> ${id} handling Ready`);
    this.out.push(...describeReady(rd));
    if (rd.hardState) t.hard = { ...rd.hardState };
    if (rd.snapshot) {
      t.storage.applySnapshot(rd.snapshot);
      t.applied = [...(this.snapshotData.get(`${rd.snapshot.index}/${rd.snapshot.term}`) ?? [])];
    }
    t.storage.append(rd.entries);
    for (const e of rd.committed) if (e.type === EntryType.Command) t.applied.push(e.payload.toString());
    if (rd.snapshotWanted) this.compact(id);
    if (async) {
      this.mailbox.push(...rd.messages);
      this.unpersisted.set(id, [...(this.unpersisted.get(id) ?? []), rd]);
      return;
    }
    this.mailbox.push(...rd.messages, ...rd.persistedMessages);
    t.node.advance(rd);
  }

  private persist(id: number): void {
    const t = this.get(id);
    for (const rd of this.unpersisted.get(id) ?? []) {
      this.out.push(`${id} persisted${rd.entries.length > 0 ? ` entries up to ${rd.entries[rd.entries.length - 1]!.index}` : ''}`);
      this.mailbox.push(...rd.persistedMessages);
      t.node.advance(rd);
    }
    this.unpersisted.delete(id);
  }

  private deliver(to: Set<number> | undefined, drop: boolean): void {
    const take = this.mailbox.filter((m) => to === undefined || to.has(m.to));
    this.mailbox = this.mailbox.filter((m) => !(to === undefined || to.has(m.to)));
    for (const m of take) {
      const cut = this.isolated.has(m.from) || this.isolated.has(m.to);
      if (drop || cut || !this.nodes.has(m.to)) {
        this.out.push(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.out.push(describeMessage(m));
      this.get(m.to).node.step(m);
    }
  }

  private stabilize(): void {
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      const busy = this.sorted().filter((n) => n.node.hasReady());
      if (busy.length === 0 && this.mailbox.length === 0) return;
      for (const n of busy) this.processReady(n.id);
      for (const n of this.sorted()) {
        if (this.mailbox.some((m) => m.to === n.id)) this.deliver(new Set([n.id]), false);
      }
    }
    throw new Error('stabilize did not converge');
  }

  private printLog(id: number): void {
    const t = this.get(id);
    const r = t.node.raft;
    const first = r.log.firstIndex();
    const last = r.log.lastIndex();
    if (first > 1) this.out.push(`snapshot ${first - 1}/${r.log.term(first - 1)}`);
    if (last < first) this.out.push('log is empty');
    for (const e of r.log.slice(first, last + 1, Number.MAX_SAFE_INTEGER) ?? []) this.out.push(describeEntry(e));
  }

  private printStatus(id: number): void {
    const r = this.get(id).node.raft;
    this.out.push(r.describe());
    for (const [peer, pr] of [...r.progress].sort((a, b) => a[0] - b[0])) this.out.push(`${peer}: ${pr.describe()}`);
  }

  private compact(id: number): void {
    const t = this.get(id);
    const r = t.node.raft;
    const index = r.log.applied;
    const snap: SnapshotMeta = { index, term: r.log.term(index)!, conf: r.conf };
    this.snapshotData.set(`${index}/${snap.term}`, [...t.applied]);
    t.storage.compact(snap);
    this.out.push(`${id} compacted to ${index}/${snap.term}`);
  }

  private restart(id: number): void {
    const t = this.get(id);
    const snap = t.storage.snapshot();
    t.applied = [...(this.snapshotData.get(`${snap.index}/${snap.term}`) ?? [])];
    this.mailbox = this.mailbox.filter((m) => m.to !== id);
    t.node = this.newRawNode(t, snap.index);
  }

  private get(id: number): TestNode {
    const t = this.nodes.get(id);
    if (t === undefined) throw new Error(`no node ${id}`);
    return t;
  }

  private sorted(): TestNode[] {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id);
  }
}
