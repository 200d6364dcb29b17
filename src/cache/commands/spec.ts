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
    flags: words(flags) as CommandFlag[],
    firstKey: keys[0],
    lastKey: keys[1],
    step: keys[2],
    categories: words(categories).map((c) => c.replace(/^@/, '')),
    group: '',
    summary,
    handler,
    ...(options.keysOf === undefined ? {} : { keysOf: options.keysOf }),
    ...(options.flagsOf === undefined ? {} : { flagsOf: options.flagsOf }),
    ...(subs === undefined ? {} : { subcommands: new Map(subs.map((s) => [s.name.slice(s.name.indexOf('|') + 1), s])) }),
  };
}

/**
 * `<command> HELP`, which every command with subcommands has (as in Redis): one line per
 * subcommand with its summary, in the shape of Redis's help replies.
 */
function helpSubcommand(parent: string, subs: readonly CommandSpec[]): CommandSpec {
  const lines = [`${parent.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`];
  for (const s of subs) lines.push(s.name.slice(parent.length + 1).toUpperCase(), `    ${s.summary}`);
  lines.push('HELP', '    Prints this help.');
  return command(`${parent}|help`, 2, 'loading stale', NO_KEYS, '@slow', 'Shows what the subcommands do.', (c) => {
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
