// One Lua 5.4 state (wasmoon: the reference Lua compiled to WebAssembly) and the part of the C
// API the scripting layer uses. Strings cross as bytes: a Depot value is a latin1 JS string (one
// character per byte), and it enters and leaves Lua unchanged, binary-safe, through the WASM
// heap, not through wasmoon's UTF-8 conversions.
//
// Functions written in JS and called by Lua (redis.call, cjson) get the state and return the
// count of results they pushed; they raise a Lua error with `raise`, which unwinds through the JS
// frames as Lua's longjmp (a thrown JS value that only the Lua side catches).
//
// Besides the state: what the libraries written in JS (cjson, cmsgpack, struct) share, Lua 5.1's
// numbers and lauxlib as Redis's C libraries meet them.
import { LuaFactory } from 'wasmoon';
import { assert } from '../../util/assert.js';

/** Lua's type tags (lua.h). */
export const enum LuaType {
  None = -1,
  Nil = 0,
  Boolean = 1,
  LightUserdata = 2,
  Number = 3,
  String = 4,
  Table = 5,
  Function = 6,
}

/** lua_typename's names, as error messages give them ('no value' for an argument not given). */
export function typeName(t: LuaType): string {
  return ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'][t] ?? 'no value';
}

/** Values one C function may hold on Lua 5.1's stack (LUAI_MAXCSTACK): a limit Redis's libraries meet. */
export const MAX_C_STACK = 8000;

const INT64_MIN = -(2n ** 63n);

/**
 * A Lua 5.1 number (a double) cast to int64 as C does on x86-64 (`cvttsd2si`): truncated, and
 * NaN, the infinities and everything outside int64 are INT64_MIN.
 */
export function toInt64(x: number): bigint {
  return x >= -(2 ** 63) && x < 2 ** 63 ? BigInt(Math.trunc(x)) : INT64_MIN;
}

/** C's "%.14g" of a finite number. */
export function formatG14(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, exp] = x.toExponential(13).split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 14) {
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 13 - e));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * A number as Lua 5.1 makes it a string ("%.14g", glibc's inf and nan). NaN is "-nan": x86's
 * NaNs from arithmetic (0/0) have the sign bit set, and JS cannot tell.
 */
export function lua51String(x: number): string {
  if (Number.isFinite(x)) return formatG14(x);
  return Number.isNaN(x) ? '-nan' : x > 0 ? 'inf' : '-inf';
}

const HEX_NUMBER = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i;
const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const SPECIAL_NUMBER = /^([+-]?)(inf|infinity|nan(?:\([0-9a-z_]*\))?)$/i;

/**
 * A string as Lua 5.1 reads it as a number (luaO_str2d: glibc's strtod, surrounding spaces
 * allowed, the C string ending at a NUL), or null. Unlike 5.4, hex floats, "inf" and "nan" are
 * numbers.
 */
export function lua51Number(s: string): number | null {
  const nul = s.indexOf('\0');
  const text = (nul < 0 ? s : s.slice(0, nul)).replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
  if (DECIMAL_NUMBER.test(text)) return Number(text);
  const special = SPECIAL_NUMBER.exec(text);
  if (special !== null) {
    const x = special[2]!.toLowerCase().startsWith('nan') ? NaN : Infinity;
    return special[1] === '-' ? -x : x;
  }
  const hex = HEX_NUMBER.exec(text);
  if (hex === null || hex[2]! + (hex[3] ?? '') === '') return null;
  const fraction = hex[3] ?? '';
  // Its digits as one integer, scaled: exact unless it has more than 13 of them.
  const x = Number(BigInt(`0x${hex[2]!}${fraction}`)) * 2 ** (Number(hex[4] ?? 0) - 4 * fraction.length);
  return hex[1] === '-' ? -x : x;
}

/** lua_pcall's status codes that matter here (lua.h). */
export const LUA_OK = 0;
export const LUA_ERRMEM = 4;
/** Pseudo-index of the registry (LUA_REGISTRYINDEX with Lua 5.4's LUAI_MAXSTACK of 1,000,000). */
export const REGISTRY = -1_001_000;
/** The registry's slot of the globals table (LUA_RIDX_GLOBALS). */
const RIDX_GLOBALS = 2n;
const LUA_MASKCOUNT = 8;
/** lua_Integer arguments are bigints: the small ones, made once. */
const SMALL_INTEGERS = Array.from({ length: 256 }, (_, i) => BigInt(i));

function integer(i: number): bigint {
  return i < SMALL_INTEGERS.length ? SMALL_INTEGERS[i]! : BigInt(i);
}

/** The WASM exports used (numbers are pointers into the WASM heap; lua_Integer is a bigint). */
interface LuaExports {
  _malloc(n: number): number;
  _free(p: number): void;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _lua_close(L: number): void;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_type(L: number, idx: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, p: number, len: number): number;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_tolstring(L: number, idx: number, lenOut: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_toboolean(L: number, idx: number): number;
  _lua_touserdata(L: number, idx: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_rawset(L: number, idx: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_rawget(L: number, idx: number): number;
  _lua_rawlen(L: number, idx: number): number;
  _lua_next(L: number, idx: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _luaL_loadbufferx(L: number, buf: number, size: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nresults: number, msgh: number, ctx: number, k: number): number;
  _lua_error(L: number): number;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _lua_setupvalue(L: number, funcindex: number, n: number): number;
  _lua_checkstack(L: number, n: number): number;
  _luaL_where(L: number, level: number): void;
  _lua_getstack(L: number, level: number, ar: number): number;
  _lua_getinfo(L: number, what: number, ar: number): number;
}

/** The memory views and function table of the Emscripten module. */
interface LuaRuntime {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  addFunction(fn: (...args: number[]) => number | void, signature: string): number;
  removeFunction(p: number): void;
}

type LuaApi = Omit<LuaExports, keyof LuaRuntime> & LuaRuntime;

/**
 * Loads the module. wasmoon 1.16 is an Emscripten build with assertions, whose every exported
 * function is a wrapper that formats two messages per call: about a tenth of an EVAL's CPU. The
 * instance's exports are the same functions without the wrapper, so they are taken as the module
 * instantiates (module's wrappers remain the fallback).
 */
async function loadLua(): Promise<LuaApi> {
  type Exports = Record<string, unknown>;
  type Instantiate = (...args: unknown[]) => Promise<{ instance?: { exports: Exports }; exports?: Exports }>;
  const wasm = (globalThis as unknown as { WebAssembly: { instantiate: Instantiate } }).WebAssembly;
  const instantiate = wasm.instantiate;
  let exports: Exports | undefined;
  wasm.instantiate = async (...args) => {
    const result = await instantiate.apply(wasm, args);
    exports = result.instance?.exports ?? result.exports;
    return result;
  };
  let module: Record<string, unknown>;
  try {
    module = (await new LuaFactory().getLuaModule()).module as unknown as Record<string, unknown>;
  } finally {
    wasm.instantiate = instantiate;
  }
  const api: Record<string, unknown> = {};
  for (const name of Object.keys(module)) {
    if (!name.startsWith('_')) continue;
    const raw = exports?.[name.slice(1)];
    api[name] = typeof raw === 'function' ? raw : module[name];
  }
  // Views replaced when the memory grows: read through the module each time.
  Object.defineProperty(api, 'HEAPU8', { get: () => module['HEAPU8'] });
  Object.defineProperty(api, 'HEAPU32', { get: () => module['HEAPU32'] });
  api['addFunction'] = module['addFunction'];
  api['removeFunction'] = module['removeFunction'];
  printFloatsAs51(module['HEAPU8'] as Uint8Array);
  return api as unknown as LuaApi;
}

/**
 * Makes Lua 5.4 print a float as Redis's Lua 5.1 prints every number: "%.14g" alone (`10/2` is
 * "5", `-0.0` is "-0"), where 5.4 appends ".0" to a float that looks like an integer ("5.0").
 * Scripts build keys and values by concatenating numbers, so the text is data. lobject.c's
 * tostringbuff, the one path by which 5.4 turns a number into text (tostring, `..`,
 * string.format's %s, lua_tolstring), appends ".0" when
 * `buff[strspn(buff, "-0123456789")] == '\0'`: with the first byte of that accept set made NUL
 * in the instance's static data, strspn stops at the first character and nothing is appended.
 * The literal's tail ("0123456789", which the linker may share with other literals) is untouched.
 */
function printFloatsAs51(heap: Uint8Array): void {
  const memory = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
  const accept = Buffer.from('-0123456789\0', 'latin1');
  const at = memory.indexOf(accept);
  assert(at > 0 && memory.indexOf(accept, at + 1) < 0, 'the Lua build holds the literal "-0123456789" exactly once');
  assert(memory[at - 1] === 0, 'the literal "-0123456789" starts a string');
  heap[at] = 0;
}

const module = await loadLua();

/** A JS function Lua can call: gets the state, pushes its results, returns how many. */
export type LuaFunction = (L: number) => number;

export class LuaVm {
  /** The main thread; `L` is the thread running now (a coroutine's, inside a function it called). */
  private readonly main: number;
  L: number;
  private readonly m = module;
  /** Scratch for strings pushed and for the out-parameters of lua_tolstring. */
  private scratch = 0;
  private scratchBytes = 0;
  private readonly out: number;
  /** A lua_Debug (108 bytes on wasm32; its `name` and `namewhat` pointers at 4 and 8). */
  private readonly debug: number;
  /** C strings of names (field and global names, chunk names), allocated once per VM. */
  private readonly names = new Map<string, number>();
  /** Slots of the JS functions this state can call, given back when it closes. */
  private readonly functions: number[] = [];
  private closed = false;

  constructor() {
    this.main = this.m._luaL_newstate();
    assert(this.main !== 0, 'lua_newstate failed');
    this.L = this.main;
    this.m._luaL_openlibs(this.L);
    this.out = this.m._malloc(8);
    this.debug = this.m._malloc(128);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.m._lua_close(this.main);
    for (const p of this.names.values()) this.m._free(p);
    if (this.scratch !== 0) this.m._free(this.scratch);
    this.m._free(this.out);
    this.m._free(this.debug);
    // The table of functions callable from WASM would otherwise grow by a handful at every SCRIPT FLUSH.
    for (const p of this.functions) this.m.removeFunction(p);
  }

  private cstr(name: string): number {
    let p = this.names.get(name);
    if (p === undefined) {
      p = this.m._malloc(name.length + 1);
      const heap = this.m.HEAPU8;
      for (let i = 0; i < name.length; i++) heap[p + i] = name.charCodeAt(i) & 0xff;
      heap[p + name.length] = 0;
      this.names.set(name, p);
    }
    return p;
  }

  /** Runs `fn` with the stack operations on thread `L` (a raised error unwinds through the finally). */
  private on(L: number, fn: LuaFunction): number {
    const outer = this.L;
    this.L = L;
    try {
      return fn(L);
    } finally {
      this.L = outer;
    }
  }

  /** Copies `s`'s bytes (latin1) into the scratch area; returns its address. */
  private bytes(s: string): number {
    if (s.length + 1 > this.scratchBytes) {
      if (this.scratch !== 0) this.m._free(this.scratch);
      this.scratchBytes = Math.max(256, s.length + 1, this.scratchBytes * 2);
      this.scratch = this.m._malloc(this.scratchBytes);
      assert(this.scratch !== 0, 'out of WASM memory');
    }
    const heap = this.m.HEAPU8;
    if (s.length < 64) for (let i = 0; i < s.length; i++) heap[this.scratch + i] = s.charCodeAt(i);
    else Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength).write(s, this.scratch, 'latin1');
    return this.scratch;
  }

  /**
   * Makes room for `n` more values on the stack. The C API guarantees 20 free slots and no more:
   * code that pushes while it recurses (nested replies, JSON) must ask first, or it writes past
   * the stack. False when the stack cannot grow (about a million slots).
   */
  checkStack(n: number): boolean {
    return this.m._lua_checkstack(this.L, n) !== 0;
  }

  /** luaL_where: "chunk:line: " of the function at `level` (1: the caller of a JS function), or "". */
  where(level: number): string {
    this.m._luaL_where(this.L, level);
    const s = this.toString(-1) ?? '';
    this.pop(1);
    return s;
  }

  /**
   * The name the running JS function was called by, as the calling code names it (a local's
   * name, a field's key; `method` for obj:f()), or null when no Lua code called it (pcall).
   */
  calledAs(): { name: string; method: boolean } | null {
    const ar = this.debug;
    if (this.m._lua_getstack(this.L, 0, ar) === 0) return null;
    this.m._lua_getinfo(this.L, this.cstr('n'), ar);
    const heap32 = this.m.HEAPU32;
    const name = heap32[(ar + 4) >> 2]!;
    if (name === 0) return null;
    return { name: this.cString(name), method: this.cString(heap32[(ar + 8) >> 2]!) === 'method' };
  }

  private cString(p: number): string {
    const heap = this.m.HEAPU8;
    let s = '';
    for (let i = p; heap[i] !== 0; i++) s += String.fromCharCode(heap[i]!);
    return s;
  }

  top(): number {
    return this.m._lua_gettop(this.L);
  }

  setTop(idx: number): void {
    this.m._lua_settop(this.L, idx);
  }

  type(idx: number): LuaType {
    return this.m._lua_type(this.L, idx) as LuaType;
  }

  pushNil(): void {
    this.m._lua_pushnil(this.L);
  }

  pushString(s: string): void {
    this.m._lua_pushlstring(this.L, this.bytes(s), s.length);
  }

  pushInteger(n: number | bigint): void {
    this.m._lua_pushinteger(this.L, typeof n === 'bigint' ? n : BigInt(n));
  }

  pushNumber(n: number): void {
    this.m._lua_pushnumber(this.L, n);
  }

  pushBoolean(b: boolean): void {
    this.m._lua_pushboolean(this.L, b ? 1 : 0);
  }

  /** A light userdata holding NULL (cjson.null). */
  pushNull(): void {
    this.m._lua_pushlightuserdata(this.L, 0);
  }

  pushValue(idx: number): void {
    this.m._lua_pushvalue(this.L, idx);
  }

  pushFunction(fn: LuaFunction): void {
    const p = this.m.addFunction((L: number) => this.on(L, fn), 'ii');
    this.functions.push(p);
    this.m._lua_pushcclosure(this.L, p, 0);
  }

  /** The string (or number, converted in place as Lua does) at `idx`, as latin1; null for other types. */
  toString(idx: number): string | null {
    const p = this.m._lua_tolstring(this.L, idx, this.out);
    if (p === 0) return null;
    const n = this.m.HEAPU32[this.out >> 2]!;
    const heap = this.m.HEAPU8;
    if (n < 32) {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(heap[p + i]!);
      return s;
    }
    return Buffer.from(heap.buffer, heap.byteOffset + p, n).toString('latin1');
  }

  isInteger(idx: number): boolean {
    return this.m._lua_isinteger(this.L, idx) !== 0;
  }

  toInteger(idx: number): bigint {
    return this.m._lua_tointegerx(this.L, idx, 0);
  }

  toNumber(idx: number): number {
    return this.m._lua_tonumberx(this.L, idx, 0);
  }

  toBoolean(idx: number): boolean {
    return this.m._lua_toboolean(this.L, idx) !== 0;
  }

  /** True for a light userdata holding NULL (cjson.null). */
  isNull(idx: number): boolean {
    return this.type(idx) === LuaType.LightUserdata && this.m._lua_touserdata(this.L, idx) === 0;
  }

  newTable(narr = 0, nrec = 0): void {
    this.m._lua_createtable(this.L, narr, nrec);
  }

  /** t[i] = top of stack (popped), t at `idx`, without metamethods. */
  rawSetIndex(idx: number, i: number): void {
    this.m._lua_rawseti(this.L, idx, integer(i));
  }

  /** Pushes t[i], t at `idx`, without metamethods; returns its type. */
  rawGetIndex(idx: number, i: number): LuaType {
    return this.m._lua_rawgeti(this.L, idx, integer(i)) as LuaType;
  }

  /** An index that stays valid while values are pushed. */
  private absolute(idx: number): number {
    return idx < 0 && idx > REGISTRY ? this.top() + idx + 1 : idx;
  }

  /** t[name] = top of stack (popped), t at `idx`, without metamethods. */
  rawSetField(idx: number, name: string): void {
    const t = this.absolute(idx);
    this.pushString(name);
    this.pushValue(-2);
    this.m._lua_rawset(this.L, t);
    this.pop(1);
  }

  /** Pushes t[name], t at `idx`, without metamethods; returns its type. */
  rawGetField(idx: number, name: string): LuaType {
    const t = this.absolute(idx);
    this.pushString(name);
    return this.m._lua_rawget(this.L, t) as LuaType;
  }

  /** t[k] = v with k and v the two top values (popped), t at `idx`, without metamethods. */
  rawSet(idx: number): void {
    this.m._lua_rawset(this.L, idx);
  }

  /** lua_next: pops a key, pushes the next key and value; false at the end. */
  next(idx: number): boolean {
    return this.m._lua_next(this.L, idx) !== 0;
  }

  /** Pushes the globals table. */
  pushGlobals(): void {
    this.m._lua_rawgeti(this.L, REGISTRY, RIDX_GLOBALS);
  }

  /** Sets a global to the value on top (popped), past the globals table's metamethods (scripts see it read-only). */
  setGlobal(name: string): void {
    this.pushGlobals(); // value, _G
    this.pushValue(-2); // value, _G, value
    this.rawSetField(-2, name); // value, _G
    this.pop(2);
  }

  /** lua_insert: moves the top value to `idx`, shifting up what is above it. */
  insert(idx: number): void {
    this.m._lua_rotate(this.L, idx, 1);
  }

  pop(n: number): void {
    this.m._lua_settop(this.L, -n - 1);
  }

  /** Pops the top value into the registry; returns its reference. */
  ref(): number {
    return this.m._luaL_ref(this.L, REGISTRY);
  }

  /** Frees a reference (what it held can be collected). */
  unref(ref: number): void {
    this.m._luaL_unref(this.L, REGISTRY, ref);
  }

  pushRef(ref: number): void {
    this.m._lua_rawgeti(this.L, REGISTRY, integer(ref));
  }

  /** Compiles `source` (text only, never bytecode) as a function; pushes it, or the error message. */
  load(source: string, chunkName: string): boolean {
    const p = this.m._malloc(source.length + 1);
    assert(p !== 0, 'out of WASM memory');
    try {
      const heap = this.m.HEAPU8;
      Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength).write(source, p, 'latin1');
      return this.m._luaL_loadbufferx(this.L, p, source.length, this.cstr(chunkName), this.cstr('t')) === LUA_OK;
    } finally {
      this.m._free(p);
    }
  }

  /** Pops the top value into upvalue `n` of the function at `idx` (a chunk's first upvalue is its _ENV). */
  setUpvalue(idx: number, n: number): void {
    assert(this.m._lua_setupvalue(this.L, idx, n) !== 0, 'no upvalue %s', n);
  }

  /** lua_pcall with the message handler at `handler` (absolute index); returns the status. */
  pcall(nargs: number, nresults: number, handler: number): number {
    return this.m._lua_pcallk(this.L, nargs, nresults, handler, 0, 0);
  }

  /** Raises the value on top of the stack as a Lua error (does not return to the caller). */
  raise(L: number): number {
    return this.m._lua_error(L);
  }

  /** Calls `hook` every `instructions` VM instructions (0: never). */
  setCountHook(hook: ((L: number) => void) | null, instructions: number): void {
    if (hook === null) {
      this.m._lua_sethook(this.L, 0, 0, 0);
      return;
    }
    const p = this.m.addFunction((L: number) => void this.on(L, (t) => (hook(t), 0)), 'vii');
    this.functions.push(p);
    this.m._lua_sethook(this.L, p, LUA_MASKCOUNT, instructions);
  }

  /** A full collection. */
  collect(): void {
    const top = this.top();
    if (this.load('collectgarbage()', '=collect')) this.pcall(0, 0, 0);
    this.setTop(top);
  }

  /** Bytes the state has allocated (INFO's used_memory_lua). */
  memoryBytes(): number {
    // lua_gc is variadic and not exported: ask Lua itself.
    const top = this.top();
    const ok = this.load("return collectgarbage('count')", '=memory') && this.pcall(0, 1, 0) === LUA_OK;
    const kb = ok ? this.toNumber(-1) : 0;
    this.setTop(top);
    return Math.round(kb * 1024);
  }
}

// Lua 5.1's lauxlib as the libraries written in JS need it: Redis's C libraries read their
// arguments and raise their errors through it.

/** An error a library function raises: luaL_error's, prefixed with where the script called it, or one raised from C without a position. */
export class LibraryError extends Error {
  constructor(
    message: string,
    readonly located = true,
  ) {
    super(message);
  }
}

/** luaL_argerror's: about argument `n`, named with the function as its caller named it. */
class ArgumentError extends LibraryError {
  constructor(
    readonly n: number,
    readonly problem: string,
  ) {
    super(problem);
  }

  /** Lua 5.1's text: '?' for a function no Lua code called (pcall(f, ...)), self not counted in a method call. */
  text(vm: LuaVm): string {
    const called = vm.calledAs();
    let n = this.n;
    if (called?.method === true && --n === 0) return `calling '${called.name}' on bad self (${this.problem})`;
    return `bad argument #${n} to '${called?.name ?? '?'}' (${this.problem})`;
  }
}

export function argError(n: number, problem: string): LibraryError {
  return new ArgumentError(n, problem);
}

/**
 * The largest key and the number of keys of the table at `t` when every key is a positive
 * integer, else null: what cjson and cmsgpack look at to tell an array from a map.
 */
export function positiveIntegerKeys(vm: LuaVm, t: number): { max: number; count: number } | null {
  let max = 0;
  let count = 0;
  vm.pushNil();
  while (vm.next(t)) {
    vm.pop(1);
    if (vm.type(-1) !== LuaType.Number || !vm.isInteger(-1) || vm.toInteger(-1) <= 0n) {
      vm.pop(1);
      return null;
    }
    const k = Number(vm.toInteger(-1));
    if (k > max) max = k;
    count++;
  }
  return { max, count };
}

/** Pushes a table of functions; a LibraryError one throws is raised as a Lua error. */
export function pushLibrary(vm: LuaVm, functions: Readonly<Record<string, () => number>>): void {
  const guarded = (L: number, body: () => number): number => {
    let message: string;
    try {
      return body();
    } catch (err) {
      if (!(err instanceof LibraryError)) throw err;
      const text = err instanceof ArgumentError ? err.text(vm) : err.message;
      message = err.located ? vm.where(1) + text : text;
    }
    vm.pushString(message);
    return vm.raise(L);
  };
  const names = Object.keys(functions);
  vm.newTable(0, names.length);
  for (const name of names) {
    const body = functions[name]!;
    vm.pushFunction((L) => guarded(L, body));
    vm.rawSetField(-2, name);
  }
}

/** The value at `idx` as Lua 5.1's lua_tonumber reads it: a number, or a string that converts; null for anything else. */
export function lua51ToNumber(vm: LuaVm, idx: number): number | null {
  const t = vm.type(idx);
  if (t === LuaType.Number) return vm.toNumber(idx);
  return t === LuaType.String ? lua51Number(vm.toString(idx)!) : null;
}

/** luaL_checknumber of argument `n` as Lua 5.1 reads it. */
export function numberArg(vm: LuaVm, n: number): number {
  const x = lua51ToNumber(vm, n);
  if (x === null) throw argError(n, `number expected, got ${typeName(vm.type(n))}`);
  return x;
}

/** luaL_checkinteger, or luaL_optinteger with a fallback, as Lua 5.1 reads it: a number cast to int64. */
export function integerArg(vm: LuaVm, n: number, fallback?: bigint): bigint {
  const t = vm.type(n);
  if ((t === LuaType.None || t === LuaType.Nil) && fallback !== undefined) return fallback;
  return toInt64(numberArg(vm, n));
}

/** luaL_checklstring as Lua 5.1 reads it: a string, or a number as 5.1 prints it. */
export function stringArg(vm: LuaVm, n: number): string {
  const t = vm.type(n);
  if (t === LuaType.String) return vm.toString(n)!;
  if (t === LuaType.Number) return lua51String(vm.toNumber(n));
  throw argError(n, `string expected, got ${typeName(t)}`);
}

/**
 * Pushes a Lua 5.1 number (a double) as the 5.4 value that prints and replies as it does: an
 * integer while 5.1's "%.14g" prints it as one (below 1e14), else a float (1e+14, 0.5).
 */
export function pushLua51Number(vm: LuaVm, x: number): void {
  if (Number.isInteger(x) && Math.abs(x) < 1e14 && !Object.is(x, -0)) vm.pushInteger(x);
  else vm.pushNumber(x);
}
