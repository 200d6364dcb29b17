// Sorted-set commands (Redis t_zset.c): adding and scoring, ranges by rank, score and lex,
// popping (and its blocking forms) and removal by range. Union, intersection and difference
// are in zset-combine.ts. Every change is logged as ZADD of absolute scores or ZREM.
import type { ZEntry, ZSet } from '../machine/zset.js';
import { formatDouble } from '../../protocol/resp/double.js';
import { boundedPicks, checkPairedCount, floatArg, indexRange, intArg, is, keysAfterNumkeys, lexRangeArgs, randomCountArg, scoreRangeArgs } from './args.js';
import { timeoutArg } from './timeout-arg.js';
import { BLOCKED, type Ctx } from './context.js';
import { randomPicks } from './random.js';
import { Err, fail, syntax } from './reply-error.js';
import { globMatch } from '../glob.js';
import { emptyScan, scanCursor, scanOptions, scanStep } from './scan.js';
import { ONE_KEY, command, family } from './spec.js';
import { zsetCombineCommands } from './zset-combine.js';
import { storeEntries, writeEntries } from './zset-reply.js';

export const NX = 1;
export const XX = 2;
const GT = 4;
const LT = 8;
export const CH = 16;
const INCR = 32;

function zaddFlags(c: Ctx): { flags: number; first: number } {
  let flags = 0;
  let i = 2;
  for (; i < c.argv.length; i++) {
    const a = c.argv[i]!;
    // Options are at most 4 letters; the first longer argument is a score (not uppercased).
    if (a.length > 4) break;
    const o = a.toUpperCase();
    if (o === 'NX') flags |= NX;
    else if (o === 'XX') flags |= XX;
    else if (o === 'GT') flags |= GT;
    else if (o === 'LT') flags |= LT;
    else if (o === 'CH') flags |= CH;
    else if (o === 'INCR') flags |= INCR;
    else break;
  }
  return { flags, first: i };
}

/** ZADD and ZINCRBY. Replies the added (or, with CH, changed) count, or the new score with INCR. */
function zaddGeneric(c: Ctx, flags: number, start: number): void {
  const a = c.argv;
  const key = a[1]!;
  const pairs = a.length - start;
  if (pairs === 0 || pairs % 2 !== 0) throw syntax();
  if (flags & NX && flags & XX) fail('ERR XX and NX options at the same time are not compatible');
  if ((flags & GT && flags & NX) || (flags & LT && flags & NX) || (flags & GT && flags & LT)) {
    fail('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (flags & INCR && pairs > 2) fail('ERR INCR option supports a single increment-element pair');
  // One pair is the usual case: literals size the arrays exactly, where push would grow them.
  if (pairs === 2) return zaddPairs(c, key, flags, [floatArg(a[start]!)], [a[start + 1]!]);
  const scores: number[] = [];
  const members: string[] = [];
  for (let i = start; i < a.length; i += 2) {
    scores.push(floatArg(a[i]!));
    members.push(a[i + 1]!);
  }
  zaddPairs(c, key, flags, scores, members);
}

/**
 * ZADD's work on parsed pairs, the flags' combinations already checked: replies the added (or,
 * with CH, changed) count, or the new score with INCR. GEOADD calls it with the scores it computes.
 */
export function zaddPairs(c: Ctx, key: string, flags: number, scores: readonly number[], members: readonly string[]): void {
  const z = c.getZSet(key);
  // A member repeated in one ZADD takes its last score, so several pairs collect in a map; one
  // pair (the usual case) needs none.
  const pending = scores.length === 1 ? null : new Map<string, number>();
  let recorded: string | null = null;
  let recordedScore = 0;
  let added = 0;
  let changed = 0;
  let incrResult: number | null = null;
  for (let k = 0; k < scores.length; k++) {
    const member = members[k]!;
    const old = pending?.get(member) ?? z?.score(member);
    let score = scores[k]!;
    if (old !== undefined) {
      if (flags & NX) continue;
      if (flags & INCR) {
        score += old;
        if (Number.isNaN(score)) fail(Err.SCORE_NAN);
      }
      if ((flags & GT && score <= old) || (flags & LT && score >= old)) continue;
      incrResult = score;
      if (score === old) continue;
      changed++;
    } else {
      if (flags & XX) continue;
      if (Number.isNaN(score)) fail(Err.SCORE_NAN);
      incrResult = score;
      added++;
    }
    if (pending === null) {
      recorded = member;
      recordedScore = score;
    } else pending.set(member, score);
  }
  if (recorded !== null) logZAdd(c, key, flags, [recordedScore], [recorded]);
  else if (pending !== null && pending.size > 0) logZAdd(c, key, flags, [...pending.values()], [...pending.keys()]);
  if (flags & INCR) {
    if (incrResult === null) c.out.nullBulk();
    else c.out.double(incrResult);
  } else c.out.int(flags & CH ? added + changed : added);
}

/** Applies and logs ZADD's changes (absolute scores), then notifies and wakes blocked poppers. */
function logZAdd(c: Ctx, key: string, flags: number, scores: number[], members: string[]): void {
  c.fx.zadd(c.db, key, scores, members);
  c.notify('z', flags & INCR ? 'zincr' : 'zadd', key);
  c.signalReady(key);
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ... */
function zadd(c: Ctx): void {
  const o = zaddFlags(c);
  zaddGeneric(c, o.flags, o.first);
}

function zrem(c: Ctx): void {
  const key = c.argv[1]!;
  const z = c.getZSet(key);
  if (z === undefined) return c.out.int(0);
  const members = c.argv.slice(2).filter((m) => z.score(m) !== undefined);
  if (members.length === 0) return c.out.int(0);
  // Counted as removed, not as found: a member named twice is removed once.
  c.out.int(removeMembers(c, key, members, 'zrem'));
}

function removeMembers(c: Ctx, key: string, members: string[], event: string): number {
  const removed = c.fx.zrem(c.db, key, members);
  c.notify('z', event, key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
  return removed;
}

function zscore(c: Ctx): void {
  const s = c.getZSet(c.argv[1]!)?.score(c.argv[2]!);
  if (s === undefined) c.out.nullBulk();
  else c.out.double(s);
}

function zmscore(c: Ctx): void {
  const z = c.getZSet(c.argv[1]!);
  c.out.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) {
    const s = z?.score(c.argv[i]!);
    if (s === undefined) c.out.nullBulk();
    else c.out.double(s);
  }
}

function zcard(c: Ctx): void {
  c.out.int(c.getZSet(c.argv[1]!)?.size ?? 0);
}

function zcount(c: Ctx): void {
  const r = scoreRangeArgs(c.argv[2]!, c.argv[3]!);
  c.out.int(c.getZSet(c.argv[1]!)?.countByScore(r) ?? 0);
}

function zlexcount(c: Ctx): void {
  const r = lexRangeArgs(c.argv[2]!, c.argv[3]!);
  c.out.int(c.getZSet(c.argv[1]!)?.countByLex(r) ?? 0);
}

type RangeKind = 'rank' | 'score' | 'lex';

interface RangeRequest {
  kind: RangeKind;
  min: string;
  max: string;
  rev: boolean;
  offset: number;
  limit: number;
  withScores: boolean;
  hasLimit: boolean;
}

/** Options after `key min max` for ZRANGE / ZRANGESTORE (from index `from`). */
function rangeOptions(c: Ctx, from: number, allowScores: boolean): RangeRequest {
  const a = c.argv;
  const r: RangeRequest = { kind: 'rank', min: a[from - 2]!, max: a[from - 1]!, rev: false, offset: 0, limit: -1, withScores: false, hasLimit: false };
  for (let i = from; i < a.length; i++) {
    const o = a[i]!.toUpperCase();
    if (o === 'BYSCORE') r.kind = 'score';
    else if (o === 'BYLEX') r.kind = 'lex';
    else if (o === 'REV') r.rev = true;
    else if (o === 'WITHSCORES' && allowScores) r.withScores = true;
    else if (o === 'LIMIT' && i + 2 < a.length) {
      r.offset = intArg(a[++i]!);
      r.limit = intArg(a[++i]!);
      r.hasLimit = true;
    } else throw syntax();
  }
  if (r.hasLimit && r.kind === 'rank') fail('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (r.withScores && r.kind === 'lex') fail('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  return r;
}

/**
 * Entries selected by a range request; with REV, min and max come in reverse order. The
 * bounds are parsed before the key is read, so a bad bound wins over a wrong type, as in Redis.
 */
function selectRange(r: RangeRequest, getZ: () => ZSet | undefined): ZEntry[] {
  const lo = r.rev ? r.max : r.min;
  const hi = r.rev ? r.min : r.max;
  if (r.kind === 'rank') {
    const start = intArg(r.min);
    const stop = intArg(r.max);
    const z = getZ();
    if (z === undefined) return [];
    const span = indexRange(start, stop, z.size);
    if (span === null) return [];
    const count = span[1] - span[0] + 1;
    return r.rev ? z.fromRank(z.size - 1 - span[0], count, true) : z.fromRank(span[0], count, false);
  }
  if (r.kind === 'score') {
    const range = scoreRangeArgs(lo, hi);
    const z = getZ();
    if (z === undefined || r.offset < 0) return [];
    return z.byScore(range, r.rev, r.offset, r.limit);
  }
  const range = lexRangeArgs(lo, hi);
  const z = getZ();
  if (z === undefined || r.offset < 0) return [];
  return z.byLex(range, r.rev, r.offset, r.limit);
}

function zrange(c: Ctx): void {
  const r = rangeOptions(c, 4, true);
  writeEntries(c, selectRange(r, () => c.getZSet(c.argv[1]!)), r.withScores);
}

function zrangestore(c: Ctx): void {
  const [, dst, src] = c.argv as [string, string, string];
  const r = rangeOptions(c, 5, false);
  const entries = selectRange(r, () => c.looking('read', () => c.getZSet(src)));
  storeEntries(c, dst, entries, 'zrangestore');
  c.out.int(entries.length);
}

/** ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE (legacy forms). */
function legacyRange(c: Ctx, kind: RangeKind, rev: boolean): void {
  const a = c.argv;
  const r: RangeRequest = { kind, min: a[2]!, max: a[3]!, rev, offset: 0, limit: -1, withScores: false, hasLimit: false };
  for (let i = 4; i < a.length; i++) {
    if (is(a[i], 'WITHSCORES') && kind !== 'lex') r.withScores = true;
    else if (is(a[i], 'LIMIT') && kind !== 'rank' && i + 2 < a.length) {
      r.offset = intArg(a[++i]!);
      r.limit = intArg(a[++i]!);
    } else throw syntax();
  }
  writeEntries(c, selectRange(r, () => c.getZSet(a[1]!)), r.withScores);
}

function zrank(c: Ctx, rev: boolean): void {
  const z = c.getZSet(c.argv[1]!);
  const rank = z?.rank(c.argv[2]!) ?? -1;
  if (z === undefined || rank < 0) return c.out.nullBulk();
  c.out.int(rev ? z.size - 1 - rank : rank);
}

/** Removes and returns up to `count` lowest (or highest) entries. */
function popEntries(c: Ctx, key: string, z: ZSet, count: number, max: boolean): ZEntry[] {
  const n = Math.min(count, z.size);
  const entries = max ? z.fromRank(z.size - 1, n, true) : z.fromRank(0, n, false);
  removeMembers(
    c,
    key,
    entries.map((e) => e.member),
    max ? 'zpopmax' : 'zpopmin',
  );
  return entries;
}

function zpop(c: Ctx, max: boolean): void {
  const a = c.argv;
  if (a.length > 3) throw syntax();
  const hasCount = a.length === 3;
  const count = hasCount ? intArg(a[2]!, Err.POSITIVE) : 1;
  if (count < 0) fail(Err.POSITIVE);
  const key = a[1]!;
  const z = c.getZSet(key);
  if (z === undefined || count === 0) return c.out.array(0);
  const entries = popEntries(c, key, z, count, max);
  if (hasCount) return writeEntries(c, entries, true);
  c.out.array(2);
  c.out.bulk(entries[0]!.member);
  c.out.double(entries[0]!.score);
}

function bzpop(c: Ctx, max: boolean): void | typeof BLOCKED {
  const a = c.argv;
  const timeout = timeoutArg(a[a.length - 1]!);
  const keys = a.slice(1, -1);
  for (const key of c.servingKeys(keys)) {
    const z = c.getZSet(key);
    if (z === undefined) continue;
    const [e] = popEntries(c, key, z, 1, max);
    c.out.array(3);
    c.out.bulk(key);
    c.out.bulk(e!.member);
    c.out.double(e!.score);
    return;
  }
  if (c.inExec) return c.out.nullArray();
  return c.server.block(c, keys, timeout);
}

/** ZMPOP / BZMPOP: numkeys key... MIN|MAX [COUNT n] from argv[first]. */
function zmpopArgs(c: Ctx, first: number): { keys: string[]; max: boolean; count: number } {
  const a = c.argv;
  const numkeys = intArg(a[first]!);
  if (numkeys <= 0) fail(Err.NUMKEYS);
  const whereAt = first + 1 + numkeys;
  if (whereAt >= a.length) throw syntax();
  const max = is(a[whereAt], 'MAX');
  if (!max && !is(a[whereAt], 'MIN')) throw syntax();
  let count = 1;
  if (whereAt + 1 < a.length) {
    if (!is(a[whereAt + 1], 'COUNT') || whereAt + 3 !== a.length) throw syntax();
    count = intArg(a[whereAt + 2]!, 'ERR count should be greater than 0');
    if (count <= 0) fail('ERR count should be greater than 0');
  }
  return { keys: a.slice(first + 1, whereAt), max, count };
}

/** Pops from the first non-empty sorted set; false when all are empty. */
function zmpopServe(c: Ctx, o: { keys: readonly string[]; max: boolean; count: number }): boolean {
  for (const key of o.keys) {
    const z = c.getZSet(key);
    if (z === undefined) continue;
    const entries = popEntries(c, key, z, o.count, o.max);
    c.out.array(2);
    c.out.bulk(key);
    c.out.array(entries.length);
    for (const e of entries) {
      c.out.array(2);
      c.out.bulk(e.member);
      c.out.double(e.score);
    }
    return true;
  }
  return false;
}

function zmpop(c: Ctx): void {
  if (!zmpopServe(c, zmpopArgs(c, 1))) c.out.nullArray();
}

function bzmpop(c: Ctx): void | typeof BLOCKED {
  // As in Redis, the timeout is checked after the other arguments.
  const o = zmpopArgs(c, 2);
  const timeout = timeoutArg(c.argv[1]!);
  if (zmpopServe(c, { ...o, keys: c.servingKeys(o.keys) })) return;
  if (c.inExec) return c.out.nullArray();
  return c.server.block(c, o.keys, timeout);
}

function zremrange(c: Ctx, kind: RangeKind): void {
  const [, key, min, max] = c.argv as [string, string, string, string];
  const r: RangeRequest = { kind, min, max, rev: false, offset: 0, limit: -1, withScores: false, hasLimit: false };
  const entries = selectRange(r, () => c.getZSet(key));
  if (entries.length > 0) {
    removeMembers(
      c,
      key,
      entries.map((e) => e.member),
      `zremrangeby${kind}`,
    );
  }
  c.out.int(entries.length);
}

function zrandmember(c: Ctx): void {
  const a = c.argv;
  if (a.length === 2) {
    const z = c.getZSet(a[1]!);
    if (z === undefined) return c.out.nullBulk();
    const [i] = randomPicks(c.random, z.size, 1);
    return c.out.bulk(z.fromRank(i!, 1, false)[0]!.member);
  }
  // As in Redis, the count and options are checked before the key.
  const count = randomCountArg(a[2]!);
  const withScores = a.length === 4 && is(a[3], 'WITHSCORES');
  if (a.length > 4 || (a.length === 4 && !withScores)) throw syntax();
  if (withScores) checkPairedCount(count);
  const z = c.getZSet(a[1]!);
  if (z === undefined || count === 0) return c.out.array(0);
  const picks = randomPicks(c.random, z.size, boundedPicks(count));
  // A count covering the set answers all of it, in descending order as Redis (which walks it from the tail).
  if (count >= z.size) picks.reverse();
  // A packed set is read once (each rank of it is a scan); a tree answers each rank in O(log n).
  const all = z.encoding === 'listpack' ? z.entries() : null;
  writeEntries(
    c,
    picks.map((i) => (all !== null ? all[i]! : z.fromRank(i, 1, false)[0]!)),
    withScores,
  );
}

function zscan(c: Ctx): void {
  const cursor = scanCursor(c, 2);
  const z = c.getZSet(c.argv[1]!);
  if (z === undefined) return emptyScan(c);
  const o = scanOptions(c, cursor, 3, false);
  // A packed set is answered whole, cursor 0, as Redis answers a listpack (COUNT is a hint).
  const table = z.dict;
  const { next, entries } =
    table === null
      ? { next: 0, entries: [...z].filter((e) => o.match === null || globMatch(o.match, e[0])) }
      : scanStep(c, o, z, () => table.entries(), (e) => e[0]);
  c.out.array(2);
  c.out.bulk(String(next));
  c.out.array(entries.length * 2);
  for (const [m, s] of entries) {
    c.out.bulk(m);
    c.out.bulk(formatDouble(s));
  }
}

const W = '@write @sortedset';
const R = '@read @sortedset';
export const zsetCommands = family('sorted-set', [
  command('zadd', -4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Adds members or updates their scores.', zadd),
  command('zincrby', 4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Increments the score of a member.', (c) => zaddGeneric(c, INCR, 2)),
  command('zrem', -3, 'write fast', ONE_KEY, `${W} @fast`, 'Removes members.', zrem),
  command('zscore', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the score of a member.', zscore),
  command('zmscore', -3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the scores of several members.', zmscore),
  command('zcard', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the number of members.', zcard),
  command('zcount', 4, 'readonly fast', ONE_KEY, `${R} @fast`, 'Counts members with scores in a range.', zcount),
  command('zlexcount', 4, 'readonly fast', ONE_KEY, `${R} @fast`, 'Counts members in a lexicographic range.', zlexcount),
  command('zrange', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns members in a range of ranks, scores or names.', zrange),
  command('zrangestore', -5, 'write denyoom', [1, 2, 1], `${W} @slow`, 'Stores a range of members in another key.', zrangestore),
  command('zrangebyscore', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns members in a range of scores.', (c) => legacyRange(c, 'score', false)),
  command('zrevrangebyscore', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns members in a range of scores, highest first.', (c) => legacyRange(c, 'score', true)),
  command('zrangebylex', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns members in a lexicographic range.', (c) => legacyRange(c, 'lex', false)),
  command('zrevrangebylex', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns members in a lexicographic range, in reverse.', (c) => legacyRange(c, 'lex', true)),
  command('zrevrange', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns members in a range of ranks, highest first.', (c) => legacyRange(c, 'rank', true)),
  command('zrank', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the rank of a member.', (c) => zrank(c, false)),
  command('zrevrank', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the rank of a member, highest first.', (c) => zrank(c, true)),
  command('zpopmin', -2, 'write fast', ONE_KEY, `${W} @fast`, 'Removes and returns the lowest-scored members.', (c) => zpop(c, false)),
  command('zpopmax', -2, 'write fast', ONE_KEY, `${W} @fast`, 'Removes and returns the highest-scored members.', (c) => zpop(c, true)),
  command('bzpopmin', -3, 'write noscript blocking fast', [1, -2, 1], `${W} @fast @blocking`, 'ZPOPMIN that waits for a member.', (c) => bzpop(c, false)),
  command('bzpopmax', -3, 'write noscript blocking fast', [1, -2, 1], `${W} @fast @blocking`, 'ZPOPMAX that waits for a member.', (c) => bzpop(c, true)),
  command('zmpop', -4, 'write movablekeys', [0, 0, 0], `${W} @slow`, 'Pops members from the first non-empty sorted set.', zmpop, { keysOf: keysAfterNumkeys(1) }),
  command('bzmpop', -5, 'write blocking movablekeys', [0, 0, 0], `${W} @slow @blocking`, 'ZMPOP that waits for a member.', bzmpop, { keysOf: keysAfterNumkeys(2) }),
  command('zremrangebyscore', 4, 'write', ONE_KEY, `${W} @slow`, 'Removes members in a range of scores.', (c) => zremrange(c, 'score')),
  command('zremrangebyrank', 4, 'write', ONE_KEY, `${W} @slow`, 'Removes members in a range of ranks.', (c) => zremrange(c, 'rank')),
  command('zremrangebylex', 4, 'write', ONE_KEY, `${W} @slow`, 'Removes members in a lexicographic range.', (c) => zremrange(c, 'lex')),
  command('zrandmember', -2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns random members.', zrandmember),
  command('zscan', -3, 'readonly', ONE_KEY, `${R} @slow`, 'Iterates over the members of a sorted set.', zscan),
  ...zsetCombineCommands,
]);
