// The cache service: Depot's keyspace as a Redis server sees it, without sockets. It owns the
// command context, runs commands for clients (CacheService.execute), batches their effects into
// proposals to the cache group, releases replies once what they depend on has committed, and
// keeps the server-wide state: clients, pub/sub, WATCH, blocked clients, expiry, config, ACLs,
// the slow log, monitors and client-side caching.
// server/resp drives it from sockets; node/ creates it next to the group (startCache).
import { constants as bufferConstants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ReplySlabs, ReplyWriter } from '../protocol/resp/writer.js';
import type { Group } from '../raft/group.js';
import { MAX_TIMER_MS, systemClock, type Clock } from '../util/clock.js';
import { DepotError } from '../util/errors.js';
import { AclStore } from './acl.js';
import { BlockedClients } from './blocking.js';
import { AclLog, type AclContext, type AclReason } from './acl-log.js';
import { CommandStats } from './command-stats.js';
import { LatencyMonitor } from './latency-monitor.js';
import { Client, type ClientSink } from './client.js';
import { ClientPause, type PauseMode } from './client-pause.js';
import { BLOCKED, Ctx, type CommandSpec, type NotifyClass } from './commands/context.js';
import { CursorRegistry } from './commands/scan.js';
import { keysOf } from './commands/server.js';
import type { ServerApi, ServerStats } from './commands/server-api.js';
import { CommandTable } from './commands/table.js';
import { Committer } from './committer.js';
import { ConfigStore, type FsyncPolicy, type Settings } from './config.js';
import { Dispatcher, type CommandObserver, type DispatchHooks, type Outcome, type ScriptCallRecord } from './dispatcher.js';
import { Evictor, isLfu } from './eviction.js';
import { ActiveExpiry } from './expiry.js';
import { buildInfo } from './info.js';
import { HeapGuard } from './heap-guard.js';
import { Effects } from './machine/effects.js';
import { lfuMinutes } from './machine/lfu.js';
import type { CacheMachine } from './machine/machine.js';
import { Monitors } from './monitor.js';
import { KeyspaceEvents, keyeventChannel, keyspaceChannel } from './notify.js';
import { PubSub, type SubscriptionKind } from './pubsub.js';
import { ReadAhead } from './read-ahead.js';
import { clientLine, REDIS_VERSION } from './commands/connection.js';
import { RemoteConnections, type RemoteResult } from './remote.js';
import { Functions } from './scripting/functions.js';
import type { ScriptCommands } from './scripting/lua-runtime.js';
import { Scripts } from './scripting/scripts.js';
import { memoryReport, type MemoryReport } from './memory-report.js';
import { Saves } from './saves.js';
import { sendRdbFile } from './rdb-transfer.js';
import { InstantMetric } from './instant-metrics.js';
import { SlowLog } from './slowlog.js';
import { Tracking, type TrackingHost } from './tracking.js';
import type { NodeLimits } from './machine/stream.js';
import { WatchRegistry } from './watch.js';
import { Scratch } from '../util/scratch.js';

/** RDB transfers at once: the keyspace takes 8 captures, and the journal's snapshots keep one. */
const MAX_RDB_TRANSFERS = 7;

/** What the node offers for SAVE/BGSAVE and `appendfsync`; absent when nothing is persisted. */
export interface CachePersistence {
  /** Whether the journal is on disk; without it only snapshots (SAVE, BGSAVE) persist anything. */
  readonly appendonly: boolean;
  readonly fsync: FsyncPolicy;
  /** Whether the journal's entries are LZ4-compressed when that pays (`cache.journalCompression`). */
  readonly compressed: boolean;
  /**
   * Changes the journal's fsync policy at run time: writes answered from now on follow it.
   * Returns an error text when the journal cannot switch now.
   */
  setFsync(policy: FsyncPolicy): string | null;
  /** Writes a snapshot of the group now (the log below it is then truncated). */
  snapshot(): Promise<void>;
  /** Bytes of the last snapshot, and of the command entries applied since it was taken. */
  sizes(): { snapshotBytes: number; logBytes: number };
  /** auto-aof-rewrite-min-size and -percentage: when a snapshot is due by the log's size. */
  setSnapshotPolicy(minBytes: number, percent: number): void;
  /** Calls `listener` with the outcome of each snapshot written without being asked for (by the log's size or entry count). */
  onAutomaticSnapshot(listener: (written: Promise<void>) => void): void;
}

export interface CacheServiceOptions {
  readonly machine: CacheMachine;
  readonly group: Group<void>;
  /** The RESP port, for INFO. */
  readonly port: number;
  readonly settings?: Partial<Settings>;
  readonly persistence?: CachePersistence;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Where the service reports failures it cannot hand to a client. */
  readonly log?: (message: string, err?: unknown) => void;
  /** Where scripts' redis.log lines go, with Redis's level (0 debug, 1 verbose, 2 notice, 3 warning). */
  readonly scriptLog?: (level: number, line: string) => void;
  /** Stops the whole node, as SIGTERM does (SHUTDOWN); without it SHUTDOWN is refused. */
  readonly shutdown?: () => void;
}

export const DEFAULT_SETTINGS: Settings = {
  requirepass: '',
  appendonly: false,
  appendfsync: 'everysec',
  timeoutSeconds: 0,
  maxclients: 10000,
  protoMaxBulkLen: 512 * 1024 * 1024,
  clientQueryBufferLimit: 1024 * 1024 * 1024,
  hz: 10,
  activerehashing: true,
  maxmemory: 0,
  maxmemoryPolicy: 'noeviction',
  maxmemorySamples: 5,
  lfuLogFactor: 10,
  lfuDecayTime: 1,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  // Redis 7.0's defaults.
  clientOutputBufferLimits: { normal: [0n, 0n, 0n], slave: [268435456n, 67108864n, 60n], pubsub: [33554432n, 8388608n, 60n] },
  tcpKeepaliveSeconds: 300,
  slowlogLogSlowerThan: 10_000,
  slowlogMaxLen: 128,
  trackingTableMaxKeys: 1_000_000,
  autoAofRewriteMinSize: 1024 ** 3,
  autoAofRewritePercentage: 100,
  busyReplyThresholdMs: 5000,
  hllSparseMaxBytes: 3000,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
  latencyTracking: true,
  latencyPercentiles: [50, 99, 99.9],
  latencyMonitorThresholdMs: 0,
  acllogMaxLen: 128,
  aclfile: '',
};

const EXPIRE_BUDGET_MS = 2;
/** Where invalidations go for a RESP2 connection that tracking redirects to (Redis's channel). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';
/**
 * Keys a command may evict before it runs. Past it the command runs anyway and the timer goes
 * on evicting, as Redis lets a command through while its eviction is still under way: a
 * command is refused only when the policy finds nothing more to evict.
 */
const EVICTIONS_PER_COMMAND = 1_000;
/** Keys the timer may evict per tick (every 100 ms). */
const EVICTIONS_PER_TICK = 10_000;
/**
 * Elements a resizing keyspace table moves per timer tick (activerehashing), besides the few
 * each write moves: about a millisecond's work, so an idle table finishes its resize in seconds.
 */
const ACTIVE_REHASH_ELEMENTS = 10_000;
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

export class CacheService implements ServerApi, DispatchHooks, CommandObserver, TrackingHost {
  readonly stats: ServerStats = {
    expiredKeys: 0,
    evictedKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    totalCommands: 0,
    totalConnections: 0,
    rejectedConnections: 0,
    pubsubMessages: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
  };
  readonly cursors = new CursorRegistry();
  readonly slowlog = new SlowLog();
  private readonly monitors = new Monitors((client, line) => this.sendMonitorLine(client, line));
  readonly tracking = new Tracking(this);
  /** Writes what goes to other clients in the middle of a command, apart from `out`, which holds its reply. */
  /** The slabs of `apart` and `out`: a connection gives each view back once written. */
  readonly replySlabs = new ReplySlabs();
  private readonly apart = new ReplyWriter(this.replySlabs);
  readonly commands = new CommandTable();
  readonly scripts: Scripts;
  readonly functions: Functions;
  readonly acl = new AclStore(this.commands);
  readonly config: ConfigStore;
  readonly settings: Settings;
  readonly machine: CacheMachine;
  readonly startedAt: number;
  /** RDB files being sent (SYNC after REPLCONF rdb-only). */
  private rdbTransfers = 0;
  /** INFO's run_id and master_replid: new at every start, as Redis's. */
  readonly runId = randomBytes(20).toString('hex');
  readonly replicationId = randomBytes(20).toString('hex');
  /** INFO's instantaneous_ops_per_sec, instantaneous_input_kbps and instantaneous_output_kbps. */
  readonly instant: { readonly ops: InstantMetric; readonly netInput: InstantMetric; readonly netOutput: InstantMetric };
  /** SAVE, BGSAVE and BGREWRITEAOF. */
  readonly saves: Saves;
  readonly port: number;

  private readonly group: Group<void>;
  private readonly clock: Clock;
  private readonly out = new ReplyWriter(this.replySlabs);
  /** Where the running command's reply began when its client's replies are off or skipped (else null). */
  private replyMark: { segment: number; offset: number } | null = null;
  /** INFO commandstats, errorstats and latencystats; LATENCY HISTOGRAM. */
  readonly commandStats = new CommandStats();
  /** LATENCY LATEST, HISTORY, RESET, DOCTOR: commands slower than latency-monitor-threshold. */
  readonly latency = new LatencyMonitor();
  /** ACL LOG: what ACL refused. */
  readonly aclLog = new AclLog();
  private readonly committer: Committer;
  private readonly ctx: Ctx;
  private readonly dispatcher: Dispatcher;
  private readonly pubsub: PubSub;
  private readonly events = new KeyspaceEvents();
  private readonly watches = new WatchRegistry();
  private readonly blocked = new BlockedClients();
  private nodeLimits: NodeLimits = { maxBytes: -1, maxEntries: -1 };
  private readonly expiry = new ActiveExpiry();
  private readonly evictor = new Evictor();
  private readonly clientsById = new Map<number, Client>();
  /** MIGRATE's connections, one kept per target. */
  private readonly remotes = new RemoteConnections();
  private readonly persistence: CachePersistence | undefined;
  private readonly log: (message: string, err?: unknown) => void;
  private readonly stopNode: (() => void) | undefined;
  private nextClientId = 1;
  /**
   * Clients with output to write at the end of this turn, and clients whose output waits for a
   * commit; `Client.inDirty` / `inWaiting` say who is listed. Lists, not Sets: a Set emptied
   * every turn reallocates and rehashes its table as it refills (3% of a -P 1 write); `dirty`,
   * emptied every turn, is a Scratch, which keeps its store (util/scratch.ts).
   * A client that disconnects stays listed until the next pass, where its ended sink's flush
   * returns false.
   */
  private readonly dirty = new Scratch<Client>();
  private waiting: Client[] = [];
  private flushScheduled = false;
  /** flushTurn as the turn's callback: one closure for every turn, not a new one each. */
  private readonly flushTurnBound = (): void => this.flushTurn();
  /** Clients with commands to run at the end of the turn (`Client.inLater`). */
  private readonly later = new Scratch<Client>();
  /**
   * While the clients of `later` run: the time they run at, one reading of the clock for all
   * (as Redis reads it once per event-loop iteration), and their keys are read ahead already.
   */
  private laterNow = -1;
  private readonly laterScratch = new Scratch<string[]>();
  private readonly readAhead: ReadAhead;
  private timers: NodeJS.Timeout[] = [];
  private expiryTimer: NodeJS.Timeout | null = null;
  private memoryUsed = 0;
  private memoryPeak = 0;
  /** The least used_memory without the data set seen so far (-1 until the first sample). */
  private memoryStartup = -1;
  /** The process's resident memory besides used_memory at the first report: the runtime's own. */
  private rssBaseline = -1;
  readonly heapGuard = new HeapGuard();
  private leader: boolean;
  private readonly pause: ClientPause;
  /** Set while the journal cannot be written (the group retries, or has stopped): writes are refused. */
  private journalFailure: string | null = null;
  /** The leader has applied everything committed before it led (a read barrier passed). */
  private caughtUp = false;
  private loadedWaiters: Array<() => void> = [];
  /** Keys in every database once the last load (snapshot and log) was done: INFO's `rdb_last_load_keys_loaded`. */
  keysLoaded = 0;
  private readonly unsubscribeLeadership: () => void;
  private readonly unsubscribeStorage: () => void;
  private closed = false;

  constructor(options: CacheServiceOptions) {
    this.machine = options.machine;
    this.readAhead = new ReadAhead(this.commands, this.machine.ks);
    this.group = options.group;
    this.port = options.port;
    this.clock = options.clock ?? systemClock;
    this.persistence = options.persistence;
    this.log = options.log ?? (() => undefined);
    this.stopNode = options.shutdown;
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    if (this.persistence !== undefined) {
      this.settings.appendonly = this.persistence.appendonly;
      this.settings.appendfsync = this.persistence.fsync;
    }
    this.startedAt = this.clock.now();
    this.instant = { ops: new InstantMetric(this.startedAt), netInput: new InstantMetric(this.startedAt), netOutput: new InstantMetric(this.startedAt) };
    this.saves = new Saves(this.clock, () => this.snapshot());
    this.pause = new ClientPause(this.commands, this.clock, {
      changed: () => {
        this.ctx.deletesExpired = this.expiresKeys;
      },
      resume: (client) => {
        if (this.clientsById.has(client.id)) client.sink.resume();
      },
    });
    const persistence = this.persistence;
    persistence?.onAutomaticSnapshot((written) => this.saves.automatic(persistence.appendonly ? 'rewrite' : 'bgsave', written));
    this.committer = new Committer(
      this.group,
      this.machine,
      (seq) => this.onCommitted(seq),
      (err) => this.onCommitFailed(err),
      this.persistence?.appendonly !== false,
      this.persistence?.compressed ?? false,
    );
    this.machine.proposePending = () => this.committer.flush();
    const fx = new Effects(this.machine.ks, this.committer.enc);
    this.ctx = new Ctx(this.machine.ks, fx, this.out, this, options.random ?? Math.random, this.clock);
    this.pubsub = new PubSub((client, write) => {
      this.sendTo(client, write);
      this.stats.pubsubMessages++;
    });
    this.machine.ks.observe(this.watches);
    this.machine.ks.observe(this.tracking);
    this.machine.ks.observe(this.blocked);
    this.config = new ConfigStore(this.settings, {
      databases: '16',
      port: String(this.port),
      bind: '127.0.0.1',
      dir: '',
      dbfilename: '',
      appendfilename: '',
      // Redis 7's defaults, which refuse DEBUG and MODULE LOAD (dispatcher.ts); Depot has neither to allow.
      'enable-debug-command': 'no',
      'enable-module-command': 'no',
      'enable-protected-configs': 'no',
    }, {
      requirepass: (p) => this.acl.setRequirePass(p),
      notifyKeyspaceEvents: (flags) => this.configureEvents(flags),
      notifyKeyspaceEventsText: () => this.events.text(),
      appendfsync: (policy) => this.setFsync(policy),
      eviction: () => this.configureEviction(),
      packLimits: () => this.configurePacking(),
      maxmemory: () => this.checkMaxmemory(),
      slowlog: () => this.observeCommands(),
      tracking: () => (this.tracking.maxKeys = this.settings.trackingTableMaxKeys),
      snapshotPolicy: () => this.persistence?.setSnapshotPolicy(this.settings.autoAofRewriteMinSize, this.settings.autoAofRewritePercentage),
      busyReplyThreshold: () => this.setBusyThreshold(),
    });
    this.tracking.maxKeys = this.settings.trackingTableMaxKeys;
    if (this.settings.requirepass !== '') this.acl.setRequirePass(this.settings.requirepass);
    // As Redis, a node whose ACL file does not load does not start.
    if (this.settings.aclfile !== '') {
      const errors = this.aclLoad();
      if (errors !== null) throw new DepotError('INVALID_CONFIG', `the ACL file ${this.settings.aclfile} did not load: ${errors}`);
    }
    this.configureEviction();
    this.configurePacking();
    this.checkMaxmemory();
    this.out.onError = (text, counted) => this.commandStats.errorReply(text, counted);
    this.dispatcher = new Dispatcher(this.ctx, this.commands, this.blocked, this, this.commandStats);
    const scriptCommands: ScriptCommands = {
      call: (argv, resp, readOnly, dirty) => this.dispatcher.callFromScript(argv, resp, readOnly, dirty),
      allows: (argv) => this.dispatcher.allowsFromScript(argv),
    };
    this.scripts = new Scripts(scriptCommands, REDIS_VERSION, options.scriptLog);
    this.functions = new Functions(scriptCommands, REDIS_VERSION, options.scriptLog ?? (() => undefined), this.machine.ks.libraries, (message) => this.log(`cache: ${message}`));
    this.setBusyThreshold();
    this.observeCommands();
    this.leader = this.group.status().isLeader;
    this.ctx.deletesExpired = this.leader;
    this.unsubscribeLeadership = this.group.onLeadershipChange((isLeader) => this.onLeadership(isLeader));
    this.unsubscribeStorage = this.group.onStorageChange((failure) => this.onStorageChange(failure));
    if (this.leader) this.catchUp();
    this.startTimers();
  }

  /**
   * A new leader may hold committed entries it has not applied yet (a restart replays the log,
   * a follower may lag): until a read barrier has passed it answers LOADING, as Redis does
   * while it loads its data, and ioredis waits.
   */
  private catchUp(): void {
    this.caughtUp = false;
    this.group.read(() => undefined).then(
      () => {
        if (!this.leader) return;
        this.caughtUp = true;
        this.keysLoaded = this.machine.ks.dbs.reduce((n, db) => n + db.keys.size, 0);
        for (const w of this.loadedWaiters.splice(0)) w();
      },
      (err: unknown) => this.log('cache: read barrier failed; waiting for the next leadership', err),
    );
  }

  /** Resolves once this node leads and has caught up with its log. */
  whenLoaded(): Promise<void> {
    if (this.leader && this.caughtUp) return Promise.resolve();
    return new Promise((resolve) => this.loadedWaiters.push(resolve));
  }

  get loading(): boolean {
    return this.leader && !this.caughtUp;
  }

  // ---- DispatchHooks ----

  get writable(): boolean {
    return this.leader;
  }

  get writeFailure(): string | null {
    return this.journalFailure;
  }

  /**
   * Before each command: with the data set over maxmemory, evicts keys as the policy says; false
   * when it is over and the policy has nothing to evict (OOM). Only where evicting can be
   * written: not on a follower (a Redis replica ignores maxmemory too), nor during CLIENT PAUSE
   * (Redis pauses evictions with writes), nor with a failed journal.
   */
  makeRoom(): boolean {
    const limit = this.settings.maxmemory;
    if (limit <= 0 || !this.mayEvict() || this.machine.ks.datasetBytes() <= limit) return true;
    return this.evict(limit, EVICTIONS_PER_COMMAND);
  }

  private mayEvict(): boolean {
    return !this.pause.active && this.writable && this.caughtUp && this.journalFailure === null;
  }

  /**
   * Deletes up to `most` keys the policy picks (as DEL effects) while the data set is over
   * `limit`; false when it is still over and the policy found no key.
   */
  private evict(limit: number, most: number): boolean {
    const ks = this.machine.ks;
    const { maxmemoryPolicy: policy, maxmemorySamples: samples } = this.settings;
    for (let n = 0; n < most && ks.datasetBytes() > limit; n++) {
      const victim = this.evictor.victim(ks, policy, samples, this.clock.now(), this.ctx.random);
      if (victim === null) return false;
      this.ctx.fx.del(victim.db, victim.key);
      this.stats.evictedKeys++;
      this.notify(victim.db, 'e', 'evicted', victim.key);
    }
    return true;
  }

  /**
   * After a change of policy or LFU parameters: candidates scored under the old settings are
   * forgotten, and access fields keep LFU counters while an LFU policy is chosen (the fields of
   * existing keys read as the other kind until they are next accessed, as in Redis).
   */
  private configureEviction(): void {
    const s = this.settings;
    this.evictor.reset();
    this.machine.ks.lfu = isLfu(s.maxmemoryPolicy) ? { logFactor: s.lfuLogFactor, decayMinutes: s.lfuDecayTime } : null;
  }

  /**
   * A maxmemory the heap cannot hold is accepted (as Redis accepts any), but said: the heap guard
   * refuses writes first (heap-guard.ts), and eviction never starts.
   */
  private checkMaxmemory(): void {
    const limit = this.settings.maxmemory;
    const room = this.heapGuard.refusesAbove;
    if (limit > room) this.log(`maxmemory ${limit} is above what the JS heap holds before writes are refused (${Math.floor(room)} of its ${this.heapGuard.limit} bytes): keys will not be evicted; raise node's --max-old-space-size or lower maxmemory`);
  }

  /** Which hashes and sorted sets are packed from now on (those converted stay so, as in Redis). */
  private configurePacking(): void {
    const s = this.settings;
    this.machine.ks.hashLimits = { entries: s.hashMaxListpackEntries, value: s.hashMaxListpackValue };
    this.machine.ks.zsetLimits = { entries: s.zsetMaxListpackEntries, value: s.zsetMaxListpackValue };
  }

  /** On the timer: goes on evicting what commands left (a lowered maxmemory, a long eviction). */
  private evictionCycle(): void {
    const limit = this.settings.maxmemory;
    if (limit <= 0 || !this.mayEvict() || this.machine.ks.datasetBytes() <= limit) return;
    this.ctx.now = this.clock.now();
    this.evict(limit, EVICTIONS_PER_TICK);
    this.scheduleFlush();
    if (this.blocked.hasReady) this.serveBlocked();
  }

  onCommand(client: Client, spec: CommandSpec): void {
    client.lastCommand = spec.name;
    this.stats.totalCommands++;
  }

  // ---- SLOWLOG and MONITOR ----

  /** The dispatcher times commands only while the slow log is on or a client monitors. */
  private observeCommands(): void {
    const s = this.settings;
    this.dispatcher.observer = s.slowlogLogSlowerThan >= 0 || s.latencyMonitorThresholdMs > 0 || this.monitors.count > 0 ? this : null;
  }

  ran(client: Client, spec: CommandSpec, argv: readonly string[], micros: number, endMs: number, outcome: Outcome, retry: boolean): void {
    // (performance.timeOrigin is a getter: read only when a line or an entry is written.)
    if (this.monitors.count > 0 && !retry && !spec.flags.includes('admin')) this.monitors.feed(client, client.db, argv, (performance.timeOrigin + endMs) * 1000);
    const latencyThreshold = this.settings.latencyMonitorThresholdMs;
    if (latencyThreshold > 0 && outcome === 'done' && micros >= latencyThreshold * 1000) {
      this.latency.add(spec.flags.includes('fast') ? 'fast-command' : 'command', Math.floor((performance.timeOrigin + endMs) / 1000), Math.floor(micros / 1000));
    }
    // As in Redis: a command that blocked is logged when it is served, with the time it ran.
    const threshold = this.settings.slowlogLogSlowerThan;
    if (outcome === 'blocked' || threshold < 0 || micros < threshold || spec.flags.includes('skip_slowlog')) return;
    const unixSeconds = Math.floor((performance.timeOrigin + endMs) / 1000);
    this.slowlog.push(argv, Math.floor(micros), unixSeconds, client.sink.remoteAddress, client.name, this.settings.slowlogMaxLen);
  }

  ranInScript(client: Client, calls: readonly ScriptCallRecord[]): void {
    if (this.monitors.count === 0) return;
    for (const call of calls) this.monitors.feed(client, call.db, call.argv, (performance.timeOrigin + call.endMs) * 1000, true);
  }

  /**
   * A monitor's own command is shown after its reply, under its CLIENT REPLY as a reply is (but
   * inside EXEC before EXEC's reply, not among its elements); other monitors get the line unless
   * their replies are off.
   */
  private sendMonitorLine(monitor: Client, line: string): void {
    const write = (out: ReplyWriter) => out.simple(line);
    if (monitor === this.dispatcher.running) {
      if (this.ctx.inExec) this.sendApart(monitor, write);
      else write(this.out);
    } else if (monitor.replyMode !== 'off') this.sendApart(monitor, write);
  }

  monitor(client: Client): boolean {
    const added = this.monitors.add(client);
    this.observeCommands();
    return added;
  }

  sendRdb(client: Client, psync: boolean): string | null {
    // A keyspace is captured by up to 8 walks at once (capture.ts): one is kept for the
    // journal's snapshots, which must never be refused one.
    if (this.rdbTransfers >= MAX_RDB_TRANSFERS) {
      return `ERR ${MAX_RDB_TRANSFERS} RDB transfers are in progress, the most Depot runs at once: try again when one has finished`;
    }
    this.rdbTransfers++;
    client.replica = true;
    const file = this.machine.rdbSnapshot({
      // What Redis 7.0 writes in a file for a replica, without the replication fields.
      aux: [
        ['redis-ver', REDIS_VERSION],
        ['redis-bits', '64'],
        ['ctime', String(Math.floor(this.clock.now() / 1000))],
        ['used-mem', String(this.memoryReport().used)],
        ['aof-base', '0'],
      ],
      keys: client.rdbKeys,
      functions: client.rdbFunctions,
    });
    const gone = () => !this.clientsById.has(client.id);
    void sendRdbFile(
      {
        // Not held for a commit: the file's EOF comes only once all it holds has committed.
        send: (bytes) => this.queue(client, bytes, 0),
        drained: () => client.sink.drained(),
        get gone() {
          return gone();
        },
        done: () => this.kill(client),
        failed: (error, sentAny) => {
          this.log(`cache: RDB transfer to ${client.sink.remoteAddress} failed: ${error}`);
          if (sentAny) return client.sink.abort();
          this.replyAndClose(client, error);
        },
      },
      file,
      psync ? `+FULLRESYNC ${this.replicationId} 0\r\n` : '',
    ).finally(() => this.rdbTransfers--);
    return null;
  }

  stopMonitor(client: Client): void {
    this.monitors.remove(client);
    this.observeCommands();
  }

  /**
   * Writes to `client` in the middle of a command (pub/sub messages and confirmations, MONITOR
   * lines, invalidations): in order with the reply of the command running now when it is that
   * command's client, else apart from the writer, which holds that reply (sending it early
   * would defeat its client's CLIENT REPLY OFF).
   */
  private sendTo(client: Client, write: (out: ReplyWriter) => void): void {
    if (client !== this.dispatcher.running) return this.sendApart(client, write);
    const mark = this.replyMark;
    if (mark === null) return write(this.out);
    // The running command's replies are off (CLIENT REPLY OFF or SKIP) but pushes are not, as in
    // Redis 7 (CLIENT_PUSHING): what the command wrote so far is dropped now, and the push kept.
    this.out.rollback(mark);
    write(this.out);
    this.replyMark = this.out.mark();
  }

  private sendApart(client: Client, write: (out: ReplyWriter) => void): void {
    this.apart.resp = client.resp;
    write(this.apart);
    const view = this.apart.take();
    if (view !== null) this.queue(client, view);
  }

  // ---- client-side caching (tracking.ts) ----

  client(id: number): Client | undefined {
    return this.clientsById.get(id);
  }

  get running(): Client | null {
    return this.dispatcher.running;
  }

  tracked(client: Client, spec: CommandSpec, argv: readonly string[]): void {
    if (spec.flags.includes('pubsub')) return;
    const keys = keysOf(spec, argv);
    if (keys.length > 0) this.tracking.remember(client, keys);
  }

  afterRun(): void {
    this.tracking.flush();
  }

  /** Redis's sendTrackingMessage: a push on RESP3; through a redirect, a push or a __redis__:invalidate message. */
  invalidate(client: Client, keys: readonly string[] | null): void {
    const t = client.tracking!;
    let target = client;
    if (t.redirect !== 0) {
      const redirect = this.clientsById.get(t.redirect);
      if (redirect === undefined) {
        t.brokenRedirect = true;
        if (client.resp === 3) {
          this.sendTo(client, (out) => {
            out.push(2);
            out.bulk('tracking-redir-broken');
            out.int(t.redirect);
          });
        }
        return;
      }
      target = redirect;
    }
    const asMessage = target.resp === 2;
    if (asMessage && (target === client || target.subscriptions === 0)) return;
    this.sendTo(target, (out) => {
      out.push(asMessage ? 3 : 2);
      if (asMessage) out.bulk('message');
      out.bulk(asMessage ? INVALIDATE_CHANNEL : 'invalidate');
      if (keys === null) return out.nullBulk();
      out.array(keys.length);
      for (const k of keys) out.bulk(k);
    });
  }

  // ---- clients ----

  /**
   * The longest string value or argument: proto-max-bulk-len, but never beyond V8's longest
   * string (2^29-24 characters in Node 20), which Redis's 512 MiB default exceeds.
   */
  get maxStringBytes(): number {
    return Math.min(this.settings.protoMaxBulkLen, MAX_STRING_LENGTH);
  }

  get hllSparseMaxBytes(): number {
    return this.settings.hllSparseMaxBytes;
  }

  get streamNodeLimits(): NodeLimits {
    const s = this.settings;
    const l = this.nodeLimits;
    // One object while the parameters stay as they are: XADD reads them for every entry.
    if (l.maxBytes === s.streamNodeMaxBytes && l.maxEntries === s.streamNodeMaxEntries) return l;
    return (this.nodeLimits = { maxBytes: s.streamNodeMaxBytes, maxEntries: s.streamNodeMaxEntries });
  }

  /** A new connection; null when maxclients is reached (the caller replies and closes). */
  connect(sink: ClientSink): Client | null {
    if (this.clientsById.size >= this.settings.maxclients) {
      this.stats.rejectedConnections++;
      return null;
    }
    const client = new Client(this.nextClientId++, sink, this.acl.defaultUser, this.clock.now());
    this.clientsById.set(client.id, client);
    this.stats.totalConnections++;
    return client;
  }

  disconnect(client: Client): void {
    if (!this.clientsById.delete(client.id)) return;
    this.dropBlocked(client);
    this.watches.unwatch(client);
    this.pubsub.forget(client);
    this.stopMonitor(client);
    this.tracking.disable(client);
  }

  clients(): Iterable<Client> {
    return this.clientsById.values();
  }

  get clientCount(): number {
    return this.clientsById.size;
  }

  get blockedCount(): number {
    return this.blocked.count;
  }

  kill(client: Client): void {
    client.closing = true;
    client.sink.close();
  }

  /**
   * Runs the client's command lines from `argvs[from]` on, until they run out or the client
   * blocks (BLPOP, SAVE) or closes; returns the index of the first line not run. Replies are
   * queued on the client's sink in one piece, released once the batch they depend on has
   * committed; a blocked client's connection holds the rest until its sink is resumed.
   */
  executeMany(client: Client, argvs: Scratch<string[]>, from: number): number {
    let now = this.laterNow;
    if (now < 0) {
      now = this.clock.now();
      this.dispatcher.beginBatch();
      if (argvs.length - from > 1) this.readAhead.pipeline(client.db, argvs, from);
    }
    let i = from;
    while (i < argvs.length && client.blocked === null && !client.closing && !client.replica) {
      // No command (an empty line): nothing runs, but a CLIENT REPLY SKIP is spent on it, as in Redis.
      if (argvs.at(i).length === 0) {
        i++;
        client.beginReply();
        client.endReply();
        continue;
      }
      // CLIENT PAUSE: the command waits, unrun, with the ones after it, until the pause ends.
      if (this.pause.active && this.pause.holds(client, argvs.at(i))) {
        this.pause.hold(client);
        break;
      }
      this.replyMark = client.replyMode === 'on' ? null : this.out.mark();
      client.beginReply();
      this.dispatcher.execute(client, argvs.at(i++), now);
      const mark = this.replyMark;
      this.replyMark = null;
      if (mark !== null) {
        // Only CLIENT REPLY ON is answered (OK), as in Redis: the command that turned replies on.
        if (client.replyMode !== 'on') this.out.rollback(mark);
        client.endReply();
      }
      if (this.committer.hasPending) this.committer.afterCommand();
      if (this.blocked.hasReady) {
        this.emit(client);
        this.serveBlocked();
      }
    }
    this.emit(client);
    if (this.committer.hasPending) this.scheduleFlush();
    return i;
  }

  /**
   * Queues an error reply after everything already queued, then closes the connection. Under
   * CLIENT REPLY OFF or SKIP the error is not sent, as Redis sends no reply then.
   */
  replyAndClose(client: Client, error: string): void {
    if (client.replyMode === 'on') {
      this.out.resp = client.resp;
      this.out.error(error);
      this.emit(client);
    }
    this.kill(client);
  }

  /** Sends what the writer holds for `client`. */
  private emit(client: Client): void {
    const view = this.out.take();
    if (view !== null) this.queue(client, view);
  }

  /**
   * Queues bytes for `client`, released with the batch being run now, or with batch `seq` (0:
   * as soon as what was queued before them is).
   */
  private queue(client: Client, view: Buffer, seq = this.committer.gate()): void {
    client.sink.send(view, seq);
    if (!client.inDirty) {
      client.inDirty = true;
      this.dirty.push(client);
    }
    this.scheduleFlush();
  }

  /**
   * Leaves the client's parsed commands for the end of the turn. The commands of all the
   * connections read in one pass of the event loop then run together, their keys read ahead
   * at once: a lookup's cache misses (the table's slot, the key string, the value) cost about
   * as much as the rest of a GET, and the CPU overlaps those of different keys only when their
   * loads are issued together.
   */
  runLater(client: Client): void {
    if (client.inLater) return;
    client.inLater = true;
    this.later.push(client);
    this.scheduleFlush();
  }

  private runLaterClients(): void {
    const later = this.later;
    const argvs = this.laterScratch;
    const db = later.at(0).db;
    for (let i = 0; i < later.length; i++) {
      const client = later.at(i);
      if (client.db === db) client.sink.unrun(argvs);
    }
    if (argvs.length > 1) this.readAhead.pipeline(db, argvs, 0);
    argvs.clear();
    this.laterNow = this.clock.now();
    this.dispatcher.beginBatch();
    try {
      for (let i = 0; i < later.length; i++) {
        const client = later.at(i);
        client.inLater = false;
        client.sink.run();
      }
    } finally {
      this.laterNow = -1;
      later.clear();
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushTurnBound);
  }

  /**
   * End of the turn (check phase): proposes the turn's effects as one entry and has the group
   * handle it at once, so that it is appended, committed and applied, and the replies written,
   * in the iteration that read the commands (a setImmediate of the group's own, queued from the
   * check phase, would run only in the next iteration); then writes what may be written.
   */
  private flushTurn(): void {
    if (this.later.length > 0) this.runLaterClients();
    this.flushScheduled = false;
    this.tracking.broadcast();
    this.committer.flush();
    this.group.flush();
    const committed = this.committer.committedSeq;
    const dirty = this.dirty;
    // Indexed, not iterated: a flush may list more clients (they are flushed in this pass too).
    for (let i = 0; i < dirty.length; i++) {
      const client = dirty.at(i);
      client.inDirty = false;
      if (client.sink.flush(committed) && !client.inWaiting) {
        client.inWaiting = true;
        this.waiting.push(client);
      }
    }
    dirty.clear();
  }

  private onCommitted(seq: number): void {
    const waiting = this.waiting;
    let kept = 0;
    for (let i = 0; i < waiting.length; i++) {
      const client = waiting[i]!;
      if (client.sink.flush(seq)) waiting[kept++] = client;
      else client.inWaiting = false;
    }
    waiting.length = kept;
  }

  private onCommitFailed(err: unknown): void {
    // The effects in the keyspace may never commit: their replies must not be sent. A group
    // whose journal failed for good (an error it does not retry) refuses writes from now on,
    // and reads see the keyspace as it is, including those effects, which a restart will not have.
    this.log('cache proposal failed; closing waiting connections', err);
    const failure = this.group.status().failure;
    if (failure !== undefined) this.journalFailure ??= `${failure}. Writes are refused until the node is restarted`;
    this.ctx.deletesExpired = this.expiresKeys;
    this.machine.abandonUncommitted();
    this.abandonWaiting();
  }

  /**
   * The journal cannot be written (disk full, read-only, I/O error) and the group retries it
   * (undefined: it works again). Writes are refused meanwhile with MISCONF, as Redis refuses
   * them while it cannot write its AOF, and take effect again without a restart. The turn's
   * effects not yet proposed are proposed first (the group still takes them), so that the
   * keyspace holds nothing its journal will not: what waits commits when the retry succeeds,
   * and is already in the keyspace then. Expired keys read as missing but are not deleted
   * (a deletion is a write), as on a replica.
   */
  private onStorageChange(failure: string | undefined): void {
    if (failure === undefined) {
      this.journalFailure = null;
      this.ctx.deletesExpired = this.expiresKeys;
      return;
    }
    this.committer.flush();
    this.journalFailure = `${failure}. Writes are refused until the journal can be written again`;
    this.ctx.deletesExpired = this.expiresKeys;
    this.abandonWaiting();
  }

  /** Only the leader deletes expired keys, only while its journal takes the deletions, and not while clients are paused (as in Redis). */
  private get expiresKeys(): boolean {
    return this.leader && this.journalFailure === null && !this.pause.active;
  }

  // ---- CLIENT PAUSE ----

  pauseClients(mode: PauseMode, ms: number): void {
    this.pause.start(mode, ms);
  }

  unpauseClients(): void {
    this.pause.end();
  }

  /**
   * Closes the connections whose replies wait on proposals that may not commit (their outcome
   * is unknown to the client, as after a timeout), and stops gating later replies on them.
   */
  private abandonWaiting(): void {
    this.committer.abandon();
    const listed = [...this.waiting, ...this.dirty.toArray()];
    this.waiting = [];
    this.dirty.clear();
    for (const client of listed) {
      client.inWaiting = client.inDirty = false;
      client.sink.abort();
    }
  }

  private onLeadership(isLeader: boolean): void {
    this.leader = isLeader;
    this.ctx.deletesExpired = this.expiresKeys;
    if (isLeader) this.catchUp();
    else {
      this.caughtUp = false;
      if (this.machine.hasUncommitted) this.machine.abandonUncommitted();
    }
  }

  // ---- ServerApi: keyspace signals ----

  notify(db: number, cls: NotifyClass, event: string, key: string): void {
    const ev = this.events;
    if (ev.off || !ev.wants(cls) || !this.pubsub.hasListeners()) return;
    if (ev.keyspace) this.pubsub.publish(keyspaceChannel(db, key), event);
    if (ev.keyevent) this.pubsub.publish(keyeventChannel(db, event), key);
  }

  /** Applies notify-keyspace-events; "new" events cost a lookup per write, so only while wanted. */
  private configureEvents(flags: string): string | null {
    const error = this.events.configure(flags);
    this.ctx.fx.onAdd = this.events.wants('n') ? (db, key) => this.notify(db, 'n', 'new', key) : null;
    return error;
  }

  signalReady(db: number, key: string): void {
    if (this.blocked.count > 0) this.blocked.signal(db, key);
  }

  signalDb(db: number): void {
    if (this.blocked.count > 0) this.blocked.signalAll(db);
  }

  aclLoad(): string | null {
    const file = this.settings.aclfile;
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (err) {
      return `Error loading ACLs, opening file '${file}': ${strerror(err)}`;
    }
    const errors = this.acl.loadFile(text, file);
    if (errors !== null) return errors;
    // Every user but the default one is new: connections signed in as an old one are closed, as in Redis.
    for (const client of [...this.clientsById.values()]) if (this.acl.users.get(client.user.name) !== client.user) this.kill(client);
    return null;
  }

  aclSave(): boolean {
    const file = this.settings.aclfile;
    const temp = `${file}.tmp-${process.pid}`;
    try {
      writeFileSync(temp, this.acl.fileText(), { encoding: 'latin1', flush: true });
      renameSync(temp, file);
      return true;
    } catch (err) {
      this.log(`ACL SAVE: writing ${file} failed`, err);
      return false;
    }
  }

  setAccess(db: number, key: string, idleSeconds: number | null, freq: number | null): void {
    const ks = this.machine.ks;
    const seconds = Math.floor(this.clock.now() / 1000);
    if (ks.lfu !== null) {
      if (freq !== null) ks.setAccess(db, key, (lfuMinutes(seconds) << 8) | freq);
    } else if (idleSeconds !== null) {
      // 0 means "never accessed since start" (idleSeconds): a key idle that long is 1.
      ks.setAccess(db, key, Math.max(1, seconds - idleSeconds));
    }
  }

  idleSeconds(db: number, key: string): number {
    const keys = this.machine.ks.dbs[db]!.keys;
    const slot = keys.find(key);
    const at = slot < 0 ? 0 : keys.accessAt(slot);
    return at === 0 ? Math.floor((this.clock.now() - this.startedAt) / 1000) : Math.max(0, Math.floor(this.clock.now() / 1000) - at);
  }

  // ---- blocking ----

  block(c: Ctx, keys: readonly string[], timeoutMs: number): typeof BLOCKED {
    const client = c.client;
    if (client.blocked !== null) return BLOCKED; // a retry that found nothing: keep its place
    const deadline = timeoutMs > 0 ? c.now + timeoutMs : 0;
    client.blocked = { keys, db: c.db, argv: c.argv, deadline, timer: null };
    this.blocked.add(client, c.db, keys);
    if (timeoutMs > 0) this.armTimeout(client, deadline);
    return BLOCKED;
  }

  /**
   * Times a blocked client out at `deadline`. setTimeout takes at most 2^31-1 ms (about 24.8
   * days; Node fires at once beyond that), so a longer wait is re-armed until it is due.
   */
  private armTimeout(client: Client, deadline: number): void {
    const state = client.blocked!;
    const wait = deadline - this.clock.now();
    state.timer = setTimeout(() => {
      if (client.blocked !== state) return;
      if (wait > MAX_TIMER_MS) this.armTimeout(client, deadline);
      else this.unblock(client, false);
    }, Math.min(Math.max(wait, 1), MAX_TIMER_MS));
  }

  callRemote(host: string, port: number, commands: readonly (readonly string[])[], timeoutMs: number): Promise<RemoteResult> {
    return this.remotes.call(host, port, commands, timeoutMs);
  }

  suspend(c: Ctx, work: Promise<(c: Ctx) => void>): typeof BLOCKED {
    const client = c.client;
    client.blocked = { keys: [], db: c.db, argv: c.argv, deadline: 0, timer: null };
    // A failed piece of work answers its client with the error: it must not take the node down.
    const failed = (err: unknown) => (c: Ctx) => c.out.error(`ERR ${err instanceof Error ? err.message : String(err)}`);
    void work.then(
      (reply) => this.resume(client, reply),
      (err: unknown) => this.resume(client, failed(err)),
    );
    return BLOCKED;
  }

  /** A suspended client's work is done: its reply, then its next commands. */
  private resume(client: Client, reply: (c: Ctx) => void): void {
    if (!this.clientsById.has(client.id)) return;
    this.withClient(client, () => reply(this.ctx));
    this.release(client);
  }

  /** Runs `fn` with the context and writer set up for `client`, then sends what it wrote. */
  private withClient(client: Client, fn: () => void): void {
    this.ctx.client = client;
    this.ctx.now = this.clock.now();
    this.out.resp = client.resp;
    fn();
    this.emit(client);
  }

  /** Ends a blocked state: timeout (null reply) or CLIENT UNBLOCK (optionally an error). */
  unblock(client: Client, withError: boolean): boolean {
    const state = client.blocked;
    if (state === null || state.keys.length === 0) return false;
    this.withClient(client, () => {
      if (withError) this.out.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
      else this.out.nullArray();
    });
    this.release(client);
    return true;
  }

  private release(client: Client): void {
    this.dropBlocked(client);
    client.sink.resume();
  }

  private dropBlocked(client: Client): void {
    const state = client.blocked;
    if (state === null) return;
    if (state.timer !== null) clearTimeout(state.timer);
    if (state.keys.length > 0) this.blocked.remove(client, state.db, state.keys);
    client.blocked = null;
  }

  private serveBlocked(): void {
    this.dispatcher.serveBlocked(this.clock.now(), (client, served) => {
      if (!served) {
        const dropped = this.out.take();
        if (dropped !== null) this.replySlabs.release(dropped);
        return;
      }
      this.emit(client);
      this.release(client);
    });
    if (this.committer.hasPending) this.scheduleFlush();
  }

  // ---- pub/sub and transactions ----

  publish(channel: string, message: string): number {
    return this.pubsub.publish(channel, message);
  }

  publishShard(channel: string, message: string): number {
    return this.pubsub.publishShard(channel, message);
  }

  subscribe(client: Client, channels: readonly string[], kind: SubscriptionKind): void {
    this.pubsub.subscribe(client, channels, kind);
  }

  unsubscribe(client: Client, channels: readonly string[], kind: SubscriptionKind): void {
    this.pubsub.unsubscribe(client, channels, kind);
  }

  unsubscribeAll(client: Client): void {
    this.pubsub.forget(client);
  }

  channels(pattern: string | null, shard = false): string[] {
    return this.pubsub.activeChannels(pattern, shard);
  }

  subscribers(channel: string, shard = false): number {
    return this.pubsub.subscriberCount(channel, shard);
  }

  get patternCount(): number {
    return this.pubsub.patternCount;
  }

  watch(client: Client, db: number, key: string, expired: boolean): void {
    this.watches.watch(client, db, key, expired);
  }

  unwatch(client: Client): void {
    this.watches.unwatch(client);
  }

  runTransaction(c: Ctx): void {
    const client = c.client;
    if (client.multiError) {
      client.multi = null;
      client.multiError = false;
      this.watches.unwatch(client);
      c.out.error('EXECABORT Transaction discarded because of previous errors.');
      return;
    }
    if (client.watchDirty || this.watches.expiredSince(client, this.machine.ks.dbs, c.now)) {
      client.multi = null;
      this.watches.unwatch(client);
      c.out.nullArray();
      return;
    }
    this.watches.unwatch(client);
    this.dispatcher.runTransaction();
  }

  // ---- server ----

  info(sections: readonly string[]): string {
    return buildInfo(this, sections);
  }

  /** Records a refusal in ACL LOG, with the client as CLIENT INFO describes it now. */
  aclDenied(client: Client, reason: AclReason, context: AclContext, object: string, username: string = client.user.name): void {
    const now = this.clock.now();
    this.aclLog.add({ reason, context, object, username, timeMs: now, clientInfo: clientLine(client, now) }, this.settings.acllogMaxLen);
  }

  resetStats(): void {
    for (const k of Object.keys(this.stats) as Array<keyof ServerStats>) this.stats[k] = 0;
    const now = this.clock.now();
    for (const m of Object.values(this.instant)) m.reset(now);
    this.commandStats.reset();
  }

  get latencyTracking(): boolean {
    return this.settings.latencyTracking;
  }

  /** Stops the node (SHUTDOWN); false when this service was given no way to. */
  shutdown(): boolean {
    if (this.stopNode === undefined) return false;
    this.log('SHUTDOWN asked by a client: stopping the node');
    this.stopNode();
    return true;
  }

  /** The journal's base (the last snapshot) and the log applied since, in bytes; zeros without persistence. */
  journalSizes(): { snapshotBytes: number; logBytes: number } {
    return this.persistence?.sizes() ?? { snapshotBytes: 0, logBytes: 0 };
  }

  private snapshot(): Promise<void> {
    const p = this.persistence;
    return p === undefined ? Promise.reject(new Error('persistence is disabled on this node')) : p.snapshot();
  }

  get commitState(): { committedSeq: number; inFlight: number; lastIndex: number } {
    return { committedSeq: this.committer.committedSeq, inFlight: this.committer.inFlight, lastIndex: this.committer.lastIndex };
  }

  get heapFull(): boolean {
    return this.heapGuard.full;
  }

  /** The blob store's blocks in use and its chunks (used or free), in bytes. */
  get blobMemory(): { used: number; reserved: number } {
    const b = this.machine.ks.blobs;
    return { used: b.usedBytes, reserved: b.reservedBytes };
  }

  get expiredByCycle(): number {
    return this.expiry.expiredTotal;
  }

  /** The connections MIGRATE keeps to its targets (INFO's migrate_cached_sockets). */
  get migrateCachedSockets(): number {
    return this.remotes.kept;
  }

  private setFsync(policy: FsyncPolicy): string | null {
    const p = this.persistence;
    if (p === undefined) return 'persistence is disabled on this node';
    // The policy in force already: nothing to switch (a switch costs an fdatasync).
    if (policy === this.settings.appendfsync) return null;
    return p.setFsync(policy);
  }

  // ---- timers ----

  private startTimers(): void {
    this.scheduleExpiry();
    this.timers.push(
      setInterval(() => {
        this.sampleMemory();
        this.sampleRates();
        this.evictionCycle();
      }, 100),
      setInterval(() => this.closeIdleClients(), 1000),
    );
    for (const t of this.timers) t.unref();
    this.sampleMemory();
  }

  private scheduleExpiry(): void {
    if (this.closed) return;
    this.expiryTimer = setTimeout(() => {
      if (this.settings.activerehashing) this.rehashCycle();
      this.expiryCycle();
      this.scheduleExpiry();
    }, Math.max(2, Math.floor(1000 / this.settings.hz)));
    this.expiryTimer.unref();
  }

  /** Moves elements of resizing keyspace tables, on every node (a follower's tables resize too). */
  private rehashCycle(): void {
    for (const db of this.machine.ks.dbs) {
      db.keys.rehash(ACTIVE_REHASH_ELEMENTS);
      db.expires.rehash(ACTIVE_REHASH_ELEMENTS);
    }
  }

  /** Active expiry. */
  private expiryCycle(): void {
    if (!this.expiresKeys || !this.caughtUp) return;
    const now = this.clock.now();
    this.ctx.now = now;
    this.expiry.prune(this.machine.ks.dbs);
    const deleted = this.expiry.tick(this.ctx, now, EXPIRE_BUDGET_MS, () => performance.now());
    if (deleted > 0) {
      this.scheduleFlush();
      if (this.blocked.hasReady) this.serveBlocked();
    }
  }

  /** The JS heap plus the blocks of long values, which live outside it (machine/blobs.ts). */
  private sampleMemory(usage: NodeJS.MemoryUsage = process.memoryUsage()): number {
    const dataset = this.machine.ks.datasetBytes();
    this.heapGuard.sample(dataset);
    this.memoryUsed = usage.heapUsed + this.machine.ks.blobs.usedBytes;
    if (this.memoryUsed > this.memoryPeak) this.memoryPeak = this.memoryUsed;
    // The least the node has used besides its data set: the heap holds garbage between
    // collections, so the first sample alone would say more than the runtime needs.
    const besides = Math.max(0, this.memoryUsed - dataset);
    if (this.memoryStartup < 0 || besides < this.memoryStartup) this.memoryStartup = besides;
    return dataset;
  }

  private sampleRates(): void {
    const now = this.clock.now();
    this.instant.ops.sample(this.stats.totalCommands, now);
    this.instant.netInput.sample(this.stats.netInputBytes, now);
    this.instant.netOutput.sample(this.stats.netOutputBytes, now);
  }

  /** INFO memory, MEMORY STATS and MEMORY DOCTOR's figures, read now. */
  memoryReport(): MemoryReport {
    const usage = process.memoryUsage();
    const dataset = this.sampleMemory(usage);
    let clients = 0;
    for (const c of this.clientsById.values()) clients += c.sink.outputBytes + c.sink.queryBufferBytes;
    const blobs = this.machine.ks.blobs;
    if (this.rssBaseline < 0) this.rssBaseline = Math.max(0, usage.rss - this.memoryUsed);
    return memoryReport({
      used: this.memoryUsed,
      peak: this.memoryPeak,
      startup: this.memoryStartup,
      dataset,
      clients,
      clientCount: this.clientsById.size,
      luaCaches: this.scripts.cacheBytes,
      functionsCaches: this.functions.codeBytes,
      cachedScripts: this.scripts.count,
      dbs: this.machine.ks.dbs,
      blobsReserved: blobs.reservedBytes,
      blobsUsed: blobs.usedBytes,
      process: usage,
      rssBaseline: this.rssBaseline,
    });
  }

  /** MEMORY PURGE: gives back the long values' empty chunks. Returns the bytes given back. */
  purgeMemory(): number {
    return this.machine.ks.blobs.purge();
  }

  private closeIdleClients(): void {
    const limit = this.settings.timeoutSeconds * 1000;
    if (limit <= 0) return;
    const now = this.clock.now();
    for (const client of [...this.clientsById.values()]) {
      if (client.blocked !== null || client.subscribed) continue;
      if (now - client.lastInteraction > limit) this.kill(client);
    }
  }

  close(): void {
    this.closed = true;
    this.remotes.close();
    for (const t of this.timers) clearInterval(t);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.unsubscribeLeadership();
    this.unsubscribeStorage();
    for (const client of [...this.clientsById.values()]) this.dropBlocked(client);
    this.committer.flush();
    this.scripts.close();
    this.functions.close();
  }

  private setBusyThreshold(): void {
    this.scripts.busyThresholdMs = this.settings.busyReplyThresholdMs;
    this.functions.busyThresholdMs = this.settings.busyReplyThresholdMs;
  }
}

/** The C library's text for the errors opening a file can give, as Redis prints them. */
function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const texts: Record<string, string> = { ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory', ENOTDIR: 'Not a directory' };
  return (code === undefined ? undefined : texts[code]) ?? (err instanceof Error ? err.message : String(err));
}
