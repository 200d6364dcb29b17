// Bit operations on string values (Redis's bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP. A
// string is bytes (one latin1 character each); bit 0 is the most significant bit of byte 0.
// SETBIT is logged as the SETRANGE of the one byte it changes, so the log does not carry the
// whole bitmap; the string itself is rebuilt as SETRANGE rebuilds it.
import { intArg, parseInt64, stringRange } from './args.js';
import type { CommandSpec, Ctx } from './context.js';
import { Err, fail } from './reply-error.js';
import { command, family, ONE_KEY } from './spec.js';

const BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
/** Redis's bound: the byte an offset names must lie below proto-max-bulk-len (512 MiB). */
const MAX_BIT_OFFSET = 2 ** 32 - 1;

/** A bit offset as Redis reads one (string2ll: no sign, no leading zeros). */
function bitOffset(s: string): number {
  const n = parseInt64(s);
  if (n === null || n < 0 || n > MAX_BIT_OFFSET) fail(BIT_OFFSET);
  return Number(n);
}

function getbit(c: Ctx): void {
  const offset = bitOffset(c.argv[2]!);
  const v = c.getString(c.argv[1]!) ?? '';
  const byte = offset >>> 3;
  c.out.int(byte < v.length ? (v.charCodeAt(byte) >> (7 - (offset & 7))) & 1 : 0);
}

function setbit(c: Ctx): void {
  const key = c.argv[1]!;
  const offset = bitOffset(c.argv[2]!);
  const on = c.argv[3];
  if (on !== '0' && on !== '1') fail('ERR bit is not an integer or out of range');
  const v = c.getString(key) ?? '';
  const byte = Math.floor(offset / 8);
  if (byte + 1 > c.server.maxStringBytes) fail(Err.STRING_TOO_LONG);
  const mask = 1 << (7 - (offset & 7));
  const old = byte < v.length ? v.charCodeAt(byte) : 0;
  const next = on === '1' ? old | mask : old & ~mask;
  // As in Redis, a bit set to what it was changes nothing (no event) unless the string grows.
  if (next !== old || byte >= v.length) {
    c.fx.setrange(c.db, key, byte, String.fromCharCode(next));
    c.notify('$', 'setbit', key);
  }
  c.out.int(old & mask ? 1 : 0);
}

/**
 * The bit range [first, last] that start/end name, as Redis reads them: negative from the end,
 * clamped to the value; BYTE (default) or BIT units from argv[unitAt]. Null when it is empty.
 * Redis's two commands differ in small ways that clients can see: BITPOS checks the unit before
 * it reads the end (BITCOUNT after), and does not take two negative ends in reverse order for an
 * empty range (BITCOUNT does: `BITCOUNT k -2 -100` is 0, `BITPOS k 0 -2 -100` searches byte 0).
 */
function bitRange(c: Ctx, v: string, startAt: number, endAt: number | null, unitAt: number, command: 'bitcount' | 'bitpos'): { first: number; last: number } | null {
  const unitFirst = command === 'bitpos';
  const start = intArg(c.argv[startAt]!);
  let bits = false;
  const readUnit = () => {
    if (unitAt >= c.argv.length) return;
    const unit = c.argv[unitAt]!.toUpperCase();
    if (unit === 'BIT') bits = true;
    else if (unit !== 'BYTE') fail(Err.SYNTAX);
  };
  if (unitFirst) readUnit();
  const end = endAt === null ? -1 : intArg(c.argv[endAt]!);
  if (!unitFirst) readUnit();
  const range = stringRange(start, end, bits ? v.length * 8 : v.length, command === 'bitcount');
  if (range === null) return null;
  return bits ? { first: range[0], last: range[1] } : { first: range[0] * 8, last: range[1] * 8 + 7 };
}

function bitAt(v: string, i: number): number {
  return (v.charCodeAt(i >>> 3) >> (7 - (i & 7))) & 1;
}

/** Set bits of a 32-bit word (SWAR). */
function popcount32(w: number): number {
  w = w - ((w >>> 1) & 0x55555555);
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Set bits of bytes [from, to): copied once into an aligned buffer and counted a word at a time. */
function countBytes(v: string, from: number, to: number): number {
  const len = to - from;
  if (len <= 0) return 0;
  const buf = Buffer.allocUnsafeSlow(len);
  buf.write(v.slice(from, to), 0, 'latin1');
  const words = len >>> 2;
  const w32 = new Uint32Array(buf.buffer, 0, words);
  let n = 0;
  for (let i = 0; i < words; i++) n += popcount32(w32[i]!);
  for (let i = words * 4; i < len; i++) n += popcount32(buf[i]!);
  return n;
}

/** Set bits in [first, last]: whole bytes at a time, the partial ones at the ends bit by bit. */
function countBits(v: string, first: number, last: number): number {
  let n = 0;
  let i = first;
  for (; i <= last && (i & 7) !== 0; i++) n += bitAt(v, i);
  const whole = Math.floor((last + 1 - i) / 8);
  n += countBytes(v, i >>> 3, (i >>> 3) + whole);
  i += whole * 8;
  for (; i <= last; i++) n += bitAt(v, i);
  return n;
}

/** The first bit equal to `bit` in [first, last], or -1. */
function findBit(v: string, bit: number, first: number, last: number): number {
  const skip = bit === 1 ? 0x00 : 0xff;
  let i = first;
  while (i <= last) {
    if ((i & 7) === 0 && i + 7 <= last && v.charCodeAt(i >>> 3) === skip) {
      i += 8;
      continue;
    }
    if (bitAt(v, i) === bit) return i;
    i++;
  }
  return -1;
}

function bitcount(c: Ctx): void {
  const n = c.argv.length;
  const v = c.getString(c.argv[1]!);
  // As Redis: a missing key counts 0 before its arguments are read.
  if (v === undefined) return c.out.int(0);
  if (n === 2) return c.out.int(countBits(v, 0, v.length * 8 - 1));
  if (n !== 4 && n !== 5) fail(Err.SYNTAX);
  const range = bitRange(c, v, 2, 3, 4, 'bitcount');
  c.out.int(range === null ? 0 : countBits(v, range.first, range.last));
}

function bitpos(c: Ctx): void {
  const n = c.argv.length;
  const bit = intArg(c.argv[2]!);
  if (bit !== 0 && bit !== 1) fail('ERR The bit argument must be 1 or 0.');
  const v = c.getString(c.argv[1]!);
  // A missing key is an endless run of zeros.
  if (v === undefined) return c.out.int(bit === 1 ? -1 : 0);
  if (n > 6) fail(Err.SYNTAX);
  const endGiven = n >= 5;
  const range = n === 3 ? (v.length === 0 ? null : { first: 0, last: v.length * 8 - 1 }) : bitRange(c, v, 3, endGiven ? 4 : null, 5, 'bitpos');
  if (range === null) return c.out.int(-1);
  const at = findBit(v, bit, range.first, range.last);
  // No clear bit in the range: without an end, the bits past the value count as zeros.
  if (at < 0 && bit === 0 && !endGiven) return c.out.int(range.last + 1);
  c.out.int(at);
}

function bitop(c: Ctx): void {
  const op = c.argv[1]!.toUpperCase();
  if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') fail(Err.SYNTAX);
  const dest = c.argv[2]!;
  const sources = c.argv.slice(3);
  if (op === 'NOT' && sources.length !== 1) fail('ERR BITOP NOT must be called with a single source key.');
  // Every source is checked (WRONGTYPE) before anything is written; missing ones are empty.
  const values = c.looking('read', () => sources.map((k) => c.getString(k) ?? ''));
  const len = Math.max(...values.map((x) => x.length));
  if (len === 0) {
    if (c.fx.del(c.db, dest)) c.notify('g', 'del', dest);
    return c.out.int(0);
  }
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) {
    let b = values[0]!.charCodeAt(i) || 0;
    if (op === 'NOT') b = ~b & 0xff;
    for (let k = 1; k < values.length; k++) {
      const x = values[k]!.charCodeAt(i) || 0;
      b = op === 'AND' ? b & x : op === 'OR' ? b | x : b ^ x;
    }
    out[i] = b;
  }
  c.expireIfNeeded(dest);
  // Its own access even when it was a source too: Redis's setKey looks it up again.
  c.lookup(dest);
  c.fx.set(c.db, dest, out.toString('latin1'), 0, false);
  c.notify('$', 'set', dest);
  c.out.int(len);
}

const R = '@read @bitmap';
const W = '@write @bitmap';

export const bitmapCommands: CommandSpec[] = family('bitmap', [
  command('getbit', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns a bit of a string value.', getbit),
  command('setbit', 4, 'write denyoom', ONE_KEY, `${W} @slow`, 'Sets or clears a bit of a string value.', setbit),
  command('bitcount', -2, 'readonly', ONE_KEY, `${R} @slow`, 'Counts the set bits of a string value.', bitcount),
  command('bitpos', -3, 'readonly', ONE_KEY, `${R} @slow`, 'Finds the first set or clear bit of a string value.', bitpos),
  command('bitop', -4, 'write denyoom', [2, -1, 1], `${W} @slow`, 'Combines string values bit by bit into a key.', bitop),
]);
