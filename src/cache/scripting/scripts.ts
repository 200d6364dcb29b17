// EVAL's engine: the script cache (SHA1 of the body to the compiled function) over a Lua state
// of its own (lua-runtime.ts). KEYS and ARGV are globals, set before each run, as in Redis.
import type { ReplyWriter } from '../../protocol/resp/writer.js';
import { ReplyError } from '../commands/reply-error.js';
import { FUNCTION_FLAGS } from './functions.js';
import { LuaRuntime, sha1hex, type ScriptCommands } from './lua-runtime.js';

interface Script {
  readonly ref: number;
  /** The flags of its `#!lua` line; null without one (Redis's compatibility mode). */
  readonly declared: ReadonlySet<string> | null;
}

/** A script declares what a function may. */
const SHEBANG_FLAGS: ReadonlySet<string> = new Set(FUNCTION_FLAGS);

/** The body without a `#!lua` shebang line (kept as an empty line, so line numbers stay), and the flags it declared. */
function parseShebang(body: string): { source: string; declared: ReadonlySet<string> | null } {
  if (!body.startsWith('#!')) return { source: body, declared: null };
  const end = body.indexOf('\n');
  const line = end < 0 ? body : body.slice(0, end);
  const words = line.slice(2).split(' ').filter((w) => w !== '');
  if (words[0] !== 'lua') throw new ReplyError(`ERR Unexpected engine in script shebang: ${words[0] ?? ''}`);
  const declared = new Set<string>();
  for (const w of words.slice(1)) {
    if (!w.startsWith('flags=')) throw new ReplyError(`ERR Unknown lua shebang option: ${w}`);
    for (const flag of w.slice(6).split(',').filter((f) => f !== '')) {
      if (!SHEBANG_FLAGS.has(flag)) throw new ReplyError(`ERR Unexpected flag in script shebang: ${flag}`);
      declared.add(flag);
    }
  }
  return { source: end < 0 ? '' : body.slice(end), declared };
}

export class Scripts {
  private readonly lua: LuaRuntime;
  /** The state the cache's references are into. */
  private generation: number;
  private readonly cache = new Map<string, Script>();
  /** SHA1s of the bodies in the cache: EVAL sends the body each time, and a lookup costs less than hashing it. */
  private readonly shaOf = new Map<string, string>();

  constructor(commands: ScriptCommands, version: string, logLine: (level: number, line: string) => void = () => undefined) {
    this.lua = new LuaRuntime(commands, version, logLine);
    this.generation = this.lua.generation;
  }

  get count(): number {
    return this.current().size;
  }

  /** Bytes held by the Lua state (INFO's used_memory_vm_eval). */
  get memoryBytes(): number {
    return this.lua.memoryBytes;
  }

  /** Bytes of the cached scripts' bodies and SHA1s (INFO's used_memory_scripts_eval). */
  get cacheBytes(): number {
    this.current();
    let n = 0;
    for (const body of this.shaOf.keys()) n += body.length + 40;
    return n;
  }

  /** busy-reply-threshold (lua-time-limit), in ms. */
  set busyThresholdMs(ms: number) {
    this.lua.busyThresholdMs = ms;
  }

  has(sha: string): boolean {
    return this.current().has(sha);
  }

  /** Compiles `body` into the cache (SCRIPT LOAD, EVAL); returns its SHA1. */
  load(body: string): string {
    const cache = this.current();
    const known = this.shaOf.get(body);
    if (known !== undefined) return known;
    const sha = sha1hex(body);
    if (cache.has(sha)) return sha;
    const { source, declared } = parseShebang(body);
    const ref = this.lua.compile(source, '@user_script', this.lua.env);
    if (typeof ref === 'string') throw new ReplyError(`ERR Error compiling script (new function): ${ref}`);
    cache.set(sha, { ref, declared });
    this.shaOf.set(body, sha);
    return sha;
  }

  /** SCRIPT FLUSH: forgets every script and starts a new Lua state (as Redis does). */
  flush(): void {
    this.lua.reset();
    this.current();
  }

  close(): void {
    this.lua.close();
  }

  /** Runs the cached script `sha` and writes its reply (or error) into `out`. */
  run(out: ReplyWriter, sha: string, keys: readonly string[], args: readonly string[], readOnly: boolean): void {
    const script = this.current().get(sha);
    if (script === undefined) throw new ReplyError('NOSCRIPT No matching script. Please use EVAL.');
    const vm = this.lua.vm;
    vm.setTop(0);
    vm.pushGlobals();
    this.setGlobal('KEYS', keys);
    this.setGlobal('ARGV', args);
    vm.setTop(0);
    this.lua.call(out, script.ref, sha, () => 0, readOnly || script.declared?.has('no-writes') === true);
  }

  /**
   * The flags EVAL's script declared, read before it runs (its command's flags follow them):
   * null without a `#!lua` line, or when the line is bad (EVAL then fails on it).
   */
  declaredIn(body: string): ReadonlySet<string> | null {
    this.current();
    const sha = this.shaOf.get(body);
    if (sha !== undefined) return this.declaredBy(sha);
    if (!body.startsWith('#!')) return null;
    try {
      return parseShebang(body).declared;
    } catch {
      return null;
    }
  }

  /** The flags the cached script `sha` declared; null without any, or for a script not in the cache. */
  declaredBy(sha: string): ReadonlySet<string> | null {
    return this.current().get(sha)?.declared ?? null;
  }

  /** The cache, emptied when the state it refers into was replaced. */
  private current(): Map<string, Script> {
    if (this.generation !== this.lua.generation) {
      this.cache.clear();
      this.shaOf.clear();
      this.generation = this.lua.generation;
    }
    return this.cache;
  }

  /** Sets the global `name` (past the globals' protection) to an array of `values`; the globals table is at 1. */
  private setGlobal(name: string, values: readonly string[]): void {
    const vm = this.lua.vm;
    vm.pushString(name);
    this.lua.pushStrings(values);
    vm.rawSet(1);
  }
}
