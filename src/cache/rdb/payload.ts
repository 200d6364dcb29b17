// The framing of DUMP payloads (Redis's dump format): RDB-encoded data, then the RDB version
// as 2 bytes and a CRC-64 of everything before it as 8 bytes, both little-endian. And the RDB
// string and length encodings the function payloads use (rdb.c).
import { crc64 } from './crc64.js';
import { lzfDecompress } from './lzf.js';

/** The RDB version Redis 7.0 writes; a payload of a later version is refused. */
export const RDB_VERSION = 10;
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

/** rdbSaveLen's variable-length encoding. */
export function encodeLength(n: number): Buffer {
  if (n < 1 << 6) return Buffer.from([n]);
  if (n < 1 << 14) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const out = Buffer.allocUnsafe(5);
  out[0] = 0x80;
  out.writeUInt32BE(n, 1);
  return out;
}

/** A string as rdbSaveRawString writes it when it does not compress: its length, then its bytes. */
export function encodeString(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([encodeLength(bytes.length), bytes]);
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

  /** rdbLoadLen: the length, or for a special encoding (top bits 11) its type as { encoded }. */
  private length(): { n: number; encoded: boolean } | null {
    const first = this.byte();
    if (first === null) return null;
    const kind = first >> 6;
    if (kind === 0) return { n: first & 0x3f, encoded: false };
    if (kind === 1) {
      const next = this.byte();
      return next === null ? null : { n: ((first & 0x3f) << 8) | next, encoded: false };
    }
    if (kind === 3) return { n: first & 0x3f, encoded: true };
    const width = first === 0x80 ? 4 : first === 0x81 ? 8 : 0;
    if (width === 0 || this.remaining < width) return null;
    const n = width === 4 ? this.buf.readUInt32BE(this.pos) : Number(this.buf.readBigUInt64BE(this.pos));
    this.pos += width;
    return { n, encoded: false };
  }

  /** rdbGenericLoadStringObject: plain, integer-encoded (INT8/16/32) or LZF-compressed. */
  string(): string | null {
    const len = this.length();
    if (len === null) return null;
    if (!len.encoded) return this.bytes(len.n)?.toString('latin1') ?? null;
    if (len.n <= 2) {
      const width = 1 << len.n;
      if (this.remaining < width) return null;
      const v = width === 1 ? this.buf.readInt8(this.pos) : width === 2 ? this.buf.readInt16LE(this.pos) : this.buf.readInt32LE(this.pos);
      this.pos += width;
      return String(v);
    }
    if (len.n !== 3) return null;
    const clen = this.length();
    const ulen = this.length();
    if (clen === null || ulen === null || clen.encoded || ulen.encoded) return null;
    const compressed = this.bytes(clen.n);
    return compressed === null ? null : (lzfDecompress(compressed, ulen.n)?.toString('latin1') ?? null);
  }

  private bytes(n: number): Buffer | null {
    if (this.remaining < n) return null;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
