// The values a key can hold, and the database that maps keys to them.
//
// Strings, hash fields and values, set members, list elements and sorted-set members are
// latin1 JS strings (one byte per code unit: binary safe, compact one-byte strings in V8),
// except string values, list elements and the values of hashes that are tables, of 64 bytes to
// 64 KiB, which live in the keyspace's BlobStore (blobs.ts) and are decoded when read.
import type { BlobRef } from './blobs.js';
import { List } from './list.js';
import { Dict } from './dict.js';
import { Hash } from './hash.js';
import { MemberSet } from './member-set.js';
import { Stream } from './stream.js';
import { ZSet } from './zset.js';

export type RSet = MemberSet;
export type Value = string | BlobRef | List | Hash | RSet | ZSet | Stream;
export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

export function typeOf(v: Value): TypeName {
  if (typeof v === 'string' || typeof v === 'number') return 'string';
  if (v instanceof List) return 'list';
  if (v instanceof Hash) return 'hash';
  if (v instanceof MemberSet) return 'set';
  if (v instanceof Stream) return 'stream';
  return 'zset';
}

/** One of the 16 numbered databases. */
export class Db {
  /** Each key's value and access time (seconds since the epoch, 0: none since start). */
  readonly keys: Dict<Value>;
  /**
   * Absolute expiry (ms since epoch) of the keys that have one. A Dict, not a Map: V8's Map
   * holds at most 2^24 entries (16,777,216 keys with a TTL in one database would have thrown),
   * and grows by rehashing all of it at once.
   */
  readonly expires: Dict<number>;
  /** What its keys cost on the JS heap, as memory.ts counts them (kept by the keyspace). */
  bytes = 0;

  constructor(hashSeed: number) {
    this.keys = new Dict<Value>(hashSeed);
    this.expires = new Dict<number>(hashSeed);
  }
}

export { Hash, List, MemberSet, Stream, ZSet };
