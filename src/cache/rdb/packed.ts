// Readers of the packed encodings Redis stores inside RDB values: listpacks (Redis 7's small
// hashes, sorted sets, list nodes and stream nodes), ziplists (the same before 7.0, still in
// payloads from Redis 6) and intsets (small sets of integers). Each returns the elements as
// latin1 strings (integers in decimal, as Redis gives them back), or null when the bytes are
// not a well-formed instance: a payload is input, never trusted. And a listpack writer, for the
// stream nodes DUMP writes.
import { backlen } from '../machine/listpack-size.js';

/** The elements of a listpack (listpack.c): total bytes u32 LE, count u16 LE, entries, 0xFF. */
export function readListpack(lp: Buffer): string[] | null {
  if (lp.length < 7 || lp.readUInt32LE(0) !== lp.length || lp[lp.length - 1] !== 0xff) return null;
  const out: string[] = [];
  let p = 6;
  while (p < lp.length - 1) {
    const b = lp[p]!;
    let size: number;
    let value: string;
    if (b < 0x80) {
      value = String(b);
      size = 1;
    } else if (b < 0xc0) {
      const len = b & 0x3f;
      size = 1 + len;
      if (p + size > lp.length) return null;
      value = lp.toString('latin1', p + 1, p + size);
    } else if (b < 0xe0) {
      if (p + 2 > lp.length) return null;
      const u = ((b & 0x1f) << 8) | lp[p + 1]!;
      value = String(u >= 1 << 12 ? u - (1 << 13) : u);
      size = 2;
    } else if (b < 0xf0) {
      if (p + 2 > lp.length) return null;
      const len = ((b & 0x0f) << 8) | lp[p + 1]!;
      size = 2 + len;
      if (p + size > lp.length) return null;
      value = lp.toString('latin1', p + 2, p + size);
    } else if (b === 0xf0) {
      if (p + 5 > lp.length) return null;
      const len = lp.readUInt32LE(p + 1);
      size = 5 + len;
      if (p + size > lp.length) return null;
      value = lp.toString('latin1', p + 5, p + size);
    } else if (b >= 0xf1 && b <= 0xf4) {
      const width = [2, 3, 4, 8][b - 0xf1]!;
      size = 1 + width;
      if (p + size > lp.length) return null;
      value = width === 8 ? lp.readBigInt64LE(p + 1).toString() : String(lp.readIntLE(p + 1, width));
    } else {
      return null;
    }
    p += size + backlen(size);
    if (p > lp.length - 1) return null;
    out.push(value);
  }
  return out.length === lp.readUInt16LE(4) || lp.readUInt16LE(4) === 0xffff ? out : null;
}

/** The elements of a ziplist (ziplist.c): bytes u32, tail offset u32, count u16 (all LE), entries, 0xFF. */
export function readZiplist(zl: Buffer): string[] | null {
  if (zl.length < 11 || zl.readUInt32LE(0) !== zl.length || zl[zl.length - 1] !== 0xff) return null;
  const out: string[] = [];
  let p = 10;
  while (p < zl.length - 1) {
    // The previous entry's length: one byte, or 0xFE and four.
    p += zl[p] === 0xfe ? 5 : 1;
    if (p >= zl.length - 1) return null;
    const b = zl[p]!;
    const kind = b >> 6;
    let header: number;
    let len = 0;
    let value: string | null = null;
    if (kind === 0) {
      header = 1;
      len = b & 0x3f;
    } else if (kind === 1) {
      header = 2;
      len = ((b & 0x3f) << 8) | (zl[p + 1] ?? 0);
    } else if (b === 0x80) {
      header = 5;
      if (p + 5 > zl.length) return null;
      len = zl.readUInt32BE(p + 1);
    } else {
      header = 1;
      const ints: Record<number, number> = { 0xc0: 2, 0xd0: 4, 0xe0: 8, 0xf0: 3, 0xfe: 1 };
      const width = ints[b];
      if (width !== undefined) {
        if (p + 1 + width > zl.length) return null;
        value = width === 8 ? zl.readBigInt64LE(p + 1).toString() : String(zl.readIntLE(p + 1, width));
        len = width;
      } else if (b >= 0xf1 && b <= 0xfd) {
        value = String((b & 0x0f) - 1);
      } else {
        return null;
      }
    }
    if (p + header + len > zl.length - 1) return null;
    out.push(value ?? zl.toString('latin1', p + header, p + header + len));
    p += header + len;
  }
  const count = zl.readUInt16LE(8);
  return count === out.length || count === 0xffff ? out : null;
}

/** The members of an intset (intset.c): element width u32 (2, 4 or 8), count u32, then the values, all LE. */
export function readIntset(is: Buffer): string[] | null {
  if (is.length < 8) return null;
  const width = is.readUInt32LE(0);
  const count = is.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || is.length !== 8 + width * count) return null;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    out.push(width === 8 ? is.readBigInt64LE(at).toString() : String(is.readIntLE(at, width)));
  }
  return out;
}

/** Integers up to this magnitude are exact as numbers. */
const EXACT = 2n ** 53n;

/**
 * Builds a listpack element by element into one growing buffer (lpAppend's encodings): integers
 * in their smallest encoding, strings as strings. Each element is its encoding and its backlen.
 */
export class ListpackWriter {
  private buf = Buffer.allocUnsafe(1024);
  /** After the 6-byte header (total bytes u32, element count u16). */
  private at = 6;
  private count = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.at + n, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** The element's backlen, after its `size` bytes of encoding (lpEncodeBacklen: 7 bits a byte, most significant first). */
  private backlen(size: number): void {
    const n = backlen(size);
    this.room(n);
    for (let i = n - 1, v = size; i >= 0; i--, v = Math.floor(v / 128)) this.buf[this.at + i] = (v & 127) | (i === 0 ? 0 : 128);
    this.at += n;
    this.count++;
  }

  int(v: number | bigint): void {
    if (typeof v === 'bigint' && v >= -EXACT && v <= EXACT) v = Number(v);
    this.room(9);
    const b = this.buf;
    const at = this.at;
    let size: number;
    if (typeof v === 'bigint') {
      b[at] = 0xf4;
      b.writeBigInt64LE(BigInt.asIntN(64, v), at + 1);
      size = 9;
    } else if (v >= 0 && v <= 127) {
      b[at] = v;
      size = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? 8192 + v : v;
      b[at] = 0xc0 | (u >> 8);
      b[at + 1] = u & 0xff;
      size = 2;
    } else if (v >= -32768 && v <= 32767) {
      b[at] = 0xf1;
      b.writeInt16LE(v, at + 1);
      size = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      b[at] = 0xf2;
      b.writeIntLE(v, at + 1, 3);
      size = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[at] = 0xf3;
      b.writeInt32LE(v, at + 1);
      size = 5;
    } else {
      b[at] = 0xf4;
      b.writeBigInt64LE(BigInt(v), at + 1);
      size = 9;
    }
    this.at += size;
    this.backlen(size);
  }

  /** A latin1 string (one byte a character). */
  str(s: string): void {
    const len = s.length;
    this.room(5 + len);
    const b = this.buf;
    let head: number;
    if (len < 64) {
      b[this.at] = 0x80 | len;
      head = 1;
    } else if (len < 4096) {
      b[this.at] = 0xe0 | (len >> 8);
      b[this.at + 1] = len & 0xff;
      head = 2;
    } else {
      b[this.at] = 0xf0;
      b.writeUInt32LE(len, this.at + 1);
      head = 5;
    }
    b.write(s, this.at + head, len, 'latin1');
    this.at += head + len;
    this.backlen(head + len);
  }

  /** The listpack: header, elements, end byte. A view of the writer's buffer. */
  finish(): Buffer {
    this.room(1);
    this.buf[this.at++] = 0xff;
    this.buf.writeUInt32LE(this.at, 0);
    this.buf.writeUInt16LE(Math.min(this.count, 0xffff), 4);
    return this.buf.subarray(0, this.at);
  }
}

