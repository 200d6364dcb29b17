// FUNCTION and FCALL (Redis's functions.c): the arguments, the replies and what is logged. The
// libraries' engine is scripting/functions.ts; their code is keyspace state, logged as effects.
import type { CommandFlag, CommandSpec, Ctx } from './context.js';
import { keysAfterNumkeys, parseInt64 } from './args.js';
import { fail } from './reply-error.js';
import { command, family, NO_KEYS } from './spec.js';
import { declaredCommandFlags } from './script-flags.js';
import { globMatch } from '../glob.js';
import { ENGINE, FUNCTION_FLAGS, type RestorePolicy } from '../scripting/functions.js';
import { encodeString, OPCODE_FUNCTION2, openPayload, RdbReader, sealPayload } from '../rdb/payload.js';
import type { ServerApi } from './server-api.js';

function load(c: Ctx): void {
  let replace = false;
  let i = 2;
  for (; i < c.argv.length - 1; i++) {
    if (c.argv[i]!.toLowerCase() !== 'replace') fail(`ERR Unknown option given: ${c.argv[i]!}`);
    replace = true;
  }
  const code = c.argv[i]!;
  const functions = c.server.functions;
  const library = functions.prepare(code, replace);
  c.fx.functionLoad(library.name, code);
  functions.install([library]);
  c.out.bulk(library.name);
}

function list(c: Ctx): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < c.argv.length; i++) {
    const arg = c.argv[i]!.toLowerCase();
    if (!withCode && arg === 'withcode') {
      withCode = true;
    } else if (pattern === null && arg === 'libraryname') {
      if (i >= c.argv.length - 1) fail('ERR library name argument was not given');
      pattern = c.argv[++i]!;
    } else {
      fail(`ERR Unknown argument ${c.argv[i]!}`);
    }
  }
  const libraries = [...c.server.functions.all()].filter((l) => pattern === null || globMatch(pattern, l.name, true));
  c.out.array(libraries.length);
  for (const library of libraries) {
    c.out.map(withCode ? 4 : 3);
    c.out.bulk('library_name');
    c.out.bulk(library.name);
    c.out.bulk('engine');
    c.out.bulk(ENGINE);
    c.out.bulk('functions');
    c.out.array(library.functions.size);
    for (const fn of library.functions.values()) {
      c.out.map(3);
      c.out.bulk('name');
      c.out.bulk(fn.name);
      c.out.bulk('description');
      if (fn.description === null) c.out.nullBulk();
      else c.out.bulk(fn.description);
      c.out.bulk('flags');
      const flags = FUNCTION_FLAGS.filter((f) => fn.flags.has(f));
      c.out.set(flags.length);
      for (const f of flags) c.out.simple(f);
    }
    if (withCode) {
      c.out.bulk('library_code');
      c.out.bulk(library.code);
    }
  }
}

function del(c: Ctx): void {
  const name = c.argv[2]!;
  if (c.server.functions.get(name) === undefined) fail('ERR Library not found');
  c.fx.functionDelete(name);
  c.out.ok();
}

function flush(c: Ctx): void {
  if (c.argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]!}'. Try FUNCTION HELP.`);
  if (c.argv.length === 3 && !['async', 'sync'].includes(c.argv[2]!.toLowerCase())) fail('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  c.fx.functionFlush();
  c.out.ok();
}

// No function can be running while a command is read (functions run inside one command).
function stats(c: Ctx): void {
  const functions = c.server.functions;
  c.out.map(2);
  c.out.bulk('running_script');
  c.out.nullBulk();
  c.out.bulk('engines');
  c.out.map(1);
  c.out.bulk(ENGINE);
  c.out.map(2);
  c.out.bulk('libraries_count');
  c.out.int(functions.libraryCount);
  c.out.bulk('functions_count');
  c.out.int(functions.functionCount);
}

/** Every library's code after RDB_OPCODE_FUNCTION2, sealed as a DUMP payload (Depot does not compress it). */
function dump(c: Ctx): void {
  const parts: Buffer[] = [];
  for (const library of c.server.functions.all()) parts.push(Buffer.of(OPCODE_FUNCTION2), encodeString(library.code));
  c.out.bulk(sealPayload(Buffer.concat(parts)).toString('latin1'));
}

function restore(c: Ctx): void {
  if (c.argv.length > 4) fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]!}'. Try FUNCTION HELP.`);
  let policy: RestorePolicy = 'append';
  if (c.argv.length === 4) {
    const p = c.argv[3]!.toLowerCase();
    if (p !== 'append' && p !== 'replace' && p !== 'flush') fail('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    policy = p;
  }
  const body = openPayload(Buffer.from(c.argv[2]!, 'latin1'));
  if (body === null) fail('ERR DUMP payload version or checksum are wrong');
  const reader = new RdbReader(body);
  const codes: string[] = [];
  while (reader.remaining > 0) {
    if (reader.byte() !== OPCODE_FUNCTION2) fail('ERR given type is not a function');
    const code = reader.string();
    if (code === null) fail('ERR Failed loading library payload');
    codes.push(code);
  }
  const functions = c.server.functions;
  const libraries = functions.prepareRestore(codes, policy);
  if (policy === 'flush') c.fx.functionFlush();
  for (const library of libraries) c.fx.functionLoad(library.name, library.code);
  functions.install(libraries);
  c.out.ok();
}

const S = '@slow @scripting';
const W = '@write @slow @scripting';

const functionCommands: CommandSpec[] = [
  command('function|load', -3, 'write denyoom noscript', NO_KEYS, W, 'Creates a library from its code (REPLACE: replaces one of the same name).', load),
  command('function|list', -2, 'noscript', NO_KEYS, S, 'Lists the libraries and their functions (LIBRARYNAME pattern, WITHCODE).', list),
  command('function|delete', 3, 'write noscript', NO_KEYS, W, 'Deletes a library.', del),
  command('function|flush', -2, 'write noscript', NO_KEYS, W, 'Deletes every library.', flush),
  command('function|stats', 2, 'noscript allow_busy', NO_KEYS, S, 'Tells the running function (never one here) and the engine counts.', stats),
  command('function|kill', 2, 'noscript allow_busy', NO_KEYS, S, 'Stops the running function (none can be running here).', () => fail('NOTBUSY No scripts in execution right now.')),
  command('function|dump', 2, 'noscript', NO_KEYS, S, 'Serializes every library into a payload for FUNCTION RESTORE.', dump),
  command('function|restore', -3, 'write denyoom noscript', NO_KEYS, W, 'Restores libraries from a payload (FLUSH, APPEND (default) or REPLACE).', restore),
];

function fcall(c: Ctx, readOnly: boolean): void {
  const functions = c.server.functions;
  const fn = functions.function(c.argv[1]!);
  if (fn === undefined) fail('ERR Function not found');
  const n = parseInt64(c.argv[2]!);
  if (n === null) fail('ERR Bad number of keys provided');
  if (n > c.argv.length - 3) fail("ERR Number of keys can't be greater than number of args");
  if (n < 0) fail("ERR Number of keys can't be negative");
  if (readOnly && !fn.flags.has('no-writes')) fail('ERR Can not execute a script with write flag using *_ro command.');
  // A SELECT inside the function changes its database, not the caller's (Redis 7).
  const db = c.client.db;
  try {
    functions.call(c.out, fn, c.argv.slice(3, 3 + Number(n)), c.argv.slice(3 + Number(n)));
  } finally {
    c.client.db = db;
  }
}

/** FCALL's flags are the function's (script-flags.ts). */
function fcallFlags(flags: string): (server: ServerApi, argv: readonly string[]) => readonly CommandFlag[] {
  const base = flags.split(' ') as CommandFlag[];
  return (server, argv) => {
    const fn = server.functions.function(argv[1]!);
    return fn === undefined ? base : declaredCommandFlags(base, fn.flags);
  };
}

const keysOf = keysAfterNumkeys(2);
const FCALL_FLAGS = 'noscript skip_monitor stale no_mandatory_keys movablekeys';
const FCALL_RO_FLAGS = 'readonly noscript skip_monitor stale no_mandatory_keys movablekeys';

export const functionsCommands = family('scripting', [
  command('fcall', -3, FCALL_FLAGS, NO_KEYS, S, 'Runs a function.', (c) => fcall(c, false), { keysOf, flagsOf: fcallFlags(FCALL_FLAGS) }),
  command('fcall_ro', -3, FCALL_RO_FLAGS, NO_KEYS, S, 'Runs a function that does not write.', (c) => fcall(c, true), { keysOf, flagsOf: fcallFlags(FCALL_RO_FLAGS) }),
  command('function', -2, '', NO_KEYS, '@slow', 'Manages function libraries.', () => undefined, { subcommands: functionCommands }),
]);
