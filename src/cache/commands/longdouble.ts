// INCRBYFLOAT and HINCRBYFLOAT arithmetic as Redis does it on x86-64: both operands parsed
// with strtold into 80-bit long doubles (64-bit mantissa), added, rounded to the mantissa, and
// printed with "%.17Lf" minus trailing zeros. Doing this in doubles would print 0.1 + 0.2 as
// 0.30000000000000004 where Redis prints 0.3; clients comparing values would notice.
//
// A value is sign * mantissa * 2^exp with a BigInt mantissa, rounded half-to-even to 64 bits.
import { hexFloatParts, INF_RE } from './args.js';

const MANTISSA_BITS = 64n;
const MAX_EXP = 16383;
const DECIMAL_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;

interface LongDouble {
  readonly negative: boolean;
  readonly mantissa: bigint; // 0, or in [2^63, 2^64)
  readonly exp: number;
}

const ZERO: LongDouble = { negative: false, mantissa: 0n, exp: 0 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** round(num / den) half to even, for positive BigInts. */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Rounds the exact positive rational num/den * 2^shift to a long double. */
function fromRational(negative: boolean, num: bigint, den: bigint): LongDouble | null {
  if (num === 0n) return { ...ZERO, negative };
  let exp = bitLength(num) - bitLength(den) - Number(MANTISSA_BITS);
  for (;;) {
    const m = exp >= 0 ? divRound(num, den << BigInt(exp)) : divRound(num << BigInt(-exp), den);
    if (m >= 1n << MANTISSA_BITS) exp++;
    else if (m < 1n << (MANTISSA_BITS - 1n)) exp--;
    else {
      if (exp + 64 > MAX_EXP + 1) return null; // overflow: strtold gives HUGE_VALL
      return { negative, mantissa: m, exp };
    }
  }
}

/** A hexadecimal float (args.ts) as a long double; null past its range, as string2ld refuses. */
function hexLongDouble(h: { negative: boolean; digits: bigint; exp2: number }): LongDouble | null {
  if (Math.abs(h.exp2) > 70000) return null;
  const value = h.exp2 >= 0 ? fromRational(h.negative, h.digits << BigInt(h.exp2), 1n) : fromRational(h.negative, h.digits, 1n << BigInt(-h.exp2));
  if (value === null || (value.mantissa === 0n && h.digits !== 0n)) return null;
  return value;
}

/** strtold of a whole string as Redis's string2ld accepts it; null when refused. */
export function parseLongDouble(s: string): LongDouble | 'inf' | '-inf' | null {
  if (INF_RE.test(s)) return s.charCodeAt(0) === 45 ? '-inf' : 'inf';
  const hex = hexFloatParts(s);
  if (hex !== null) return hexLongDouble(hex);
  const m = DECIMAL_RE.exec(s);
  if (m === null || s.length === 0) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart.length === 0 && fracPart.length === 0) return null;
  const exp10 = (m[4] === undefined ? 0 : Number(m[4])) - fracPart.length;
  if (Math.abs(exp10) > 20000) return null;
  const digits = BigInt(intPart + fracPart || '0');
  const negative = m[1] === '-';
  const value = exp10 >= 0 ? fromRational(negative, digits * 10n ** BigInt(exp10), 1n) : fromRational(negative, digits, 10n ** BigInt(-exp10));
  if (value === null) return null;
  if (value.mantissa === 0n && digits !== 0n) return null; // underflow
  return value;
}

function toSigned(v: LongDouble, exp: number): bigint {
  const m = v.mantissa << BigInt(v.exp - exp);
  return v.negative ? -m : m;
}

/** a + b rounded to a long double; null on overflow. */
function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.mantissa === 0n) return b;
  if (b.mantissa === 0n) return a;
  const exp = Math.min(a.exp, b.exp);
  const sum = toSigned(a, exp) + toSigned(b, exp);
  if (sum === 0n) return ZERO;
  const negative = sum < 0n;
  const abs = negative ? -sum : sum;
  return exp >= 0 ? fromRational(negative, abs << BigInt(exp), 1n) : fromRational(negative, abs, 1n << BigInt(-exp));
}

/** printf("%.17Lf") with trailing zeros (and a bare '.') removed, "-0" as "0". */
function formatLongDouble(v: LongDouble): string {
  const SCALE = 10n ** 17n;
  let scaled: bigint;
  if (v.exp >= 0) scaled = (v.mantissa << BigInt(v.exp)) * SCALE;
  else scaled = divRound(v.mantissa * SCALE, 1n << BigInt(-v.exp));
  const text = scaled.toString().padStart(18, '0');
  const intPart = text.slice(0, -17);
  const frac = text.slice(-17).replace(/0+$/, '');
  const body = frac.length > 0 ? `${intPart}.${frac}` : intPart;
  return v.negative && body !== '0' ? '-' + body : body;
}

/**
 * A blocking command's timeout, in seconds, as milliseconds the way Redis 7.0 computes them:
 * strtold, times 1000 in long double, ceill, then a cast to long long. 'float' when the text is
 * refused; 'negative' when the long long is negative, which includes the infinities and 2^63 ms
 * or more (the x86 cast gives LLONG_MIN for both). A positive fraction of a millisecond is 1 ms,
 * and a negative one rounds up to 0, which blocks forever, as it does in Redis.
 */
export function timeoutMillis(s: string): number | 'float' | 'negative' {
  const v = parseLongDouble(s);
  if (v === null) return 'float';
  if (typeof v === 'string') return 'negative';
  if (v.mantissa === 0n) return 0;
  const up = BigInt(Math.max(v.exp, 0));
  const down = BigInt(Math.max(-v.exp, 0));
  const ms = fromRational(v.negative, (v.mantissa * 1000n) << up, 1n << down);
  if (ms === null) return 'negative';
  const shift = BigInt(-ms.exp);
  // The magnitude's floor; ceill rounds a positive value away from it when a fraction is left.
  const floor = ms.exp >= 0 ? ms.mantissa << BigInt(ms.exp) : ms.mantissa >> shift;
  if (ms.negative) return floor === 0n ? 0 : 'negative';
  const ceil = ms.exp < 0 && floor << shift !== ms.mantissa ? floor + 1n : floor;
  return ceil >= 1n << 63n ? 'negative' : Number(ceil);
}

/**
 * The text INCRBYFLOAT stores for `current + increment`, or an error code: 'value' when the
 * current value is not a float, 'increment' when the increment is not, 'nan' when the result
 * is infinite.
 */
export function incrByFloatText(current: string, increment: string): string | 'value' | 'increment' | 'nan' {
  const a = parseLongDouble(current);
  if (a === null) return 'value';
  const b = parseLongDouble(increment);
  if (b === null) return 'increment';
  if (typeof a === 'string' || typeof b === 'string') return 'nan';
  const sum = addLongDouble(a, b);
  return sum === null ? 'nan' : formatLongDouble(sum);
}
