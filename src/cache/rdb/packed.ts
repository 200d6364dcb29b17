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

/** A listpack of `elements`: bigints as integers in their smallest encoding (lpAppendInteger), strings as strings. */
export function writeListpack(elements: ReadonlyArray<string | bigint>): Buffer {
  const parts: Buffer[] = [];
  let bytes = 6;
  for (const e of elements) {
    const enc = typeof e === 'bigint' ? encodeLpInteger(e) : encodeLpString(e);
    const back = encodeLpBacklen(enc.length);
    parts.push(enc, back);
    bytes += enc.length + back.length;
  }
  const head = Buffer.alloc(6);
  head.writeUInt32LE(bytes + 1, 0);
  head.writeUInt16LE(Math.min(elements.length, 0xffff), 4);
  return Buffer.concat([head, ...parts, Buffer.of(0xff)]);
}

function encodeLpInteger(v: bigint): Buffer {
  if (v >= 0n && v <= 127n) return Buffer.of(Number(v));
  if (v >= -4096n && v <= 4095n) {
    const u = Number(v < 0n ? (1n << 13n) + v : v);
    return Buffer.of(0xc0 | (u >> 8), u & 0xff);
  }
  for (const [width, tag] of [[2, 0xf1], [3, 0xf2], [4, 0xf3]] as const) {
    const half = 1n << BigInt(width * 8 - 1);
    if (v >= -half && v < half) {
      const out = Buffer.alloc(1 + width);
      out[0] = tag;
      out.writeIntLE(Number(v), 1, width);
      return out;
    }
  }
  const out = Buffer.alloc(9);
  out[0] = 0xf4;
  out.writeBigInt64LE(BigInt.asIntN(64, v), 1);
  return out;
}

function encodeLpString(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  const len = bytes.length;
  if (len < 64) return Buffer.concat([Buffer.of(0x80 | len), bytes]);
  if (len < 4096) return Buffer.concat([Buffer.of(0xe0 | (len >> 8), len & 0xff), bytes]);
  const head = Buffer.alloc(5);
  head[0] = 0xf0;
  head.writeUInt32LE(len, 1);
  return Buffer.concat([head, bytes]);
}

/** lpEncodeBacklen: the encoding's size, 7 bits per byte, most significant first. */
function encodeLpBacklen(l: number): Buffer {
  const n = backlen(l);
  const out = Buffer.alloc(n);
  for (let i = n - 1, v = l; i >= 0; i--, v = Math.floor(v / 128)) out[i] = (v & 127) | (i === 0 ? 0 : 128);
  return out;
}
