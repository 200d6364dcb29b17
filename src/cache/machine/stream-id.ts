// Stream entry IDs (<ms>-<seq>, two unsigned 64-bit numbers) as 16-character latin1 strings: the
// two numbers big-endian, byte by byte, as Redis encodes them for its radix tree. String order
// is then ID order, so IDs compare with < and serve as Map keys and sorted-array keys, and the
// full 64-bit range (which a JS number cannot hold) is exact.
import { assert } from '../../util/assert.js';

export type StreamId = string;

const U64_MAX = (1n << 64n) - 1n;
const TWO_32 = 4_294_967_296;

function packU64(n: bigint): string {
  let s = '';
  for (let shift = 56n; shift >= 0n; shift -= 8n) s += String.fromCharCode(Number((n >> shift) & 0xffn));
  return s;
}

/** A number below 2^53 as 8 big-endian bytes, without BigInt (the common case: times and counters). */
function packSmall(n: number): string {
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  return String.fromCharCode(0, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

function unpackU64(id: string, at: number): bigint {
  let n = 0n;
  for (let i = at; i < at + 8; i++) n = (n << 8n) | BigInt(id.charCodeAt(i));
  return n;
}

/** The half at `at` (0: ms, 8: seq) as a number when below 2^53, else -1. */
function smallHalf(id: string, at: number): number {
  if (id.charCodeAt(at) !== 0 || id.charCodeAt(at + 1) > 0x1f) return -1;
  const hi = (id.charCodeAt(at + 1) << 16) | (id.charCodeAt(at + 2) << 8) | id.charCodeAt(at + 3);
  const lo = ((id.charCodeAt(at + 4) << 24) | (id.charCodeAt(at + 5) << 16) | (id.charCodeAt(at + 6) << 8) | id.charCodeAt(at + 7)) >>> 0;
  return hi * TWO_32 + lo;
}

export function streamId(ms: bigint | number, seq: bigint | number): StreamId {
  if (typeof ms === 'number' && typeof seq === 'number' && ms <= Number.MAX_SAFE_INTEGER && seq <= Number.MAX_SAFE_INTEGER) return smallId(ms, seq);
  const half = (n: bigint | number) => (typeof n === 'number' && n <= Number.MAX_SAFE_INTEGER ? packSmall(n) : packU64(BigInt(n)));
  return half(ms) + half(seq);
}

/**
 * An ID of two numbers below 2^53 (every clock time, every sequence in practice) in one flat
 * string: XADD makes one per entry, and a concatenation would be a rope V8 flattens later.
 */
function smallId(ms: number, seq: number): StreamId {
  const mh = Math.floor(ms / TWO_32);
  const ml = ms >>> 0;
  const sh = Math.floor(seq / TWO_32);
  const sl = seq >>> 0;
  return String.fromCharCode(
    0, (mh >>> 16) & 0xff, (mh >>> 8) & 0xff, mh & 0xff, ml >>> 24, (ml >>> 16) & 0xff, (ml >>> 8) & 0xff, ml & 0xff,
    0, (sh >>> 16) & 0xff, (sh >>> 8) & 0xff, sh & 0xff, sl >>> 24, (sl >>> 16) & 0xff, (sl >>> 8) & 0xff, sl & 0xff,
  );
}

export const MIN_ID: StreamId = streamId(0, 0);
export const MAX_ID: StreamId = packU64(U64_MAX) + packU64(U64_MAX);

/** The ms half as a number (exact below 2^53, which covers every clock time). */
export function idMs(id: StreamId): bigint | number {
  const n = smallHalf(id, 0);
  return n >= 0 ? n : unpackU64(id, 0);
}

export function idSeq(id: StreamId): bigint | number {
  const n = smallHalf(id, 8);
  return n >= 0 ? n : unpackU64(id, 8);
}

/** "<ms>-<seq>", as Redis prints an ID. */
export function formatId(id: StreamId): string {
  assert(id.length === 16, 'stream id of a wrong length');
  return `${idMs(id)}-${idSeq(id)}`;
}

/** The next ID, or null past 2^64-1 - 2^64-1 (streamIncrID). */
export function incrId(id: StreamId): StreamId | null {
  if (id === MAX_ID) return null;
  const seq = idSeq(id);
  if (seq === U64_MAX) return streamId(BigInt(idMs(id)) + 1n, 0);
  return streamId(idMs(id), typeof seq === 'number' ? seq + 1 : seq + 1n);
}

/** The previous ID, or null before 0-0 (streamDecrID). */
export function decrId(id: StreamId): StreamId | null {
  if (id === MIN_ID) return null;
  const seq = idSeq(id);
  if (seq === 0) return streamId(BigInt(idMs(id)) - 1n, U64_MAX);
  return streamId(idMs(id), typeof seq === 'number' ? seq - 1 : seq - 1n);
}

const CANONICAL_NEGATIVE = /^-[1-9][0-9]*$/;
const STRTOULL = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;

/**
 * An unsigned 64-bit decimal as Redis's string2ull reads one, null otherwise: a canonical
 * negative number is refused, anything else goes to strtoull, which takes leading spaces, a
 * sign and leading zeros, and wraps a non-canonical negative ("-05" is 2^64-5).
 */
function parseU64(s: string): bigint | number | null {
  // The common case without a regex or BigInt: up to 15 plain digits.
  if (s.length > 0 && s.length < 16) {
    let n = 0;
    let i = 0;
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === s.length) return n;
  }
  if (CANONICAL_NEGATIVE.test(s)) return null;
  const m = STRTOULL.exec(s);
  if (m === null) return null;
  const n = BigInt(m[2]!);
  if (n > U64_MAX) return null;
  return m[1] === '-' && n > 0n ? (1n << 64n) - n : n;
}

export interface ParsedId {
  readonly id: StreamId;
  /** False for "<ms>-*" (XADD picks the sequence). */
  readonly seqGiven: boolean;
}

/**
 * An ID argument as streamGenericParseIDOrReply reads it: "-" and "+" (unless `strict`), "<ms>"
 * (with `missingSeq` as its sequence), "<ms>-<seq>", and "<ms>-*" when `allowAutoSeq`.
 * Null when invalid.
 */
export function parseId(text: string, missingSeq: 0 | 'max', strict: boolean, allowAutoSeq = false): ParsedId | null {
  if (text.length > 127) return null;
  if (text === '-' || text === '+') return strict ? null : { id: text === '-' ? MIN_ID : MAX_ID, seqGiven: true };
  const dash = text.indexOf('-');
  const ms = parseU64(dash < 0 ? text : text.slice(0, dash));
  if (ms === null) return null;
  if (dash < 0) return { id: streamId(ms, missingSeq === 0 ? 0 : U64_MAX), seqGiven: true };
  const rest = text.slice(dash + 1);
  if (allowAutoSeq && rest === '*') return { id: streamId(ms, 0), seqGiven: false };
  const seq = parseU64(rest);
  return seq === null ? null : { id: streamId(ms, seq), seqGiven: true };
}

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
