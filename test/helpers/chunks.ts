// Byte streams cut into chunks, as a socket may deliver them.

/** `bytes` cut at `points` (offsets; repeats, 0 and the end are ignored), in order. */
export function cutAt(bytes: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points)].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}
