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

/** A table whose elements sit in slots, some of them empty: a Dict (keyspace, hash) or a MemberSet. */
export interface Slotted {
  readonly size: number;
  readonly slots: number;
  /** Slots below this are known to be empty. */
  readonly firstSlot: number;
  liveAt(slot: number): boolean;
}

/**
 * Slots of `table`'s elements chosen at random, with randomPicks's meaning of `count`. Every
 * element has one slot, so a uniform live slot is a uniform element; the tables keep a bounded
 * share of their slots empty (Dict: at most 7/8, somewhat more while it resizes; MemberSet: half
 * once past a few), so each pick costs a few tries and the whole O(|count|), whatever the table's size.
 */
export function randomSlots(random: () => number, table: Slotted, count: number): number[] {
  const size = table.size;
  if (size === 0) return [];
  if (count < 0) {
    const out = new Array<number>(-count);
    for (let i = 0; i < out.length; i++) out[i] = oneSlot(random, table);
    return out;
  }
  if (count * 3 > size) {
    // Most of the table (Redis's SRANDMEMBER threshold): listing the live slots costs no more
    // than the reply, and drawing among them never retries.
    const live: number[] = [];
    for (let s = table.firstSlot; s < table.slots; s++) if (table.liveAt(s)) live.push(s);
    return randomPicks(random, live.length, count).map((i) => live[i]!);
  }
  const chosen = new Set<number>();
  const out: number[] = [];
  while (out.length < count) {
    const s = oneSlot(random, table);
    if (chosen.has(s)) continue;
    chosen.add(s);
    out.push(s);
  }
  return out;
}

function oneSlot(random: () => number, table: Slotted): number {
  const first = table.firstSlot;
  const range = table.slots - first;
  for (;;) {
    const s = first + Math.floor(random() * range);
    if (table.liveAt(s)) return s;
  }
}
