// What elements cost in a Redis listpack (listpack.c), in bytes: a stream's entries live in
// listpacks in Redis, and when one is full decides where a new radix-tree node begins, which in
// turn decides what approximate trimming (MAXLEN ~) removes and what XINFO reports. Depot keeps
// its stream nodes the same size, in bytes, so that both come out as Redis's.
//
// An element is its encoding plus a "backlen" (the encoding's size, 1 to 5 bytes) for walking
// backwards. Integers take 1 to 9 bytes by range; a string that reads as a canonical int64 is
// stored as that integer; other strings are a 1, 2 or 5 byte header and their bytes.

/** A listpack's header (total bytes, element count) and end byte. */
export const LP_OVERHEAD = 7;

function intEncoding(v: number): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** The bytes of an element's backlen for an encoding of `encoded` bytes (lpEncodeBacklen). */
export function backlen(encoded: number): number {
  if (encoded <= 127) return 1;
  if (encoded < 16383) return 2;
  if (encoded < 2097151) return 3;
  if (encoded < 268435455) return 4;
  return 5;
}

/** An integer element (lpAppendInteger). Beyond 2^53 the value only needs to be in the right range. */
export function lpInt(v: number | bigint): number {
  const n = typeof v === 'bigint' ? (v >= -(2n ** 31n) && v < 2n ** 31n ? Number(v) : 2 ** 40) : v;
  return intEncoding(n) + 1;
}

const CANONICAL_INT = /^(0|-?[1-9][0-9]{0,19})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A string element (lpAppend): an integer when it reads as one (lpStringToInt64). */
export function lpString(s: string): number {
  const c0 = s.charCodeAt(0);
  // Only a digit or a minus sign can start an integer: most strings skip the regex.
  if (s.length <= 20 && ((c0 >= 48 && c0 <= 57) || c0 === 45) && CANONICAL_INT.test(s)) {
    if (s.length < 16) return lpInt(Number(s));
    const v = BigInt(s);
    if (v >= INT64_MIN && v <= INT64_MAX) return lpInt(v);
  }
  const len = s.length;
  const encoded = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return encoded + backlen(encoded);
}
