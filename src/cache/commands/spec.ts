// Building command table entries compactly: flags and ACL categories are written as
// space-separated words, the way they appear in Redis's command table.
import type { CommandFlag, CommandSpec, Handler } from './context.js';
import type { ServerApi } from './server-api.js';

export interface SpecOptions {
  readonly keysOf?: (argv: readonly string[]) => string[];
  readonly flagsOf?: (server: ServerApi, argv: readonly string[]) => readonly CommandFlag[];
  readonly subcommands?: readonly CommandSpec[];
}

/** One command: `keys` is [firstKey, lastKey, step] (all 0 for keyless commands). */
export function command(
  name: string,
  arity: number,
  flags: string,
  keys: readonly [number, number, number],
  categories: string,
  summary: string,
  handler: Handler,
  options: SpecOptions = {},
): CommandSpec {
  const words = (s: string) => s.split(' ').filter((w) => w.length > 0);
  // A family may answer HELP itself (CLUSTER without cluster support refuses it as the rest).
  const own = options.subcommands?.some((s) => s.name === `${name}|help`) ?? false;
  const subs = options.subcommands === undefined ? undefined : own ? options.subcommands : [...options.subcommands, helpSubcommand(name, options.subcommands)];
  return {
    name,
    arity,
    flags: inFlagOrder(words(flags) as CommandFlag[]),
    firstKey: keys[0],
    lastKey: keys[1],
    step: keys[2],
    categories: inTableOrder(words(categories).map((c) => c.replace(/^@/, ''))),
    group: '',
    summary,
    handler,
    ...(options.keysOf === undefined ? {} : { keysOf: options.keysOf }),
    ...(options.flagsOf === undefined ? {} : { flagsOf: options.flagsOf }),
    ...(subs === undefined ? {} : { subcommands: new Map(subs.map((s) => [s.name.slice(s.name.indexOf('|') + 1), s])) }),
  };
}

/** Redis 7.0's ACL categories, in the order of its table: ACL CAT and COMMAND INFO list them so. */
export const ACL_CATEGORIES: readonly string[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
];

/** Redis 7.0's command flags, in the order COMMAND INFO lists them. */
const FLAG_ORDER: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale', 'skip_monitor', 'skip_slowlog',
  'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];

function inFlagOrder(flags: readonly CommandFlag[]): CommandFlag[] {
  for (const f of flags) if (!FLAG_ORDER.includes(f)) throw new Error(`unknown command flag ${f}`);
  return FLAG_ORDER.filter((f) => flags.includes(f));
}

function inTableOrder(categories: readonly string[]): string[] {
  for (const c of categories) if (!ACL_CATEGORIES.includes(c)) throw new Error(`unknown ACL category ${c}`);
  return ACL_CATEGORIES.filter((c) => categories.includes(c));
}

/**
 * The HELP of these families carries their group's category (Redis's command JSON gives it so);
 * every other HELP is @slow alone.
 */
const HELP_CATEGORY: Readonly<Record<string, string>> = {
  client: '@connection',
  command: '@connection',
  object: '@keyspace',
  script: '@scripting',
  function: '@scripting',
  xinfo: '@stream',
  xgroup: '@stream',
};

/**
 * `<command> HELP`, which every command with subcommands has (as in Redis): one line per
 * subcommand with its summary, in the shape of Redis's help replies.
 */
function helpSubcommand(parent: string, subs: readonly CommandSpec[]): CommandSpec {
  const lines = [`${parent.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`];
  for (const s of subs) lines.push(s.name.slice(parent.length + 1).toUpperCase(), `    ${s.summary}`);
  lines.push('HELP', '    Prints this help.');
  return command(`${parent}|help`, 2, 'loading stale', NO_KEYS, `@slow ${HELP_CATEGORY[parent] ?? ''}`, 'Shows what the subcommands do.', (c) => {
    c.out.array(lines.length);
    for (const line of lines) c.out.simple(line);
  });
}

/**
 * Tags the commands of one family (t_string, t_list, ...) with their COMMAND DOCS group, but
 * those Redis documents in another group (`others`: command name to group).
 */
export function family(familyGroup: string, specs: readonly CommandSpec[], others: Readonly<Record<string, string>> = {}): CommandSpec[] {
  return specs.map((s) => {
    const group = others[s.name] ?? familyGroup;
    const subs = s.subcommands;
    if (subs === undefined) return { ...s, group };
    return { ...s, group, subcommands: new Map([...subs].map(([k, v]) => [k, { ...v, group }])) };
  });
}

export const NO_KEYS = [0, 0, 0] as const;
export const ONE_KEY = [1, 1, 1] as const;
export const ALL_KEYS = [1, -1, 1] as const;
