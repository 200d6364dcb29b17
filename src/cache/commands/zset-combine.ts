// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis zunionInterDiffGenericCommand). Inputs may
// be sorted sets or plain sets (every member scoring 1); results are ordered by score, then
// member.
import { Dict } from '../machine/dict.js';
import { MemberSet } from '../machine/member-set.js';
import { ZSet, type ZEntry } from '../machine/zset.js';
import { intArg, is, keysAfterNumkeys, parseDouble, parseInt64 } from './args.js';
import type { Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { command } from './spec.js';
import { storeEntries, writeEntries } from './zset-reply.js';

type Op = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** What combining reads of a source: a sorted set's member table, or a set seen with score 1. */
interface Scores extends Iterable<[string, number]> {
  readonly size: number;
  get(member: string): number | undefined;
  has(member: string): boolean;
}

interface CombineRequest {
  keys: string[];
  /** The inputs, read (and type-checked) before the options are parsed, as Redis does. */
  sources: Array<Scores | null>;
  weights: number[];
  aggregate: Aggregate;
  withScores: boolean;
  /** ZINTERCARD's LIMIT (0: none). */
  limit: number;
}

/** What the command makes of the result: a reply, a stored key, or only its size (ZINTERCARD). */
type Mode = 'reply' | 'store' | 'card';

/** Parses `numkeys key... [WEIGHTS w...] [AGGREGATE a] [WITHSCORES]` (ZINTERCARD: `[LIMIT n]`) from argv[first]. */
function combineArgs(c: Ctx, first: number, op: Op, mode: Mode): CombineRequest {
  const a = c.argv;
  const numkeys = intArg(a[first]!);
  if (numkeys < 1) fail(`ERR at least 1 input key is needed for '${a[0]!.toLowerCase()}' command`);
  if (first + numkeys >= a.length) throw syntax();
  const keys = a.slice(first + 1, first + 1 + numkeys);
  const r: CombineRequest = { keys, sources: keys.map((k) => source(c, k)), weights: new Array<number>(numkeys).fill(1), aggregate: 'sum', withScores: false, limit: 0 };
  for (let i = first + 1 + numkeys; i < a.length; i++) {
    if (mode === 'card') {
      if (!is(a[i], 'LIMIT') || i + 1 >= a.length) throw syntax();
      // Redis answers a LIMIT that is not a number with the same text as a negative one.
      const n = parseInt64(a[++i]!);
      if (n === null || n < 0) fail("ERR LIMIT can't be negative");
      r.limit = Number(n);
    } else if (op !== 'diff' && is(a[i], 'WEIGHTS') && i + numkeys < a.length) {
      for (let k = 0; k < numkeys; k++) {
        const w = parseDouble(a[++i]!);
        if (w === null) fail('ERR weight value is not a float');
        r.weights[k] = w;
      }
    } else if (op !== 'diff' && is(a[i], 'AGGREGATE') && i + 1 < a.length) {
      const g = a[++i]!.toLowerCase();
      if (g !== 'sum' && g !== 'min' && g !== 'max') throw syntax();
      r.aggregate = g;
    } else if (mode === 'reply' && is(a[i], 'WITHSCORES')) r.withScores = true;
    else throw syntax();
  }
  return r;
}

/** A source's members and scores: sorted sets as they are, sets with score 1. */
function source(c: Ctx, key: string): Scores | null {
  // A read lookup also when storing, as Redis reads the sources.
  const v = c.looking('read', () => c.lookup(key));
  if (v === undefined) return null;
  if (v instanceof ZSet) return v;
  if (v instanceof MemberSet) return setScores(v);
  fail(Err.WRONGTYPE);
}

/** A set read as scores of 1, without copying it. */
function setScores(s: MemberSet): Scores {
  return {
    get size() {
      return s.size;
    },
    get: (m) => (s.has(m) ? 1 : undefined),
    has: (m) => s.has(m),
    *[Symbol.iterator]() {
      for (const m of s) yield [m, 1] as [string, number];
    },
  };
}

function aggregate(how: Aggregate, a: number, b: number): number {
  if (how === 'min') return Math.min(a, b);
  if (how === 'max') return Math.max(a, b);
  const s = a + b;
  return Number.isNaN(s) ? 0 : s; // inf + -inf: Redis stores 0
}

function weighted(score: number, weight: number): number {
  const s = score * weight;
  return Number.isNaN(s) ? 0 : s;
}

function compute(c: Ctx, op: Op, r: CombineRequest): ZEntry[] {
  const sources = r.sources;
  // A Dict: a Map holds at most 2^24 entries, fewer than a union of big sorted sets may.
  const result = new Dict<number>(c.ks.hashSeed);
  if (op === 'union') {
    sources.forEach((src, i) => {
      if (src === null) return;
      for (const [m, s] of src) {
        const w = weighted(s, r.weights[i]!);
        const old = result.get(m);
        result.set(m, old === undefined ? w : aggregate(r.aggregate, old, w));
      }
    });
  } else if (op === 'inter') {
    if (sources.some((s) => s === null)) return [];
    const srcs = sources as Scores[];
    const order = srcs.map((_, i) => i).sort((x, y) => srcs[x]!.size - srcs[y]!.size);
    outer: for (const [m] of srcs[order[0]!]!) {
      let acc: number | undefined;
      for (let i = 0; i < srcs.length; i++) {
        const s = srcs[i]!.get(m);
        if (s === undefined) continue outer;
        const w = weighted(s, r.weights[i]!);
        acc = acc === undefined ? w : aggregate(r.aggregate, acc, w);
      }
      result.set(m, acc!);
    }
  } else {
    const first = sources[0];
    if (first === null || first === undefined) return [];
    outer: for (const [m, s] of first) {
      for (let i = 1; i < sources.length; i++) if (sources[i]?.has(m)) continue outer;
      result.set(m, s);
    }
  }
  const entries: ZEntry[] = [...result].map(([member, score]) => ({ member, score }));
  entries.sort((x, y) => (x.score !== y.score ? x.score - y.score : x.member < y.member ? -1 : x.member > y.member ? 1 : 0));
  return entries;
}

/** ZINTERCARD: the intersection's size, counting no further than LIMIT. */
function zintercard(c: Ctx): void {
  const r = combineArgs(c, 1, 'inter', 'card');
  if (r.sources.some((s) => s === null)) return c.out.int(0);
  const srcs = r.sources as Scores[];
  const smallest = srcs.reduce((x, y) => (y.size < x.size ? y : x));
  let n = 0;
  for (const [m] of smallest) {
    if (!srcs.every((s) => s === smallest || s.has(m))) continue;
    if (++n === r.limit) break;
  }
  c.out.int(n);
}

function combineReply(c: Ctx, op: Op): void {
  const r = combineArgs(c, 1, op, 'reply');
  writeEntries(c, compute(c, op, r), r.withScores);
}

function combineStore(c: Ctx, op: Op): void {
  const dst = c.argv[1]!;
  const entries = compute(c, op, combineArgs(c, 2, op, 'store'));
  storeEntries(c, dst, entries, `z${op}store`);
  c.out.int(entries.length);
}
const W = '@write @sortedset @slow';
const R = '@read @sortedset @slow';
export const zsetCombineCommands = [
  command('zunion', -3, 'readonly movablekeys', [0, 0, 0], R, 'Returns the union of sorted sets.', (c) => combineReply(c, 'union'), { keysOf: keysAfterNumkeys(1) }),
  command('zinter', -3, 'readonly movablekeys', [0, 0, 0], R, 'Returns the intersection of sorted sets.', (c) => combineReply(c, 'inter'), { keysOf: keysAfterNumkeys(1) }),
  command('zintercard', -3, 'readonly movablekeys', [0, 0, 0], R, 'Counts the members of the intersection of sorted sets.', zintercard, { keysOf: keysAfterNumkeys(1) }),
  command('zdiff', -3, 'readonly movablekeys', [0, 0, 0], R, 'Returns the difference of sorted sets.', (c) => combineReply(c, 'diff'), { keysOf: keysAfterNumkeys(1) }),
  command('zunionstore', -4, 'write denyoom movablekeys', [1, 1, 1], W, 'Stores the union of sorted sets.', (c) => combineStore(c, 'union'), { keysOf: keysAfterNumkeys(2, true) }),
  command('zinterstore', -4, 'write denyoom movablekeys', [1, 1, 1], W, 'Stores the intersection of sorted sets.', (c) => combineStore(c, 'inter'), { keysOf: keysAfterNumkeys(2, true) }),
  command('zdiffstore', -4, 'write denyoom movablekeys', [1, 1, 1], W, 'Stores the difference of sorted sets.', (c) => combineStore(c, 'diff'), { keysOf: keysAfterNumkeys(2, true) }),
];
