// What a key costs on the JS heap, as maxmemory and eviction count it (used_memory_dataset).
//
// Why an estimate kept per key and not the heap's used size: V8 reports the heap with its
// garbage, which only a collection takes away, so a count that must fall as soon as a key is
// evicted (or the eviction loop would go on evicting) cannot be read from it. The keyspace keeps
// a running sum of these figures instead (keyspace.ts: each mutation adds what it changed, from
// what it has in hand, without looking keys up again); long values' blocks, outside the heap,
// are counted exactly by the blob store.
//
// The figures were measured on Node 20 (heap growth after a full collection, per element, with
// 16-byte keys and 10-byte elements: docs/cache.md, "Eviction"). An element's own length counts
// only for string values and packed hashes, sets and sorted sets (their string's length,
// exactly); elements of other collections count a fixed size each, so big collections of long
// JS-string elements (under 64 bytes, the blob store's threshold) are counted short.
import { Hash, List, MemberSet, Stream, type RSet, type Value, type ZSet } from './values.js';

/** The key's slot in its database's table and the key string's header. */
const KEY_BYTES = 94;
/** A string value's header (its characters are added). */
const STRING_BYTES = 16;
/** A slot in the database's expiry table. */
export const EXPIRE_BYTES = 80;
const LIST_BYTES = 185;
export const LIST_ELEMENT_BYTES = 40;
/** A hash that is a table: the table (405) and the Hash around it (56). */
const HASH_BYTES = 461;
const HASH_FIELD_BYTES = 140;
/** A packed hash (hash.ts) and its string's header; its characters are added. */
const PACKED_HASH_BYTES = 61;
/** A packed sorted set (zset.ts) and its string's header; its characters are added. */
const PACKED_ZSET_BYTES = 71;
/** A packed set (member-set.ts) and its string's header; its characters are added. */
const PACKED_SET_BYTES = 78;
/** A set past its packing limits: the table (795) and the MemberSet around it (72). */
const SET_BYTES = 867;
const SET_MEMBER_BYTES = 120;
/** A sorted set past its packing limits: table and tree (850) and the fields for packing (24). */
const ZSET_BYTES = 874;
const ZSET_MEMBER_BYTES = 160;
/** A stream with its group table; then each node's arrays, each entry's ID and field list, each pending entry. */
const STREAM_BYTES = 300;
const STREAM_NODE_BYTES = 250;
const STREAM_ENTRY_BYTES = 70;
const STREAM_PENDING_BYTES = 150;

/** The heap bytes counted for `key` holding `value` (without an expiry). O(1). */
export function entryBytes(key: string, value: Value): number {
  return KEY_BYTES + key.length + valueBytes(value);
}

// One function per type: the keyspace calls them around every write of that type, and a chain
// of instanceof tests there cost a write to a big hash a few percent.

export function listBytes(l: List): number {
  return LIST_BYTES + l.length * LIST_ELEMENT_BYTES;
}

export function hashBytes(h: Hash): number {
  const packed = h.packedLength;
  return packed >= 0 ? PACKED_HASH_BYTES + packed : HASH_BYTES + h.size * HASH_FIELD_BYTES;
}

export function setBytes(s: RSet): number {
  const packed = s.packedLength;
  return packed >= 0 ? PACKED_SET_BYTES + packed : SET_BYTES + s.size * SET_MEMBER_BYTES;
}

export function zsetBytes(z: ZSet): number {
  const packed = z.packedLength;
  return packed >= 0 ? PACKED_ZSET_BYTES + packed : ZSET_BYTES + z.size * ZSET_MEMBER_BYTES;
}

/**
 * A stream: its entries' listpack bytes as Redis would count them (their strings' lengths, about)
 * plus fixed costs per node, entry and pending entry.
 */
export function streamBytes(s: Stream): number {
  let pending = 0;
  for (const g of s.groups.values()) pending += g.pel.size;
  return STREAM_BYTES + s.nodes.length * STREAM_NODE_BYTES + s.listpackBytes + s.slots * STREAM_ENTRY_BYTES + pending * STREAM_PENDING_BYTES;
}

/** What `v` counts beyond its key. O(1) (for a stream, O(its groups)). */
export function valueBytes(v: Value): number {
  if (typeof v === 'string') return STRING_BYTES + v.length;
  // A blob handle: the block is the blob store's to count.
  if (typeof v === 'number') return 0;
  if (v instanceof List) return listBytes(v);
  if (v instanceof Hash) return hashBytes(v);
  if (v instanceof MemberSet) return setBytes(v);
  if (v instanceof Stream) return streamBytes(v);
  return zsetBytes(v);
}
