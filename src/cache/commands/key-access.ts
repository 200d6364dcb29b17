// Which keys a command line names and how it uses each: Redis's key specs (db.c's
// getKeysUsingKeySpecs over the table in key-specs.ts), with Redis's own functions for the
// commands whose specs cannot say (SORT, SET, BITFIELD, MIGRATE). ACL's read and write key
// patterns (%R~, %W~) and COMMAND GETKEYSANDFLAGS read it.
import type { AclSelector, AclUser } from '../acl.js';
import { channelArgs } from './pubsub.js';
import type { CommandSpec } from './context.js';
import { REDIS_COMMAND_INFO } from './key-specs.js';
import { keysOf } from './server.js';

/** One key spec as Redis publishes it (key-specs.ts says how to read it). */
export interface KeySpec {
  readonly notes?: string;
  /** Space-separated: RW, RO, OW, RM; access, insert, update, delete; not_key, incomplete, variable_flags. */
  readonly flags: string;
  readonly begin: readonly ['index', number] | readonly ['keyword', string, number] | readonly ['unknown'];
  readonly find: readonly ['range', number, number, number] | readonly ['keynum', number, number, number] | readonly ['unknown'];
}

/** What Redis's COMMAND INFO says of a command beyond its name, arity and flags. */
export interface RedisCommandInfo {
  readonly tips?: readonly string[];
  readonly keySpecs?: readonly KeySpec[];
}

export interface KeyAccess {
  readonly key: string;
  /** Redis's key flags (RW, RO, OW, RM; access, insert, update, delete; ...), as COMMAND GETKEYSANDFLAGS lists them. */
  readonly flags: readonly string[];
}

/** ACL's check: reading needs a pattern with R, changing one with W (acl.c's ACLSelectorCheckKey). */
function needsRead(flags: readonly string[]): boolean {
  return flags.includes('access');
}

function needsWrite(flags: readonly string[]): boolean {
  return flags.includes('insert') || flags.includes('update') || flags.includes('delete');
}

/** Why ACL refuses a command line: the command, or a key or channel (the argument named). */
export type AclDenial = { readonly reason: 'command' } | { readonly reason: 'key' | 'channel'; readonly object: string };

/**
 * ACL's check of a command line (acl.c's ACLCheckAllUserCommandPerm): null when one of the
 * user's selectors allows the command, each key as the command uses it, and each channel;
 * otherwise the refusal Redis reports: a key or channel before the command, and of two keys or
 * channels the later argument.
 */
export function aclCheck(user: AclUser, spec: CommandSpec, argv: readonly string[]): AclDenial | null {
  let best: { rank: number; index: number; denial: AclDenial } | null = null;
  // The user's own rules, then its selectors; no array made on this path of every command.
  for (let i = -1; i < user.selectors.length; i++) {
    const sel: AclSelector = i < 0 ? user : user.selectors[i]!;
    let found: { rank: number; index: number; denial: AclDenial };
    // AUTH, HELLO, QUIT and RESET run whatever the rules (Redis's no_auth commands).
    if (!sel.canRun(spec.name, argv) && !spec.flags.includes('no_auth')) {
      found = { rank: 0, index: 0, denial: { reason: 'command' } };
    } else {
      const key = deniedKey(sel, spec, argv);
      if (key !== undefined) {
        found = { rank: 1, index: argv.indexOf(key, 1), denial: { reason: 'key', object: key } };
      } else {
        const channel = sel.allChannels ? -1 : deniedChannel(sel, spec, argv);
        if (channel < 0) return null;
        found = { rank: 2, index: channel, denial: { reason: 'channel', object: argv[channel]! } };
      }
    }
    if (best === null || found.rank > best.rank || (found.rank === best.rank && found.index > best.index)) best = found;
  }
  return best!.denial;
}

/** The position of the first channel argument the selector does not allow, or -1. */
function deniedChannel(sel: AclSelector, spec: CommandSpec, argv: readonly string[]): number {
  const { channels, pattern } = channelArgs(spec.name, argv);
  const i = channels.findIndex((ch) => !sel.canAccessChannel(ch, pattern));
  return i < 0 ? -1 : argv.indexOf(channels[i]!, 1);
}

/** The first key of this command line that the selector does not allow as the command uses it, or undefined. */
function deniedKey(user: AclSelector, spec: CommandSpec, argv: readonly string[]): string | undefined {
  if (user.allKeys) return undefined;
  // Patterns that allow both read and write match whatever the use: the key list suffices.
  if (!user.hasPartialPatterns) return keysOf(spec, argv).find((k) => !user.canAccessKey(k, false, false));
  return keyAccess(spec, argv).find((a) => !user.canAccessKey(a.key, needsRead(a.flags), needsWrite(a.flags)))?.key;
}

/** The keys of a command line with their flags (getKeysFromCommandWithSpecs). */
export function keyAccess(spec: CommandSpec, argv: readonly string[]): KeyAccess[] {
  const own = byFunction(spec.name, spec, argv);
  if (own !== null) return own;
  const specs = REDIS_COMMAND_INFO[spec.name]?.keySpecs;
  const found = specs === undefined ? null : bySpecs(specs, argv);
  // A command whose specs Redis does not publish, or a line they cannot read: its keys, used every way.
  return found ?? keysOf(spec, argv).map((key) => ({ key, flags: ['RW', 'access', 'update'] }));
}

/**
 * The first key, last key and step COMMAND INFO shows for key specs (server.c's
 * populateCommandLegacyRangeSpec): the consecutive plain ranges' span, 0 0 0 without any.
 */
export function legacyKeyRange(specs: readonly KeySpec[]): [number, number, number] {
  const ranges = specs.filter((s) => s.begin[0] === 'index' && s.find[0] === 'range');
  if (specs.length === 1 && ranges.length === 1) {
    const [, pos] = specs[0]!.begin as readonly ['index', number];
    const [, last, step] = specs[0]!.find as readonly ['range', number, number, number];
    return [pos, last >= 0 ? pos + last : last, step];
  }
  let first = Infinity;
  let last = 0;
  let prevLast = 0;
  // Unsigned as in C: a negative last key (counted from the end) is larger than any index.
  const unsigned = (n: number) => (n < 0 ? 2 ** 32 + n : n);
  for (const s of ranges) {
    const [, pos] = s.begin as readonly ['index', number];
    const [, lastKey, step] = s.find as readonly ['range', number, number, number];
    if (step !== 1 || (prevLast !== 0 && prevLast !== pos - 1)) continue;
    first = Math.min(first, pos);
    const abs = lastKey >= 0 ? lastKey + pos : lastKey;
    last = unsigned(abs) > unsigned(last) ? abs : last;
    prevLast = last;
  }
  return first === Infinity ? [0, 0, 0] : [first, last, 1];
}

/** getKeysUsingKeySpecs: null when a spec cannot be followed on this line. */
function bySpecs(specs: readonly KeySpec[], argv: readonly string[]): KeyAccess[] | null {
  const out: KeyAccess[] = [];
  const argc = argv.length;
  for (const spec of specs) {
    const flags = spec.flags.split(' ');
    if (flags.includes('not_key')) continue;
    let first = 0;
    const begin = spec.begin;
    if (begin[0] === 'index') {
      first = begin[1];
    } else if (begin[0] === 'keyword') {
      const keyword = begin[1].toLowerCase();
      const startFrom = begin[2];
      const start = startFrom > 0 ? startFrom : argc + startFrom;
      const end = startFrom > 0 ? argc - 1 : 1;
      for (let j = start; j !== end; j = start <= end ? j + 1 : j - 1) {
        if (j >= argc || j < 1) break;
        if (argv[j]!.toLowerCase() === keyword) {
          first = j + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return null;
    }
    const find = spec.find;
    let last: number;
    let step: number;
    if (find[0] === 'range') {
      const [, lastKey, keyStep, limit] = find;
      step = keyStep;
      if (lastKey >= 0) last = first + lastKey;
      else if (limit === 0) last = argc + lastKey;
      else last = first + (Math.floor((argc - first) / limit) + lastKey);
    } else if (find[0] === 'keynum') {
      const [, numIndex, firstKey, keyStep] = find;
      step = keyStep;
      const text = argv[first + numIndex];
      if (text === undefined || !/^(0|-?[1-9]\d*)$/.test(text) || Number(text) < 0) return null;
      first += firstKey;
      last = first + Number(text) - 1;
    } else {
      return null;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let j = first; j <= last; j += step) out.push({ key: argv[j]!, flags });
    if (flags.includes('incomplete')) return null;
  }
  return out;
}

/** The commands Redis answers with a function of their own (sortGetKeys, setGetKeys, ...), or null. */
function byFunction(name: string, spec: CommandSpec, argv: readonly string[]): KeyAccess[] | null {
  switch (name) {
    case 'set': {
      // GET reads the old value.
      const get = argv.slice(3).some((a) => a.toLowerCase() === 'get');
      return [{ key: argv[1]!, flags: get ? ['RW', 'access', 'update'] : ['OW', 'update'] }];
    }
    case 'bitfield':
      return [{ key: argv[1]!, flags: bitfieldReadOnly(argv) ? ['RO', 'access'] : ['RW', 'access', 'update'] }];
    case 'sort':
    case 'sort_ro':
      // The sorted key is read; a STORE destination is written.
      return keysOf(spec, argv).map((key, i) => ({ key, flags: i === 0 ? ['RO', 'access'] : ['OW', 'update'] }));
    case 'migrate': {
      // Its specs when they can be followed (an empty key before a last KEYS is one), its function otherwise.
      const specs = REDIS_COMMAND_INFO[name]?.keySpecs;
      return (specs === undefined ? null : bySpecs(specs, argv)) ?? keysOf(spec, argv).map((key) => ({ key, flags: ['RW', 'access', 'delete'] }));
    }
    default:
      return null;
  }
}

/** bitfieldGetKeys: only GET and OVERFLOW read; SET, INCRBY or anything unreadable may write. */
function bitfieldReadOnly(argv: readonly string[]): boolean {
  for (let i = 2; i < argv.length; ) {
    const arg = argv[i]!.toLowerCase();
    const more = argv.length - i - 1;
    if (arg === 'get' && more >= 2) i += 3;
    else if (arg === 'overflow' && more >= 1) i += 2;
    else return false;
  }
  return true;
}
