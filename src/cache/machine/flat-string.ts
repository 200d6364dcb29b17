// Strings that the keyspace keeps for long: flat, and sharing nothing with a larger string.
//
// The packed encodings (hash.ts, zset.ts) build each new string by concatenating slices of the
// old one. In V8 a concatenation is a rope (a ConsString of 32 bytes per `+`) until something
// reads it, and a slice of 13 characters or more is a view that keeps its whole parent alive.

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
