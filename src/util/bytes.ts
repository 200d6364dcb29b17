// Big-endian numbers in buffers, a byte at a time, for the per-request paths (the effect
// encoder, the blob store). Buffer's readUInt32BE, writeUInt32BE, readDoubleBE and writeDoubleBE
// are methods the optimizing compiler does not inline: each call goes through V8's LoadIC
// builtin (util/latin1.ts). The callers check the range first.

/** Writes `n` (0 ≤ n < 2^32) at `at`. */
export function writeU32BE(b: Buffer, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = n >>> 16;
  b[at + 2] = n >>> 8;
  b[at + 3] = n;
}

export function readU32BE(b: Buffer, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
/** XORed with a big-endian byte number, its place in f64Bytes: 7 on a little-endian machine, 0 on a big-endian one. */
const F64_FLIP = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 7 : 0;

export function writeF64BE(b: Buffer, at: number, n: number): void {
  f64[0] = n;
  for (let i = 0; i < 8; i++) b[at + i] = f64Bytes[i ^ F64_FLIP]!;
}

export function readF64BE(b: Buffer, at: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[i ^ F64_FLIP] = b[at + i]!;
  return f64[0]!;
}
