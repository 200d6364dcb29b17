// What command handlers need from the service around them: notifications, blocking,
// pub/sub, clients, configuration, ACLs and persistence. The CacheService implements it.
import type { AclStore } from '../acl.js';
import type { AclContext, AclLog, AclReason } from '../acl-log.js';
import type { Client } from '../client.js';
import type { ConfigStore } from '../config.js';
import type { RemoteResult } from '../remote.js';
import type { Functions } from '../scripting/functions.js';
import type { MemoryReport } from '../memory-report.js';
import type { Saves } from '../saves.js';
import type { Scripts } from '../scripting/scripts.js';
import type { CommandStats } from '../command-stats.js';
import type { LatencyMonitor } from '../latency-monitor.js';
import type { NodeLimits } from '../machine/stream.js';
import type { SubscriptionKind } from '../pubsub.js';
import type { SlowLog } from '../slowlog.js';
import type { Tracking } from '../tracking.js';
import type { CommandSpec, Ctx, NotifyClass, BLOCKED } from './context.js';
import type { CursorRegistry } from './scan.js';

export interface ServerStats {
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  totalCommands: number;
  totalConnections: number;
  rejectedConnections: number;
  pubsubMessages: number;
  /** Bytes read from and written to client sockets. */
  netInputBytes: number;
  netOutputBytes: number;
  /** Socket reads handled, and flushes that wrote replies. */
  readsProcessed: number;
  writesProcessed: number;
}

export interface CommandCatalog {
  get(name: string): CommandSpec | undefined;
  /** The spec a command line runs: its subcommand's when it has any; undefined for an unknown name or subcommand. */
  specOf(argv: readonly string[]): CommandSpec | undefined;
  all(): Iterable<CommandSpec>;
  readonly count: number;
  /** The ACL categories of the commands, in Redis's order. */
  categories(): readonly string[];
}

export interface ServerApi {
  readonly stats: ServerStats;
  readonly cursors: CursorRegistry;
  readonly config: ConfigStore;
  readonly acl: AclStore;
  /** ACL LOAD: the users of the aclfile, all or nothing; Redis's error text, or null. */
  aclLoad(): string | null;
  /** ACL SAVE: writes the users to the aclfile; false when it could not (logged). */
  aclSave(): boolean;
  readonly aclLog: AclLog;
  /** Records what ACL refused (ACL LOG); `username` defaults to the client's user. */
  aclDenied(client: Client, reason: AclReason, context: AclContext, object: string, username?: string): void;
  readonly commands: CommandCatalog;
  readonly slowlog: SlowLog;
  /** INFO commandstats, errorstats, latencystats; LATENCY HISTOGRAM. */
  readonly commandStats: CommandStats;
  readonly latency: LatencyMonitor;
  readonly tracking: Tracking;
  /** EVAL's script cache and Lua state. */
  readonly scripts: Scripts;
  /** The function libraries, compiled (FUNCTION, FCALL). */
  readonly functions: Functions;
  /** proto-max-bulk-len: the largest string a command may build. */
  readonly maxStringBytes: number;
  /** hll-sparse-max-bytes: a sparse HyperLogLog that would grow past this becomes dense. */
  readonly hllSparseMaxBytes: number;
  /** stream-node-max-bytes and stream-node-max-entries: when a stream starts a new node (machine/stream.ts). */
  readonly streamNodeLimits: NodeLimits;

  notify(db: number, cls: NotifyClass, event: string, key: string): void;
  signalReady(db: number, key: string): void;
  /** Every key of a database may have changed (SWAPDB): re-check clients blocked on it. */
  signalDb(db: number): void;
  /** Seconds since `key` was last read or written (OBJECT IDLETIME). */
  idleSeconds(db: number, key: string): number;
  /** RESTORE's IDLETIME (under an LRU or no policy) and FREQ (under an LFU policy): the key's access data, as Redis sets it. */
  setAccess(db: number, key: string, idleSeconds: number | null, freq: number | null): void;
  /** Parks the client until one of `keys` is ready or `timeoutMs` (0 = never) passes. */
  block(c: Ctx, keys: readonly string[], timeoutMs: number): typeof BLOCKED;
  /** Parks the client until `work` settles, then lets the function it yields write the reply. */
  suspend(c: Ctx, work: Promise<(c: Ctx) => void>): typeof BLOCKED;
  /** MIGRATE's connection: sends `commands` to another server and reads their replies (remote.ts). */
  callRemote(host: string, port: number, commands: readonly (readonly string[])[], timeoutMs: number): Promise<RemoteResult>;
  /** EXEC: runs the client's queued commands, or replies null when a watched key changed. */
  runTransaction(c: Ctx): void;

  publish(channel: string, message: string): number;
  /** SPUBLISH: to the shard channel's subscribers only. */
  publishShard(channel: string, message: string): number;
  subscribe(client: Client, channels: readonly string[], kind: SubscriptionKind): void;
  unsubscribe(client: Client, channels: readonly string[], kind: SubscriptionKind): void;
  /** Drops every subscription without confirmations (RESET). */
  unsubscribeAll(client: Client): void;
  /** Channels with subscribers (`shard`: shard channels), optionally matching a pattern. */
  channels(pattern: string | null, shard?: boolean): string[];
  subscribers(channel: string, shard?: boolean): number;
  readonly patternCount: number;

  /** `expired`: the key is held but its time has passed, as WATCH found it. */
  watch(client: Client, db: number, key: string, expired: boolean): void;
  unwatch(client: Client): void;

  clients(): Iterable<Client>;
  /** The connected client with this id. */
  client(id: number): Client | undefined;
  /** Closes a client (CLIENT KILL, or the caller itself after the reply for QUIT). */
  kill(client: Client): void;
  unblock(client: Client, withError: boolean): boolean;
  /** CLIENT PAUSE: commands wait (under 'write', those that may write) for `ms` or until CLIENT UNPAUSE. */
  pauseClients(mode: 'write' | 'all', ms: number): void;
  unpauseClients(): void;
  /** MONITOR: from now on the client is shown every command run; false when it already was. */
  monitor(client: Client): boolean;
  /** RESET: the client leaves monitor mode. */
  stopMonitor(client: Client): void;
  /**
   * SYNC or PSYNC after REPLCONF rdb-only 1: sends the keyspace as an RDB file (PSYNC first
   * answers +FULLRESYNC), then closes the connection. Returns the error when it cannot start.
   */
  sendRdb(client: Client, psync: boolean): string | null;

  info(sections: readonly string[]): string;
  /** MEMORY STATS and DOCTOR's figures, read now. */
  memoryReport(): MemoryReport;
  /** MEMORY PURGE: gives back the long values' empty chunks; returns the bytes. */
  purgeMemory(): number;
  resetStats(): void;
  /** SAVE, BGSAVE, BGREWRITEAOF: snapshots, one at a time; rejected when persistence is off. */
  readonly saves: Saves;
  /** Stops the whole node, as SIGTERM does (SHUTDOWN); false when it cannot. */
  shutdown(): boolean;
}
