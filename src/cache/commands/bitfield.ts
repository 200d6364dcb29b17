// BITFIELD and BITFIELD_RO (Redis's bitops.c): signed and unsigned integers of 1 to 64 bits
// (unsigned to 63) at any bit offset of a string value, read (GET), written (SET) or added to
// (INCRBY) with WRAP, SAT or FAIL on overflow. Values are 64-bit two's complement, as in Redis,
// held in BigInts. The changed bytes are logged as one SETRANGE (the whole value for a new key).
import { parseInt64 } from './args.js';
import type { CommandSpec, Ctx } from './context.js';
import { Err, fail } from './reply-error.js';
import { command, family, ONE_KEY } from './spec.js';

const TYPE_ERROR = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
const OFFSET_ERROR = 'ERR bit offset is not an integer or out of range';

type Overflow = 'wrap' | 'sat' | 'fail';

interface Op {
  readonly kind: 'get' | 'set' | 'incrby';
  readonly signed: boolean;
  readonly bits: number;
  readonly offset: number;
  readonly value: bigint;
  readonly overflow: Overflow;
}

/** i<bits> (1 to 64) or u<bits> (1 to 63), lower case as Redis reads them. */
function typeArg(s: string): { signed: boolean; bits: number } {
  const signed = s[0] === 'i';
  if (!signed && s[0] !== 'u') fail(TYPE_ERROR);
  const n = parseInt64(s.slice(1));
  if (n === null || n < 1n || n > (signed ? 64n : 63n)) fail(TYPE_ERROR);
  return { signed, bits: Number(n) };
}

/** A bit offset, or #<n>: the n-th field of this width. Below proto-max-bulk-len in bytes, as Redis checks. */
function offsetArg(c: Ctx, s: string, bits: number): number {
  const hash = s[0] === '#';
  const parsed = parseInt64(hash ? s.slice(1) : s);
  if (parsed === null) fail(OFFSET_ERROR);
  const n = hash ? BigInt(parsed) * BigInt(bits) : BigInt(parsed);
  if (n < 0n || n >> 3n >= BigInt(c.server.maxStringBytes)) fail(OFFSET_ERROR);
  return Number(n);
}

/** `bits` bits from bit `offset` of `b`, most significant first (bytes past the end read as zero). */
function getUnsigned(b: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++, offset++) {
    const byte = b[offset >>> 3] ?? 0;
    v = (v << 1n) | BigInt((byte >> (7 - (offset & 7))) & 1);
  }
  return v;
}

/** The same bits as a two's complement integer. */
function getSigned(b: Uint8Array, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsigned(b, offset, bits));
}

/** Writes the low `bits` bits of `v` at bit `offset`, most significant first. */
function setBits(b: Uint8Array, offset: number, bits: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  for (let j = 0; j < bits; j++, offset++) {
    const bit = Number((u >> BigInt(bits - 1 - j)) & 1n);
    const mask = 1 << (7 - (offset & 7));
    const at = offset >>> 3;
    b[at] = bit ? b[at]! | mask : b[at]! & ~mask;
  }
}

/**
 * Redis's checkUnsignedBitfieldOverflow: `value` + `incr` against the field's range, with C's
 * 64-bit arithmetic (a value is a uint64, an increment an int64). Null when it fits; else what
 * WRAP or SAT make of it (for FAIL, anything: the caller does not write).
 */
function unsignedOverflow(value: bigint, incr: bigint, bits: number, overflow: Overflow): bigint | null {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  const wrap = () => BigInt.asUintN(bits, value + incr);
  if (value > max || (incr > 0n && incr > maxincr)) return overflow === 'wrap' ? wrap() : max;
  if (incr < 0n && incr < minincr) return overflow === 'wrap' ? wrap() : 0n;
  return null;
}

/** Redis's checkSignedBitfieldOverflow (both int64). */
function signedOverflow(value: bigint, incr: bigint, bits: number, overflow: Overflow): bigint | null {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wrap = () => BigInt.asIntN(bits, BigInt.asUintN(64, value + incr));
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) return overflow === 'wrap' ? wrap() : max;
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) return overflow === 'wrap' ? wrap() : min;
  return null;
}

/** The operations of the command line, all read before any runs (an error leaves the key alone). */
function parseOps(c: Ctx): Op[] {
  const a = c.argv;
  const ops: Op[] = [];
  let overflow: Overflow = 'wrap';
  for (let j = 2; j < a.length; j++) {
    const remaining = a.length - j - 1;
    const sub = a[j]!.toLowerCase();
    let kind: Op['kind'];
    if (sub === 'get' && remaining >= 2) kind = 'get';
    else if (sub === 'set' && remaining >= 3) kind = 'set';
    else if (sub === 'incrby' && remaining >= 3) kind = 'incrby';
    else if (sub === 'overflow' && remaining >= 1) {
      const o = a[++j]!.toLowerCase();
      if (o !== 'wrap' && o !== 'sat' && o !== 'fail') fail('ERR Invalid OVERFLOW type specified');
      overflow = o;
      continue;
    } else fail(Err.SYNTAX);
    const { signed, bits } = typeArg(a[j + 1]!);
    const offset = offsetArg(c, a[j + 2]!, bits);
    let value = 0n;
    if (kind !== 'get') {
      const v = parseInt64(a[j + 3]!);
      if (v === null) fail(Err.NOT_INTEGER);
      value = BigInt(v);
    }
    ops.push({ kind, signed, bits, offset, value, overflow });
    j += kind === 'get' ? 2 : 3;
  }
  return ops;
}

function bitfield(c: Ctx, readOnlyCommand: boolean): void {
  const key = c.argv[1]!;
  const ops = parseOps(c);
  const writes = ops.filter((op) => op.kind !== 'get');
  if (writes.length > 0 && readOnlyCommand) fail('ERR BITFIELD_RO only supports the GET subcommand');
  // Only GETs: a read lookup, as Redis's BITFIELD does then.
  const old = writes.length === 0 ? c.looking('read', () => c.getString(key)) : c.getString(key);
  if (writes.length === 0) {
    const b = Buffer.from(old ?? '', 'latin1');
    c.out.array(ops.length);
    for (const op of ops) c.out.int(op.signed ? getSigned(b, op.offset, op.bits) : getUnsigned(b, op.offset, op.bits));
    return;
  }
  // The value grows (zeros) to the farthest bit a write reaches, whether or not that write happens.
  const highest = Math.max(...writes.map((op) => op.offset + op.bits - 1));
  const length = Math.max(old?.length ?? 0, (highest >>> 3) + 1);
  if (length > c.server.maxStringBytes) fail(Err.STRING_TOO_LONG);
  const b = Buffer.alloc(length);
  if (old !== undefined) b.write(old, 0, 'latin1');
  let dirty = old === undefined || length > old.length;
  let changes = 0;
  c.out.array(ops.length);
  for (const op of ops) {
    const current = op.signed ? getSigned(b, op.offset, op.bits) : getUnsigned(b, op.offset, op.bits);
    if (op.kind === 'get') {
      c.out.int(current);
      continue;
    }
    // As C holds them: an unsigned field's value and a SET's argument as uint64.
    const base = op.kind === 'incrby' ? current : op.signed ? op.value : BigInt.asUintN(64, op.value);
    const incr = op.kind === 'incrby' ? op.value : 0n;
    const fixed = op.signed ? signedOverflow(base, incr, op.bits, op.overflow) : unsignedOverflow(base, incr, op.bits, op.overflow);
    if (fixed !== null && op.overflow === 'fail') {
      c.out.nullBulk();
      continue;
    }
    const next = fixed ?? base + incr;
    c.out.int(op.kind === 'incrby' ? next : current);
    setBits(b, op.offset, op.bits, next);
    if (dirty || next !== current) changes++;
  }
  save(c, key, old, b);
  if (changes > 0) c.notify('$', 'setbit', key);
}

/** Logs the new value: whole for a new key, else one SETRANGE from the first byte that differs (or grew). */
function save(c: Ctx, key: string, old: string | undefined, b: Buffer): void {
  if (old === undefined) return c.fx.set(c.db, key, b.toString('latin1'), 0, false);
  let from = 0;
  while (from < old.length && b[from] === old.charCodeAt(from)) from++;
  let to = b.length;
  if (to === old.length) while (to > from && b[to - 1] === old.charCodeAt(to - 1)) to--;
  if (from < to) c.fx.setrange(c.db, key, from, b.toString('latin1', from, to));
}

export const bitfieldCommands: CommandSpec[] = family('bitmap', [
  command('bitfield', -2, 'write denyoom', ONE_KEY, '@write @bitmap @slow', 'Reads, writes and increments integer fields of a string value.', (c) => bitfield(c, false)),
  command('bitfield_ro', -2, 'readonly fast', ONE_KEY, '@read @bitmap @fast', 'Reads integer fields of a string value.', (c) => bitfield(c, true)),
]);
