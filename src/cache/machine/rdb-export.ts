// The keyspace in Redis's RDB encodings: one value for DUMP and MIGRATE, and a whole database
// file for redis-cli --rdb (the capture format behind CacheMachine.rdbSnapshot).
import { PIECEWISE_TYPE, type RdbValue } from '../rdb/value.js';
import { encodeStream, type RdbStream } from '../rdb/stream.js';
import { RdbFileWriter } from '../rdb/file.js';
import type { BlobStore, Stored } from './blobs.js';
import { CHUNK_BYTES, type CaptureFormat } from './capture.js';
import { Hash, List, MemberSet, Stream, ZSet, type Db, type Value } from './values.js';

/** A key's value as the RDB codec takes it; `text` reads a stored string. */
export function rdbValue(v: Value, text: (s: Stored) => string): RdbValue {
  if (typeof v === 'string' || typeof v === 'number') return { type: 'string', value: text(v) };
  if (v instanceof List) return { type: 'list', items: v.toArray().map(text) };
  if (v instanceof Hash) return { type: 'hash', pairs: [...v].flatMap(([f, x]) => [f, text(x)]) };
  if (v instanceof MemberSet) return { type: 'set', members: [...v] };
  if (v instanceof ZSet) {
    const entries = [...v];
    return { type: 'zset', members: entries.map((e) => e[0]), scores: entries.map((e) => e[1]) };
  }
  if (v instanceof Stream) return rdbStream(v);
  throw new Error('unknown value type');
}

function rdbStream(s: Stream): RdbStream {
  const groups = s.groupNames().map((name) => {
    const g = s.groups.get(name)!;
    return {
      name,
      lastId: g.lastId,
      entriesRead: g.entriesRead,
      pending: [...g.pel].map(([id, nack]) => ({ id, consumer: nack.consumer.name, deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount })),
      consumers: g.consumerNames().map((n) => ({ name: n, seenTime: g.consumers.get(n)!.seenTime })),
    };
  });
  // Read as the encoder goes, a node at a time.
  const entries = { [Symbol.iterator]: () => s.live() };
  return { type: 'stream', entries, length: s.length, lastId: s.lastId, firstId: s.firstId, maxDeletedId: s.maxDeletedId, entriesAdded: s.entriesAdded, groups };
}

export interface RdbFileOptions {
  /** The header's aux fields (redis-ver, ctime, ...): the machine reads no clock, its caller does. */
  readonly aux: readonly (readonly [string, string])[];
  /** What the file holds (REPLCONF rdb-filter-only): the keys, the function libraries. */
  readonly keys: boolean;
  readonly functions: boolean;
}

/** A capture written as an RDB file. */
export class RdbFileFormat implements CaptureFormat {
  private readonly w: RdbFileWriter;
  /** Each database's RESIZEDB hint, read when its first key is written. */
  private readonly sizes: ReadonlyArray<() => readonly [number, number]>;

  constructor(
    dbs: readonly Db[],
    private readonly o: RdbFileOptions,
  ) {
    this.w = new RdbFileWriter(o.aux);
    this.sizes = dbs.map((db) => () => [db.keys.size, db.expires.size]);
  }

  library(_name: string, code: string): void {
    if (this.o.functions) this.w.library(code);
  }

  record(dbIndex: number, key: string, value: Value, pxat: number, blobs: BlobStore): Iterator<void> | null {
    if (!this.o.keys) return null;
    const w = this.w;
    const sizes = this.sizes[dbIndex]!;
    // Written whole: strings, and the keys that follow an open one.
    if (typeof value === 'string' || typeof value === 'number' || w.opened) {
      w.key(dbIndex, sizes, key, rdbValue(value, (s) => blobs.text(s)), pxat);
      return null;
    }
    const type = value instanceof List ? PIECEWISE_TYPE.list : value instanceof Hash ? PIECEWISE_TYPE.hash : value instanceof MemberSet ? PIECEWISE_TYPE.set : value instanceof Stream ? PIECEWISE_TYPE.stream : PIECEWISE_TYPE.zset;
    w.open(dbIndex, sizes, key, type, pxat);
    return this.pieces(value, blobs);
  }

  /** The open key's value: collections in the plain encodings (as rdbValue and encodeValue write them). */
  private *pieces(value: List | Hash | MemberSet | ZSet | Stream, blobs: BlobStore): Generator<void> {
    const w = this.w;
    if (value instanceof List) {
      w.length(value.length);
      for (let i = 0; i < value.length; i++) {
        w.element(blobs.text(value.at(i)));
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else if (value instanceof Hash) {
      w.length(value.size);
      for (const [f, v] of value) {
        w.element(f);
        w.element(blobs.text(v));
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else if (value instanceof MemberSet) {
      w.length(value.size);
      for (const m of value) {
        w.element(m);
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else if (value instanceof Stream) {
      for (const piece of encodeStream(rdbStream(value))) {
        w.bytes(piece);
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else {
      w.length(value.size);
      for (const [m, x] of value) {
        w.element(m);
        w.score(x);
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    }
    w.close();
  }

  get buffered(): number {
    return this.w.buffered;
  }

  take(): Buffer {
    return this.w.take();
  }

  trailer(): Buffer {
    return this.w.end();
  }
}

