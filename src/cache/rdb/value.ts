// One key's value in Redis's RDB encoding, as DUMP writes it and RESTORE reads it (rdb.c's
// rdbSaveObject and rdbLoadObject). Reading takes every encoding Redis 7.0 reads for the types
// Depot has, including Redis 6's ziplists; writing uses the plain encodings (a length, then the
// elements), which every Redis version reads, and for streams Redis 7.0's (stream.ts).
import { encodeLength, encodeString, RdbReader } from './payload.js';
import { readIntset, readListpack, readZiplist } from './packed.js';
import { decodeStream, encodeStream, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2, type RdbStream } from './stream.js';

export type RdbValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'list'; readonly items: readonly string[] }
  | { readonly type: 'set'; readonly members: readonly string[] }
  /** Field, value, field, value... */
  | { readonly type: 'hash'; readonly pairs: readonly string[] }
  | { readonly type: 'zset'; readonly members: readonly string[]; readonly scores: readonly number[] }
  | RdbStream;

/** rdb.h's object types. */
const T = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
} as const;

/** The types an RDB file writes a piece at a time (file.ts `open`): the plain encodings, and streams. */
export const PIECEWISE_TYPE = { list: T.LIST, set: T.SET, hash: T.HASH, zset: T.ZSET_2, stream: RDB_TYPE_STREAM_LISTPACKS_2 } as const;

/** quicklist.h: a node holding one large element as it is, or a listpack. */
const QUICKLIST_NODE_PLAIN = 1;
const QUICKLIST_NODE_PACKED = 2;

export function encodeValue(v: RdbValue): Buffer {
  const parts: Buffer[] = [];
  const strings = (type: number, items: readonly string[], count = items.length) => {
    parts.push(Buffer.of(type), encodeLength(count));
    for (const s of items) parts.push(encodeString(s));
  };
  switch (v.type) {
    case 'string':
      parts.push(Buffer.of(T.STRING), encodeString(v.value));
      break;
    case 'list':
      strings(T.LIST, v.items);
      break;
    case 'set':
      strings(T.SET, v.members);
      break;
    case 'hash':
      strings(T.HASH, v.pairs, v.pairs.length / 2);
      break;
    case 'zset': {
      parts.push(Buffer.of(T.ZSET_2), encodeLength(v.members.length));
      for (let i = 0; i < v.members.length; i++) {
        const score = Buffer.allocUnsafe(8);
        score.writeDoubleLE(v.scores[i]!, 0);
        parts.push(encodeString(v.members[i]!), score);
      }
      break;
    }
    case 'stream':
      parts.push(Buffer.of(RDB_TYPE_STREAM_LISTPACKS_2), ...encodeStream(v));
      break;
  }
  return Buffer.concat(parts);
}

/**
 * The value of a payload's data (its version and CRC already checked), or null when it is not
 * a well-formed value of a type Depot has (RESTORE's "Bad data format"): also empty
 * collections, duplicate members or fields, NaN scores, and bytes left over, which Redis
 * refuses too.
 */
export function decodeValue(data: Buffer): RdbValue | null {
  const r = new RdbReader(data);
  const type = r.byte();
  if (type === null) return null;
  const value = decodeBody(r, type);
  return value !== null && r.remaining === 0 && valid(value) ? value : null;
}

function decodeBody(r: RdbReader, type: number): RdbValue | null {
  switch (type) {
    case T.STRING: {
      const value = r.string();
      return value === null ? null : { type: 'string', value };
    }
    case T.LIST:
    case T.SET: {
      const items = strings(r, r.count());
      if (items === null) return null;
      return type === T.LIST ? { type: 'list', items } : { type: 'set', members: items };
    }
    case T.HASH: {
      const n = r.count();
      const pairs = strings(r, n === null ? null : n * 2);
      return pairs === null ? null : { type: 'hash', pairs };
    }
    case T.ZSET:
    case T.ZSET_2: {
      const n = r.count();
      if (n === null) return null;
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < n; i++) {
        const member = r.string();
        const score = type === T.ZSET_2 ? r.binaryDouble() : r.textDouble();
        if (member === null || score === null) return null;
        members.push(member);
        scores.push(score);
      }
      return { type: 'zset', members, scores };
    }
    case T.LIST_QUICKLIST:
    case T.LIST_QUICKLIST_2: {
      const nodes = r.count();
      if (nodes === null) return null;
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) {
        const container = type === T.LIST_QUICKLIST_2 ? r.count() : QUICKLIST_NODE_PACKED;
        const blob = r.string();
        if (blob === null || (container !== QUICKLIST_NODE_PLAIN && container !== QUICKLIST_NODE_PACKED)) return null;
        if (container === QUICKLIST_NODE_PLAIN) {
          items.push(blob);
          continue;
        }
        const bytes = Buffer.from(blob, 'latin1');
        const elements = type === T.LIST_QUICKLIST_2 ? readListpack(bytes) : readZiplist(bytes);
        // Redis skips an empty node rather than fail.
        if (elements === null) return null;
        for (const e of elements) items.push(e);
      }
      return { type: 'list', items };
    }
    case T.LIST_ZIPLIST:
    case T.SET_INTSET:
    case T.ZSET_ZIPLIST:
    case T.HASH_ZIPLIST:
    case T.HASH_LISTPACK:
    case T.ZSET_LISTPACK: {
      const blob = r.string();
      if (blob === null) return null;
      const bytes = Buffer.from(blob, 'latin1');
      const listpack = type === T.HASH_LISTPACK || type === T.ZSET_LISTPACK;
      const elements = type === T.SET_INTSET ? readIntset(bytes) : listpack ? readListpack(bytes) : readZiplist(bytes);
      if (elements === null) return null;
      if (type === T.LIST_ZIPLIST) return { type: 'list', items: elements };
      if (type === T.SET_INTSET) return { type: 'set', members: elements };
      if (elements.length % 2 !== 0) return null;
      if (type === T.HASH_ZIPLIST || type === T.HASH_LISTPACK) return { type: 'hash', pairs: elements };
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < elements.length; i += 2) {
        members.push(elements[i]!);
        scores.push(parseScore(elements[i + 1]!));
      }
      return { type: 'zset', members, scores };
    }
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
      return decodeStream(r, type === RDB_TYPE_STREAM_LISTPACKS_2);
    default:
      return null;
  }
}

function strings(r: RdbReader, n: number | null): string[] | null {
  if (n === null) return null;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = r.string();
    if (s === null) return null;
    out.push(s);
  }
  return out;
}

/** A packed sorted set's score, written by Redis's d2string (integers plain, "inf", "-inf"). */
function parseScore(s: string): number {
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return s.trim() === s && s !== '' ? Number(s) : NaN;
}

/** What Redis's loader refuses besides malformed bytes: empty collections, duplicates, NaN scores. */
function valid(v: RdbValue): boolean {
  switch (v.type) {
    case 'string':
    case 'stream':
      return true;
    case 'list':
      return v.items.length > 0;
    case 'set':
      return v.members.length > 0 && new Set(v.members).size === v.members.length;
    case 'hash': {
      const fields = v.pairs.filter((_, i) => i % 2 === 0);
      return fields.length > 0 && new Set(fields).size === fields.length;
    }
    case 'zset':
      return v.members.length > 0 && new Set(v.members).size === v.members.length && v.scores.every((s) => !Number.isNaN(s));
  }
}
