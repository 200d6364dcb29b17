// Server commands: INFO, CONFIG, TIME, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF and COMMAND.
import { MAX_TIMER_MS } from '../../util/clock.js';
import { globMatch } from '../glob.js';
import { intArg, parseInt64 } from './args.js';
import { BLOCKED, type CommandSpec, type Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { keyAccess, legacyKeyRange, type KeySpec } from './key-access.js';
import { REDIS_COMMAND_INFO } from './key-specs.js';
import { writeDocs } from './docs.js';
import { NO_KEYS, command, family } from './spec.js';

function info(c: Ctx): void {
  c.out.verbatim(c.server.info(c.argv.slice(1).map((s) => s.toLowerCase())));
}

function configGet(c: Ctx): void {
  const pairs = c.server.config.get(c.argv.slice(2));
  c.out.map(pairs.length);
  for (const [k, v] of pairs) {
    c.out.bulk(k);
    c.out.bulk(v);
  }
}

function configSet(c: Ctx): void {
  const a = c.argv;
  if ((a.length - 2) % 2 !== 0) fail("ERR wrong number of arguments for 'config|set' command");
  const pairs: Array<[string, string]> = [];
  for (let i = 2; i < a.length; i += 2) pairs.push([a[i]!, a[i + 1]!]);
  // Passwords are not shown by SLOWLOG and MONITOR.
  for (let i = 2; i < a.length; i += 2) if (SENSITIVE.has(a[i]!.toLowerCase())) c.redact(i + 1, i + 1);
  const err = c.server.config.set(pairs);
  if (err !== null) fail('ERR ' + err);
  c.out.ok();
}

/** Redis 7.0's SENSITIVE_CONFIG parameters (not yet the TLS key passwords). */
const SENSITIVE = new Set(['requirepass', 'masterauth', 'masteruser']);

/** The clock itself, as Redis's gettimeofday: in a script or EXEC too, where `now` stands still. */
function time(c: Ctx): void {
  const us = c.clock.micros();
  c.out.array(2);
  c.out.bulk(String(Math.floor(us / 1e6)));
  c.out.bulk(String(us % 1e6));
}

function save(c: Ctx): typeof BLOCKED {
  if (c.server.saves.saving) fail('ERR Background save already in progress');
  return c.server.suspend(
    c,
    c.server.saves.run('save').done.then(
      () => (x: Ctx) => x.out.ok(),
      (err: Error) => (x: Ctx) => x.out.error('ERR ' + err.message),
    ),
  );
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops the node, as SIGTERM does (every group's
 * journal flushed and closed, the queue stopped too: one process serves both). SAVE writes a
 * snapshot first (a failure stops nothing, unless FORCE). Without SAVE nothing is lost either
 * when the journal is on: it holds every acknowledged write. As in Redis, a client that asked
 * gets no reply: its connection closes with the process.
 */
function shutdown(c: Ctx): typeof BLOCKED | void {
  const flags = new Set<string>();
  for (const a of c.argv.slice(1)) {
    const f = a.toUpperCase();
    if (!['NOSAVE', 'SAVE', 'NOW', 'FORCE', 'ABORT'].includes(f)) throw syntax();
    flags.add(f);
  }
  if ((flags.has('NOSAVE') && flags.has('SAVE')) || (flags.has('ABORT') && flags.size > 1)) throw syntax();
  if (flags.has('ABORT')) fail('ERR No shutdown in progress.');
  const refused = 'ERR Errors trying to SHUTDOWN. Check logs.';
  const stop = (x: Ctx): void => {
    if (!x.server.shutdown()) x.out.error(refused);
  };
  if (!flags.has('SAVE')) {
    if (!c.server.shutdown()) fail(refused);
    return c.server.suspend(c, new Promise(() => undefined));
  }
  const force = flags.has('FORCE');
  return c.server.suspend(
    c,
    c.server.saves.run('save').done.then(
      () => stop,
      () => (x: Ctx) => (force ? stop(x) : x.out.error(refused)),
    ),
  );
}

/** A background snapshot, with Redis's replies; a failure is logged and shown by INFO persistence. */
function bgsave(c: Ctx): void {
  if (c.argv.length > 2 || (c.argv.length === 2 && c.argv[1]!.toUpperCase() !== 'SCHEDULE')) throw syntax();
  const saves = c.server.saves;
  if (saves.saving) fail('ERR Background save already in progress');
  if (saves.busy && c.argv.length === 1) {
    fail("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
  }
  const { scheduled, done } = saves.run('bgsave');
  done.catch(() => undefined);
  c.out.simple(scheduled ? 'Background saving scheduled' : 'Background saving started');
}

/**
 * Redis rewrites its journal into a compact base; Depot's equivalent is the same snapshot as
 * BGSAVE's, after which the log below it is dropped (saves.ts).
 */
function bgrewriteaof(c: Ctx): void {
  const saves = c.server.saves;
  if (saves.aof.running) fail('ERR Background append only file rewriting already in progress');
  const { scheduled, done } = saves.run('rewrite');
  done.catch(() => undefined);
  c.out.simple(scheduled ? 'Background append only file rewriting scheduled' : 'Background append only file rewriting started');
}

/** The COMMAND INFO entry of one command (Redis 7 shape: its tips and key specs are Redis's, key-specs.ts). */
function writeInfo(c: Ctx, s: CommandSpec): void {
  c.out.array(10);
  c.out.bulk(s.name);
  c.out.int(s.arity);
  c.out.set(s.flags.length);
  for (const f of s.flags) c.out.simple(f);
  const redis = REDIS_COMMAND_INFO[s.name];
  // Redis derives these from its key specs: SPUBLISH's channel, for one, counts here.
  const [first, last, step] = redis?.keySpecs === undefined ? [s.firstKey, s.lastKey, s.step] : legacyKeyRange(redis.keySpecs);
  c.out.int(first);
  c.out.int(last);
  c.out.int(step);
  c.out.set(s.categories.length);
  for (const cat of s.categories) c.out.simple('@' + cat);
  const tips = redis?.tips ?? [];
  c.out.set(tips.length);
  for (const tip of tips) c.out.bulk(tip);
  // RESP3 types as Redis 7.0 writes them: the key specs a set, no subcommands an empty set.
  const keySpecs = redis?.keySpecs ?? [];
  c.out.set(keySpecs.length);
  for (const k of keySpecs) writeKeySpec(c, k);
  const subs = s.subcommands === undefined ? [] : [...s.subcommands.values()];
  if (subs.length === 0) c.out.set(0);
  else c.out.array(subs.length);
  for (const sub of subs) writeInfo(c, sub);
}

/** One key spec as COMMAND INFO shows it (a map: notes, flags, begin_search, find_keys). */
function writeKeySpec(c: Ctx, k: KeySpec): void {
  c.out.map(k.notes === undefined ? 3 : 4);
  if (k.notes !== undefined) {
    c.out.bulk('notes');
    c.out.bulk(k.notes);
  }
  c.out.bulk('flags');
  const flags = k.flags.split(' ');
  c.out.set(flags.length);
  for (const f of flags) c.out.simple(f);
  const section = (name: string, type: string, fields: ReadonlyArray<readonly [string, string | number]>) => {
    c.out.bulk(name);
    c.out.map(2);
    c.out.bulk('type');
    c.out.bulk(type);
    c.out.bulk('spec');
    c.out.map(fields.length);
    for (const [field, value] of fields) {
      c.out.bulk(field);
      if (typeof value === 'number') c.out.int(value);
      else c.out.bulk(value);
    }
  };
  const b = k.begin;
  section('begin_search', b[0], b[0] === 'index' ? [['index', b[1]]] : b[0] === 'keyword' ? [['keyword', b[1]], ['startfrom', b[2]]] : []);
  const f = k.find;
  section('find_keys', f[0], f[0] === 'range' ? [['lastkey', f[1]], ['keystep', f[2]], ['limit', f[3]]] : f[0] === 'keynum' ? [['keynumidx', f[1]], ['firstkey', f[2]], ['keystep', f[3]]] : []);
}

function commandAll(c: Ctx): void {
  const all = [...c.server.commands.all()];
  c.out.array(all.length);
  for (const s of all) writeInfo(c, s);
}

function commandInfo(c: Ctx): void {
  const names = c.argv.slice(2);
  const specs = names.length === 0 ? [...c.server.commands.all()] : names.map((n) => c.server.commands.get(n.toLowerCase()));
  c.out.array(specs.length);
  for (const s of specs) {
    if (s === undefined) c.out.nullArray();
    else writeInfo(c, s);
  }
}

function commandDocs(c: Ctx): void {
  const names = c.argv.slice(2);
  const specs = names.length === 0 ? [...c.server.commands.all()] : names.map((n) => c.server.commands.get(n.toLowerCase()));
  const found = specs.filter((s): s is CommandSpec => s !== undefined);
  c.out.map(found.length);
  for (const s of found) {
    c.out.bulk(s.name);
    writeDocs(c, s);
  }
}

function commandList(c: Ctx): void {
  const a = c.argv;
  let filter: (s: CommandSpec) => boolean = () => true;
  if (a.length === 5 && a[2]!.toUpperCase() === 'FILTERBY') {
    const kind = a[3]!.toUpperCase();
    const value = a[4]!.toLowerCase();
    if (kind === 'ACLCAT') filter = (s) => s.categories.includes(value.replace(/^@/, ''));
    else if (kind === 'PATTERN') filter = (s) => globMatch(value, s.name, true);
    else if (kind === 'MODULE') filter = () => false;
    else throw syntax();
  } else if (a.length !== 2) throw syntax();
  // Subcommands too, by their full names ("config|get"), as Redis 7 lists them.
  const specs: CommandSpec[] = [];
  for (const s of c.server.commands.all()) {
    specs.push(s);
    if (s.subcommands !== undefined) specs.push(...s.subcommands.values());
  }
  c.out.bulkArray(specs.filter(filter).map((s) => s.name));
}

/**
 * COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of the command line after the subcommand, with
 * how they are used, checked in Redis's order: the command, whether it has keys at all, its
 * arity, then the line's keys (none is an error unless the command may have none, as EVAL).
 */
function commandGetkeys(c: Ctx, withFlags: boolean): void {
  const argv = c.argv.slice(2);
  // A subcommand has its own key positions (XGROUP CREATE's key is the third argument).
  const spec = c.server.commands.specOf(argv);
  if (spec === undefined) fail('ERR Invalid command specified');
  if (!hasKeys(spec)) fail('ERR The command has no key arguments');
  if (spec.arity > 0 ? argv.length !== spec.arity : argv.length < -spec.arity) fail('ERR Invalid number of arguments specified for command');
  const access = keyAccess(spec, argv);
  if (access.length === 0) {
    if (spec.flags.includes('no_mandatory_keys')) return void c.out.array(0);
    fail('ERR Invalid arguments specified for command');
  }
  if (!withFlags) return c.out.bulkArray(access.map((a) => a.key));
  c.out.array(access.length);
  for (const { key, flags } of access) {
    c.out.array(2);
    c.out.bulk(key);
    c.out.set(flags.length);
    for (const f of flags) c.out.simple(f);
  }
}

/** db.c's doesCommandHaveKeys: key positions or a function of its own, or a key spec that names keys. */
function hasKeys(spec: CommandSpec): boolean {
  if (spec.keysOf !== undefined || spec.firstKey !== 0) return true;
  return REDIS_COMMAND_INFO[spec.name]?.keySpecs?.some((k) => !k.flags.split(' ').includes('not_key')) === true;
}

/** The key arguments of a command line, from its key positions or its numkeys rule. */
export function keysOf(spec: CommandSpec, argv: readonly string[]): string[] {
  if (spec.keysOf !== undefined) return spec.keysOf(argv);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const keys: string[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) keys.push(argv[i]!);
  return keys;
}

const ADMIN = '@admin @slow @dangerous';
const configCommands = [
  command('config|get', -3, 'admin noscript loading stale', NO_KEYS, ADMIN, 'Returns configuration parameters.', configGet),
  command('config|set', -4, 'admin noscript loading stale', NO_KEYS, ADMIN, 'Sets configuration parameters.', configSet),
  command('config|resetstat', 2, 'admin noscript loading stale', NO_KEYS, ADMIN, 'Resets the statistics of INFO.', (c) => {
    c.server.resetStats();
    c.out.ok();
  }),
  command('config|rewrite', 2, 'admin noscript loading stale', NO_KEYS, ADMIN, 'Rewrites the configuration file.', () => fail('ERR The server is running without a config file')),
];

/**
 * WAIT numreplicas timeout: the cache's group has no replicas that Redis's WAIT could count, so
 * the answer is 0, at once when 0 replicas are asked for (or inside MULTI), else after the
 * timeout (milliseconds; 0 waits for ever), as a Redis master without replicas answers.
 */
function wait(c: Ctx): typeof BLOCKED | void {
  const replicas = intArg(c.argv[1]!);
  const timeout = parseInt64(c.argv[2]!);
  if (timeout === null) fail('ERR timeout is not an integer or out of range');
  if (timeout < 0) fail(Err.TIMEOUT_NEGATIVE);
  if (replicas <= 0 || c.inExec) return c.out.int(0);
  const answered = new Promise<(c: Ctx) => void>((resolve) => {
    // No timer for "for ever"; one that does not keep the process up for a shutdown otherwise.
    if (timeout > 0) setTimeout(() => resolve((ctx) => ctx.out.int(0)), Math.min(Number(timeout), MAX_TIMER_MS)).unref();
  });
  return c.server.suspend(c, answered);
}

/** Refused before they run (dispatcher.ts, PROTECTED), as Redis 7 refuses them by default. */
const refused = () => fail('ERR refused');
const moduleCommands = [
  command('module|list', 2, 'admin noscript', NO_KEYS, ADMIN, 'Returns the loaded modules (none).', (c) => c.out.array(0)),
  command('module|load', -3, 'admin noscript no_async_loading', NO_KEYS, ADMIN, 'Loads a module (refused).', refused),
  command('module|loadex', -3, 'admin noscript no_async_loading', NO_KEYS, ADMIN, 'Loads a module with configurations (refused).', refused),
  command('module|unload', 3, 'admin noscript no_async_loading', NO_KEYS, ADMIN, 'Unloads a module (refused).', refused),
];

const commandCommands = [
  command('command|count', 2, 'loading stale', NO_KEYS, '@connection @slow', 'Returns the number of commands.', (c) => c.out.int(c.server.commands.count)),
  command('command|info', -2, 'loading stale', NO_KEYS, '@connection @slow', 'Describes commands.', commandInfo),
  command('command|docs', -2, 'loading stale', NO_KEYS, '@connection @slow', 'Documents commands.', commandDocs),
  command('command|list', -2, 'loading stale', NO_KEYS, '@connection @slow', 'Lists command names.', commandList),
  command('command|getkeys', -4, 'loading stale', NO_KEYS, '@connection @slow', 'Extracts the keys of a command line.', (c) => commandGetkeys(c, false)),
  command('command|getkeysandflags', -4, 'loading stale', NO_KEYS, '@connection @slow', 'Extracts the keys of a command line and how it uses each.', (c) => commandGetkeys(c, true)),
];

// COMMAND DOCS groups WAIT with the keys' commands, as Redis does.
export const serverCommands = family('server', [
  command('info', -1, 'loading stale', NO_KEYS, '@slow @dangerous', 'Returns information and statistics about the server.', info),
  command('config', -2, '', NO_KEYS, '@slow', 'Reads and changes configuration.', () => undefined, { subcommands: configCommands }),
  command('time', 1, 'loading stale fast', NO_KEYS, '@fast', 'Returns the server time.', time),
  // A standalone master's reply: Depot's replication is its raft group's, not Redis's.
  command('role', 1, 'noscript loading stale fast', NO_KEYS, '@admin @fast @dangerous', 'Returns the replication role.', (c) => {
    c.out.array(3);
    c.out.bulk('master');
    c.out.int(0);
    c.out.array(0);
  }),
  command('wait', 3, 'noscript', NO_KEYS, '@slow @connection', 'Waits for replicas to acknowledge the writes before it (there are none).', wait),
  command('debug', -2, 'admin noscript loading stale', NO_KEYS, ADMIN, 'Debugging commands (refused).', refused),
  command('module', -2, '', NO_KEYS, '@slow', 'Manages modules.', () => undefined, { subcommands: moduleCommands }),
  command('lastsave', 1, 'loading stale fast', NO_KEYS, '@admin @fast @dangerous', 'Returns the Unix time of the last snapshot.', (c) => c.out.int(c.server.saves.lastSave)),
  command('save', 1, 'admin noscript no_async_loading no_multi', NO_KEYS, ADMIN, 'Writes a snapshot and waits for it.', save),
  command('bgrewriteaof', 1, 'admin noscript no_async_loading', NO_KEYS, ADMIN, 'Compacts the journal: writes a snapshot in the background, then drops the log below it.', bgrewriteaof),
  command('bgsave', -1, 'admin noscript no_async_loading', NO_KEYS, ADMIN, 'Writes a snapshot in the background.', bgsave),
  command('shutdown', -1, 'admin noscript loading stale no_multi allow_busy', NO_KEYS, ADMIN, 'Stops the node (SAVE: after a snapshot).', shutdown),
  command('command', -1, 'loading stale', NO_KEYS, '@connection @slow', 'Describes the commands of the server.', commandAll, { subcommands: commandCommands }),
], { wait: 'generic' });
