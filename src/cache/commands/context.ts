// What a command handler works with: the argument vector, the calling client, the keyspace
// (read through lazy expiry), the effects (the only way to change it), the reply writer, and the
// time and randomness of this execution. One Ctx is reused for every command.
import type { Clock } from '../../util/clock.js';
import type { ReplyWriter } from '../../protocol/resp/writer.js';
import type { Client } from '../client.js';
import type { Stored } from '../machine/blobs.js';
import type { Effects } from '../machine/effects.js';
import type { Keyspace } from '../machine/keyspace.js';
import { Hash, List, MemberSet, Stream, ZSet, type Db, type RSet, type Value } from '../machine/values.js';
import { Err, fail } from './reply-error.js';
import type { ServerApi } from './server-api.js';

export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'fast'
  | 'no_auth'
  | 'no_multi'
  /** Shown as Redis shows it; Depot never loads a data set in the background, so it refuses nothing. */
  | 'no_async_loading'
  | 'allow_busy'
  | 'skip_slowlog'
  | 'skip_monitor'
  | 'no_mandatory_keys'
  | 'movablekeys'
  | 'asking';

/** A handler returns BLOCKED when the client must wait (BLPOP on empty lists). */
export const BLOCKED = Symbol('blocked');
export type Handler = (c: Ctx) => void | typeof BLOCKED;

export interface CommandSpec {
  /** Lower case; subcommands are "parent|sub". */
  readonly name: string;
  /** Redis convention: n = exactly n arguments including the name, -n = at least n. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** ACL categories, without '@'. */
  readonly categories: readonly string[];
  readonly group: string;
  readonly summary: string;
  readonly handler: Handler;
  /** Key positions for commands whose keys follow a numkeys argument. */
  readonly keysOf?: (argv: readonly string[]) => string[];
  /** The flags of this call when they depend on its arguments (FCALL: the function's), checked before it runs. */
  readonly flagsOf?: (server: ServerApi, argv: readonly string[]) => readonly CommandFlag[];
  readonly subcommands?: ReadonlyMap<string, CommandSpec>;
}

const REDACTED = '(redacted)';

/** Keyspace event classes (notify-keyspace-events letters). */
export type NotifyClass = 'g' | '$' | 'l' | 's' | 'h' | 'z' | 't' | 'x' | 'e' | 'n' | 'm';

/**
 * How a lookup counts, as Redis's lookupKeyRead / lookupKeyWrite flags: 'read' counts a hit or
 * a miss (keyspace_hits, keyspace_misses) and publishes a miss as keymiss; 'peek' counts but
 * publishes nothing (LOOKUP_NONOTIFY: OBJECT, MEMORY USAGE); 'write' does neither.
 */
export type LookupKind = 'read' | 'peek' | 'write';

export class Ctx {
  argv: string[] = [];
  client!: Client;
  private nowMs = 0;
  /** Executing the queued commands of EXEC (or a script's calls): blocking commands must not wait. */
  inExec = false;
  /** Executing a script's redis.call: SORT orders what a set would give in no particular order. */
  inScript = false;
  /**
   * Whether a read of an expired key deletes it (logged as DEL): on the leader while its journal
   * takes writes; elsewhere expired keys just read as missing.
   */
  deletesExpired = true;
  /** Set for each command from its flags (write commands look keys up for writing). */
  lookups: LookupKind = 'read';
  /**
   * While a blocked client is served again: the key that became ready, the only one Redis 7.0
   * serves it from (its other keys are not looked at, even when they hold something too).
   */
  readyKey: string | null = null;
  constructor(
    readonly ks: Keyspace,
    readonly fx: Effects,
    readonly out: ReplyWriter,
    readonly server: ServerApi,
    /** Uniform in [0, 1): the command layer's only source of randomness. */
    readonly random: () => number,
    /** The wall clock, for TIME alone: everything else reads `now`, which stands still during a command. */
    readonly clock: Clock,
  ) {}

  /**
   * Replaces arguments `from` .. `to` (inclusive) of this command line with "(redacted)" in what
   * SLOWLOG and MONITOR show, as Redis does for passwords. Call it before anything can fail.
   */
  redact(from: number, to: number = this.argv.length - 1): void {
    for (let i = from; i <= to && i < this.argv.length; i++) this.argv[i] = REDACTED;
  }

  /** Milliseconds since the epoch for this execution (frozen during EXEC, as in Redis). */
  get now(): number {
    return this.nowMs;
  }

  /** Also the keyspace's access clock: keys this execution reads or writes are stamped with it. */
  set now(ms: number) {
    this.nowMs = ms;
    this.ks.accessClock = Math.floor(ms / 1000);
    if (this.ks.lfu !== null) this.ks.beginExecution(this.random());
  }

  get db(): number {
    return this.client.db;
  }

  /**
   * The live value of `key` in the client's database; deletes it first when it has expired.
   * Counts as an access (OBJECT IDLETIME) unless `touch` is false (Redis's LOOKUP_NOTOUCH).
   */
  lookup(key: string, db: number = this.client.db, touch = true): Value | undefined {
    const d = this.ks.dbs[db]!;
    const slot = d.keys.find(key);
    if (slot < 0) return this.miss(db, key);
    if (d.expires.size > 0) {
      const at = d.expires.get(key);
      if (at !== undefined && at <= this.now) {
        if (this.deletesExpired) this.expire(db, key);
        return this.miss(db, key);
      }
    }
    if (this.lookups !== 'write') this.server.stats.keyspaceHits++;
    if (touch) {
      if (this.ks.lfu === null) d.keys.setAccessAt(slot, this.ks.accessClock);
      else this.countRead(d, slot, db, key);
    }
    return d.keys.valueAt(slot);
  }

  /** A key not found: for a read, counted in keyspace_misses and published (keymiss), as Redis's lookupKey does. */
  private miss(db: number, key: string): undefined {
    if (this.lookups === 'write') return;
    this.server.stats.keyspaceMisses++;
    if (this.lookups === 'read') this.server.notify(db, 'm', 'keymiss', key);
  }

  /**
   * Runs `f` with lookups of `kind`: the keys a write command only reads (SINTERSTORE's sources,
   * SET's GET) are read lookups in Redis, and OBJECT's are peeks.
   */
  looking<T>(kind: LookupKind, f: () => T): T {
    const outer = this.lookups;
    this.lookups = kind;
    try {
      return f();
    } finally {
      this.lookups = outer;
    }
  }

  /** An LFU access (lfu.ts): every lookup counts, as Redis's do; a write to the key after it does not count again. */
  private countRead(d: Db, slot: number, db: number, key: string): void {
    d.keys.setAccessAt(slot, this.ks.accessed(d.keys.accessAt(slot), this.random()));
    this.ks.lookedUp.add(`${db}\0${key}`);
  }

  /** Deletes an expired key: logged as DEL (followers never expire keys themselves). */
  expire(db: number, key: string): void {
    this.fx.del(db, key);
    this.server.notify(db, 'x', 'expired', key);
    this.server.stats.expiredKeys++;
  }

  /**
   * Deletes `key` if it has expired, as Redis's lookupKeyWrite does before a write replaces it
   * without reading it (SET, BITOP's destination): its "expired" event comes first.
   */
  expireIfNeeded(key: string): void {
    const db = this.client.db;
    const d = this.ks.dbs[db]!;
    if (d.expires.size === 0 || !this.deletesExpired) return;
    const at = d.expires.get(key);
    if (at !== undefined && at <= this.now) this.expire(db, key);
  }

  exists(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  getString(key: string): string | undefined {
    const v = this.getStored(key);
    return v === undefined ? undefined : this.text(v);
  }

  /** The string at `key` as stored (see `text` and `bulk`), without decoding it. */
  getStored(key: string): Stored | undefined {
    const v = this.lookup(key);
    if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') fail(Err.WRONGTYPE);
    return v;
  }

  /** A stored string (a string value, a hash value) as a JS string. */
  text(v: Stored): string {
    return this.ks.blobs.text(v);
  }

  /** A stored string's bytes: a view into the blob store (valid until the next write), or a copy of a JS string's. */
  bytes(v: Stored): Buffer {
    if (typeof v === 'string') return Buffer.from(v, 'latin1');
    const blobs = this.ks.blobs;
    const start = blobs.startOf(v);
    return blobs.chunkOf(v).subarray(start, start + blobs.length(v));
  }

  /** Replies with a stored string as a bulk string, copying a blob's bytes straight from its store. */
  bulk(v: Stored): void {
    if (typeof v === 'string') return this.out.bulk(v);
    const blobs = this.ks.blobs;
    const start = blobs.startOf(v);
    this.out.bulkRange(blobs.chunkOf(v), start, start + blobs.length(v));
  }

  getList(key: string): List | undefined {
    const v = this.lookup(key);
    if (v !== undefined && !(v instanceof List)) fail(Err.WRONGTYPE);
    return v;
  }

  getHash(key: string): Hash | undefined {
    const v = this.lookup(key);
    if (v !== undefined && !(v instanceof Hash)) fail(Err.WRONGTYPE);
    return v;
  }

  getSet(key: string): RSet | undefined {
    const v = this.lookup(key);
    if (v !== undefined && !(v instanceof MemberSet)) fail(Err.WRONGTYPE);
    return v;
  }

  getZSet(key: string): ZSet | undefined {
    const v = this.lookup(key);
    if (v !== undefined && !(v instanceof ZSet)) fail(Err.WRONGTYPE);
    return v;
  }

  getStream(key: string): Stream | undefined {
    const v = this.lookup(key);
    if (v !== undefined && !(v instanceof Stream)) fail(Err.WRONGTYPE);
    return v;
  }

  /** The keys a blocking command may serve from: all of them, or the ready one when served again. */
  servingKeys(keys: readonly string[]): readonly string[] {
    return this.readyKey === null ? keys : [this.readyKey];
  }

  /** Publishes a keyspace event for `key` in the client's database. */
  notify(cls: NotifyClass, event: string, key: string): void {
    this.server.notify(this.client.db, cls, event, key);
  }

  /** Marks `key` ready for clients blocked on it (after a push to a list or sorted set). */
  signalReady(key: string, db: number = this.client.db): void {
    this.server.signalReady(db, key);
  }
}
