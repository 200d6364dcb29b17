// The framing of DUMP payloads (Redis's dump format): RDB-encoded data, then the RDB version
// as 2 bytes and a CRC-64 of everything before it as 8 bytes, both little-endian. And the RDB
// string and length encodings the function payloads use (rdb.c).
import { crc64 } from './crc64.js';
import { lzfCompress, lzfDecompress } from './lzf.js';

/** The RDB version Redis 7.0 writes; a payload of a later version is refused (Redis 6 wrote 9). */
export const RDB_VERSION = 10;
/** The longest string a payload may expand to (Redis's proto-max-bulk-len's ceiling, 512 MB). */
const MAX_STRING_BYTES = 512 * 1024 * 1024;
/** The special string encodings (a length whose top two bits are 11): integers of 8, 16, 32 bits, LZF. */
const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;
/** RDB_OPCODE_FUNCTION2: a function library's code follows. */
export const OPCODE_FUNCTION2 = 245;

/** Appends the version and the CRC to `body`. */
export function sealPayload(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length + 10);
  body.copy(out, 0);
  out.writeUInt16LE(RDB_VERSION, body.length);
  out.writeBigUInt64LE(crc64(out.subarray(0, body.length + 2)), body.length + 2);
  return out;
}

/** The data of a payload whose version and CRC are good (verifyDumpPayload), or null. */
export function openPayload(payload: Buffer): Buffer | null {
  if (payload.length < 10) return null;
  const end = payload.length - 10;
  if (payload.readUInt16LE(end) > RDB_VERSION) return null;
  if (payload.readBigUInt64LE(end + 2) !== crc64(payload.subarray(0, end + 2))) return null;
  return payload.subarray(0, end);
}

/** The bytes rdbSaveLen takes for `n`. */
function lengthBytes(n: number): number {
  return n < 1 << 6 ? 1 : n < 1 << 14 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Writes rdbSaveLen's encoding of `n` at `at`; returns the position after it. */
function writeLength(out: Buffer, at: number, n: number): number {
  if (n < 1 << 6) {
    out[at] = n;
    return at + 1;
  }
  if (n < 1 << 14) {
    out[at] = 0x40 | (n >> 8);
    out[at + 1] = n & 0xff;
    return at + 2;
  }
  if (n <= 0xffffffff) {
    out[at] = 0x80;
    out.writeUInt32BE(n, at + 1);
    return at + 5;
  }
  out[at] = 0x81;
  out.writeBigUInt64BE(BigInt(n), at + 1);
  return at + 9;
}

/** rdbSaveLen's variable-length encoding. */
export function encodeLength(n: number): Buffer {
  const out = Buffer.allocUnsafe(lengthBytes(n));
  writeLength(out, 0, n);
  return out;
}

/** Holds a string's bytes for LZF (grown as needed): no buffer per string compressed. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * A string as rdbSaveRawString writes it: a decimal integer of up to 11 characters in 32 bits
 * as an integer encoding; over 20 bytes LZF-compressed when that saves at least 4 bytes;
 * otherwise its length and its bytes. Strings are latin1 (one byte a character).
 */
export function encodeString(s: string): Buffer {
  const n = s.length;
  if (n <= 11) {
    const int = encodeInteger(s);
    if (int !== null) return int;
  }
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.write(s, 0, n, 'latin1');
  return encodeBytes(scratch.subarray(0, n));
}

/** Bytes as an RDB string, as `encodeString` writes them but never as an integer (a listpack, say). */
export function encodeBytes(b: Uint8Array): Buffer {
  const n = b.length;
  if (n > 20) {
    const packed = lzfCompress(b, n - 4);
    if (packed !== null) {
      const out = Buffer.allocUnsafe(1 + lengthBytes(packed.length) + lengthBytes(n) + packed.length);
      out[0] = 0xc0 | ENC_LZF;
      const at = writeLength(out, writeLength(out, 1, packed.length), n);
      packed.copy(out, at);
      return out;
    }
  }
  const out = Buffer.allocUnsafe(lengthBytes(n) + n);
  out.set(b, writeLength(out, 0, n));
  return out;
}

/** RDB's integer encodings (8, 16 or 32 bits) of a string that is exactly a number's decimal form, or null. */
function encodeInteger(s: string): Buffer | null {
  if (!/^-?[1-9][0-9]*$|^0$/.test(s)) return null;
  const n = Number(s);
  if (n >= -128 && n <= 127) return Buffer.of(0xc0 | ENC_INT8, n & 0xff);
  if (n >= -32768 && n <= 32767) {
    const out = Buffer.of(0xc0 | ENC_INT16, 0, 0);
    out.writeInt16LE(n, 1);
    return out;
  }
  if (n >= -(2 ** 31) && n <= 2 ** 31 - 1) {
    const out = Buffer.of(0xc0 | ENC_INT32, 0, 0, 0, 0);
    out.writeInt32LE(n, 1);
    return out;
  }
  return null;
}

/** Reads RDB-encoded values from a buffer; every read returns null past the end or on a malformed value. */
export class RdbReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number | null {
    return this.pos < this.buf.length ? this.buf[this.pos++]! : null;
  }

  /** A plain length (rdbLoadLen) below 2^53, or null. */
  count(): number | null {
    const len = this.length();
    return len === null || len.encoded || len.n > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(len.n);
  }

  /** A plain length of the full 64 bits (a stream ID's half), or null. */
  count64(): bigint | null {
    const len = this.length();
    return len === null || len.encoded ? null : len.n;
  }

  /** A double as RDB_TYPE_ZSET_2 stores it: 8 bytes, little-endian. */
  binaryDouble(): number | null {
    if (this.remaining < 8) return null;
    const d = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return d;
  }

  /** A double as the old RDB_TYPE_ZSET stores it: a length byte (253 NaN, 254 inf, 255 -inf), then its text. */
  textDouble(): number | null {
    const len = this.byte();
    if (len === null) return null;
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    const text = this.bytes(len);
    return text === null ? null : Number(text.toString('latin1'));
  }

  /** rdbLoadLen: the length, or for a special encoding (top bits 11) its type as { encoded }. */
  private length(): { n: bigint; encoded: boolean } | null {
    const first = this.byte();
    if (first === null) return null;
    const kind = first >> 6;
    if (kind === 0) return { n: BigInt(first & 0x3f), encoded: false };
    if (kind === 1) {
      const next = this.byte();
      return next === null ? null : { n: BigInt(((first & 0x3f) << 8) | next), encoded: false };
    }
    if (kind === 3) return { n: BigInt(first & 0x3f), encoded: true };
    const width = first === 0x80 ? 4 : first === 0x81 ? 8 : 0;
    if (width === 0 || this.remaining < width) return null;
    const n = width === 4 ? BigInt(this.buf.readUInt32BE(this.pos)) : this.buf.readBigUInt64BE(this.pos);
    this.pos += width;
    return { n, encoded: false };
  }

  /** rdbGenericLoadStringObject: plain, integer-encoded (INT8/16/32) or LZF-compressed. */
  string(): string | null {
    const len = this.length();
    if (len === null) return null;
    if (!len.encoded) return len.n > BigInt(this.remaining) ? null : (this.bytes(Number(len.n))?.toString('latin1') ?? null);
    if (len.n <= BigInt(ENC_INT32)) {
      const width = 1 << Number(len.n);
      if (this.remaining < width) return null;
      const v = width === 1 ? this.buf.readInt8(this.pos) : width === 2 ? this.buf.readInt16LE(this.pos) : this.buf.readInt32LE(this.pos);
      this.pos += width;
      return String(v);
    }
    if (len.n !== BigInt(ENC_LZF)) return null;
    const clen = this.count();
    const ulen = this.count();
    // An expanded length past what a string can hold is malformed, not an allocation to try.
    if (clen === null || ulen === null || ulen > MAX_STRING_BYTES) return null;
    const compressed = this.bytes(clen);
    return compressed === null ? null : (lzfDecompress(compressed, ulen)?.toString('latin1') ?? null);
  }

  /** `n` bytes as they are, or null. */
  bytes(n: number): Buffer | null {
    if (this.remaining < n) return null;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
