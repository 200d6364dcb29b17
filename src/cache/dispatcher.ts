// Runs one command line for a client, with Redis's checks in Redis's order: command lookup,
// arity, authentication, ACL, pub/sub context, MULTI queueing, out-of-memory; then the
// handler. Also EXEC (replaying the queue) and the retry of blocked commands whose keys
// became ready. Every handler run is reported: what it read to client-side caching, and, timed,
// to an observer (SLOWLOG, MONITOR).
import { performance } from 'node:perf_hooks';
import { parseReply, type Reply } from '../protocol/resp/reply-reader.js';
import type { ReplyWriter, RespVersion } from '../protocol/resp/writer.js';
import { isDepotError } from '../util/errors.js';
import type { AclContext, AclReason } from './acl-log.js';
import type { BlockedClients } from './blocking.js';
import type { CommandStats } from './command-stats.js';
import type { Client } from './client.js';
import { BLOCKED, type CommandFlag, type CommandSpec, type Ctx, type LookupKind } from './commands/context.js';
import { ReplyError } from './commands/reply-error.js';
import { aclCheck } from './commands/key-access.js';
import type { CommandTable } from './commands/table.js';
import { typeOf, type TypeName } from './machine/values.js';

/** Commands that run (not queue) while a transaction is open. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** Commands allowed on a RESP2 connection in subscriber mode. */
const SUBSCRIBER_ALLOWED = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'ping', 'quit', 'reset']);

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
/** Commands that run over maxmemory while a transaction is open; the rest are refused (the queue would grow). */
const MULTI_OOM_EXEMPT = new Set(['exec', 'discard', 'quit', 'reset']);

const HEAP_FULL =
  "OOM command not allowed when the server's JS heap is nearly full (INFO memory: depot_heap_limit); raise node's --max-old-space-size, or set maxmemory below it with an eviction policy.";

export interface DispatchHooks {
  /** True when writes may run here (this node leads the group). */
  readonly writable: boolean;
  /** Why writes are refused although this node may lead (its journal cannot be written), else null. */
  readonly writeFailure: string | null;
  /** True while this leader has not yet applied everything committed before it led. */
  readonly loading: boolean;
  /** latency-tracking: commands' latency histograms are kept (INFO latencystats, LATENCY HISTOGRAM). */
  readonly latencyTracking: boolean;
  /** ACL refused a command, a key or a channel (ACL LOG). */
  aclDenied(client: Client, reason: AclReason, context: AclContext, object: string): void;
  /** Evicts keys when maxmemory is exceeded; false when it stays exceeded (OOM). */
  makeRoom(): boolean;
  /** True while the JS heap is nearly full (heap-guard.ts): commands that may grow memory are refused. */
  readonly heapFull: boolean;
  /** After each command line that ran (INFO's command count, CLIENT LIST's cmd). */
  onCommand(client: Client, spec: CommandSpec): void;
  /** After a handler of a tracking client: remembers what it read (client-side caching). */
  tracked(client: Client, spec: CommandSpec, argv: readonly string[]): void;
  /** After each handler: sends the client-side caching invalidations it caused. */
  afterRun(): void;
}

export type Outcome = 'done' | 'blocked';

/** Told of every command handler that ran (SLOWLOG, MONITOR). */
export interface CommandObserver {
  /**
   * `client` ran `argv` (`spec`). `micros`: since the previous command ended, or since the batch
   * began (`Dispatcher.beginBatch`) for its first: the handler plus the checks before it.
   * `endMs`: when it ended, on performance.now()'s timeline. `retry`: a blocked command served.
   */
  ran(client: Client, spec: CommandSpec, argv: readonly string[], micros: number, endMs: number, outcome: Outcome, retry: boolean): void;
  /** The commands a script of `client` called (in database `db`, ended at `endMs`), reported after the script's own command. */
  ranInScript(client: Client, calls: readonly ScriptCallRecord[]): void;
}

export interface ScriptCallRecord {
  readonly argv: readonly string[];
  readonly db: number;
  readonly endMs: number;
}

/**
 * Commands Redis 7 refuses while enable-debug-command or enable-module-command is "no", their
 * default (fixed in Depot, which has no DEBUG subcommands or modules to allow): the name in
 * the error.
 */
const PROTECTED: ReadonlyMap<string, string> = new Map([
  ['debug', 'DEBUG'],
  ['module|load', 'MODULE'],
  ['module|loadex', 'MODULE'],
  ['module|unload', 'MODULE'],
]);

export class Dispatcher {
  /** Null while nobody needs the reports. */
  observer: CommandObserver | null = null;
  /** performance.now() when the command being run began (the previous one ended). */
  private started = 0;
  /** The client whose command runs now (its handler and what follows it), or null (timers). */
  running: Client | null = null;
  /**
   * Error replies written so far (CommandStats.errorEvents) when the last command, or the last
   * call of a running script, ended or was refused: a command failed if more were written by its
   * end (so EXEC does not fail for its commands' errors, nor EVAL for its calls', as in Redis).
   */
  private errorMark = 0;
  /** The data set was over maxmemory, with nothing to evict, when the running top-level command began. */
  private preCommandOom = false;
  /** The running script began over maxmemory and declared no flags: its first write is refused. */
  private scriptOom = false;
  /** While an observer listens: the commands the running script called, reported after it. */
  private scriptCalls: ScriptCallRecord[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly table: CommandTable,
    private readonly blocked: BlockedClients,
    private readonly hooks: DispatchHooks,
    private readonly stats: CommandStats,
  ) {}

  private get out(): ReplyWriter {
    return this.ctx.out;
  }

  /** Commands are about to run back to back: times the first from now (see CommandObserver). */
  beginBatch(): void {
    this.started = performance.now();
  }

  /** Executes `argv` for `client`, writing its reply into the shared writer. */
  execute(client: Client, argv: string[], now: number): Outcome {
    const c = this.ctx;
    c.client = client;
    c.now = now;
    c.argv = argv;
    this.out.resp = client.resp;
    client.lastInteraction = now;
    const spec = this.resolve(client, argv);
    if (spec === null) return 'done';
    if (client.multi !== null && !TRANSACTION_CONTROL.has(spec.name)) {
      client.multi.push(argv);
      this.out.simple('QUEUED');
      return 'done';
    }
    const outcome = this.run(spec);
    this.hooks.onCommand(client, spec);
    // CLIENT CACHING applies to the next command, or to a whole transaction.
    const t = client.tracking;
    if (t !== null && t.caching && client.multi === null && !spec.name.startsWith('client|')) t.caching = false;
    return outcome;
  }

  /** The spec to run, or null after writing the error that prevents it. */
  private resolve(client: Client, argv: string[]): CommandSpec | null {
    let spec = this.table.lookup(argv[0]!);
    let error: string | null = null;
    if (spec === undefined) {
      const args = argv
        .slice(1, 21)
        .map((a) => `'${a.slice(0, 128)}' `)
        .join('');
      error = `ERR unknown command '${argv[0]!.slice(0, 128)}', with args beginning with: ${args}`;
    } else if (spec.subcommands !== undefined && argv.length >= 2) {
      const sub = spec.subcommands.get(argv[1]!.toLowerCase());
      if (sub === undefined) error = `ERR unknown subcommand '${argv[1]!.slice(0, 128)}'. Try ${spec.name.toUpperCase()} HELP.`;
      spec = sub;
    }
    if (error === null && spec !== undefined) {
      // Before the checks, as in Redis: CLIENT INFO (and ACL LOG's client-info) name a refused command too.
      client.lastCommand = spec.name;
      error = this.check(client, spec, argv);
      if (error !== null) this.stats.rejected(spec);
    }
    if (error === null) return spec!;
    if (spec?.name === 'exec') {
      // A refused EXEC discards the transaction and says why, as Redis's execCommandAbort does
      // (with or without MULTI: the watched keys go too).
      client.multi = null;
      client.multiError = false;
      this.ctx.server.unwatch(client);
      error = `EXECABORT Transaction discarded because of: ${error.startsWith('ERR ') ? error.slice(4) : error}`;
    } else if (client.multi !== null) client.multiError = true;
    this.out.error(error);
    this.errorMark = this.stats.errorEvents;
    return null;
  }

  /** The first error of Redis's checks before a command, in processCommand's order, or null. */
  private check(client: Client, spec: CommandSpec, argv: string[]): string | null {
    const n = argv.length;
    if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity) return `ERR wrong number of arguments for '${spec.name}' command`;
    const flags = spec.flagsOf?.(this.ctx.server, argv) ?? spec.flags;
    // Protected commands are all admin ones: the flag spares every other command the Map lookup.
    const guarded = spec.flags.includes('admin') ? PROTECTED.get(spec.name) : undefined;
    if (guarded !== undefined) {
      return `ERR ${guarded} command not allowed. If the enable-${guarded.toLowerCase()}-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`;
    }
    if (!client.authenticated && !spec.flags.includes('no_auth')) return 'NOAUTH Authentication required.';
    if (client.multi !== null && spec.flags.includes('no_multi')) return 'ERR Command not allowed inside a transaction';
    const user = client.user;
    const context = this.ctx.inExec ? 'multi' : 'toplevel';
    const denial = aclCheck(user, spec, argv);
    if (denial !== null) {
      this.hooks.aclDenied(client, denial.reason, context, denial.reason === 'command' ? spec.name : denial.object);
      if (denial.reason === 'command') return `NOPERM this user has no permissions to run the '${spec.name}' command`;
      return `NOPERM this user has no permissions to access one of the ${denial.reason === 'key' ? 'keys' : 'channels'} used as arguments`;
    }
    // Inside EXEC the queued commands run as one: memory was checked for EXEC.
    if (!this.ctx.inExec) {
      // Every command first evicts what is over maxmemory, as Redis's processCommand does: a
      // lowered limit takes effect on the next command, a read too.
      const oom = !this.hooks.makeRoom();
      this.preCommandOom = oom;
      if (oom && this.refusedOverMaxmemory(client, spec, flags)) return OOM;
      if (flags.includes('denyoom') && this.hooks.heapFull) return HEAP_FULL;
    }
    const failure = this.hooks.writeFailure;
    // PING too, as in Redis: a client's health check sees that writes fail.
    if (failure !== null && (flags.includes('write') || spec.name === 'ping')) return `MISCONF Errors writing to the journal: ${failure}`;
    if (!this.hooks.writable && flags.includes('write')) return "READONLY You can't write against a read only replica.";
    if (client.monitor && (flags.includes('write') || flags.includes('readonly'))) return "ERR Replica can't interact with the keyspace";
    if (client.resp === 2 && client.subscribed && !SUBSCRIBER_ALLOWED.has(spec.name)) {
      return `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    }
    if (this.hooks.loading && !spec.flags.includes('loading')) return 'LOADING Redis is loading the dataset in memory';
    // A script without declared flags (Redis's compatibility mode: neither write nor denyoom)
    // meets maxmemory at its first write (resolveForScript).
    this.scriptOom = this.preCommandOom && !flags.includes('write');
    return null;
  }

  /**
   * Over maxmemory: commands that may grow memory are refused, and so is every command but
   * EXEC, DISCARD, QUIT and RESET while a transaction is open (its queue grows); EXEC is refused
   * when it would run one (Redis's mstate.cmd_flags).
   */
  private refusedOverMaxmemory(client: Client, spec: CommandSpec, flags: readonly CommandFlag[]): boolean {
    if (flags.includes('denyoom')) return true;
    if (client.multi === null) return false;
    if (spec.name !== 'exec') return !MULTI_OOM_EXEMPT.has(spec.name);
    return client.multi.some((argv) => {
      const queued = this.table.specOf(argv);
      return (queued?.flagsOf?.(this.ctx.server, argv) ?? queued?.flags ?? []).includes('denyoom');
    });
  }

  /** Runs a resolved command (`retry`: a blocked one, again); a ReplyError becomes the reply. */
  private run(spec: CommandSpec, retry = false): Outcome {
    // Before the handler: EXEC's sets ctx.argv to each queued command's.
    const { client, argv } = this.ctx;
    let outcome: Outcome = 'done';
    // Restored after: EXEC's handler runs the queued commands through here.
    const outer = this.running;
    const outerLookups = this.ctx.lookups;
    this.running = client;
    // Serving a blocked client again looks its keys up as Redis's serving does: unseen.
    this.ctx.lookups = retry ? 'write' : lookupsOf(spec);
    try {
      try {
        if (spec.handler(this.ctx) === BLOCKED) outcome = 'blocked';
      } catch (err) {
        if (err instanceof ReplyError) this.out.error(err.message);
        else if (isDepotError(err)) this.out.error(`ERR ${err.message}`);
        else throw err;
      }
      if (client.tracking !== null && spec.flags.includes('readonly')) this.hooks.tracked(client, spec, argv);
      if (!this.ctx.inExec) this.hooks.afterRun();
      const end = performance.now();
      const micros = (end - this.started) * 1000;
      // A command that blocked is counted once, when it is served, as in Redis.
      const errors = this.stats.errorEvents;
      if (outcome === 'done') this.stats.ran(spec, micros, errors > this.errorMark, this.hooks.latencyTracking);
      this.errorMark = errors;
      const observer = this.observer;
      if (observer !== null) {
        observer.ran(client, spec, argv, micros, end, outcome, retry);
        if (this.scriptCalls.length > 0) {
          observer.ranInScript(client, this.scriptCalls);
          this.scriptCalls = [];
        }
      }
      this.started = end;
    } finally {
      this.running = outer;
      this.ctx.lookups = outerLookups;
    }
    return outcome;
  }

  /**
   * A command a script calls (redis.call): checked as Redis checks a script's calls, run as in
   * EXEC (a blocking command does not wait), its reply read back out of the writer in the
   * script's protocol and taken out again: the script's own reply is what the client gets.
   */
  callFromScript(argv: string[], resp: RespVersion, readOnly: boolean, dirty: boolean): { reply: Reply; write: boolean } {
    const { spec, error } = this.resolveForScript(argv, readOnly, dirty);
    if (error !== null) {
      // Counted here, as Redis's scriptCall counts a refused call (errorstats, rejected_calls);
      // the script's error reply, if it passes this on, is not counted again.
      this.stats.errorReply(error);
      if (spec !== undefined) this.stats.rejected(spec);
      this.errorMark = this.stats.errorEvents;
      return { reply: { t: 'error', v: error }, write: false };
    }
    const c = this.ctx;
    const { argv: outerArgv, inExec: outerExec, inScript: outerScript, lookups: outerLookups } = c;
    const outerResp = this.out.resp;
    const mark = this.out.mark();
    c.argv = argv;
    c.inExec = true;
    c.inScript = true;
    c.lookups = lookupsOf(spec);
    this.out.resp = resp;
    const start = performance.now();
    try {
      try {
        spec.handler(c);
      } catch (err) {
        if (err instanceof ReplyError) this.out.error(err.message);
        else this.out.error(`ERR ${err instanceof Error ? err.message : String(err)}`);
      }
      // A script's calls are commands in INFO's figures, as in Redis: commandstats (their errors
      // counted when written above) and total_commands_processed.
      const errors = this.stats.errorEvents;
      this.stats.ran(spec, (performance.now() - start) * 1000, errors > this.errorMark, this.hooks.latencyTracking);
      this.errorMark = errors;
      c.server.stats.totalCommands++;
      if (c.client.tracking !== null && spec.flags.includes('readonly')) this.hooks.tracked(c.client, spec, argv);
      if (this.observer !== null && !spec.flags.includes('admin')) this.scriptCalls.push({ argv, db: c.client.db, endMs: performance.now() });
      return { reply: parseReply(this.out.since(mark), 0).reply, write: spec.flags.includes('write') };
    } finally {
      this.out.rollback(mark);
      this.out.resp = outerResp;
      c.argv = outerArgv;
      c.inExec = outerExec;
      c.inScript = outerScript;
      c.lookups = outerLookups;
    }
  }

  /**
   * redis.acl_check_cmd: whether the user running the script may run this command line (null:
   * no such command). Unlike a refused call, it is not an ACL LOG entry, as in Redis.
   */
  allowsFromScript(argv: readonly string[]): boolean | null {
    const spec = this.table.specOf(argv);
    return spec === undefined ? null : aclCheck(this.ctx.client.user, spec, argv) === null;
  }

  /**
   * The spec a script's call runs, and the error that refuses it (Redis's texts for scripts) or
   * null; the spec is undefined for a command that does not exist.
   */
  private resolveForScript(argv: string[], readOnly: boolean, dirty: boolean): { spec: CommandSpec; error: null } | { spec: CommandSpec | undefined; error: string } {
    const top = this.table.lookup(argv[0]!);
    if (top === undefined) return { spec: undefined, error: 'ERR Unknown Redis command called from script' };
    let spec = top;
    if (top.subcommands !== undefined && argv.length >= 2) {
      const sub = top.subcommands.get(argv[1]!.toLowerCase());
      if (sub === undefined) return { spec: undefined, error: `ERR unknown subcommand '${argv[1]!.slice(0, 128)}'. Try ${top.name.toUpperCase()} HELP.` };
      spec = sub;
    }
    const error = this.scriptRefusal(spec, argv, readOnly, dirty);
    if (error !== null) return { spec, error };
    return { spec, error: null };
  }

  /** Why a script may not run this call, or null. */
  private scriptRefusal(spec: CommandSpec, argv: string[], readOnly: boolean, dirty: boolean): string | null {
    const n = argv.length;
    if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity) return 'ERR Wrong number of args calling Redis command from script';
    if (spec.flags.includes('noscript')) return 'ERR This Redis command is not allowed from script';
    const client = this.ctx.client;
    const user = client.user;
    const denial = aclCheck(user, spec, argv);
    if (denial !== null) {
      this.hooks.aclDenied(client, denial.reason, 'lua', denial.reason === 'command' ? spec.name : denial.object);
      if (denial.reason === 'command') return "ERR The user executing the script can't run this command or subcommand";
      if (denial.reason === 'key') return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
      return "ERR The user executing the script can't publish to the channel mentioned in the command";
    }
    if (spec.flags.includes('write')) {
      if (readOnly) return 'ERR Write commands are not allowed from read-only scripts.';
      const failure = this.hooks.writeFailure;
      if (failure !== null) return `MISCONF Errors writing to the journal: ${failure}`;
      if (!this.hooks.writable) return "READONLY You can't write against a read only replica.";
    }
    if (spec.flags.includes('denyoom')) {
      if (this.hooks.heapFull) return HEAP_FULL;
      // Once it has written, a script runs to its end: it cannot be stopped halfway (Redis's scriptVerifyOOM).
      if (this.scriptOom && !dirty) return OOM;
    }
    return null;
  }

  /** EXEC's body: every queued command in order, each reply in one array. */
  runTransaction(): void {
    const c = this.ctx;
    const client = c.client;
    const queued = client.multi ?? [];
    client.multi = null;
    this.out.array(queued.length);
    c.inExec = true;
    try {
      for (const argv of queued) {
        c.argv = argv;
        // After a queued CLIENT REPLY OFF the replies are dropped from the array, as in Redis
        // (whose array is then short of the elements it announced).
        const mark = client.replyMode === 'off' ? this.out.mark() : null;
        const spec = this.resolve(client, argv);
        if (spec !== null) {
          this.run(spec);
          // Counted as it runs, not when it was queued, as Redis counts it.
          c.server.stats.totalCommands++;
        }
        if (mark !== null && client.replyMode !== 'on') this.out.rollback(mark);
      }
    } finally {
      c.inExec = false;
    }
  }

  /**
   * Retries the commands of clients blocked on keys that became ready, oldest first, and
   * reports each retry: served (its reply is in the writer) or still blocked.
   */
  serveBlocked(now: number, onResult: (client: Client, served: boolean) => void): void {
    this.beginBatch();
    // Serving may make further keys ready (BLMOVE pushes): bounded passes, like Redis's loop.
    for (let pass = 0; pass < 64 && this.blocked.hasReady; pass++) {
      for (const [db, key] of this.blocked.takeReady()) {
        for (const client of this.blocked.waiters(db, key)) {
          const state = client.blocked;
          if (state === null || state.db !== db) continue;
          const c = this.ctx;
          c.client = client;
          c.now = now;
          c.argv = state.argv;
          this.out.resp = client.resp;
          const spec = this.table.lookup(state.argv[0]!)!;
          // As Redis serves a ready key only to the clients waiting for its type: a BLPOP on a
          // key that XADD made a stream keeps waiting (its retry would answer WRONGTYPE).
          const wants = WAITS_FOR.get(spec.name);
          const value = wants === undefined ? undefined : this.ctx.ks.dbs[db]!.keys.get(key);
          if (value !== undefined && typeOf(value) !== wants) continue;
          c.readyKey = key;
          try {
            onResult(client, this.run(spec, true) === 'done');
          } finally {
            c.readyKey = null;
          }
        }
      }
    }
  }
}

/** Write commands look their keys up for writing, others for reading (Redis's lookupKeyWrite / lookupKeyRead). */
function lookupsOf(spec: CommandSpec): LookupKind {
  return spec.flags.includes('write') ? 'write' : 'read';
}

/**
 * The type a blocking command waits for on its keys. XREADGROUP is not here: its retry ends the
 * wait with an error when its stream was replaced (commands/stream-read.ts).
 */
const WAITS_FOR: ReadonlyMap<string, TypeName> = new Map([
  ...['blpop', 'brpop', 'blmove', 'brpoplpush', 'blmpop'].map((n) => [n, 'list'] as const),
  ...['bzpopmin', 'bzpopmax', 'bzmpop'].map((n) => [n, 'zset'] as const),
  ['xread', 'stream'],
]);
