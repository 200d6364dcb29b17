// Random choices for SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER and RANDOMKEY, drawn from the
// execution's random source (the leader's; what was chosen is logged, never re-drawn).

/**
 * Indexes into a collection of `size`: `count` >= 0 picks min(count, size) distinct indexes
 * (all of them, in order, when count >= size); `count` < 0 picks |count| with repetition.
 */
export function randomPicks(random: () => number, size: number, count: number): number[] {
  if (size === 0) return [];
  if (count < 0) {
    const out = new Array<number>(-count);
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * size);
    return out;
  }
  if (count >= size) return Array.from({ length: size }, (_, i) => i);
  // Partial Fisher-Yates over a sparse map: O(count) time and memory whatever the size.
  const swapped = new Map<number, number>();
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out[i] = vj;
  }
  return out;
}

/** The elements of an iterable at the given indexes (one pass; indexes may repeat). */
export function pickElements<T>(items: Iterable<T>, size: number, indexes: readonly number[]): T[] {
  if (indexes.length === 0) return [];
  const wanted = new Map<number, number[]>();
  indexes.forEach((idx, pos) => {
    const list = wanted.get(idx);
    if (list === undefined) wanted.set(idx, [pos]);
    else list.push(pos);
  });
  const out = new Array<T>(indexes.length);
  let i = 0;
  for (const item of items) {
    const positions = wanted.get(i);
    if (positions !== undefined) for (const p of positions) out[p] = item;
    if (++i >= size) break;
  }
  return out;
}
