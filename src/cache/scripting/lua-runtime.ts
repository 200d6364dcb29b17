// One Lua state with Redis's `redis` library and sandbox, and what running a Lua function as a
// command takes: the conversions between Redis replies and Lua values, the error texts, the
// time limits. EVAL's script cache (scripts.ts) and the function libraries (functions.ts) each
// own one, as Redis gives scripts and functions separate Lua states.
//
// A script runs to its end inside the command that called it, on the event loop, like any other
// command: nothing else runs meanwhile, so it is atomic, and the effects of the commands it
// calls join the turn's one log entry. Time is frozen for the script (the command's `now`).
//
// A script that loops cannot be stopped by SCRIPT KILL from another client as in Redis (no other
// client is served while it runs): once it has run for busy-reply-threshold without writing,
// Depot stops it itself. One that has written runs on, as in Redis, where only SHUTDOWN NOSAVE
// ends it (stopping it would leave half of its writes applied).
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Reply } from '../../protocol/resp/reply-reader.js';
import type { ReplyWriter, RespVersion } from '../../protocol/resp/writer.js';
import { formatDouble } from '../../protocol/resp/double.js';
import { installCjson } from './cjson.js';
import { installCmsgpack } from './cmsgpack.js';
import { LUA_ERRMEM, LUA_OK, LuaType, LuaVm, toInt64 } from './lua-vm.js';
import { PRELUDE, SEAL } from './prelude.js';
import { installStruct } from './struct.js';

/** The field of an error table that marks it counted in INFO's error figures (Redis's name). */
const IGNORE_STATS = 'ignore_error_stats_update';

/** The commands a script reaches, as the server runs and checks them for the script's client. */
export interface ScriptCommands {
  /**
   * Runs a command a script calls; `dirty`: the script has run a write command already.
   * `write`: this one is a write command and ran (whether it failed or not).
   */
  call(argv: string[], resp: RespVersion, readOnly: boolean, dirty: boolean): { reply: Reply; write: boolean };
  /** Whether the script's user may run this command line, its keys and channels included; null: there is no such command. */
  allows(argv: readonly string[]): boolean | null;
}

/** Tables nested deeper than this in a script's reply are an error (a table can contain itself). */
const MAX_REPLY_DEPTH = 1000;
class TooDeep extends Error {}

/** VM instructions between two looks at the clock while a script runs. */
const HOOK_INSTRUCTIONS = 100_000;

export function sha1hex(s: string): string {
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

/** Redis's conversion of a Lua number argument to a command argument: integers as such, others "%.17g". */
function numberArg(vm: LuaVm, idx: number): string {
  return vm.isInteger(idx) ? vm.toInteger(idx).toString() : formatDouble(vm.toNumber(idx));
}

export class LuaRuntime {
  private state!: LuaVm;
  private handlerRef = 0;
  private envRef = 0;
  private protectRef = 0;
  /** Counts the states made: a registry reference taken from an older one means nothing now. */
  generation = 0;
  /** Per run: the protocol of the replies scripts read (redis.setresp), read-only, whether a write ran, when it began. */
  private resp: RespVersion = 2;
  private readOnly = false;
  private wrote = false;
  private started = 0;
  private thresholdMs = 5000;
  /** While a library's code runs (FUNCTION LOAD): when it must have ended (performance.now() ms; Infinity: no limit). */
  private loadDeadline = 0;

  constructor(
    private readonly commands: ScriptCommands,
    private readonly version: string,
    /** redis.log's lines, with Redis's level (LOG_DEBUG 0 .. LOG_WARNING 3). */
    private readonly logLine: (level: number, line: string) => void,
  ) {
    this.reset();
  }

  get vm(): LuaVm {
    return this.state;
  }

  /** The read-only view of the globals every script runs in (its _ENV), as a registry reference. */
  get env(): number {
    return this.envRef;
  }

  /** The sandbox's protect(t) (a read-only proxy of t), as a registry reference. */
  get protect(): number {
    return this.protectRef;
  }

  /** Bytes held by the Lua state. */
  get memoryBytes(): number {
    return this.state.memoryBytes();
  }

  /** busy-reply-threshold (lua-time-limit), in ms. */
  set busyThresholdMs(ms: number) {
    this.thresholdMs = ms;
  }

  /** A new state: everything the old one held is gone. */
  reset(): void {
    this.state?.close();
    const vm = new LuaVm();
    this.state = vm;
    this.generation++;
    if (!vm.load(PRELUDE, '=prelude') || vm.pcall(0, 1, 0) !== LUA_OK) throw new Error(`Lua prelude failed: ${vm.toString(-1) ?? ''}`);
    this.handlerRef = vm.ref();
    this.installRedis();
    installCjson(vm);
    installCmsgpack(vm);
    installStruct(vm);
    if (!vm.load(SEAL, '=prelude') || vm.pcall(0, 2, 0) !== LUA_OK) throw new Error(`Lua sandbox failed: ${vm.toString(-1) ?? ''}`);
    this.protectRef = vm.ref();
    this.envRef = vm.ref();
    vm.setCountHook(() => this.checkTime(), HOOK_INSTRUCTIONS);
  }

  close(): void {
    this.state.close();
  }

  /**
   * Compiles `source` as a function whose _ENV is the value at registry reference `env`;
   * returns its reference, or Lua's message when it does not compile.
   */
  compile(source: string, chunkName: string, env: number): number | string {
    const vm = this.state;
    if (!vm.load(source, chunkName)) {
      const message = vm.toString(-1) ?? 'unknown error';
      vm.setTop(0);
      return message;
    }
    vm.pushRef(env);
    vm.setUpvalue(-2, 1);
    return vm.ref();
  }

  /** Pushes a Lua array of `values`. */
  pushStrings(values: readonly string[]): void {
    const vm = this.state;
    vm.newTable(values.length, 0);
    for (let i = 0; i < values.length; i++) {
      vm.pushString(values[i]!);
      vm.rawSetIndex(-2, i + 1);
    }
  }

  /**
   * Calls the function at registry reference `ref` with the values `pushArgs` pushes (it returns
   * their count) and writes its reply, or its error named after `label`, into `out`.
   */
  call(out: ReplyWriter, ref: number, label: string, pushArgs: () => number, readOnly: boolean): void {
    const vm = this.state;
    vm.setTop(0);
    vm.pushRef(this.handlerRef);
    vm.pushRef(ref);
    const nargs = pushArgs();
    this.resp = 2;
    this.readOnly = readOnly;
    this.wrote = false;
    this.started = performance.now();
    const status = this.guarded(() => vm.pcall(nargs, 1, 1));
    if (status === LUA_OK) this.replyWhole(out);
    else out.error(this.errorText(label), !this.statsIgnored(-1));
    vm.setTop(0);
    // A script that ran out of memory leaves its garbage: give it back to Lua's allocator now.
    if (status === LUA_ERRMEM) vm.collect();
  }

  /**
   * Runs a library's code (the function at `ref`, no arguments) with FUNCTION LOAD's time limit
   * (0: none); returns null, or the text of the error it raised.
   */
  runLoader(ref: number, timeoutMs: number): string | null {
    const vm = this.state;
    vm.setTop(0);
    vm.pushRef(this.handlerRef);
    vm.pushRef(ref);
    this.loadDeadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    let status: number;
    try {
      status = this.guarded(() => vm.pcall(0, 0, 1));
    } finally {
      this.loadDeadline = 0;
    }
    const error = status === LUA_OK ? null : this.errorField();
    vm.setTop(0);
    return error;
  }

  /** Runs `pcall`; a JS exception that crossed the Lua frames (a bug) leaves a state that cannot be trusted: a new one, then the exception. */
  private guarded(pcall: () => number): number {
    try {
      return pcall();
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  /** The script's result as its reply; a reply nested too deep (a table holding itself) is one error instead. */
  private replyWhole(out: ReplyWriter): void {
    const mark = out.mark();
    try {
      this.reply(out, -1, 0);
    } catch (err) {
      if (!(err instanceof TooDeep)) throw err;
      out.rollback(mark);
      out.error('ERR reached lua stack limit');
    }
  }

  /** The `redis` table: what the prelude cannot write in Lua. */
  private installRedis(): void {
    const vm = this.state;
    vm.newTable(0, 24);
    const fn = (name: string, f: (L: number) => number) => {
      vm.pushFunction(f);
      vm.rawSetField(-2, name);
    };
    fn('call', (L) => this.redisCall(L, true));
    fn('pcall', (L) => this.redisCall(L, false));
    fn('acl_check_cmd', (L) => {
      const argv = this.argv();
      if (typeof argv === 'string') return this.raiseError(L, argv);
      const allowed = this.commands.allows(argv);
      if (allowed === null) return this.raiseError(L, 'ERR Invalid command passed to redis.acl_check_cmd()');
      vm.pushBoolean(allowed);
      return 1;
    });
    fn('sha1hex', (L) => {
      if (vm.top() !== 1) return this.raiseText(L, 'wrong number of arguments');
      vm.pushString(sha1hex(vm.toString(1) ?? ''));
      return 1;
    });
    fn('setresp', (L) => {
      const v = vm.top() === 1 && vm.type(1) === LuaType.Number ? vm.toNumber(1) : NaN;
      if (v !== 2 && v !== 3) return this.raiseText(L, 'RESP version must be 2 or 3.');
      this.resp = v;
      return 0;
    });
    fn('log', (L) => {
      if (vm.top() < 2) return this.raiseText(L, 'redis.log() requires two arguments or more.');
      if (vm.type(1) !== LuaType.Number) return this.raiseText(L, 'First argument must be a number (log level).');
      const level = vm.toNumber(1);
      if (level < 0 || level > 3) return this.raiseText(L, 'Invalid debug level.');
      // Redis joins the string and number arguments with spaces and skips the others.
      const parts: string[] = [];
      for (let i = 2; i <= vm.top(); i++) {
        const t = vm.type(i);
        if (t === LuaType.String || t === LuaType.Number) parts.push(vm.toString(i)!);
      }
      this.logLine(Math.trunc(level), parts.join(' '));
      return 0;
    });
    for (const [name, value] of Object.entries({ LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3, REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3 })) {
      vm.pushInteger(value);
      vm.rawSetField(-2, name);
    }
    vm.pushString(this.version);
    vm.rawSetField(-2, 'REDIS_VERSION');
    const [major = 0, minor = 0, patch = 0] = this.version.split('.').map(Number);
    vm.pushInteger(major * 65536 + minor * 256 + patch);
    vm.rawSetField(-2, 'REDIS_VERSION_NUM');
    vm.setGlobal('redis');
    // Named as the prelude: the message handler looks past its frames for the script's line.
    if (!vm.load(REDIS_LUA, '=prelude') || vm.pcall(0, 0, 0) !== LUA_OK) throw new Error(`Lua redis library failed: ${vm.toString(-1) ?? ''}`);
  }

  private raiseText(L: number, text: string): number {
    this.state.pushString(text);
    return this.state.raise(L);
  }

  /** The arguments of redis.call and its kin as a command line, or the error Redis gives for them. */
  private argv(): string[] | string {
    const vm = this.state;
    const n = vm.top();
    if (n === 0) return 'ERR Please specify at least one argument for this redis lib call';
    const argv: string[] = [];
    for (let i = 1; i <= n; i++) {
      const t = vm.type(i);
      if (t === LuaType.String) argv.push(vm.toString(i)!);
      else if (t === LuaType.Number) argv.push(numberArg(vm, i));
      else return 'ERR Lua redis lib command arguments must be strings or integers';
    }
    return argv;
  }

  /** redis.call (`raise`) and redis.pcall: run a command, push its reply converted to Lua. */
  private redisCall(L: number, raise: boolean): number {
    const argv = this.argv();
    // Bad arguments are the call's error, as a command's error is: redis.pcall returns them.
    if (typeof argv === 'string') return this.callError(L, raise, argv, false);
    const { reply, write } = this.commands.call(argv, this.resp, this.readOnly, this.wrote);
    // A write that failed counts as one, as in Redis: it may have changed data before failing.
    if (write) this.wrote = true;
    if (reply.t === 'error') return this.callError(L, raise, reply.v, true);
    this.push(reply, 0);
    return 1;
  }

  /**
   * A redis.call or redis.pcall that failed: an error table, raised (call) or returned (pcall).
   * `counted`: the command's error (or its refusal) was counted in INFO's error figures when it
   * was written, so the table says so as Redis's does (`ignore_error_stats_update`), and the
   * script's reply does not count it again if it passes the error on.
   */
  private callError(L: number, raise: boolean, text: string, counted: boolean): number {
    this.pushErrorTable(text);
    if (counted) {
      this.state.pushBoolean(true);
      this.state.rawSetField(-2, IGNORE_STATS);
    }
    return raise ? this.state.raise(L) : 1;
  }

  /** Raises Redis's error table {err = text}. */
  raiseError(L: number, text: string): number {
    this.pushErrorTable(text);
    return this.state.raise(L);
  }

  private pushErrorTable(text: string): void {
    this.state.newTable(0, 1);
    this.state.pushString(text);
    this.state.rawSetField(-2, 'err');
  }

  /** The count hook: FUNCTION LOAD's time limit while a library loads, busy-reply-threshold while a script runs. */
  private checkTime(): void {
    const now = performance.now();
    if (this.loadDeadline > 0) {
      if (now > this.loadDeadline) this.raiseError(this.state.L, 'ERR FUNCTION LOAD timeout');
      return;
    }
    if (this.wrote || this.thresholdMs <= 0 || now - this.started < this.thresholdMs) return;
    this.raiseError(
      this.state.L,
      `ERR Script killed after running for busy-reply-threshold (${this.thresholdMs} ms) without writing: Depot serves no other client while a script runs, so it stops such a script itself.`,
    );
  }

  /** A reply of a called command as a Lua value (Redis's RESP2 or RESP3 to Lua conversion). */
  private push(r: Reply, depth: number): void {
    const vm = this.state;
    switch (r.t) {
      case 'int':
        vm.pushInteger(BigInt(r.v));
        return;
      case 'bulk':
        vm.pushString(r.v);
        return;
      case 'simple':
        this.pushField('ok', () => vm.pushString(r.v));
        return;
      case 'error':
        this.pushErrorTable(r.v);
        return;
      case 'null':
        if (this.resp === 2) vm.pushBoolean(false);
        else vm.pushNil();
        return;
      case 'bool':
        vm.pushBoolean(r.v);
        return;
      case 'double':
        this.pushField('double', () => vm.pushNumber(Number(r.v)));
        return;
      case 'verbatim':
        this.pushField('verbatim_string', () => {
          vm.newTable(0, 2);
          vm.pushString('txt');
          vm.rawSetField(-2, 'format');
          vm.pushString(r.v);
          vm.rawSetField(-2, 'string');
        });
        return;
      case 'array':
      case 'push':
        this.pushArray(r.v, depth);
        return;
      case 'set':
        this.pushField('set', () => {
          vm.newTable(0, r.v.length);
          for (const item of r.v) {
            this.push(item, depth + 1);
            vm.pushBoolean(true);
            vm.rawSet(-3);
          }
        });
        return;
      case 'map':
        this.pushField('map', () => {
          vm.newTable(0, r.v.length / 2);
          for (let i = 0; i + 1 < r.v.length; i += 2) {
            this.push(r.v[i]!, depth + 1);
            this.push(r.v[i + 1]!, depth + 1);
            vm.rawSet(-3);
          }
        });
        return;
    }
  }

  private pushArray(items: readonly Reply[], depth: number): void {
    const vm = this.state;
    this.makeRoom();
    vm.newTable(items.length, 0);
    for (let i = 0; i < items.length; i++) {
      this.push(items[i]!, depth + 1);
      vm.rawSetIndex(-2, i + 1);
    }
  }

  /** Stack space for one more level of a reply being pushed, or a Lua error. */
  private makeRoom(): void {
    if (!this.state.checkStack(4)) this.raiseError(this.state.L, 'ERR reached lua stack limit');
  }

  /** Pushes {name = <what push() pushes>}. */
  private pushField(name: string, push: () => void): void {
    this.makeRoom();
    this.state.newTable(0, 1);
    push();
    this.state.rawSetField(-2, name);
  }

  /** Writes the Lua value at `idx` as the script's reply (Redis's Lua to RESP conversion). */
  private reply(out: ReplyWriter, idx: number, depth: number): void {
    const vm = this.state;
    const t = idx < 0 ? vm.top() + idx + 1 : idx;
    switch (vm.type(t)) {
      case LuaType.String:
        out.bulk(vm.toString(t)!);
        return;
      case LuaType.Number:
        out.int(vm.isInteger(t) ? vm.toInteger(t) : toInt64(vm.toNumber(t)));
        return;
      case LuaType.Boolean:
        // A RESP3 boolean only for a script that asked for RESP3 (redis.setresp(3)), as in Redis.
        if (this.resp === 3) out.bool(vm.toBoolean(t));
        else if (vm.toBoolean(t)) out.int(1);
        else out.nullBulk();
        return;
      case LuaType.Table:
        if (depth >= MAX_REPLY_DEPTH || !vm.checkStack(4)) throw new TooDeep();
        this.replyTable(out, t, depth);
        return;
      default:
        out.nullBulk();
    }
  }

  private replyTable(out: ReplyWriter, t: number, depth: number): void {
    const vm = this.state;
    const field = (name: string): boolean => {
      const ft = vm.rawGetField(t, name);
      if (ft !== LuaType.Nil) return true;
      vm.pop(1);
      return false;
    };
    try {
      if (field('err')) {
        out.error(vm.toString(-1) ?? 'ERR unknown error', !this.statsIgnored(t));
        return;
      }
      if (field('ok')) {
        out.simple(vm.toString(-1) ?? '');
        return;
      }
      if (field('double')) {
        out.double(vm.toNumber(-1));
        return;
      }
      if (field('map')) {
        this.replyPairs(out, vm.top(), depth, 'map');
        return;
      }
      if (field('set')) {
        this.replyPairs(out, vm.top(), depth, 'set');
        return;
      }
      // An array up to its first nil, as Redis reads it.
      let n = 0;
      while (vm.rawGetIndex(t, n + 1) !== LuaType.Nil) {
        vm.pop(1);
        n++;
      }
      vm.pop(1);
      out.array(n);
      for (let i = 1; i <= n; i++) {
        vm.rawGetIndex(t, i);
        this.reply(out, -1, depth + 1);
        vm.pop(1);
      }
    } finally {
      vm.setTop(t);
    }
  }

  /** The pairs of the table at `m` as a map (key, value) or a set (keys). */
  private replyPairs(out: ReplyWriter, m: number, depth: number, kind: 'map' | 'set'): void {
    const vm = this.state;
    let n = 0;
    vm.pushNil();
    while (vm.next(m)) {
      vm.pop(1);
      n++;
    }
    if (kind === 'map') out.map(n);
    else out.set(n);
    vm.pushNil();
    while (vm.next(m)) {
      this.reply(out, -2, depth + 1);
      if (kind === 'map') this.reply(out, -1, depth + 1);
      vm.pop(1);
    }
  }

  /** The reply for a script that raised: Redis's "<error> script: <label>, on <source>:<line>." */
  private errorText(label: string): string {
    const vm = this.state;
    if (vm.type(-1) !== LuaType.Table) return `ERR ${vm.toString(-1) ?? 'unknown error'}`;
    const err = this.field('err') ?? 'ERR unknown error';
    const source = this.field('source');
    const line = this.field('line');
    return source !== null && line !== null ? `${err} script: ${label}, on ${source}:${line}.` : err;
  }

  /** Whether the error table at `idx` says it was counted already (a boolean true, as Redis reads it). */
  private statsIgnored(idx: number): boolean {
    const vm = this.state;
    if (vm.type(idx) !== LuaType.Table) return false;
    const t = idx < 0 ? vm.top() + idx + 1 : idx;
    const ignored = vm.rawGetField(t, IGNORE_STATS) === LuaType.Boolean && vm.toBoolean(-1);
    vm.pop(1);
    return ignored;
  }

  /** The text of the error on top of the stack (its `err` field, as Redis reads it). */
  private errorField(): string {
    const vm = this.state;
    if (vm.type(-1) !== LuaType.Table) return `ERR ${vm.toString(-1) ?? 'unknown error'}`;
    return this.field('err') ?? 'ERR unknown error';
  }

  /** Field `name` of the table on top of the stack, as a string, or null. */
  private field(name: string): string | null {
    const vm = this.state;
    const e = vm.top();
    vm.rawGetField(e, name);
    const v = vm.type(-1) === LuaType.Nil ? null : vm.toString(-1);
    vm.pop(1);
    return v;
  }
}

/** The parts of the `redis` table written in Lua. */
const REDIS_LUA = String.raw`
-- As Redis's: a wrong argument is not raised, it is returned as an error reply.
local function reply(kind, shape)
  return function(...)
    local text = ...
    if select('#', ...) ~= 1 or type(text) ~= 'string' then return { err = 'ERR wrong number or type of arguments' } end
    return { [kind] = shape(text) }
  end
end
-- An error is "CODE message": a leading '-' goes, and a text without a space gets the code ERR.
redis.error_reply = reply('err', function(text)
  if text:sub(1, 1) == '-' then text = text:sub(2) end
  if not text:find(' ', 1, true) then text = 'ERR ' .. text end
  return text
end)
redis.status_reply = reply('ok', function(text) return text end)
redis.replicate_commands = function() return true end
redis.set_repl = function(flags)
  if type(flags) ~= 'number' or flags < 0 or flags > 3 then
    error('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', 0)
  end
end
redis.breakpoint = function() return false end
redis.debug = function() end
`;
