// Function libraries (Redis 7's FUNCTION and FCALL; functions.c, function_lua.c). A library's
// code names the library in its first line (`#!lua name=mylib`) and registers functions with
// redis.register_function while it loads; FCALL runs one by name, its keys and arguments given
// as two tables. The code is keyspace state (machine/libraries.ts), changed through the log like
// keys; here it is compiled, in a Lua state of its own, and kept in step with that state.
import { splitInlineArgs } from '../../protocol/resp/inline.js';
import type { ReplyWriter } from '../../protocol/resp/writer.js';
import { assert } from '../../util/assert.js';
import { ReplyError } from '../commands/reply-error.js';
import type { Libraries } from '../machine/libraries.js';
import { LuaRuntime, type ScriptCommands } from './lua-runtime.js';
import { LUA_OK, LuaType } from './lua-vm.js';
import { LIBRARY_ENV } from './prelude.js';

/** The flags a function may declare, in the order Redis lists them (script.c's scripts_flags_def). */
export const FUNCTION_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const;
export type FunctionFlag = (typeof FUNCTION_FLAGS)[number];

/** The one engine, as FUNCTION LIST and STATS name it. */
export const ENGINE = 'LUA';
/** How long a library's code may run while it loads (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
const BAD_NAME = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

export interface RegisteredFunction {
  readonly name: string;
  readonly description: string | null;
  readonly flags: ReadonlySet<FunctionFlag>;
  readonly library: string;
  /** The callback, in the registry of the state it was compiled in. */
  readonly ref: number;
}

export interface Library {
  readonly name: string;
  /** The whole code, its first line included. */
  readonly code: string;
  /** By name as registered (FCALL looks names up ignoring case, as Redis does). */
  readonly functions: ReadonlyMap<string, RegisteredFunction>;
}

export type RestorePolicy = 'flush' | 'append' | 'replace';

function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** The library's name from its first line, and the code after that line (its newline kept, so line numbers stay). */
export function parseMetadata(code: string): { name: string; body: string } {
  if (!code.startsWith('#!')) throw new ReplyError('ERR Missing library metadata');
  const end = code.indexOf('\n');
  if (end < 0) throw new ReplyError('ERR Invalid library metadata');
  const parts = splitInlineArgs(code.slice(0, end));
  if (parts === null || parts.length === 0) throw new ReplyError('ERR Invalid library metadata');
  const engine = parts[0]!.slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() !== 'name=') throw new ReplyError(`ERR Invalid metadata value given: ${part}`);
    if (name !== null) throw new ReplyError('ERR Invalid metadata value, name argument was given multiple times');
    name = part.slice(5);
  }
  if (name === null) throw new ReplyError('ERR Library name was not given');
  if (!validName(name)) throw new ReplyError(`ERR ${BAD_NAME}`);
  if (engine.toUpperCase() !== ENGINE) throw new ReplyError(`ERR Engine '${engine}' not found`);
  return { name, body: code.slice(end) };
}

export class Functions {
  private readonly lua: LuaRuntime;
  /** The state `envRef`, `viewRef` and the libraries' references are into. */
  private generation = -1;
  /** The libraries' _ENV, and the function switching what it shows (prelude.ts, LIBRARY_ENV). */
  private envRef = 0;
  private viewRef = 0;
  private readonly libraries = new Map<string, Library>();
  /** Every library's functions by lower-case name. */
  private readonly byName = new Map<string, RegisteredFunction>();
  /** The `source.version` the libraries here were compiled from. */
  private version = -1;
  /** While a library's code runs: the functions it registered so far. */
  private loading: Map<string, RegisteredFunction> | null = null;
  private loadingLibrary = '';

  constructor(
    commands: ScriptCommands,
    version: string,
    logLine: (level: number, line: string) => void,
    /** The libraries' code: the keyspace's. */
    private readonly source: Libraries,
    /** Told when a library from the log or a snapshot does not load (a node that cannot run what its leader ran). */
    private readonly warn: (message: string) => void,
  ) {
    this.lua = new LuaRuntime(commands, version, logLine);
  }

  /** Bytes held by the Lua state (INFO's used_memory_vm_functions). */
  get memoryBytes(): number {
    return this.lua.memoryBytes;
  }

  /** Bytes of the libraries' names and code (INFO's used_memory_functions). */
  get codeBytes(): number {
    let n = 0;
    for (const [name, code] of this.source.entries()) n += name.length + code.length;
    return n;
  }

  set busyThresholdMs(ms: number) {
    this.lua.busyThresholdMs = ms;
  }

  /** Every library, compiled from the keyspace's code. */
  all(): IterableIterator<Library> {
    this.sync();
    return this.libraries.values();
  }

  get(library: string): Library | undefined {
    this.sync();
    return this.libraries.get(library);
  }

  /** The function FCALL names (case does not matter). */
  function(name: string): RegisteredFunction | undefined {
    this.sync();
    return this.byName.get(name.toLowerCase());
  }

  get functionCount(): number {
    this.sync();
    return this.byName.size;
  }

  get libraryCount(): number {
    this.sync();
    return this.libraries.size;
  }

  /**
   * FUNCTION LOAD's checks and compilation, before anything is logged: the library, ready for
   * `install` once the caller has logged its code, or a ReplyError with Redis's text.
   */
  prepare(code: string, replace: boolean): Library {
    this.sync();
    const { name, body } = parseMetadata(code);
    if (!replace && this.libraries.has(name)) throw new ReplyError(`ERR Library '${name}' already exists`);
    const library = this.compile(name, code, body, LOAD_TIMEOUT_MS);
    const clash = this.clash([library], new Set([name]));
    if (clash !== null) {
      this.free(library);
      throw new ReplyError(`ERR Function ${clash} already exists`);
    }
    return library;
  }

  /**
   * FUNCTION RESTORE's checks and compilation: the payload's libraries, ready for `install`, or
   * a ReplyError. As in Redis, each is compiled without a time limit, and under APPEND a name
   * already taken is an error where REPLACE drops the old library.
   */
  prepareRestore(codes: readonly string[], policy: RestorePolicy): Library[] {
    this.sync();
    const prepared: Library[] = [];
    try {
      for (const code of codes) {
        const { name, body } = parseMetadata(code);
        if (prepared.some((l) => l.name === name)) throw new ReplyError(`ERR Library '${name}' already exists`);
        const library = this.compile(name, code, body, 0);
        prepared.push(library);
        const inPayload = this.clashAmong(prepared);
        if (inPayload !== null) throw new ReplyError(`ERR Function ${inPayload} already exists`);
      }
      if (policy !== 'flush') {
        const taken = prepared.find((l) => this.libraries.has(l.name));
        if (policy === 'append' && taken !== undefined) throw new ReplyError(`ERR Library ${taken.name} already exists`);
        const clash = this.clash(prepared, policy === 'replace' ? new Set(prepared.map((l) => l.name)) : new Set());
        if (clash !== null) throw new ReplyError(`ERR Function ${clash} already exists`);
      }
    } catch (err) {
      for (const l of prepared) this.free(l);
      throw err;
    }
    return prepared;
  }

  /** Links prepared libraries once their code is in the keyspace (logged), replacing those of the same names. */
  install(libraries: readonly Library[]): void {
    // Those replaced or flushed go first: their function names are free for the new ones.
    this.dropStale();
    for (const library of libraries) {
      assert(this.source.get(library.name) === library.code, 'library %s installed before it was logged', library.name);
      this.link(library);
    }
    this.sync();
  }

  /** Runs `fn` with its keys and arguments; writes its reply or error into `out`. */
  call(out: ReplyWriter, fn: RegisteredFunction, keys: readonly string[], args: readonly string[]): void {
    this.sync();
    const pushArgs = (): number => {
      this.lua.pushStrings(keys);
      this.lua.pushStrings(args);
      return 2;
    };
    this.lua.call(out, fn.ref, fn.name, pushArgs, fn.flags.has('no-writes'));
  }

  close(): void {
    this.lua.close();
  }

  /**
   * Brings the compiled libraries in line with the keyspace's code, which the log and snapshots
   * change as well as the FUNCTION commands: libraries whose code changed or went are dropped,
   * new ones compiled (without a time limit, as Redis loads an RDB's).
   */
  private sync(): void {
    if (this.generation !== this.lua.generation) this.attach();
    if (this.version === this.source.version) return;
    if (this.source.size === 0 && this.libraries.size > 0) {
      // FUNCTION FLUSH: a new state gives the old one's memory back at once.
      this.lua.reset();
      this.attach();
    }
    this.dropStale();
    for (const [name, code] of this.source.entries()) {
      if (this.libraries.has(name)) continue;
      try {
        this.link(this.compile(name, code, parseMetadata(code).body, 0));
      } catch (err) {
        this.warn(`function library '${name}' does not load: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.version = this.source.version;
  }

  /** Unlinks the libraries whose code the keyspace no longer has. */
  private dropStale(): void {
    for (const library of this.libraries.values()) if (this.source.get(library.name) !== library.code) this.unlink(library);
  }

  /** A new state (the first, or after a reset): the libraries' environment made, nothing compiled. */
  private attach(): void {
    const vm = this.lua.vm;
    this.libraries.clear();
    this.byName.clear();
    this.version = -1;
    this.generation = this.lua.generation;
    vm.setTop(0);
    const loaded = vm.load(LIBRARY_ENV, '=prelude');
    assert(loaded, 'the library environment does not compile');
    vm.pushRef(this.lua.env);
    vm.pushRef(this.lua.protect);
    vm.pushFunction((L) => this.register(L));
    assert(vm.pcall(3, 2, 0) === LUA_OK, 'the library environment failed: %s', vm.toString(-1) ?? '');
    this.viewRef = vm.ref();
    this.envRef = vm.ref();
  }

  /** Compiles a library and runs its code, which registers its functions. */
  private compile(name: string, code: string, body: string, timeoutMs: number): Library {
    const ref = this.lua.compile(body, '@user_function', this.envRef);
    if (typeof ref === 'string') throw new ReplyError(`ERR Error compiling function: ${ref}`);
    const functions = new Map<string, RegisteredFunction>();
    this.loading = functions;
    this.loadingLibrary = name;
    this.setView(true);
    let error: string | null;
    try {
      error = this.lua.runLoader(ref, timeoutMs);
    } finally {
      this.loading = null;
      // A state reset while the code ran (a bug) took the view with it.
      if (this.generation === this.lua.generation) {
        this.setView(false);
        this.lua.vm.unref(ref);
      }
    }
    const library = { name, code, functions };
    if (error !== null) {
      this.free(library);
      throw new ReplyError(`ERR Error registering functions: ${error}`);
    }
    if (functions.size === 0) throw new ReplyError('ERR No functions registered');
    return library;
  }

  /** While loading, a library's code sees only the loading API; afterwards its functions see the sandbox. */
  private setView(loading: boolean): void {
    const vm = this.lua.vm;
    vm.pushRef(this.viewRef);
    vm.pushBoolean(loading);
    assert(vm.pcall(1, 0, 0) === LUA_OK, 'the library view did not switch');
  }

  /** The first function of `libraries` whose name another library (not among `replaced`) has, or null. */
  private clash(libraries: readonly Library[], replaced: ReadonlySet<string>): string | null {
    for (const library of libraries) {
      for (const name of library.functions.keys()) {
        const other = this.byName.get(name.toLowerCase());
        if (other !== undefined && !replaced.has(other.library)) return name;
      }
    }
    return null;
  }

  /** A function name two of `libraries` share (the last one's), or null. */
  private clashAmong(libraries: readonly Library[]): string | null {
    const last = libraries[libraries.length - 1]!;
    const seen = new Set<string>();
    for (const l of libraries.slice(0, -1)) for (const name of l.functions.keys()) seen.add(name.toLowerCase());
    for (const name of last.functions.keys()) if (seen.has(name.toLowerCase())) return name;
    return null;
  }

  private link(library: Library): void {
    this.libraries.set(library.name, library);
    for (const fn of library.functions.values()) {
      const key = fn.name.toLowerCase();
      // Two names of one library that differ only in case: the first keeps the name, as in Redis.
      if (!this.byName.has(key)) this.byName.set(key, fn);
    }
  }

  private unlink(library: Library): void {
    this.libraries.delete(library.name);
    for (const fn of library.functions.values()) {
      const key = fn.name.toLowerCase();
      if (this.byName.get(key) === fn) this.byName.delete(key);
    }
    this.free(library);
  }

  private free(library: Library): void {
    if (this.generation !== this.lua.generation) return;
    for (const fn of library.functions.values()) this.lua.vm.unref(fn.ref);
  }

  /** redis.register_function, as function_lua.c reads its arguments (positional, or one table of named ones). */
  private register(L: number): number {
    const vm = this.lua.vm;
    let ref = -1;
    const fail = (text: string): number => {
      if (ref >= 0) vm.unref(ref);
      return this.lua.raiseError(L, `ERR ${text}`);
    };
    const into = this.loading;
    if (into === null) return fail('redis.register_function can only be called on FUNCTION LOAD command');
    const stringy = (idx: number): boolean => vm.type(idx) === LuaType.String || vm.type(idx) === LuaType.Number;
    const argc = vm.top();
    if (argc < 1 || argc > 2) return fail('wrong number of arguments to redis.register_function');
    let name: string | null = null;
    let description: string | null = null;
    const flags = new Set<FunctionFlag>();
    if (argc === 2) {
      if (!stringy(1)) return fail('first argument to redis.register_function must be a string');
      if (vm.type(2) !== LuaType.Function) return fail('second argument to redis.register_function must be a function');
      name = vm.toString(1)!;
      vm.pushValue(2);
      ref = vm.ref();
    } else {
      if (vm.type(1) !== LuaType.Table) return fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      vm.pushNil();
      while (vm.next(1)) {
        if (!stringy(-2)) return fail('named argument key given to redis.register_function is not a string');
        // A copy: converting a number key in place would derail lua_next.
        vm.pushValue(-2);
        const key = vm.toString(-1)!.toLowerCase();
        vm.pop(1);
        if (key === 'function_name') {
          if (!stringy(-1)) return fail('function_name argument given to redis.register_function must be a string');
          name = vm.toString(-1)!;
        } else if (key === 'description') {
          if (!stringy(-1)) return fail('description argument given to redis.register_function must be a string');
          description = vm.toString(-1)!;
        } else if (key === 'callback') {
          if (vm.type(-1) !== LuaType.Function) return fail('callback argument given to redis.register_function must be a function');
          if (ref >= 0) vm.unref(ref);
          vm.pushValue(-1);
          ref = vm.ref();
        } else if (key === 'flags') {
          if (vm.type(-1) !== LuaType.Table) return fail('flags argument to redis.register_function must be a table representing function flags');
          const t = vm.top();
          for (let j = 1; vm.rawGetIndex(t, j) !== LuaType.Nil; j++) {
            const flag = stringy(-1) ? FUNCTION_FLAGS.find((f) => f === vm.toString(-1)!.toLowerCase()) : undefined;
            vm.pop(1);
            if (flag === undefined) return fail('unknown flag given');
            flags.add(flag);
          }
          vm.pop(1);
        } else {
          return fail('unknown argument given to redis.register_function');
        }
        vm.pop(1);
      }
      if (name === null) return fail('redis.register_function must get a function name argument');
      if (ref < 0) return fail('redis.register_function must get a callback argument');
    }
    if (!validName(name)) return fail(BAD_NAME);
    if (into.has(name)) return fail('Function already exists in the library');
    into.set(name, { name, description, flags, library: this.loadingLibrary, ref });
    return 0;
  }
}
