// Redis's CRC-64 (crc64.c: the Jones polynomial, reflected, initial value 0), which seals DUMP
// payloads and RDB files. The 64-bit state is kept as two 32-bit halves: no BigInt on the byte loop.

/** The table for the reflected polynomial 0x95ac9329ac4bc9b5 (0xad93d23594c935a9 bit-reversed), as [hi, lo] halves. */
const HI = new Uint32Array(256);
const LO = new Uint32Array(256);
{
  const poly = 0x95ac9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let crc = BigInt(i);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
    HI[i] = Number(crc >> 32n);
    LO[i] = Number(crc & 0xffffffffn);
  }
}

/** A CRC-64 computed over bytes that arrive in pieces (an RDB file as it streams). */
export class Crc64 {
  private hi = 0;
  private lo = 0;

  update(bytes: Uint8Array): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < bytes.length; i++) {
      const t = (lo ^ bytes[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ LO[t]!) >>> 0;
      hi = ((hi >>> 8) ^ HI[t]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  get value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

/** The CRC-64 of `bytes`, as Redis computes it (crc64(0, ...)). */
export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value;
}
