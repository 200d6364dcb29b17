// Argument parsing with Redis's rules (util.c string2ll / string2d): strict decimal integers
// (no '+', no leading zeros, no blanks) within int64, and strtod-style doubles without NaN.
import type { LexBound, LexRange, ScoreRange } from '../machine/zset.js';
import { Err, ReplyError, fail, outOfRange } from './reply-error.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT_RE = /^(0|-?[1-9][0-9]*)$/;
const FLOAT_RE = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
/** strtod's and strtold's hexadecimal form: sign, integer digits, fraction digits, binary exponent. */
const HEX_FLOAT_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
export const INF_RE = /^[+-]?inf(inity)?$/i;

/** Exact int64 value of `s`, as a number when it is a safe integer and a bigint otherwise; null when not an int64. */
export function parseInt64(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  if (len < 16) {
    // The common case without a regex: [-]digits, no leading zero and no "-0" (Redis's string2ll).
    if (s.charCodeAt(s.charCodeAt(0) === 45 ? 1 : 0) === 48) return len === 1 ? 0 : null;
    return plainInteger(s);
  }
  if (!INT_RE.test(s)) return null;
  const b = BigInt(s);
  if (b < INT64_MIN || b > INT64_MAX) return null;
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

/**
 * `n` × `unitMs` + `base`, an expiry time in ms computed as Redis computes it in int64: null
 * where Redis finds it out of range ("invalid expire time"). Exact up to 2^53 ms; past that
 * (some 285,000 years from now) to a double's precision, which such a time can spare.
 */
export function expiryMs(n: number | bigint, unitMs: 1 | 1000, base: number): number | null {
  if (typeof n === 'number') {
    const at = n * unitMs + base;
    if (Number.isSafeInteger(at)) return at;
  }
  const b = BigInt(n);
  if (unitMs === 1000 && (b > INT64_MAX / 1000n || b < INT64_MIN / 1000n)) return null;
  const at = b * BigInt(unitMs) + BigInt(base);
  return at > INT64_MAX ? null : Number(at);
}

/** An integer argument where precision beyond 2^53 does not matter (indexes, counts). */
export function intArg(s: string, message: string = Err.NOT_INTEGER): number {
  const n = parseInt64(s);
  if (n === null) fail(message);
  return Number(n);
}

/** An int argument as Redis's getIntFromObjectOrReply reads it (int32); `message` replaces both errors. */
export function int32Arg(s: string, message?: string): number {
  const n = parseInt64(s);
  if (n === null) fail(message ?? Err.NOT_INTEGER);
  if (n < -(2 ** 31) || n > 2 ** 31 - 1) fail(message ?? outOfRange(-(2 ** 31), 2 ** 31 - 1));
  return Number(n);
}

/** The count of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER, exact, in Redis's range (±LONG_MAX). */
export function randomCountArg(s: string): number | bigint {
  const n = parseInt64(s);
  if (n === null) fail(Err.NOT_INTEGER);
  if (n === INT64_MIN) fail(outOfRange(-INT64_MAX, INT64_MAX));
  return n;
}

/** With WITHVALUES or WITHSCORES Redis halves that range (two reply entries per pick). */
export function checkPairedCount(n: number | bigint): void {
  if (n > INT64_MAX / 2n || n < -(INT64_MAX / 2n)) fail('ERR value is out of range');
}

/**
 * The most picks a negative count (picks that may repeat, so not bounded by the collection)
 * may ask for: the reply is built in memory before it is sent. Redis has no bound and tries to
 * build a reply of any size.
 */
export const MAX_RANDOM_REPEATS = 1 << 20;

/** `n` as a number of picks for randomPicks, refusing more repeats than MAX_RANDOM_REPEATS. */
export function boundedPicks(n: number | bigint): number {
  if (n < -MAX_RANDOM_REPEATS) fail(outOfRange(-MAX_RANDOM_REPEATS, INT64_MAX));
  return Number(n);
}

/** `s` as a number when it is [-]digits, at most 15 of them (exact as a double; leading zeros allowed), else null. */
function plainInteger(s: string): number | null {
  const n = s.length;
  const negative = n > 0 && s.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  if (n === i || n - i > 15) return null;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/** strtod-like parse; null when Redis would refuse the number. */
export function parseDouble(s: string): number | null {
  // Most scores and increments are small integers: no regular expression for them.
  const int = plainInteger(s);
  if (int !== null) return int;
  if (INF_RE.test(s)) return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
  if (s.length === 0) return null;
  const decimal = FLOAT_RE.test(s);
  const d = decimal ? Number(s) : hexDouble(s);
  if (d === null || !Number.isFinite(d)) return null; // overflow: strtod's ERANGE
  // Underflow to zero is ERANGE too.
  if (d === 0 && (decimal ? /[1-9]/.test(s.replace(/[eE].*$/, '')) : /[1-9a-f]/i.test(s.replace(/[pP].*$/, '')))) return null;
  return d;
}

/**
 * strtod's and strtold's hexadecimal form, 0x<hex digits>[.<hex digits>][p<decimal exponent of
 * 2>], which Redis accepts wherever it reads a number ("0x10" is 16): the value is
 * ±digits × 2^exp2, exactly. Null when `s` is not one.
 */
export function hexFloatParts(s: string): { negative: boolean; digits: bigint; exp2: number } | null {
  const m = HEX_FLOAT_RE.exec(s);
  if (m === null) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart.length === 0 && fracPart.length === 0) return null;
  const exp2 = (m[4] === undefined ? 0 : Number(m[4])) - 4 * fracPart.length;
  return { negative: m[1] === '-', digits: BigInt('0x' + (intPart + fracPart || '0')), exp2 };
}

/** A hexadecimal float as a double: ±Infinity or ±0 past the double's range, as strtod gives them. */
function hexDouble(s: string): number | null {
  const h = hexFloatParts(s);
  if (h === null) return null;
  // The digits' value times a power of two, in two steps: 2^-1100 alone is 0.
  const exp2 = Math.max(-2200, Math.min(2200, h.exp2));
  const half = Math.trunc(exp2 / 2);
  const d = h.digits === 0n ? 0 : Number(h.digits) * 2 ** half * 2 ** (exp2 - half);
  return h.negative ? -d : d;
}

/**
 * A score range bound's number as Redis's zslParseRange reads it: plain strtod over the whole
 * string, so leading blanks are skipped, "" is 0, and what overflows or underflows becomes
 * ±inf or 0 instead of an error; only NaN and characters left over are refused.
 */
function rangeDouble(s: string): number | null {
  if (s.length === 0) return 0;
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (INF_RE.test(t)) return t.charCodeAt(0) === 45 ? -Infinity : Infinity;
  return FLOAT_RE.test(t) ? Number(t) : hexDouble(t);
}

export function floatArg(s: string, message: string = Err.NOT_FLOAT): number {
  const d = parseDouble(s);
  if (d === null) fail(message);
  return d;
}

/** ZRANGEBYSCORE-style bound: `(x` is exclusive, `-inf`/`+inf` allowed. */
function scoreBound(s: string): { value: number; exclusive: boolean } {
  const exclusive = s.charCodeAt(0) === 40;
  const d = rangeDouble(exclusive ? s.slice(1) : s);
  if (d === null) fail(Err.MIN_MAX_FLOAT);
  return { value: d, exclusive };
}

export function scoreRangeArgs(min: string, max: string): ScoreRange {
  const lo = scoreBound(min);
  const hi = scoreBound(max);
  return { min: lo.value, minExclusive: lo.exclusive, max: hi.value, maxExclusive: hi.exclusive };
}

function lexBound(s: string): LexBound {
  if (s === '-') return { value: '', exclusive: false, infinity: -1 };
  if (s === '+') return { value: '', exclusive: false, infinity: 1 };
  const c = s.charCodeAt(0);
  if (c === 40) return { value: s.slice(1), exclusive: true, infinity: 0 };
  if (c === 91) return { value: s.slice(1), exclusive: false, infinity: 0 };
  fail(Err.MIN_MAX_LEX);
}

export function lexRangeArgs(min: string, max: string): LexRange {
  return { min: lexBound(min), max: lexBound(max) };
}

/** Case-insensitive comparison of an option argument with an upper-case keyword. */
export function is(arg: string | undefined, keyword: string): boolean {
  return arg !== undefined && arg.length === keyword.length && arg.toUpperCase() === keyword;
}

/** Normalises Redis start/stop indexes against a length; null when the range is empty. */
export function indexRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start = Math.max(0, length + start);
  if (stop < 0) stop = length + stop;
  if (stop >= length) stop = length - 1;
  if (start > stop || start >= length) return null;
  return [start, stop];
}

/**
 * A string range as GETRANGE, BITCOUNT and BITPOS read one: negative ends count from the end, and
 * unlike indexRange an end before the start of the string is clamped to 0 (GETRANGE s 0 -100 is
 * the first byte), except, when `reversedNegativesEmpty` (all but BITPOS), both ends are negative
 * and reversed. Null when empty.
 */
export function stringRange(start: number, end: number, length: number, reversedNegativesEmpty = true): [number, number] | null {
  if (reversedNegativesEmpty && start < 0 && end < 0 && start > end) return null;
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  return start > end ? null : [start, end];
}

/**
 * The keys of a command whose numkeys is argv[at] and whose keys follow it (movable keys, for
 * ACLs, tracking and COMMAND GETKEYS), after argv[1] for the commands that store
 * (ZUNIONSTORE's destination). None at all when numkeys is below 1 or more than the arguments
 * left, as Redis's getkeys functions (db.c's genericGetKeys) answer a line the command refuses;
 * numkeys is read as their atoi reads it.
 */
export function keysAfterNumkeys(at: number, withDestination = false): (argv: readonly string[]) => string[] {
  return (argv) => {
    const digits = /^\s*[+-]?[0-9]+/.exec(argv[at] ?? '');
    const n = digits === null ? 0 : parseInt(digits[0], 10);
    if (n < 1 || n > argv.length - at - 1) return [];
    const keys = argv.slice(at + 1, at + 1 + n);
    return withDestination ? [argv[1]!, ...keys] : keys;
  };
}

export { ReplyError };
