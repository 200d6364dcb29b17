// EVAL, EVALSHA, their read-only forms and SCRIPT (Redis's eval.c). The engine is
// scripting/scripts.ts; here are the arguments and their errors.
import type { CommandFlag, CommandSpec, Ctx } from './context.js';
import { declaredCommandFlags } from './script-flags.js';
import type { ServerApi } from './server-api.js';
import { intArg, keysAfterNumkeys } from './args.js';
import { fail } from './reply-error.js';
import { command, family, NO_KEYS } from './spec.js';

/** EVAL's numkeys, checked against the arguments as Redis does. */
function numkeys(c: Ctx): number {
  const n = intArg(c.argv[2]!);
  if (n < 0) fail("ERR Number of keys can't be negative");
  if (n > c.argv.length - 3) fail("ERR Number of keys can't be greater than number of args");
  return n;
}

function evalGeneric(c: Ctx, bySha: boolean, readOnly: boolean): void {
  const n = numkeys(c);
  const scripts = c.server.scripts;
  let sha: string;
  if (bySha) {
    sha = c.argv[1]!.toLowerCase();
    if (!scripts.has(sha)) fail('NOSCRIPT No matching script. Please use EVAL.');
  } else {
    sha = scripts.load(c.argv[1]!);
  }
  // A SELECT inside the script changes the script's database, not the caller's (Redis 7).
  const db = c.client.db;
  try {
    scripts.run(c.out, sha, c.argv.slice(3, 3 + n), c.argv.slice(3 + n), readOnly);
  } finally {
    c.client.db = db;
  }
}

const scriptCommands: CommandSpec[] = [
  command('script|load', 3, 'noscript stale', NO_KEYS, '@slow @scripting', 'Compiles a script into the script cache.', (c) => c.out.bulk(c.server.scripts.load(c.argv[2]!))),
  command('script|exists', -3, 'noscript', NO_KEYS, '@slow @scripting', 'Tells which scripts are in the script cache.', (c) => {
    c.out.array(c.argv.length - 2);
    for (let i = 2; i < c.argv.length; i++) c.out.int(c.server.scripts.has(c.argv[i]!.toLowerCase()) ? 1 : 0);
  }),
  command('script|flush', -2, 'noscript', NO_KEYS, '@slow @scripting', 'Empties the script cache.', (c) => {
    if (c.argv.length > 3) fail("ERR unknown subcommand or wrong number of arguments for 'flush'. Try SCRIPT HELP.");
    if (c.argv.length === 3 && !['ASYNC', 'SYNC'].includes(c.argv[2]!.toUpperCase())) fail('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    c.server.scripts.flush();
    c.out.ok();
  }),
  // A script runs inside one command, so none is ever running when SCRIPT KILL is read.
  command('script|kill', 2, 'noscript allow_busy', NO_KEYS, '@slow @scripting', 'Stops the running script (none can be running here).', () =>
    fail('NOTBUSY No scripts in execution right now.'),
  ),
];

const E = '@slow @scripting';
const keysOf = keysAfterNumkeys(2);

/**
 * EVAL's flags: those of the command, for a script without a `#!lua` line (Redis's compatibility
 * mode: it meets maxmemory and read-only nodes at its writes, dispatcher.ts), else what it declared.
 */
function evalOptions(flags: string, bySha: boolean) {
  const base = flags.split(' ') as CommandFlag[];
  const flagsOf = (server: ServerApi, argv: readonly string[]): readonly CommandFlag[] => {
    const declared = bySha ? server.scripts.declaredBy(argv[1]!.toLowerCase()) : server.scripts.declaredIn(argv[1]!);
    return declared === null ? base : declaredCommandFlags(base, declared);
  };
  return { keysOf, flagsOf };
}

const EVAL_FLAGS = 'noscript skip_monitor stale no_mandatory_keys movablekeys';
const EVAL_RO_FLAGS = 'readonly noscript skip_monitor stale no_mandatory_keys movablekeys';

export const scriptingCommands = family('scripting', [
  command('eval', -3, EVAL_FLAGS, NO_KEYS, E, 'Runs a Lua script.', (c) => evalGeneric(c, false, false), evalOptions(EVAL_FLAGS, false)),
  command('evalsha', -3, EVAL_FLAGS, NO_KEYS, E, 'Runs a cached Lua script by its SHA1.', (c) => evalGeneric(c, true, false), evalOptions(EVAL_FLAGS, true)),
  command('eval_ro', -3, EVAL_RO_FLAGS, NO_KEYS, E, 'Runs a Lua script that does not write.', (c) => evalGeneric(c, false, true), evalOptions(EVAL_RO_FLAGS, false)),
  command('evalsha_ro', -3, EVAL_RO_FLAGS, NO_KEYS, E, 'Runs a cached Lua script that does not write, by its SHA1.', (c) => evalGeneric(c, true, true), evalOptions(EVAL_RO_FLAGS, true)),
  command('script', -2, '', NO_KEYS, '@slow', 'Manages the script cache.', () => undefined, { subcommands: scriptCommands }),
]);
