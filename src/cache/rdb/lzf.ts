// LZF decompression (liblzf's lzf_d.c), for the compressed strings of RDB payloads: Redis
// compresses strings over 20 bytes when that saves space, so a payload Redis dumped has them.

/** Expands `input` into exactly `length` bytes; null when the data is malformed. */
export function lzfDecompress(input: Uint8Array, length: number): Buffer | null {
  const out = Buffer.allocUnsafe(length);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      // A literal run of ctrl + 1 bytes.
      const run = ctrl + 1;
      if (op + run > length || ip + run > input.length) return null;
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    // A back reference: length (3 bits, or 7 + the next byte) + 2, offset 13 bits + 1.
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= input.length) return null;
      len += input[ip++]!;
    }
    if (ip >= input.length) return null;
    let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
    len += 2;
    if (ref < 0 || op + len > length) return null;
    // Byte by byte: the source may overlap what is being written (runs).
    for (let i = 0; i < len; i++) out[op++] = out[ref++]!;
  }
  return op === length ? out : null;
}
