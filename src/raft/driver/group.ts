// One replicated group on this node: the core, its durable storage, its state machine and its
// share of the node's transport. Implements the `Group` contract of src/raft/group.ts.
//
// Everything that arrives in one event-loop turn (proposals, reads, messages, ticks) is fed to
// the core at once and handled in one Ready on the next turn (setImmediate): one log append,
// one message per follower. Readies are persisted in order but pipelined: a Ready's append
// starts at once; its dependent messages leave and the core learns it is stable when the log
// says so (fdatasync'ed in `sync` mode, written to the OS in `async` mode).
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { assert } from '../../util/assert.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { DepotError, isDepotError, isStorageError } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { EntryType, type Entry, type Group, type GroupStatus, type Proposal, type StateMachine } from '../group.js';
import { applyConfChange, decodeConfChange, describeConf, encodeConfChange, type ConfChange } from '../core/confchange.js';
import { RawNode } from '../core/node.js';
import { SeededRandom } from '../core/random.js';
import { DEFAULT_TUNING, MessageType, NONE, StateRole, type ConfState, type Message, type Random, type Ready, type SnapshotMeta, type Tuning } from '../core/types.js';
import { ensureDir, readHardState, readSnapshotRecord, writeHardState, writeSnapshotRecord, type SnapshotRecord } from './files.js';
import type { FlushPolicy } from '../../log/options.js';
import type { RetentionPolicy } from '../../log/retention.js';
import type { GroupLog } from './log-store.js';
import { SnapshotReceiver, streamSnapshot } from './snapshot-transfer.js';
import { StorageStall } from './stall.js';
import { pruneSnapshots, readSnapshot, snapshotFileName, SnapshotWriter, verifySnapshot } from './snapshots.js';
import { coalesceAcks, CommitNews } from './outgoing.js';
import { DurableStorage } from './storage.js';
import type { SnapshotChunk } from './wire.js';

export type Durability = 'sync' | 'async';

export interface LogTuning {
  segmentBytes?: number;
  tailCacheBytes?: number;
  inlineWriteMaxBytes?: number;
}

export interface OpenLogOptions extends LogTuning {
  durability: Durability;
  startIndex: number;
}

/** What a group needs from the node: sending, and the shared address book. */
export interface GroupTransport {
  send(to: number, group: string, msgs: readonly Message[]): boolean;
  /** Writes what was sent in this event-loop turn now (sends are otherwise written at its end). */
  flush(): void;
  sendSnapshotChunk(chunk: SnapshotChunk): Promise<void>;
  addressOf(nodeId: number): string | undefined;
  learnAddress(nodeId: number, address: string): void;
}

export interface RaftGroupOptions<R> {
  id: string;
  nodeId: number;
  /** The group's directory: data/groups/<id>; holds log/ and raft/. */
  dir: string;
  /** Members (id → address) of a new group; omit to join an existing group as a new member. */
  bootstrap?: Record<number, string>;
  durability: Durability;
  stateMachine: StateMachine<R>;
  transport: GroupTransport;
  openLog: (dir: string, options: OpenLogOptions) => Promise<GroupLog>;
  clock?: Clock;
  random?: Random;
  tuning?: Partial<Tuning>;
  /** Applied entries between local snapshots. Default 10,000. */
  snapshotEntries?: number;
  /**
   * Applied payload bytes between local snapshots (whichever of this and `snapshotEntries` comes
   * first), so a log of large entries is not replayed for long at a restart. Default: no limit.
   */
  snapshotBytes?: number;
  /**
   * With `snapshotBytes`: the applied bytes must also reach this multiple of the last snapshot's
   * size (Redis's auto-aof-rewrite-percentage / 100), so that a large state is not rewritten
   * for every few megabytes of log. Default 0.
   */
  snapshotGrowth?: number;
  /** What an applied command entry counts towards `snapshotBytes`: its payload's length unless given. */
  payloadBytes?: (payload: Buffer) => number;
  /** Size of the group's log segments and of its in-memory tail (the foundation log's defaults when absent). */
  logTuning?: LogTuning;
  /** Entries kept below a snapshot for followers that are slightly behind. Default 1,000. */
  retainEntries?: number;
  /**
   * The log is kept in memory only (`openLog` returns a MemoryLog: the cache's `appendonly no`):
   * entries go as soon as they are applied, snapshots are written only on request
   * (snapshotNow), and the group has one member (nothing could catch a follower up). Since no
   * entry is ever read back, the state machine may change without proposing any (the cache
   * does): a requested snapshot is written even when no entry was applied since the last.
   */
  volatileLog?: boolean;
  /**
   * After a log write failed (disk full, read-only, I/O error), how long the group waits before
   * writing again (stall.ts); proposals are refused meanwhile. Default 1,000 ms, as Redis
   * retries a failed AOF write once a second.
   */
  storageRetryMs?: number;
  /**
   * A leader whose oldest log write has not finished after this long hands leadership to a
   * caught-up voter, as one whose writes fail does at once: it applies only what its own log
   * holds, so a disk that stops answering would hold every client of the group though the
   * followers commit. Default 5,000 ms (a slow fsync is not a hung one).
   */
  hungWriteMs?: number;
  /** Elections, role changes, snapshots, failures. Default silent. */
  logger?: Logger;
}

interface PendingProposal<R> {
  term: number;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface PendingRead {
  index: number;
  run: () => void;
  fail: (e: Error) => void;
}

const MAX_READIES_PER_TURN = 64;

/** The rejection handler of a proposal's promise, which its caller may not await: one function for all. */
const ignore = (): undefined => undefined;

export class RaftGroup<R = unknown> implements Group<R> {
  readonly id: string;
  private readonly raw: RawNode;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly listeners = new Set<(isLeader: boolean) => void>();
  private readonly storageListeners = new Set<(failure: string | undefined) => void>();
  private readonly snapshotListeners = new Set<(written: Promise<void>) => void>();
  private readonly proposals = new Map<number, PendingProposal<R>>();
  private readonly reads = new Map<number, PendingRead>();
  private readWaiting: PendingRead[] = [];
  private nextReadId = 1;
  private scheduled = false;
  /** Appends without entries held for a turn (outgoing.ts), and when to send them. */
  private readonly commitNews = new CommitNews();
  private releaseScheduled = false;
  private releaseAfterProcess = false;
  private persistChain: Promise<void> = Promise.resolve();
  /** Readies on persistChain not advanced yet: a Ready completes on the spot only when none is. */
  private persisting = 0;
  /** Hard state writes go one after another (they replace one file). */
  private hardChain: Promise<void> = Promise.resolve();
  /** A snapshot install in progress: appends of later Readies wait for it. */
  private installing: Promise<void> | undefined;
  private lastHard = { term: 0, vote: 0 };
  private isLeader = false;
  private applied: number;
  private conf: ConfState;
  /** The local snapshot being written, if any. */
  private snapshotting: Promise<void> | undefined;
  /** Command payload bytes applied since the last local snapshot started. */
  private appliedBytes = 0;
  /** When a snapshot is due by size (`setSnapshotPolicy`), and the size of the last one written or loaded. */
  private snapshotMinBytes: number;
  private snapshotGrowth: number;
  private readonly payloadBytes: (payload: Buffer) => number;
  private lastSnapshotBytes = 0;
  private readonly sendingSnapshot = new Set<number>();
  private readonly receiver: SnapshotReceiver;
  private failure: Error | undefined;
  /** Log writes failed and are being retried (stall.ts): proposals are refused meanwhile. */
  private stall: StorageStall | undefined;
  /** When each log append not finished yet began, oldest first (appends finish in order). */
  private readonly appendsStarted: number[] = [];
  /** After a snapshot failed on storage: no automatic snapshot before this time (clock ms). */
  private snapshotRetryAt = 0;
  private closed = false;

  private constructor(
    private readonly o: RaftGroupOptions<R>,
    private readonly storage: DurableStorage,
    private record: SnapshotRecord,
    hard: { term: number; vote: number; commit: number },
  ) {
    this.id = o.id;
    this.clock = o.clock ?? systemClock;
    this.logger = (o.logger ?? silentLogger).child({ group: o.id, node: o.nodeId });
    this.applied = record.meta.index;
    this.snapshotMinBytes = o.snapshotBytes ?? Infinity;
    this.snapshotGrowth = o.snapshotGrowth ?? 0;
    this.payloadBytes = o.payloadBytes ?? ((payload) => payload.length);
    this.conf = record.meta.conf;
    this.lastHard = { term: hard.term, vote: hard.vote };
    this.receiver = new SnapshotReceiver(this.snapDir);
    for (const [id, addr] of Object.entries(record.addresses)) o.transport.learnAddress(Number(id), addr);
    this.raw = new RawNode({
      ...DEFAULT_TUNING,
      ...o.tuning,
      id: o.nodeId,
      storage,
      hardState: { ...hard, commit: Math.max(hard.commit, record.meta.index) },
      applied: record.meta.index,
      random: o.random ?? new SeededRandom(randomInt(0x1_0000_0000 - 1)),
      log: (line) => this.logger.info(line),
    });
    this.schedule();
  }

  /** Opens (or bootstraps, or prepares to join) a group from its directory. */
  static async open<R>(o: RaftGroupOptions<R>): Promise<RaftGroup<R>> {
    const raftDir = join(o.dir, 'raft');
    await ensureDir(join(raftDir, 'snapshots'));
    let record = await readSnapshotRecord(raftDir);
    if (record === undefined) {
      record = initialRecord(o.bootstrap);
      await writeSnapshotRecord(raftDir, record);
    }
    const meta = record.meta;
    if (o.volatileLog && (meta.conf.voters.length !== 1 || meta.conf.learners.length > 0)) {
      throw new DepotError('INVALID_CONFIG', `group ${o.id} keeps its log in memory only, so it must have one member (${describeConf(meta.conf)})`);
    }
    const log = await o.openLog(join(o.dir, 'log'), { ...o.logTuning, durability: o.durability, startIndex: meta.index + 1 });
    // A crash between writing a received snapshot's record and resetting the log leaves a log
    // that does not continue the snapshot: it is replaced.
    const continues = log.firstIndex <= meta.index + 1 && log.lastIndex >= meta.index &&
      (meta.index < log.firstIndex || log.term(meta.index) === meta.term);
    if (!continues) await log.reset(meta.index + 1);
    let snapshotBytes = 0;
    if (record.dataFile !== '') {
      const dir = join(raftDir, 'snapshots');
      snapshotBytes = await verifySnapshot(dir, record.dataFile);
      await o.stateMachine.restore(readSnapshot(dir, record.dataFile));
    }
    const hard = (await readHardState(raftDir)) ?? { term: meta.term, vote: 0, commit: meta.index };
    const group = new RaftGroup(o, new DurableStorage(log, meta), record, hard);
    group.lastSnapshotBytes = snapshotBytes;
    return group;
  }

  private get raftDir(): string {
    return join(this.o.dir, 'raft');
  }

  private get snapDir(): string {
    return join(this.raftDir, 'snapshots');
  }

  // ---- Group contract -----------------------------------------------------------------------

  status(): GroupStatus {
    const r = this.raw.raft;
    const failed = this.failure !== undefined;
    return {
      id: this.id,
      isLeader: r.role === StateRole.Leader && !failed,
      leaderAddress: r.lead === 0 || failed ? undefined : this.o.transport.addressOf(r.lead),
      term: r.term,
      commitIndex: r.log.committed,
      appliedIndex: this.applied,
      ...(failed ? { failure: this.failure!.message } : {}),
      ...(!failed && this.stall !== undefined ? { failure: this.stall.error.message, retrying: true } : {}),
    };
  }

  propose(payload: Buffer): Proposal<R> {
    const index = this.proposeEntry(EntryType.Command, payload);
    const applied = new Promise<R>((resolve, reject) => {
      this.proposals.set(index, { term: this.raw.raft.term, resolve, reject });
    });
    applied.catch(ignore);
    return { index, applied };
  }

  flush(): void {
    // The setImmediate already queued still runs; it finds nothing left to handle.
    if (this.scheduled && !this.failure && !this.closed) this.process();
  }

  read<T>(fn: () => T): Promise<T> {
    this.checkUsable();
    if (this.raw.raft.role !== StateRole.Leader) return Promise.reject(this.notLeader());
    const id = this.nextReadId++;
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err);
        }
      };
      this.reads.set(id, { index: 0, run, fail: reject });
      this.raw.readIndex(id);
      this.schedule();
    });
  }

  onLeadershipChange(listener: (isLeader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStorageChange(listener: (failure: string | undefined) => void): () => void {
    this.storageListeners.add(listener);
    return () => this.storageListeners.delete(listener);
  }

  // ---- beyond the contract: membership, transfer, log access --------------------------------

  /**
   * Called with the outcome of each local snapshot the group starts by itself (its log passed
   * the snapshot policy, or a follower needs one); those asked for with snapshotNow are not
   * reported. The promise rejects when the snapshot failed.
   */
  onAutomaticSnapshot(listener: (written: Promise<void>) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  /** Proposes a membership change; resolves once it is applied here. */
  changeMembership(cc: ConfChange): Promise<void> {
    if (this.o.volatileLog) {
      return Promise.reject(new DepotError('INVALID_CONFIG', `group ${this.id} keeps its log in memory only: it cannot gain members`));
    }
    if (cc.address !== '') this.o.transport.learnAddress(cc.node, cc.address);
    const index = this.proposeEntry(EntryType.ConfChange, encodeConfChange(cc));
    return new Promise<void>((resolve, reject) => {
      this.proposals.set(index, { term: this.raw.raft.term, resolve: () => resolve(), reject });
    });
  }

  transferLeadership(to: number): void {
    this.raw.transferLeader(to);
    this.schedule();
  }

  /** The group's log, for services that read committed entries (read-only use). */
  get log(): GroupLog {
    return this.storage.log;
  }

  get commitIndex(): number {
    return this.raw.raft.log.committed;
  }

  /** Index of the latest snapshot (entries up to it are no longer needed to rebuild the state). */
  get snapshotIndex(): number {
    return this.storage.snapshot().index;
  }

  /**
   * Snapshots the state machine at the applied index now (Redis's SAVE), after any snapshot
   * already in progress; resolves once it is on disk and the log below it may go.
   */
  async snapshotNow(): Promise<void> {
    this.checkWritable();
    while (this.snapshotting !== undefined || this.installing !== undefined) await (this.snapshotting ?? this.installing);
    const taken = this.maybeSnapshot(true, true);
    await taken;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Bytes of the last local snapshot written or loaded, and of the command payloads applied since it began. */
  snapshotSizes(): { snapshotBytes: number; logBytes: number } {
    return { snapshotBytes: this.lastSnapshotBytes, logBytes: this.appliedBytes };
  }

  /** Keeps entries from `index` on through snapshots and retention until the returned function is called. */
  pin(index: number): () => void {
    return this.storage.pin(index);
  }

  /**
   * Applies a retention policy to the group's log (the broker's message store): only entries
   * below the latest snapshot (which the state no longer needs) and below every pin may go.
   */
  retain(policy: RetentionPolicy, now: number): Promise<{ segments: number; bytes: number }> {
    this.checkUsable();
    const pin = this.storage.lowestPin();
    const keepFrom = Math.min(this.storage.snapshot().index + 1, pin ?? Number.MAX_SAFE_INTEGER);
    return this.storage.log.retain(policy, keepFrom, now);
  }

  /**
   * Changes the group's durability at run time (the cache's CONFIG SET appendfsync): entries
   * appended from now on are acknowledged under `policy`, earlier ones keep the promise they
   * were given. Resolves once everything appended before is durable. If that sync fails, the
   * log rejects the appends still waiting, which stalls the group as any failed log write does.
   */
  /** Changes when a local snapshot is due by size (see `snapshotBytes` and `snapshotGrowth`). */
  setSnapshotPolicy(policy: { readonly minBytes: number; readonly growth: number }): void {
    this.snapshotMinBytes = policy.minBytes;
    this.snapshotGrowth = policy.growth;
  }

  setFlushPolicy(policy: FlushPolicy): Promise<void> {
    this.checkWritable();
    return this.storage.setFlushPolicy(policy);
  }

  // ---- inputs from the node -----------------------------------------------------------------

  tick(): void {
    if (this.failure || this.closed) return;
    this.raw.tick();
    if (this.stall !== undefined || this.writeHung()) this.handOffLeadership();
    this.schedule();
  }

  /**
   * A leader whose log writes fail refuses proposals, and one whose writes hang answers none,
   * but its followers' disks may work: it hands leadership to the most caught-up one that is
   * heard from, so that the group takes writes again while this node waits for its disk (and
   * catches up as a follower once it works). Asked again every tick while stalled or hung: a
   * transfer that times out is tried again, perhaps with another follower.
   */
  private handOffLeadership(): void {
    const to = this.raw.raft.handOffTarget();
    if (to === NONE) return;
    this.logger.warn({ to }, 'log writes fail or hang: handing leadership to another voter');
    this.raw.transferLeader(to);
  }

  step(m: Message): void {
    if (this.failure || this.closed) return;
    if (m.type === MessageType.Snap && m.snapshot !== undefined) {
      const meta = m.snapshot;
      void this.receiver.ready(meta).then((ok) => {
        if (ok && !this.failure && !this.closed) {
          this.raw.step(m);
          this.schedule();
        }
      });
      return;
    }
    this.raw.step(m);
    this.schedule();
  }

  onSnapshotChunk(c: SnapshotChunk): void {
    if (!this.failure && !this.closed) this.receiver.accept(c);
  }

  reportUnreachable(nodeId: number): void {
    this.raw.reportUnreachable(nodeId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stall?.stop();
    await this.persistChain.catch(() => undefined);
    await this.snapshotting;
    this.rejectAll(new DepotError('SHUTTING_DOWN', `group ${this.id} is closing`));
    await this.storage.log.close();
  }

  // ---- the Ready loop -----------------------------------------------------------------------

  private proposeEntry(type: number, payload: Buffer): number {
    this.checkWritable();
    let index: number;
    try {
      index = this.raw.propose([{ type, payload }], this.clock.now());
    } catch (err) {
      throw isDepotError(err, 'NOT_LEADER') ? this.notLeader() : err;
    }
    this.schedule();
    return index;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.process();
    });
  }

  private process(): void {
    if (this.failure || this.closed) return;
    for (let n = 0; n < MAX_READIES_PER_TURN && this.raw.hasReady(); n++) this.handleReady(this.raw.ready());
    if (this.raw.hasReady()) this.schedule();
    if (this.releaseAfterProcess) {
      this.releaseAfterProcess = false;
      this.sendAll(this.commitNews.take());
    }
  }

  /** Sends the held commit news in the next turn, unless that turn's Ready carries it. */
  private scheduleCommitNews(): void {
    if (this.releaseScheduled || this.commitNews.size === 0) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      if (this.failure || this.closed) return;
      // A Ready queued for this turn (typically the proposals of the callers whose entries
      // just committed) runs right after this callback: it sends or supersedes the news.
      if (this.scheduled) this.releaseAfterProcess = true;
      else this.sendAll(this.commitNews.take());
    });
  }

  private handleReady(rd: Ready): void {
    if (rd.softState) this.leadershipMayHaveChanged(rd.softState.role === StateRole.Leader);
    // Messages first, and written at once when work follows: a leader's appends reach the
    // followers (whose disk writes are on the commit path) before it spends the turn on its own
    // write and on applying. Otherwise they leave at the end of the turn with other groups'.
    const now = this.commitNews.filter(rd.messages);
    if (now.length > 0) {
      this.sendAll(now);
      if (rd.entries.length > 0 || rd.committed.length > 0) this.o.transport.flush();
    }
    this.scheduleCommitNews();
    const work: Promise<void>[] = [];
    if (rd.hardState && (rd.hardState.term !== this.lastHard.term || rd.hardState.vote !== this.lastHard.vote)) {
      this.lastHard = { term: rd.hardState.term, vote: rd.hardState.vote };
      const hs = rd.hardState;
      this.hardChain = this.hardChain.then(() => writeHardState(this.raftDir, hs));
      work.push(this.hardChain);
    }
    if (rd.snapshot) {
      const meta = rd.snapshot;
      this.installing = this.installSnapshot(meta);
      work.push(this.installing);
    }
    const appended = rd.entries.length > 0 ? this.appendAfterInstall(rd.entries) : undefined;
    if (appended !== undefined) work.push(appended);
    if (work.length === 0 && this.persisting === 0) {
      // Nothing to wait for: the entries were written on this thread (the log's inline write;
      // a memory log), and no earlier Ready is still persisting. The Ready completes here, and
      // process() takes the next one (a group of one: the commit of these entries) in this
      // call, without the promise chain's hops.
      this.applyReady(rd);
      this.sendAll(rd.persistedMessages);
      this.raw.advance(rd);
      return;
    }
    this.persisting++;
    // After a microtask: the log starts the write of the entries appended above in one (queued
    // first), so applying the previous commit does not hold back a follower's disk write, on
    // which the leader's next commit waits. Still before this Ready's advance (queued later).
    queueMicrotask(() => this.applyReady(rd));
    this.persistChain = this.persistChain
      .then(() => Promise.all(work))
      .then(() => {
        this.persisting--;
        this.sendAll(rd.persistedMessages);
        this.raw.advance(rd);
        // What became stable may commit at once (a group of one): no extra event-loop turn.
        this.process();
      })
      .catch((err) => this.fail(err));
  }

  private applyReady(rd: Ready): void {
    this.apply(rd.committed);
    for (const r of rd.readStates) this.readConfirmed(r.id, r.index);
    for (const id of rd.droppedReads) this.readDropped(id);
    if (rd.snapshotWanted) this.maybeSnapshot(true);
  }

  /** Appends a Ready's entries after any snapshot install; undefined when they are stable already. */
  private appendAfterInstall(entries: readonly Entry[]): Promise<void> | undefined {
    const pending = this.installing;
    const appended = pending === undefined ? this.append(entries) : pending.then(() => this.append(entries));
    if (appended === undefined) return undefined;
    this.appendsStarted.push(this.clock.now());
    const done = () => void this.appendsStarted.shift();
    appended.then(done, done);
    return appended;
  }

  /** The oldest log write has been running for hungWriteMs or more. */
  private writeHung(): boolean {
    const oldest = this.appendsStarted[0];
    return oldest !== undefined && this.clock.now() - oldest >= (this.o.hungWriteMs ?? 5000);
  }

  /**
   * Appends a Ready's entries; if the log fails, the Ready waits for the stall (stall.ts) to
   * write them again. While stalled, or while the log is still recovering from a failure whose
   * errors have not reached us, a Ready joins the stall without writing: the log no longer ends
   * where these entries continue it.
   */
  private append(entries: readonly Entry[]): Promise<void> | undefined {
    const first = entries[0]!.index;
    const log = this.storage.log;
    if (this.stall === undefined && log.failure === undefined && first <= log.lastIndex + 1) {
      return this.storage.append(entries)?.catch((err: unknown) => this.stalled(err, first));
    }
    return this.stalled(this.stall?.error ?? log.failure ?? new DepotError('STORAGE_IO', `group ${this.id}: the log lost entries before ${first}`), first);
  }

  private stalled(err: unknown, first: number): Promise<void> {
    if (this.stall !== undefined) return this.stall.join(first);
    if (!isStorageError(err) || this.failure !== undefined || this.closed) return Promise.reject(err);
    this.logger.error({ err }, 'log write failed: proposals refused, retrying');
    // Told before proposals are refused: a service that applied effects ahead of proposing
    // them (the cache) proposes them now, so that its state and the log stay one.
    for (const l of this.storageListeners) l(err.message);
    const stall = new StorageStall(err, first, {
      storage: this.storage,
      handedOutFrom: (from) => this.raw.handedOutFrom(from),
      retryMs: this.o.storageRetryMs ?? 1000,
      stopped: () => this.failure ?? (this.closed ? new DepotError('SHUTTING_DOWN', `group ${this.id} is closing`) : undefined),
    });
    this.stall = stall;
    // The outcome of what waits is unknown until the log takes it (it may, and then applies):
    // its callers hear so now instead of waiting for a disk that may never have room.
    this.rejectProposals(new DepotError(err.code, `${err.message} (the outcome of this request is unknown: it takes effect if the log can be written again)`));
    stall.done.then(
      () => {
        this.stall = undefined;
        this.logger.info('log writes work again');
        for (const l of this.storageListeners) l(undefined);
      },
      () => undefined,
    );
    return stall.done;
  }

  private sendAll(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const byPeer = new Map<number, Message[]>();
    for (const m of msgs) {
      if (m.type === MessageType.Snap) {
        void this.sendSnapshot(m);
        continue;
      }
      const list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, [m]);
      else list.push(m);
    }
    for (const [to, list] of byPeer) this.o.transport.send(to, this.id, coalesceAcks(list));
  }

  private leadershipMayHaveChanged(isLeader: boolean): void {
    if (isLeader === this.isLeader) return;
    this.isLeader = isLeader;
    for (const l of this.listeners) l(isLeader);
  }

  // ---- apply and reads ----------------------------------------------------------------------

  private apply(ents: readonly Entry[]): void {
    for (const e of ents) {
      assert(e.index === this.applied + 1, 'group %s: applying %s after %s', this.id, e.index, this.applied);
      let result: R | undefined;
      let error: Error | undefined;
      if (e.type === EntryType.Command) {
        this.appliedBytes += this.payloadBytes(e.payload);
        try {
          result = this.o.stateMachine.apply(e);
        } catch (err) {
          if (!isDepotError(err)) throw err;
          error = err;
        }
      } else if (e.type === EntryType.ConfChange) {
        const cc = decodeConfChange(e.payload);
        this.conf = applyConfChange(this.conf, cc);
        if (cc.address !== '') this.o.transport.learnAddress(cc.node, cc.address);
      }
      this.applied = e.index;
      this.settleProposal(e, result, error);
    }
    if (ents.length > 0) {
      this.storage.applied(this.applied);
      if (this.o.volatileLog) this.storage.forget(this.applied, this.conf).catch((err) => this.fail(err));
      this.serveReads();
      this.maybeSnapshot(false);
    }
  }

  private settleProposal(e: Entry, result: R | undefined, error: Error | undefined): void {
    const p = this.proposals.get(e.index);
    if (p === undefined) return;
    this.proposals.delete(e.index);
    if (p.term !== e.term) p.reject(this.notLeader('the proposal was replaced by a new leader'));
    else if (error !== undefined) p.reject(error);
    else p.resolve(result as R);
  }

  private readConfirmed(id: number, index: number): void {
    const r = this.reads.get(id);
    if (r === undefined) return;
    this.reads.delete(id);
    r.index = index;
    if (index <= this.applied) r.run();
    else this.readWaiting.push(r);
  }

  private readDropped(id: number): void {
    const r = this.reads.get(id);
    if (r === undefined) return;
    this.reads.delete(id);
    r.fail(this.notLeader());
  }

  private serveReads(): void {
    if (this.readWaiting.length === 0) return;
    const still: PendingRead[] = [];
    for (const r of this.readWaiting) {
      if (r.index <= this.applied) r.run();
      else still.push(r);
    }
    this.readWaiting = still;
  }

  // ---- snapshots ----------------------------------------------------------------------------

  /**
   * Starts a local snapshot when one is due (or `force`d); returns its outcome, or undefined when
   * none started. A snapshot that fails on storage (disk full) leaves the log as it was: the
   * group goes on and tries again after the storage retry period; other failures stop it.
   * One not `requested` (by snapshotNow) is reported to onAutomaticSnapshot's listeners.
   */
  private maybeSnapshot(force: boolean, requested = false): Promise<void> | undefined {
    const every = this.o.snapshotEntries ?? 10_000;
    if (this.snapshotting !== undefined || this.installing !== undefined) return undefined;
    if (this.o.volatileLog && !force) return undefined;
    const bytesDue = this.appliedBytes >= Math.max(this.snapshotMinBytes, this.snapshotGrowth * this.lastSnapshotBytes);
    if (!force && !bytesDue && this.applied - this.record.meta.index < every) return undefined;
    if (!force && this.clock.now() < this.snapshotRetryAt) return undefined;
    // Over a volatile log the state machine may change without entries (volatileLog), so a
    // requested snapshot is always written.
    if (this.applied <= this.record.meta.index && this.record.dataFile !== '' && !this.o.volatileLog) return undefined;
    const taken = this.takeSnapshot();
    this.snapshotting = taken
      .catch((err) => {
        if (!isStorageError(err)) return this.fail(err);
        this.logger.error({ err }, 'snapshot failed; the log keeps the entries');
        this.snapshotRetryAt = this.clock.now() + (this.o.storageRetryMs ?? 1000);
      })
      .finally(() => {
        this.snapshotting = undefined;
      });
    if (!requested) for (const l of this.snapshotListeners) l(taken);
    return taken;
  }

  /** Writes the state machine's snapshot at the applied index, then lets the log go below it. */
  private async takeSnapshot(): Promise<void> {
    const index = this.applied;
    const term = this.storage.term(index);
    assert(term !== undefined, 'term of applied index %s is known', index);
    const meta: SnapshotMeta = { index, term, conf: this.conf };
    // Taken before the first await: entries applied meanwhile must not leak into a snapshot
    // labelled with `index` (the state machine captures its view when snapshot() is called).
    const stream = this.o.stateMachine.snapshot();
    this.appliedBytes = 0;
    const writer = await SnapshotWriter.create(this.snapDir, meta);
    try {
      for await (const chunk of stream) await writer.write(chunk);
      await writer.finish();
      this.lastSnapshotBytes = writer.written;
    } catch (err) {
      await writer.abort();
      throw err;
    }
    await this.commitSnapshot(meta, writer.name);
    // A volatile log forgot these entries when they were applied.
    if (!this.o.volatileLog) await this.storage.compact(meta, this.o.retainEntries ?? 1000);
    this.logger.info({ index, term }, 'snapshot taken');
  }

  private async commitSnapshot(meta: SnapshotMeta, dataFile: string): Promise<void> {
    const addresses: Record<number, string> = {};
    for (const id of [...meta.conf.voters, ...meta.conf.learners]) {
      const a = this.o.transport.addressOf(id);
      if (a !== undefined) addresses[id] = a;
    }
    this.record = { meta, addresses, dataFile };
    await writeSnapshotRecord(this.raftDir, this.record);
    await pruneSnapshots(this.snapDir, dataFile);
  }

  private async installSnapshot(meta: SnapshotMeta): Promise<void> {
    const name = snapshotFileName(meta);
    this.lastSnapshotBytes = await verifySnapshot(this.snapDir, name);
    await this.o.stateMachine.restore(readSnapshot(this.snapDir, name));
    this.conf = meta.conf;
    this.applied = meta.index;
    await this.commitSnapshot(meta, name);
    await this.storage.install(meta);
    for (const [index, p] of this.proposals) {
      if (index > meta.index) continue;
      this.proposals.delete(index);
      p.reject(new DepotError('PROPOSAL_DROPPED', `outcome of entry ${index} unknown: replaced by a snapshot`));
    }
    this.installing = undefined;
    this.serveReads();
  }

  private async sendSnapshot(m: Message): Promise<void> {
    const meta = m.snapshot!;
    const to = m.to;
    if (this.sendingSnapshot.has(to)) return;
    if (this.record.dataFile === '' || this.record.meta.index !== meta.index) {
      // Only the empty bootstrap state exists: take a real snapshot, the core retries later.
      this.raw.reportSnapshot(to, false);
      this.maybeSnapshot(true);
      return;
    }
    this.sendingSnapshot.add(to);
    const head = { group: this.id, from: this.o.nodeId, to, term: m.term, meta };
    try {
      await streamSnapshot(this.o.transport, this.snapDir, this.record.dataFile, head);
      this.o.transport.send(to, this.id, [m]);
      this.raw.reportSnapshot(to, true);
    } catch {
      this.raw.reportSnapshot(to, false);
    } finally {
      this.sendingSnapshot.delete(to);
      this.schedule();
    }
  }

  // ---- failure ------------------------------------------------------------------------------

  private checkUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new DepotError('SHUTTING_DOWN', `group ${this.id} is closed`);
  }

  /** Usable, and its log takes writes (not stalled). */
  private checkWritable(): void {
    this.checkUsable();
    if (this.stall !== undefined) throw this.stall.error;
  }

  private notLeader(why = 'not the leader'): DepotError {
    const lead = this.raw.raft.lead;
    const address = lead === 0 ? undefined : this.o.transport.addressOf(lead);
    const details: Record<string, string | number> = { group: this.id };
    if (address !== undefined) details['leader'] = address;
    if (lead !== 0) details['leaderId'] = lead;
    return new DepotError('NOT_LEADER', `group ${this.id}: ${why}`, { details });
  }

  /** A failure the group does not wait out stops it: continuing could acknowledge what is not durable. */
  private fail(err: unknown): void {
    if (this.failure) return;
    this.stall?.stop();
    this.failure = isDepotError(err) ? err : new DepotError('STORAGE_IO', `group ${this.id} failed: ${String(err)}`, { cause: err });
    this.logger.error({ err: this.failure }, 'group stopped: storage failure');
    this.rejectAll(this.failure);
    this.leadershipMayHaveChanged(false);
  }

  private rejectProposals(err: Error): void {
    for (const p of this.proposals.values()) p.reject(err);
    this.proposals.clear();
  }

  private rejectAll(err: Error): void {
    this.rejectProposals(err);
    for (const r of this.reads.values()) r.fail(err);
    for (const r of this.readWaiting) r.fail(err);
    this.reads.clear();
    this.readWaiting = [];
  }
}

function initialRecord(bootstrap: Record<number, string> | undefined): SnapshotRecord {
  if (bootstrap === undefined) {
    // A joining member starts empty and receives a snapshot from the leader.
    return { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, addresses: {}, dataFile: '' };
  }
  const voters = Object.keys(bootstrap).map(Number).sort((a, b) => a - b);
  return { meta: { index: 1, term: 1, conf: { voters, learners: [] } }, addresses: { ...bootstrap }, dataFile: '' };
}
