// HyperLogLog as Redis's hyperloglog.c keeps it, byte for byte, so that a value either server
// wrote reads the same in the other (GET and SET carry it across) and PFCOUNT gives the same
// estimate to the unit.
//
// A HyperLogLog is a string value: a 16-byte header ("HYLL", the encoding, 3 unused bytes, the
// cached cardinality as 8 bytes little-endian whose top bit marks it stale) and 16384 registers
// of 6 bits. Dense: the registers packed, least significant bits first, in 12288 bytes. Sparse:
// run-length opcodes, ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx yyyyyyyy (1-16384
// zero registers), VAL 1vvvvvxx (a value of 1-32, 1-4 times); a new HyperLogLog is two XZEROs'
// worth, 18 bytes. A sparse value becomes dense for good once a register needs more than 32 or
// it would grow past hll-sparse-max-bytes (3000), as Redis promotes it.
//
// An element goes to register (hash & 16383) with the length of the run of zero bits above
// those 14, plus one (MurmurHash64A, seed 0xadc83b19); the estimate is Otmar Ertl's ("New
// cardinality estimation algorithms for HyperLogLog sketches", 2017), as Redis has computed it
// since 5.0, in the same double arithmetic.
import { assert } from '../util/assert.js';

const P = 14;
export const REGISTERS = 1 << P;
const INDEX_MASK = REGISTERS - 1;
/** 64 - P: the bits a register's run is counted in. */
const Q = 64 - P;
const REGISTER_MAX = 63;
export const HEADER_BYTES = 16;
export const DENSE_BYTES = HEADER_BYTES + (REGISTERS * 6) / 8;
const DENSE = 0;
const SPARSE = 1;
const CARD_OFFSET = 8;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
/** 1 / (2 ln 2): the estimator's constant for m → ∞. */
const ALPHA_INF = 0.721347520444481703680;

// ---- MurmurHash64A over the bytes of a latin1 string, in 32-bit halves ----

const SEED = 0xadc83b19;
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/**
 * The last product of mul64, low half then high half, as int32s: a typed array holds them
 * unboxed, where module variables would box every uint32 past 2^30 in a heap number.
 */
const R = new Int32Array(2);

/** (ah:al × bh:bl) mod 2^64, into R. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[0] = (mid << 16) | (p00 & 0xffff);
  const high = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  R[1] = high + Math.imul(ah, bl) + Math.imul(al, bh);
}

/** MurmurHash64A of `s`'s bytes (Redis's seed); the hash is left in R. */
function murmur64a(s: string): void {
  const len = s.length;
  mul64(0, len, M_HI, M_LO);
  let hh = R[1]!;
  let hl = R[0]! ^ SEED;
  const end = len - (len & 7);
  for (let i = 0; i < end; i += 8) {
    let kl = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    let kh = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24);
    mul64(kh, kl, M_HI, M_LO);
    kh = R[1]!;
    kl = R[0]! ^ (kh >>> 15); // k ^= k >> 47
    mul64(kh, kl, M_HI, M_LO);
    mul64(hh ^ R[1]!, hl ^ R[0]!, M_HI, M_LO);
    hh = R[1]!;
    hl = R[0]!;
  }
  const rest = len & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) {
      const b = s.charCodeAt(end + j);
      if (j >= 4) hh ^= b << ((j - 4) * 8);
      else hl ^= b << (j * 8);
    }
    mul64(hh, hl, M_HI, M_LO);
    hh = R[1]!;
    hl = R[0]!;
  }
  hl ^= hh >>> 15;
  mul64(hh, hl, M_HI, M_LO);
  R[0] = R[0]! ^ (R[1]! >>> 15);
}

/** The register an element goes to, and (in PAT_COUNT) the run it counts there. */
let PAT_COUNT = 0;
function patLen(element: string): number {
  murmur64a(element);
  const rl = R[0]!;
  const rh = R[1]!;
  const index = rl & INDEX_MASK;
  // hash >>= P; hash |= 1 << Q: the run ends by bit Q at the latest.
  const lo = (rl >>> P) | (rh << (32 - P));
  const hi = (rh >>> P) | (1 << (Q - 32));
  PAT_COUNT = lo !== 0 ? ctz32(lo) + 1 : 32 + ctz32(hi) + 1;
  return index;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

// ---- dense registers ----

/** Register `i` of a dense value's bytes (the header included). */
export function denseGet(b: Uint8Array, i: number): number {
  const bit = i * 6;
  const at = HEADER_BYTES + (bit >>> 3);
  const fb = bit & 7;
  // The last register ends on a byte boundary: the byte after it (Redis's sds terminator) adds nothing.
  const next = at + 1 < DENSE_BYTES ? b[at + 1]! : 0;
  return ((b[at]! >> fb) | (next << (8 - fb))) & REGISTER_MAX;
}

/** Sets register `i`; returns the offset of the first of the (one or two) bytes it wrote. */
export function denseSet(b: Uint8Array, i: number, v: number): number {
  const bit = i * 6;
  const at = HEADER_BYTES + (bit >>> 3);
  const fb = bit & 7;
  b[at] = (b[at]! & ~(REGISTER_MAX << fb)) | (v << fb);
  if (at + 1 < DENSE_BYTES) b[at + 1] = (b[at + 1]! & ~(REGISTER_MAX >> (8 - fb))) | (v >> (8 - fb));
  return at;
}

/** Scratch: every register of a dense value (one unpack at a time). */
const UNPACKED = new Uint8Array(REGISTERS);

/** Every register of a dense value, four from each three bytes; returns the shared scratch. */
function unpackDense(b: Uint8Array): Uint8Array {
  const out = UNPACKED;
  for (let i = 0, at = HEADER_BYTES; i < REGISTERS; i += 4, at += 3) {
    const b0 = b[at]!;
    const b1 = b[at + 1]!;
    const b2 = b[at + 2]!;
    out[i] = b0 & REGISTER_MAX;
    out[i + 1] = ((b0 >> 6) | (b1 << 2)) & REGISTER_MAX;
    out[i + 2] = ((b1 >> 4) | (b2 << 4)) & REGISTER_MAX;
    out[i + 3] = b2 >> 2;
  }
  return out;
}

// ---- sparse opcodes ----

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const xzeroLen = (op: number, next: number): number => (((op & 0x3f) << 8) | next) + 1;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, len: number): number => (((value - 1) << 2) | (len - 1)) | 0x80;

/** Writes a ZERO or an XZERO of `len` registers at `at`; returns the bytes written. */
function putZeros(b: Uint8Array, at: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    b[at] = ((len - 1) >> 8) | 0x40;
    b[at + 1] = (len - 1) & 0xff;
    return 2;
  }
  b[at] = len - 1;
  return 1;
}

/** What a change did to a value's bytes: the cached cardinality, and the range of the others. */
export interface HllChanges {
  /** Bytes CARD_OFFSET .. CARD_OFFSET + 8 changed. */
  readonly card: boolean;
  /** The other bytes changed, as one range (empty when from >= to), or null when the length changed. */
  readonly body: { readonly from: number; readonly to: number } | null;
}

/**
 * A HyperLogLog value being read or changed. It reads the stored bytes where they are (a view
 * into the blob store: a PFCOUNT answered from the cache, or a PFADD that raises no register,
 * copies nothing) and copies them into a buffer of its own, with room to grow, before the first
 * change.
 */
export class Hll {
  private cardChanged = false;
  private from = Infinity;
  private to = 0;
  private readonly initialLength: number;

  private constructor(
    private buf: Buffer,
    private len: number,
    /** Whether `buf` is this value's own copy (else: the stored bytes, read only). */
    private owned: boolean,
  ) {
    this.initialLength = len;
  }

  /** What changed since the value was parsed, for the smallest log record that reproduces it. */
  get changes(): HllChanges {
    if (this.len !== this.initialLength) return { card: this.cardChanged, body: null };
    // A split that grew the value and a merge that shrank it back leave the range reaching past the end.
    const to = Math.min(this.to, this.len);
    return { card: this.cardChanged, body: { from: Math.min(this.from, to), to } };
  }

  /** Bytes `from` .. `to` of the value. */
  bytes(from: number, to: number): string {
    return this.buf.toString('latin1', from, to);
  }

  private touched(from: number, to: number): void {
    if (from < this.from) this.from = from;
    if (to > this.to) this.to = to;
  }

  /** An empty HyperLogLog: sparse, all registers zero, a valid cached cardinality of 0. */
  static empty(): Hll {
    const b = Buffer.alloc(64);
    b.write('HYLL', 0, 'latin1');
    b[4] = SPARSE;
    let at = HEADER_BYTES;
    for (let left = REGISTERS; left > 0; left -= SPARSE_XZERO_MAX_LEN) at += putZeros(b, at, Math.min(left, SPARSE_XZERO_MAX_LEN));
    return new Hll(b, at, true);
  }

  /**
   * The HyperLogLog in a value's bytes, or null when they are not one (Redis's isHLLObjectOrReply).
   * The bytes are only read, and must stay as they are until the first change or the last read.
   */
  static parse(bytes: Buffer): Hll | null {
    const n = bytes.length;
    if (n < HEADER_BYTES || bytes[0] !== 0x48 || bytes[1] !== 0x59 || bytes[2] !== 0x4c || bytes[3] !== 0x4c) return null;
    const encoding = bytes[4]!;
    if (encoding > SPARSE || (encoding === DENSE && n !== DENSE_BYTES)) return null;
    return new Hll(bytes, n, false);
  }

  get dense(): boolean {
    return this.buf[4] === DENSE;
  }

  toString(): string {
    return this.buf.toString('latin1', 0, this.len);
  }

  /** The cached cardinality, or null when stale. */
  get cached(): number | null {
    const b = this.buf;
    if ((b[CARD_OFFSET + 7]! & 0x80) !== 0) return null;
    return b.readUInt32LE(CARD_OFFSET) + b.readUInt32LE(CARD_OFFSET + 4) * 2 ** 32;
  }

  /** Caches `card`; returns the 8 header bytes written (what a SETRANGE at CARD_OFFSET logs). */
  cache(card: number): string {
    this.own();
    const b = this.buf;
    b.writeUInt32LE(card % 2 ** 32, CARD_OFFSET);
    b.writeUInt32LE(Math.floor(card / 2 ** 32), CARD_OFFSET + 4);
    this.cardChanged = true;
    return b.toString('latin1', CARD_OFFSET, CARD_OFFSET + 8);
  }

  invalidate(): void {
    if ((this.buf[CARD_OFFSET + 7]! & 0x80) !== 0) return;
    this.own();
    const b = this.buf;
    b[CARD_OFFSET + 7] = b[CARD_OFFSET + 7]! | 0x80;
    this.cardChanged = true;
  }

  /** The byte after opcode `p`: an XZERO's second byte (0 past the end, as Redis reads its string's terminator). */
  private after(p: number): number {
    return p + 1 < this.len ? this.buf[p + 1]! : 0;
  }

  /** Makes the bytes this value's own, with room for `n` more. */
  private own(n = 0): void {
    if (this.owned && this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(this.owned ? Math.max(this.len + n, this.buf.length * 2) : this.len + Math.max(n, this.dense ? 0 : 64));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
    this.owned = true;
  }

  /** Adds an element: 1 when a register grew, 0 when none did, -1 when the value is corrupt. */
  add(element: string, sparseMaxBytes: number): number {
    const index = patLen(element);
    return this.set(index, PAT_COUNT, sparseMaxBytes);
  }

  /** Raises register `index` to `count`: 1 if it grew, 0 if not, -1 if the value is corrupt. */
  set(index: number, count: number, sparseMaxBytes: number): number {
    if (this.dense) {
      if (denseGet(this.buf, index) >= count) return 0;
      this.own();
      const at = denseSet(this.buf, index, count);
      this.touched(at, at + 2);
      return 1;
    }
    return this.sparseSet(index, count, sparseMaxBytes);
  }

  /**
   * Redis's hllSparseSet, step for step (so the bytes come out as Redis's do): find the opcode
   * covering the register, replace it by up to five bytes that split it around the new value,
   * then merge equal VALs next to it.
   */
  private sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    let b = this.buf;
    let end = this.len;
    let p = HEADER_BYTES;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p]!;
      let oplen = 1;
      if (isZero(op)) span = zeroLen(op);
      else if (isXZero(op)) {
        span = xzeroLen(op, this.after(p));
        oplen = 2;
      } else span = valLen(op);
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p]!;
    const xzero = isXZero(op);
    const next = xzero ? p + 2 : p + 1;
    if (!isZero(op) && !xzero && valValue(op) >= count) return 0;
    // A change from here on: into a buffer of our own, with room for the longest replacement.
    this.own(5);
    b = this.buf;
    if (!isZero(op) && !xzero) {
      if (valLen(op) === 1) {
        b[p] = valOp(count, 1);
        this.touched(p, p + 1);
        return this.merged(prev, end);
      }
    } else if (isZero(op) && zeroLen(op) === 1) {
      b[p] = valOp(count, 1);
      this.touched(p, p + 1);
      return this.merged(prev, end);
    }
    // The general case: the opcode becomes up to three.
    const seq = SEQ;
    let n = 0;
    const last = first + span - 1;
    if (isZero(op) || xzero) {
      if (index !== first) n += putZeros(seq, n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n += putZeros(seq, n, last - index);
    } else {
      const value = valValue(op);
      if (index !== first) seq[n++] = valOp(value, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(value, last - index);
    }
    const delta = n - (next - p);
    if (delta > 0 && this.len + delta > sparseMaxBytes) return this.promote(index, count);
    if (delta !== 0 && next < end) b.copyWithin(next + delta, next, end);
    this.len += delta;
    end += delta;
    b.set(seq.subarray(0, n), p);
    this.touched(p, delta === 0 ? p + n : end);
    return this.merged(prev, end);
  }

  /** hllSparseSet's last step: merges adjacent equal VALs from `prev` on (up to five opcodes). */
  private merged(prev: number, end: number): number {
    const b = this.buf;
    let p = prev >= 0 ? prev : HEADER_BYTES;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const op = b[p]!;
      if (isXZero(op)) {
        p += 2;
        continue;
      }
      if (isZero(op)) {
        p++;
        continue;
      }
      if (p + 1 < end && !isZero(b[p + 1]!) && !isXZero(b[p + 1]!)) {
        const v1 = valValue(op);
        const len = valLen(op) + valLen(b[p + 1]!);
        if (v1 === valValue(b[p + 1]!) && len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end);
          this.touched(p, end);
          this.len--;
          end--;
          continue;
        }
      }
      p++;
    }
    this.invalidate();
    return 1;
  }

  /** Converts to dense and sets the register there (it grows: the caller counts 1). */
  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    const at = denseSet(this.buf, index, count);
    this.touched(at, at + 2);
    return 1;
  }

  /** Converts a sparse value to dense (the header, cached cardinality included, stays); false when corrupt. */
  toDense(): boolean {
    if (this.dense) return true;
    const out = Buffer.alloc(DENSE_BYTES);
    this.buf.copy(out, 0, 0, HEADER_BYTES);
    out[4] = DENSE;
    const ok = this.walk((i, v) => denseSet(out, i, v));
    if (!ok) return false;
    this.buf = out;
    this.len = DENSE_BYTES;
    this.owned = true;
    this.touched(0, DENSE_BYTES);
    return true;
  }

  /**
   * Calls `each` for every non-zero register of a sparse value; false when the opcodes do not
   * cover exactly the 16384 registers (a corrupt value: Redis's checks, overflow included).
   */
  private walk(each: (index: number, value: number) => void): boolean {
    const b = this.buf;
    let i = 0;
    for (let p = HEADER_BYTES; p < this.len; ) {
      const op = b[p]!;
      if (isZero(op)) {
        i += zeroLen(op);
        p++;
      } else if (isXZero(op)) {
        i += xzeroLen(op, this.after(p));
        p += 2;
      } else {
        const run = valLen(op);
        if (i + run > REGISTERS) return false;
        const v = valValue(op);
        for (let k = 0; k < run; k++) each(i++, v);
        p++;
      }
    }
    return i === REGISTERS;
  }

  /** Raises `max`'s registers to this value's (hllMerge); false when corrupt. */
  mergeInto(max: Uint8Array): boolean {
    if (!this.dense) {
      return this.walk((i, v) => {
        if (v > max[i]!) max[i] = v;
      });
    }
    const b = this.buf;
    for (let i = 0, at = HEADER_BYTES; i < REGISTERS; i += 4, at += 3) {
      const b0 = b[at]!;
      const b1 = b[at + 1]!;
      const b2 = b[at + 2]!;
      const r0 = b0 & REGISTER_MAX;
      const r1 = ((b0 >> 6) | (b1 << 2)) & REGISTER_MAX;
      const r2 = ((b1 >> 4) | (b2 << 4)) & REGISTER_MAX;
      const r3 = b2 >> 2;
      if (r0 > max[i]!) max[i] = r0;
      if (r1 > max[i + 1]!) max[i + 1] = r1;
      if (r2 > max[i + 2]!) max[i + 2] = r2;
      if (r3 > max[i + 3]!) max[i + 3] = r3;
    }
    return true;
  }

  /** The estimated cardinality, or null when the value is corrupt. */
  count(): number | null {
    const histo = new Float64Array(64);
    if (this.dense) {
      const regs = unpackDense(this.buf);
      for (let i = 0; i < REGISTERS; i++) histo[regs[i]!]++;
    } else {
      let nonZero = 0;
      const ok = this.walk((_i, v) => {
        histo[v]++;
        nonZero++;
      });
      if (!ok) return null;
      histo[0] += REGISTERS - nonZero;
    }
    return estimate(histo);
  }

  /** Redis's PFDEBUG DECODE of a sparse value: "z:<n>", "Z:<n>" and "v:<value>,<n>", space separated. */
  decode(): string {
    assert(!this.dense, 'decode of a dense HyperLogLog');
    const b = this.buf;
    const out: string[] = [];
    for (let p = HEADER_BYTES; p < this.len; ) {
      const op = b[p]!;
      if (isZero(op)) {
        out.push(`z:${zeroLen(op)}`);
        p++;
      } else if (isXZero(op)) {
        out.push(`Z:${xzeroLen(op, this.after(p))}`);
        p += 2;
      } else {
        out.push(`v:${valValue(op)},${valLen(op)}`);
        p++;
      }
    }
    return out.join(' ');
  }

  /** Every register (PFDEBUG GETREG); the value must be dense. */
  registers(): number[] {
    assert(this.dense, 'registers of a sparse HyperLogLog');
    return Array.from(unpackDense(this.buf));
  }
}

/** Scratch for the bytes that replace a sparse opcode (at most five). */
const SEQ = new Uint8Array(5);

/** The cardinality of merged registers (PFCOUNT of several keys). */
export function countRegisters(max: Uint8Array): number {
  const histo = new Float64Array(64);
  for (let i = 0; i < REGISTERS; i++) histo[max[i]!]++;
  return estimate(histo);
}

/** Ertl's estimator over the histogram of register values (Redis's hllCount). */
function estimate(histo: Float64Array): number {
  const m = REGISTERS;
  let z = m * tau((m - histo[Q + 1]!) / m);
  for (let j = Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrime: number;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrime: number;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}
