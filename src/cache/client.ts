// Per-connection state that commands read and change (SELECT, HELLO, MULTI, SUBSCRIBE, ...).
// The socket side lives in server/resp; it reaches the client through ClientSink.
import type { RespVersion } from '../protocol/resp/writer.js';
import type { AclUser } from './acl.js';
import type { TrackingState } from './tracking.js';
import type { Scratch } from '../util/scratch.js';

/** What the command layer needs from a connection. */
export interface ClientSink {
  /** Queues reply bytes, released once everything up to batch `seq` has committed. */
  send(bytes: Buffer, seq: number): void;
  /** Closes after the queued replies are written (QUIT, CLIENT KILL). */
  close(): void;
  /** Drops the queued replies (their batch failed: they must not be sent) and closes at once. */
  abort(): void;
  /** Writes queued replies of batches up to `committedSeq`; true when some still wait. */
  flush(committedSeq: number): boolean;
  /** The client is no longer blocked: run the commands that arrived meanwhile. */
  resume(): void;
  /** Runs the commands parsed and left for the end of the turn (CacheService.runLater). */
  run(): void;
  /** Appends the command lines parsed and not yet run to `out` (to read their keys ahead). */
  unrun(out: Scratch<string[]>): void;
  /** Resolves once the connection wants more output (at once unless its socket is full); for long transfers. */
  drained(): Promise<void>;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** Bytes of replies not yet taken by the kernel (CLIENT LIST's omem): waiting for their batch, or queued in the socket. */
  readonly outputBytes: number;
  /** Bytes of an incomplete command held by the parser (qbuf). */
  readonly queryBufferBytes: number;
}

export interface BlockState {
  readonly keys: readonly string[];
  readonly db: number;
  readonly argv: string[];
  /** Absolute ms deadline, or 0 to wait forever. */
  readonly deadline: number;
  timer: NodeJS.Timeout | null;
}

/**
 * CLIENT REPLY: 'skip' is set by CLIENT REPLY SKIP for the next command, which runs as
 * 'skipping' (Redis's SKIP_NEXT and SKIP flags): a CLIENT REPLY in that command sets the mode
 * anew, and otherwise replies are on again after it.
 */
export type ReplyMode = 'on' | 'off' | 'skip' | 'skipping';

export class Client {
  db = 0;
  resp: RespVersion = 2;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  /** Commands queued after MULTI, or null outside a transaction. */
  multi: string[][] | null = null;
  /** A queued command was refused: EXEC must abort (EXECABORT). */
  multiError = false;
  /**
   * Keys this client WATCHes, as db + '\0' + key, each with whether it had already expired when
   * watched: kept by the WatchRegistry.
   */
  readonly watched = new Map<string, boolean>();
  /** A watched key changed: the next EXEC fails. */
  watchDirty = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Shard channels (SSUBSCRIBE): a namespace of their own, as in Redis 7 outside a cluster. */
  readonly shardChannels = new Set<string>();
  blocked: BlockState | null = null;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand = 'NULL';
  noEvict = false;
  /** In monitor mode (MONITOR; monitor.ts): sent every command run, refused keyspace commands. */
  monitor = false;
  /** CLIENT TRACKING (tracking.ts); null while off. */
  tracking: TrackingState | null = null;
  replyMode: ReplyMode = 'on';

  /** A command is about to run: a pending CLIENT REPLY SKIP applies to it. */
  beginReply(): void {
    if (this.replyMode === 'skip') this.replyMode = 'skipping';
  }

  /** A command ran, or an empty line came (Redis resets the client after both): a SKIP is spent. */
  endReply(): void {
    if (this.replyMode === 'skipping') this.replyMode = 'on';
  }
  closing = false;
  /**
   * REPLCONF rdb-only and rdb-filter-only (commands/replication.ts): Depot answers SYNC and
   * PSYNC with an RDB file only (redis-cli --rdb), and with what the filter includes.
   */
  rdbOnly = false;
  rdbKeys = true;
  rdbFunctions = true;
  /** Receiving an RDB file after SYNC or PSYNC: what it sends is ignored, and it closes after. */
  replica = false;
  /** Listed by the service: output to write this turn, output waiting for a commit. */
  inDirty = false;
  inWaiting = false;
  /** Listed by the service: commands parsed, to run at the end of this turn. */
  inLater = false;

  constructor(
    readonly id: number,
    readonly sink: ClientSink,
    public user: AclUser,
    now: number,
  ) {
    this.authenticated = user.nopass && user.enabled;
    this.createdAt = now;
    this.lastInteraction = now;
  }

  /** Channel and pattern subscriptions: what SUBSCRIBE and PSUBSCRIBE confirmations count. */
  get subscriptions(): number {
    return this.channels.size + this.patterns.size;
  }

  /** Any subscription, shard channels included: the client is in subscriber mode. */
  get subscribed(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }
}
