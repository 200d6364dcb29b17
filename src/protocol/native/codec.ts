// Field codecs for native protocol bodies: big-endian integers, u16-length strings,
// u32-length byte strings. Readers throw MALFORMED_FRAME on truncated or invalid input, so a
// hostile body can never read past its frame or allocate more than it carries.
import { DepotError } from '../../util/errors.js';

/** Largest integer carried by a u64 field: offsets, log indexes and timestamps stay below 2^53. */
const TWO_32 = 0x1_0000_0000;

export class BodyWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** Non-negative safe integer as 8 bytes (high u32, low u32). */
  u64(v: number): this {
    this.ensure(8);
    writeU64(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  /** Signed 64-bit value as two's complement; -1 is the "none" marker for optional numbers. */
  i64(v: number): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  string(s: string): this {
    const n = Buffer.byteLength(s);
    if (n > 0xffff) throw new DepotError('BAD_REQUEST', `string of ${n} bytes exceeds 65535`);
    this.ensure(2 + n);
    this.buf.writeUInt16BE(n, this.pos);
    this.buf.write(s, this.pos + 2);
    this.pos += 2 + n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(4 + b.length);
    this.buf.writeUInt32BE(b.length, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
    return this;
  }

  /** Bytes with no length prefix (the rest of a body, or a length written earlier). */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  get length(): number {
    return this.pos;
  }

  /** The written bytes as a view: valid until the writer is written to again. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class BodyReader {
  private pos: number;

  constructor(private readonly buf: Buffer, offset = 0) {
    this.pos = offset;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new DepotError('MALFORMED_FRAME', `truncated body: ${what} needs ${n} bytes at ${this.pos} of ${this.buf.length}`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf.readUInt8(this.pos++);
  }

  u16(): number {
    this.need(2, 'u16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8, 'u64');
    const v = readU64(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  i64(): number {
    this.need(8, 'i64');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DepotError('MALFORMED_FRAME', `i64 ${v} is outside the safe integer range`);
    }
    return Number(v);
  }

  string(): string {
    const n = this.u16();
    this.need(n, 'string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A view into the body, not a copy. */
  bytes(): Buffer {
    const n = this.u32();
    return this.raw(n);
  }

  raw(n: number): Buffer {
    this.need(n, 'bytes');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A count of items that each take at least `minItemBytes`: refuses counts the body cannot hold. */
  count(minItemBytes: number): number {
    const n = this.u32();
    if (n * minItemBytes > this.remaining) {
      throw new DepotError('MALFORMED_FRAME', `count ${n} cannot fit in the ${this.remaining} bytes left`);
    }
    return n;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  /** Asserts the whole body was consumed: trailing bytes mean a malformed or mismatched body. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new DepotError('MALFORMED_FRAME', `${this.buf.length - this.pos} unexpected trailing bytes in body`);
    }
  }
}

export function writeU64(buf: Buffer, offset: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new DepotError('BAD_REQUEST', `u64 field needs a non-negative safe integer, got ${v}`);
  buf.writeUInt32BE(Math.floor(v / TWO_32), offset);
  buf.writeUInt32BE(v % TWO_32, offset + 4);
}

export function readU64(buf: Buffer, offset: number): number {
  const hi = buf.readUInt32BE(offset);
  if (hi >= 0x20_0000) throw new DepotError('MALFORMED_FRAME', `u64 at ${offset} exceeds 2^53`);
  return hi * TWO_32 + buf.readUInt32BE(offset + 4);
}
