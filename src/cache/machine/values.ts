// The values a key can hold, and the database that maps keys to them.
//
// Strings, hash fields and values, set members, list elements and sorted-set members are
// latin1 JS strings (one byte per code unit: binary safe, compact one-byte strings in V8).
import { List } from './list.js';
import { Dict } from './dict.js';
import { ZSet } from './zset.js';

export type Hash = Dict<string>;
export type RSet = Set<string>;
export type Value = string | List | Hash | RSet | ZSet;
export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset';

export function typeOf(v: Value): TypeName {
  if (typeof v === 'string') return 'string';
  if (v instanceof List) return 'list';
  if (v instanceof Dict) return 'hash';
  if (v instanceof Set) return 'set';
  return 'zset';
}

/** A deep copy (COPY). */
export function cloneValue(v: Value): Value {
  if (typeof v === 'string') return v;
  if (v instanceof List) return new List(v.toArray());
  if (v instanceof Dict) {
    const h = new Dict<string>(v.seed);
    for (const [f, x] of v) h.set(f, x);
    return h;
  }
  if (v instanceof Set) return new Set(v);
  const z = new ZSet(v.dict.seed);
  for (const [m, s] of v.dict) z.add(m, s);
  return z;
}

/** One of the 16 numbered databases. */
export class Db {
  /** Each key's value and access time (seconds since the epoch, 0: none since start). */
  readonly keys: Dict<Value>;
  /** Absolute expiry (ms since epoch) of the keys that have one. */
  readonly expires = new Map<string, number>();

  constructor(hashSeed: number) {
    this.keys = new Dict<Value>(hashSeed);
  }
}

export { List, ZSet };
