// What the packed encodings of small hashes, sets and sorted sets (hash.ts, member-set.ts,
// zset.ts) share: their entries, each a key after its length as one code unit, then a tail of
// the type's own (a length-prefixed value, nothing, a score); and strings the keyspace keeps for
// long, flat and sharing nothing with a larger string. A packed value's new string is built by
// concatenating slices of the old one: in V8 a concatenation is a rope (a ConsString of 32 bytes
// per `+`) until something reads it, and a slice of 13 characters or more is a view that keeps
// its whole parent alive.

/** An entry's tail that is a string after its length as one code unit (a hash's value). */
export const STRING_TAIL = -1;

/**
 * Offset of the entry whose key is `key` in packed entries `p` (its length unit), or -1. `tail`:
 * the code units after each key (a set 0, a sorted set's score 8), or STRING_TAIL.
 */
export function findKey(p: string, key: string, tail: number): number {
  const n = key.length;
  for (let o = 0; o < p.length; ) {
    const len = p.charCodeAt(o);
    if (len === n && p.startsWith(key, o + 1)) return o;
    o += 1 + len;
    o += tail === STRING_TAIL ? 1 + p.charCodeAt(o) : tail;
  }
  return -1;
}

/**
 * `s`, flattened: reading a character makes V8 copy a rope into one flat string, and the
 * collector then drops the rope. Without it the last write of each packed hash left its ropes
 * behind (a ten-field hash measured 559 bytes instead of 393).
 */
export function flat(s: string): string {
  // Kept in an object so that the compiler cannot drop the read.
  sink.read = s.charCodeAt(0);
  return s;
}
const sink = { read: 0 };

/** A copy of `s` that shares nothing with the string it may be a slice of. */
export function detached(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'latin1').toString('latin1');
}
