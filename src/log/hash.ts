// A 53-bit hash of bytes (two multiplicative 32-bit lanes mixed at the end, the scheme known
// as cyrb53), as a plain number: tag hashes in the offset index and keys in the hash index.
// Not cryptographic; collisions are resolved by the owner comparing the stored key.

/** Hash of `data[from, to)`; a `seed` (u32) gives an independent hash family (one per namespace). */
export function hash53(data: Uint8Array, seed = 0, from = 0, to = data.length): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = from; i < to; i++) {
    const c = data[i]!;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function hashString(s: string): number {
  return hash53(Buffer.from(s, 'utf8'));
}
