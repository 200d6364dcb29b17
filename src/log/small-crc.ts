// CRC-32C of a short range of a buffer, in JavaScript: for the fixed-size index records (20 and
// 36 bytes) checked or written once per message, where the native call (util/crc32c.ts) would
// cost a view allocation and a call across the boundary for a few dozen bytes. Same values as
// util/crc32c.ts (reflected Castagnoli polynomial 0x82F63B78, seed 0).

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `buf[from, to)`; meant for ranges of a few dozen bytes. */
export function crc32cRange(buf: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
