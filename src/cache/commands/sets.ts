// Set commands (Redis t_set.c). SINTER/SUNION/SDIFF and their STORE forms share
// combineGeneric; SPOP is logged as SREM of the members it chose.
import { MemberSet, type RSet } from '../machine/values.js';
import { boundedPicks, intArg, is, keysAfterNumkeys, parseInt64, randomCountArg } from './args.js';
import type { Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { randomSlots } from './random.js';
import { emptyScan, scanCursor, scanOptions, scanStep } from './scan.js';
import { ALL_KEYS, ONE_KEY, command, family } from './spec.js';

function sadd(c: Ctx): void {
  const key = c.argv[1]!;
  const s = c.getSet(key);
  // Adding only members already present changes nothing: as in Redis, nothing is logged (no
  // entry to wait for) and the key is not signalled as modified (a WATCH on it still holds).
  if (s !== undefined && allPresent(s, c.argv)) return c.out.int(0);
  const n = c.fx.sadd(c.db, key, c.argv, 2);
  if (n > 0) c.notify('s', 'sadd', key);
  c.out.int(n);
}

/** True when every member in `argv[2..]` is already in `s`. */
function allPresent(s: RSet, argv: readonly string[]): boolean {
  for (let i = 2; i < argv.length; i++) if (!s.has(argv[i]!)) return false;
  return true;
}

function srem(c: Ctx): void {
  const key = c.argv[1]!;
  const s = c.getSet(key);
  if (s === undefined) return c.out.int(0);
  const members = c.argv.slice(2).filter((m) => s.has(m));
  if (members.length === 0) return c.out.int(0);
  const n = c.fx.srem(c.db, key, members);
  c.notify('s', 'srem', key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
  c.out.int(n);
}

function writeSet(c: Ctx, members: Iterable<string>, size: number): void {
  c.out.set(size);
  for (const m of members) c.out.bulk(m);
}

function smembers(c: Ctx): void {
  const s = c.getSet(c.argv[1]!);
  if (s === undefined) return c.out.set(0);
  writeSet(c, s, s.size);
}

function sismember(c: Ctx): void {
  c.out.int(c.getSet(c.argv[1]!)?.has(c.argv[2]!) ? 1 : 0);
}

function smismember(c: Ctx): void {
  const s = c.getSet(c.argv[1]!);
  c.out.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) c.out.int(s?.has(c.argv[i]!) ? 1 : 0);
}

function scard(c: Ctx): void {
  c.out.int(c.getSet(c.argv[1]!)?.size ?? 0);
}

function spop(c: Ctx): void {
  const a = c.argv;
  if (a.length > 3) throw syntax();
  const key = a[1]!;
  const hasCount = a.length === 3;
  const count = hasCount ? intArg(a[2]!, Err.POSITIVE) : 1;
  if (count < 0) fail(Err.POSITIVE);
  const s = c.getSet(key);
  if (s === undefined) return hasCount ? c.out.set(0) : c.out.nullBulk();
  if (hasCount && count === 0) return c.out.set(0);
  const chosen = pick(c, s, count);
  c.fx.srem(c.db, key, chosen);
  c.notify('s', 'spop', key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
  if (hasCount) writeSet(c, chosen, chosen.length);
  else c.out.bulk(chosen[0]!);
}

function srandmember(c: Ctx): void {
  const a = c.argv;
  if (a.length > 3) throw syntax();
  // As in Redis, the count is checked before the key.
  const count = a.length === 3 ? randomCountArg(a[2]!) : 1;
  const s = c.getSet(a[1]!);
  if (a.length === 2) {
    if (s === undefined) return c.out.nullBulk();
    return c.out.bulk(pick(c, s, 1)[0]!);
  }
  if (s === undefined || count === 0) return c.out.array(0);
  c.out.bulkArray(pick(c, s, boundedPicks(count)));
}

/** Random members of `s`, as randomPicks counts them. */
function pick(c: Ctx, s: RSet, count: number): string[] {
  const memberAt = s.memberReader();
  return randomSlots(c.random, s, count).map(memberAt);
}

function smove(c: Ctx): void {
  const [, src, dst, member] = c.argv as [string, string, string, string];
  const from = c.getSet(src);
  if (from === undefined) return c.out.int(0);
  const to = c.getSet(dst);
  if (!from.has(member)) return c.out.int(0);
  if (src === dst) return c.out.int(1);
  // Published in Redis's order: the removal (and the source's deletion) before the destination
  // is created ("new", published by the effect).
  c.notify('s', 'srem', src);
  if (from.size === 1) c.notify('g', 'del', src);
  c.fx.smove(c.db, src, dst, member);
  if (to === undefined || !to.has(member)) c.notify('s', 'sadd', dst);
  c.out.int(1);
}

type SetOp = 'inter' | 'union' | 'diff';

/**
 * The combination of the sets named by `keys` (missing keys are empty sets). An intersection
 * stops once it holds `limit` members (0: no limit), as SINTERCARD's LIMIT lets Redis stop.
 */
function combine(c: Ctx, keys: readonly string[], op: SetOp, limit = 0): MemberSet {
  // Read lookups also when storing, as Redis reads the sources.
  const sets = c.looking('read', (): Array<RSet | undefined> => keys.map((k) => c.getSet(k)));
  // MemberSets, not JS Sets: a Set holds at most 2^24 members, fewer than a union of big sets may.
  const seed = c.ks.hashSeed;
  if (op === 'union') {
    const out = new MemberSet(seed);
    for (const s of sets) if (s !== undefined) for (const m of s) out.add(m);
    return out;
  }
  const first = sets[0];
  if (first === undefined) return new MemberSet(seed);
  if (op === 'diff') {
    const out = new MemberSet(seed, first);
    for (let i = 1; i < sets.length && out.size > 0; i++) {
      const s = sets[i];
      if (s !== undefined) for (const m of s) out.delete(m);
    }
    return out;
  }
  if (sets.some((s) => s === undefined)) return new MemberSet(seed);
  // Intersect starting from the smallest set, as Redis does.
  const sorted = (sets as RSet[]).slice().sort((x, y) => x.size - y.size);
  const out = new MemberSet(seed);
  outer: for (const m of sorted[0]!) {
    for (let i = 1; i < sorted.length; i++) if (!sorted[i]!.has(m)) continue outer;
    out.add(m);
    if (out.size === limit) break;
  }
  return out;
}

function combineGeneric(c: Ctx, op: SetOp): void {
  const r = combine(c, c.argv.slice(1), op);
  writeSet(c, r, r.size);
}

function combineStore(c: Ctx, op: SetOp): void {
  const dst = c.argv[1]!;
  const r = combine(c, c.argv.slice(2), op);
  // Not an access: the store is the one (its value keeps the old one's LFU data, Keyspace.replacing).
  const existed = c.lookup(dst, c.db, false) !== undefined;
  if (r.size > 0) {
    if (existed) c.fx.replace(c.db, dst);
    c.fx.sadd(c.db, dst, [...r]);
    c.notify('s', `s${op}store`, dst);
  } else if (existed && c.fx.del(c.db, dst)) c.notify('g', 'del', dst);
  c.out.int(r.size);
}

function sintercard(c: Ctx): void {
  const a = c.argv;
  const numkeys = intArg(a[1]!);
  if (numkeys <= 0) fail(Err.NUMKEYS);
  if (numkeys > a.length - 2) fail("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let i = 2 + numkeys; i < a.length; i += 2) {
    if (!is(a[i], 'LIMIT') || i + 1 >= a.length) throw syntax();
    // Redis answers a LIMIT that is not a number with the same text as a negative one.
    const n = parseInt64(a[i + 1]!);
    if (n === null || n < 0) fail("ERR LIMIT can't be negative");
    limit = Number(n);
  }
  c.out.int(combine(c, a.slice(2, 2 + numkeys), 'inter', limit).size);
}

function sscan(c: Ctx): void {
  const cursor = scanCursor(c, 2);
  const s = c.getSet(c.argv[1]!);
  if (s === undefined) return emptyScan(c);
  const o = scanOptions(c, cursor, 3, false);
  const { next, entries } = scanStep(c, o, s, () => s[Symbol.iterator](), (m) => m);
  c.out.array(2);
  c.out.bulk(String(next));
  c.out.bulkArray(entries);
}

const W = '@write @set';
const R = '@read @set';
const STORE_KEYS = [1, -1, 1] as const;
export const setCommands = family('set', [
  command('sadd', -3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Adds members to a set.', sadd),
  command('srem', -3, 'write fast', ONE_KEY, `${W} @fast`, 'Removes members from a set.', srem),
  command('smembers', 2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns every member of a set.', smembers),
  command('sismember', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Tells whether a member is in a set.', sismember),
  command('smismember', -3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Tells whether each of several members is in a set.', smismember),
  command('scard', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the number of members.', scard),
  command('spop', -2, 'write fast', ONE_KEY, `${W} @fast`, 'Removes and returns random members.', spop),
  command('srandmember', -2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns random members.', srandmember),
  command('smove', 4, 'write fast', [1, 2, 1], `${W} @fast`, 'Moves a member from one set to another.', smove),
  command('sinter', -2, 'readonly', ALL_KEYS, `${R} @slow`, 'Returns the intersection of sets.', (c) => combineGeneric(c, 'inter')),
  command('sunion', -2, 'readonly', ALL_KEYS, `${R} @slow`, 'Returns the union of sets.', (c) => combineGeneric(c, 'union')),
  command('sdiff', -2, 'readonly', ALL_KEYS, `${R} @slow`, 'Returns the difference of sets.', (c) => combineGeneric(c, 'diff')),
  command('sinterstore', -3, 'write denyoom', STORE_KEYS, `${W} @slow`, 'Stores the intersection of sets.', (c) => combineStore(c, 'inter')),
  command('sunionstore', -3, 'write denyoom', STORE_KEYS, `${W} @slow`, 'Stores the union of sets.', (c) => combineStore(c, 'union')),
  command('sdiffstore', -3, 'write denyoom', STORE_KEYS, `${W} @slow`, 'Stores the difference of sets.', (c) => combineStore(c, 'diff')),
  command('sintercard', -3, 'readonly movablekeys', [0, 0, 0], `${R} @slow`, 'Returns the size of the intersection of sets.', sintercard, { keysOf: keysAfterNumkeys(1) }),
  command('sscan', -3, 'readonly', ONE_KEY, `${R} @slow`, 'Iterates over the members of a set.', sscan),
]);
