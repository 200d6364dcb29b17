// LZF (liblzf, the format and the compressor's choices), for the compressed strings of RDB
// payloads: Redis compresses strings over 20 bytes when that saves space, so a payload Redis
// dumped has them, and Depot's DUMP writes them the same way.
import { assert } from '../../util/assert.js';

const MAX_LIT = 32;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const HASH_BITS = 16;

/** liblzf's hash of three bytes as Redis builds it (HLOG 16, VERY_FAST). */
function slotOf(h: number): number {
  return ((h >>> (24 - HASH_BITS)) - Math.imul(h, 5)) & ((1 << HASH_BITS) - 1);
}

/**
 * Where each hash was last seen, and in which call: a slot stamped by an earlier call reads as
 * never seen. One table for every call, since a fresh one (256 KiB zeroed) cost far more than
 * compressing a short string (an RDB file compresses every string over 20 bytes).
 */
const positions = new Int32Array(1 << HASH_BITS);
const stamps = new Uint32Array(1 << HASH_BITS);
let stamp = 0;

function remember(slot: number, ip: number, now: number): void {
  positions[slot] = ip;
  stamps[slot] = now;
}

/**
 * Compresses `input` (at least 3 bytes) as liblzf does, into at most `maxOut` bytes; null when
 * the result would not fit. liblzf remembers, for each hash of three bytes, where they last
 * occurred, and emits a back reference when the bytes there match, else a literal. Redis's
 * table starts as whatever its stack held (liblzf's INIT_HTAB is off), which can only add
 * matches; this one starts empty, so the output is what Redis writes from a clean table.
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  const n = input.length;
  assert(n >= 3, 'lzf input under 3 bytes');
  if (maxOut <= 0) return null;
  const out = Buffer.allocUnsafe(maxOut);
  if (++stamp === 0xffffffff) {
    stamps.fill(0);
    stamp = 1;
  }
  const now = stamp;
  let ip = 0;
  let lit = 0;
  let op = 1; // the first literal run's header
  let h = (input[0]! << 8) | input[1]!;
  /** Copies one byte into the literal run, closing the run at its longest. */
  const literal = (): void => {
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  };
  while (ip < n - 2) {
    h = ((h << 8) | input[ip + 2]!) >>> 0;
    const slot = slotOf(h);
    // 0: never seen in this call (offset 0 is never referenced, as in liblzf).
    const ref = stamps[slot] === now ? positions[slot]! : 0;
    positions[slot] = ip;
    stamps[slot] = now;
    const off = ip - ref - 1;
    if (ref > 0 && off < MAX_OFF && input[ref + 2] === input[ip + 2] && input[ref] === input[ip] && input[ref + 1] === input[ip + 1]) {
      const maxlen = Math.min(n - ip - 2, MAX_REF);
      if (op + 4 >= maxOut && op - (lit === 0 ? 1 : 0) + 4 >= maxOut) return null;
      out[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // an empty run takes no header
      let len = 2;
      // liblzf compares 16 bytes without the bound when more than 16 may match, then up to it.
      let stopped = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16 && !stopped; k++) {
          len++;
          stopped = input[ref + len] !== input[ip + len];
        }
      }
      if (!stopped) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // now the match's length - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // the next literal run's header
      ip += len + 1;
      if (ip >= n - 2) break;
      // Hash the last two positions of the match too (liblzf's VERY_FAST).
      ip -= 2;
      h = (input[ip]! << 8) | input[ip + 1]!;
      h = ((h << 8) | input[ip + 2]!) >>> 0;
      remember(slotOf(h), ip, now);
      ip++;
      h = ((h << 8) | input[ip + 2]!) >>> 0;
      remember(slotOf(h), ip, now);
      ip++;
    } else {
      if (op >= maxOut) return null;
      literal();
    }
  }
  if (op + 3 > maxOut) return null;
  while (ip < n) literal();
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/** Expands `input` into exactly `length` bytes; null when the data is malformed. */
export function lzfDecompress(input: Uint8Array, length: number): Buffer | null {
  const out = Buffer.allocUnsafe(length);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      // A literal run of ctrl + 1 bytes.
      const run = ctrl + 1;
      if (op + run > length || ip + run > input.length) return null;
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    // A back reference: length (3 bits, or 7 + the next byte) + 2, offset 13 bits + 1.
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= input.length) return null;
      len += input[ip++]!;
    }
    if (ip >= input.length) return null;
    let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
    len += 2;
    if (ref < 0 || op + len > length) return null;
    // Byte by byte: the source may overlap what is being written (runs).
    for (let i = 0; i < len; i++) out[op++] = out[ref++]!;
  }
  return op === length ? out : null;
}
