// The keyspace in Redis's RDB encodings: one value for DUMP and MIGRATE, and a whole database
// file for redis-cli --rdb (the capture format behind CacheMachine.rdbSnapshot).
import { PIECEWISE_TYPE, type RdbValue } from '../rdb/value.js';
import { encodeStream, type RdbConsumer, type RdbGroup, type RdbPending, type RdbStream } from '../rdb/stream.js';
import { RdbFileWriter } from '../rdb/file.js';
import type { BlobStore, Stored } from './blobs.js';
import { CHUNK_BYTES, recorded, type CaptureFormat, type Collection, type Recorded } from './capture.js';
import type { SortedMapReader } from './sorted-map.js';
import type { Nack } from './stream-group.js';
import type { StreamId } from './stream-id.js';
import { StreamImage } from './stream-image.js';
import type { Db, Value } from './values.js';

/** A key's value as the RDB codec takes it; `text` reads a stored string. */
export function rdbValue(v: Value, text: (s: Stored) => string): RdbValue {
  return rdbRecorded(recorded(v), text);
}

function rdbRecorded(v: Recorded, text: (s: Stored) => string): RdbValue {
  if (typeof v === 'string' || typeof v === 'number') return { type: 'string', value: text(v) };
  if (v instanceof StreamImage) return rdbStream(v);
  switch (v.kind) {
    case 'list':
      return { type: 'list', items: Array.from(v.elements, text) };
    case 'hash':
      return { type: 'hash', pairs: Array.from(v.elements).flatMap(([f, x]) => [f, text(x)]) };
    case 'set':
      return { type: 'set', members: [...v.elements] };
    case 'zset': {
      const entries = [...v.elements];
      return { type: 'zset', members: entries.map((e) => e[0]), scores: entries.map((e) => e[1]) };
    }
  }
}

function* pendingOf(pel: SortedMapReader<Nack>): Generator<RdbPending> {
  for (const [id, nack] of pel) yield { id, consumer: nack.consumer.name, deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount };
}

function* idsOf(pel: SortedMapReader<Nack>): Generator<StreamId> {
  for (const [id] of pel) yield id;
}

function rdbStream(s: StreamImage): RdbStream {
  // Entries and pending entries are read as the encoder goes, a piece at a time.
  const groups = s.groupNames().map((name): RdbGroup => {
    const g = s.groups.get(name)!;
    const consumers = g.consumerNames().map((n): RdbConsumer => {
      const c = g.consumers.get(n)!;
      return { name: n, seenTime: c.seenTime, owned: { [Symbol.iterator]: () => idsOf(c.pel) }, ownedCount: c.pel.size };
    });
    return { name, lastId: g.lastId, entriesRead: g.entriesRead, pending: { [Symbol.iterator]: () => pendingOf(g.pel) }, pendingCount: g.pel.size, consumers };
  });
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

  record(dbIndex: number, key: string, value: Recorded, pxat: number, blobs: BlobStore): Iterator<void> | null {
    if (!this.o.keys) return null;
    const w = this.w;
    const sizes = this.sizes[dbIndex]!;
    // Written whole: strings, and the keys that follow an open one.
    if (typeof value === 'string' || typeof value === 'number' || w.opened) {
      w.key(dbIndex, sizes, key, rdbRecorded(value, (s) => blobs.text(s)), pxat);
      return null;
    }
    w.open(dbIndex, sizes, key, value instanceof StreamImage ? PIECEWISE_TYPE.stream : PIECEWISE_TYPE[value.kind], pxat);
    return this.pieces(value, blobs);
  }

  /** The open key's value: collections in the plain encodings (as rdbValue and encodeValue write them). */
  private *pieces(value: StreamImage | Collection, blobs: BlobStore): Generator<void> {
    const w = this.w;
    if (value instanceof StreamImage) {
      for (const piece of encodeStream(rdbStream(value))) {
        w.bytes(piece);
        if (w.buffered >= CHUNK_BYTES) yield;
      }
      w.close();
      return;
    }
    w.length(value.size);
    if (value.kind === 'list') {
      for (const v of value.elements) {
        w.element(blobs.text(v));
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else if (value.kind === 'hash') {
      for (const [f, v] of value.elements) {
        w.element(f);
        w.element(blobs.text(v));
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else if (value.kind === 'set') {
      for (const m of value.elements) {
        w.element(m);
        if (w.buffered >= CHUNK_BYTES) yield;
      }
    } else {
      for (const [m, x] of value.elements) {
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

