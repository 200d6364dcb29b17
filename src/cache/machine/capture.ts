// A consistent copy of the keyspace, streamed while it keeps changing: the walk behind the
// cache's own snapshots (snapshot.ts, DPKS) and the RDB files it hands to redis-cli --rdb
// (rdb-export.ts). The walk is the same; the format writes the records.
//
// Consistency is copy-on-write per key: at the start the databases are captured by identity
// (FLUSHDB and SWAPDB replace or move whole Db objects, so a captured one only changes key by
// key). Before a key of a captured Db changes, the observer hook writes its current value if
// the walk has not written it yet; keys created after the start are never written. Which keys
// are done is a mark per slot of the Db's table, in the capture's own bit (Dict.startMarks): the
// walk marks what it writes, the hook what it writes, and the table marks every insert. Each key
// is written exactly once, with its value at the start. Up to 8 captures run at once.
//
// A large collection is written in steps too, a chunk at a time (the format's record stays
// open between them), so that no step holds the event loop for longer than a chunk takes: a
// hash of 600,000 fields held it for seconds when it was written at once. A record is written
// from the collection's elements (Elements), not from the collection: before a collection
// being written changes, the hook freezes the elements not yet written (copies their
// references, values are immutable), and the walk goes on from the copy. A large collection
// that changes before the walk reached it is frozen whole and written by the walk next. Only
// copying references is left on the hook's path: writing a list of a million 1 KiB elements
// at the first LPOP after a snapshot began held the event loop for 3 seconds. A stream is
// written from a StreamImage (stream-image.ts), which freezes the same way for less: its
// entries never change in place. Small records the hook writes while one is open are kept
// aside by the format and follow it.
import { assert } from '../../util/assert.js';
import { DepotError } from '../../util/errors.js';
import type { BlobStore, Stored } from './blobs.js';
import type { Keyspace, KeyspaceObserver } from './keyspace.js';
import { StreamImage } from './stream-image.js';
import { Hash, List, MemberSet, Stream, type Db, type Value } from './values.js';

/** Bytes a format buffers before the walk hands them out: the work done per step. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * A collection or stream that changes before the walk wrote it is frozen and written by the
 * walk when it has more elements (entries) than this; a smaller one is written at once, as a
 * string is.
 */
const DEFER_ELEMENTS = 1024;

/** A record's elements, read from the live collection until `freeze()` copies the rest. */
export class Elements<T> implements IterableIterator<T> {
  private frozen = false;

  /** `rest`: what `it` has left, copied at once (faster than draining it one by one). */
  constructor(
    private it: Iterator<T>,
    private readonly rest?: () => T[],
  ) {}

  next(): IteratorResult<T> {
    return this.it.next();
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** The collection is about to change: what is left to write is copied (once). */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    let rest: T[];
    if (this.rest !== undefined) {
      rest = this.rest();
    } else {
      rest = [];
      for (let r = this.it.next(); r.done !== true; r = this.it.next()) rest.push(r.value);
    }
    this.it = rest.values();
  }
}

/** A list's items by index. */
class ListItems implements Iterator<Stored> {
  private i = 0;

  constructor(private readonly list: List) {}

  next(): IteratorResult<Stored> {
    return this.i < this.list.length ? { done: false, value: this.list.at(this.i++) } : { done: true, value: undefined };
  }

  rest(): Stored[] {
    return this.list.slice(this.i, this.list.length - 1);
  }
}

/** A collection as a record is written from: its kind, its size at the start, its elements. */
export type Collection =
  | { readonly kind: 'list'; readonly size: number; readonly elements: Elements<Stored> }
  | { readonly kind: 'hash'; readonly size: number; readonly elements: Elements<readonly [string, Stored]> }
  | { readonly kind: 'set'; readonly size: number; readonly elements: Elements<string> }
  | { readonly kind: 'zset'; readonly size: number; readonly elements: Elements<readonly [string, number]> };

/** What a record holds: a string, a stream, or a collection. */
export type Recorded = Stored | StreamImage | Collection;

/** A record that is written in steps and freezes before its value changes. */
type Frozen = StreamImage | Collection;

/** The record form of a value: a collection's elements, a stream's nodes, read live. */
export function recorded(v: Value): Recorded {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (v instanceof Stream) return new StreamImage(v);
  if (v instanceof List) {
    const items = new ListItems(v);
    return { kind: 'list', size: v.length, elements: new Elements(items, () => items.rest()) };
  }
  if (v instanceof Hash) return { kind: 'hash', size: v.size, elements: new Elements(v[Symbol.iterator]()) };
  if (v instanceof MemberSet) return { kind: 'set', size: v.size, elements: new Elements(v[Symbol.iterator]()) };
  return { kind: 'zset', size: v.size, elements: new Elements(v[Symbol.iterator]()) };
}

/** What a capture writes its records with. */
export interface CaptureFormat {
  /** A function library (written first, as they were at the start). */
  library(name: string, code: string): void;
  /**
   * A key, its value at the start, and its expiry (ms since epoch, 0 for none). A collection's
   * record may be left open and returned: each `next()` writes more of it, stopping once
   * CHUNK_BYTES are buffered, until it is done. Records written while one is open follow it.
   */
  record(dbIndex: number, key: string, value: Recorded, pxat: number, blobs: BlobStore): Iterator<void> | null;
  /** Bytes written and not yet taken. */
  readonly buffered: number;
  /** The bytes written since the last take; valid until the next take. */
  take(): Buffer;
  /** The format's last bytes, after every record. */
  trailer(): Buffer;
}

export class Capture {
  private readonly captured: Db[];
  /** Each captured database's mark bit (see Dict.startMarks). */
  private readonly bits: number[];
  /** The captured databases' store, held: what they drop meanwhile stays readable. */
  private readonly blobs: BlobStore;
  private readonly unobserve: () => void;
  /** The record left open by the walk: a large collection or stream, written a chunk a step. */
  private open: { readonly db: Db; readonly key: string; readonly rest: Iterator<void>; readonly value: Recorded } | null = null;
  /** Large collections and streams frozen by the hook before the walk reached them: the walk writes them next. */
  private deferred: Array<{ readonly db: Db; readonly dbIndex: number; readonly key: string; readonly value: Frozen; readonly pxat: number }> = [];

  constructor(
    ks: Keyspace,
    private readonly format: CaptureFormat,
  ) {
    this.captured = ks.dbs.slice();
    this.bits = [];
    for (const db of this.captured) {
      const bit = db.keys.startMarks();
      if (bit === 0) {
        for (let i = 0; i < this.bits.length; i++) this.captured[i]!.keys.stopMarks(this.bits[i]!);
        throw new DepotError('THROTTLED', 'too many keyspace snapshots in progress (8): try again when one has finished');
      }
      this.bits.push(bit);
    }
    this.blobs = ks.blobs;
    this.blobs.hold();
    const observer: KeyspaceObserver = {
      beforeWrite: (db, _dbIndex, key) => this.beforeWrite(db, key),
      beforeDbWrite: () => undefined,
    };
    this.unobserve = ks.observe(observer);
    // A few libraries at most, small: written now rather than copied on write.
    for (const [name, code] of ks.libraries.entries()) format.library(name, code);
  }

  /** Copy-on-write: a key about to change is written first, with its value at the start. */
  private beforeWrite(db: Db, key: string): void {
    const open = this.open;
    if (open !== null && open.db === db && open.key === key) {
      if (typeof open.value === 'object') freeze(open.value);
      return;
    }
    // The captured index, not the live one: SWAPDB may have moved the Db since.
    const i = this.captured.indexOf(db);
    // Only captured Dbs are marked (one made by FLUSHDB after the start is not).
    if (i < 0) return;
    const keys = db.keys;
    const slot = keys.find(key);
    if (slot < 0 || keys.isMarked(slot, this.bits[i]!)) return;
    const value = recorded(keys.valueAt(slot));
    if (typeof value === 'object' && (value instanceof StreamImage ? value.length : value.size) > DEFER_ELEMENTS) {
      keys.mark(slot, this.bits[i]!);
      freeze(value);
      this.deferred.push({ db, dbIndex: i, key, value, pxat: this.expiry(db, key) });
      return;
    }
    const rest = this.write(db, i, slot, value);
    if (rest !== null) finish(rest);
  }

  private expiry(db: Db, key: string): number {
    return db.expires.size === 0 ? 0 : (db.expires.get(key) ?? 0);
  }

  /** Marks the key in `slot` written and starts its record; returns the rest of it, if any. */
  private write(db: Db, dbIndex: number, slot: number, value: Recorded): Iterator<void> | null {
    const keys = db.keys;
    keys.mark(slot, this.bits[dbIndex]!);
    const key = keys.keyAt(slot);
    return this.start(dbIndex, key, value, this.expiry(db, key));
  }

  private start(dbIndex: number, key: string, value: Recorded, pxat: number): Iterator<void> | null {
    const rest = this.format.record(dbIndex, key, value, pxat, this.blobs);
    if (rest === null || rest.next().done === true) return null;
    return rest;
  }

  /** Every key not yet written, in chunks of about CHUNK_BYTES: bounded work per step. */
  *chunks(): Generator<Buffer> {
    for (let i = 0; i < this.captured.length; i++) {
      const db = this.captured[i]!;
      const bit = this.bits[i]!;
      const keys = db.keys;
      for (let slot = 0; slot < keys.slots; slot++) {
        const layout = keys.layout;
        if (this.deferred.length > 0) {
          yield* this.writeDeferred();
          slot--; // not looked at yet
        } else if (keys.liveAt(slot) && !keys.isMarked(slot, bit)) {
          const key = keys.keyAt(slot);
          const value = recorded(keys.valueAt(slot));
          const rest = this.write(db, i, slot, value);
          if (rest !== null) yield* this.steps(db, key, value, rest);
          if (this.format.buffered >= CHUNK_BYTES) yield this.format.take();
        }
        // Rebuilt meanwhile (it grew or shrank): walk it again; the marks skip what is written.
        if (keys.layout !== layout) slot = -1;
      }
    }
    yield* this.writeDeferred();
  }

  /** The rest of an open record, a chunk a step, until it is done or the hook finished it. */
  private *steps(db: Db, key: string, value: Recorded, rest: Iterator<void>): Generator<Buffer> {
    this.open = { db, key, rest, value };
    while (this.open !== null) {
      yield this.format.take();
      if (this.open !== null && rest.next().done === true) this.open = null;
    }
  }

  /** The collections the hook froze, including those frozen while these are written. */
  private *writeDeferred(): Generator<Buffer> {
    for (let d = this.deferred.shift(); d !== undefined; d = this.deferred.shift()) {
      const rest = this.start(d.dbIndex, d.key, d.value, d.pxat);
      if (rest !== null) yield* this.steps(d.db, d.key, d.value, rest);
      if (this.format.buffered >= CHUNK_BYTES) yield this.format.take();
    }
  }

  close(): void {
    this.open = null;
    this.unobserve();
    this.captured.forEach((db, i) => db.keys.stopMarks(this.bits[i]!));
    this.blobs.unhold();
  }

  /** What remains buffered, then the trailer. */
  *tail(): Generator<Buffer> {
    // Every key was marked by the walk (and new ones as they were inserted): nothing to defer since.
    assert(this.deferred.length === 0, 'capture ended with collections still to write');
    if (this.format.buffered > 0) yield this.format.take();
    yield this.format.trailer();
  }
}

function freeze(value: Frozen): void {
  if (value instanceof StreamImage) value.freeze();
  else value.elements.freeze();
}

/** Writes the rest of an open record at once. */
export function finish(rest: Iterator<void>): void {
  while (rest.next().done !== true);
}

/**
 * The stream of a capture. The keyspace is captured when the stream is first read, outside the
 * caller's stack: `prepare` runs then and returns the log index the state includes, from which
 * `format` makes the format; `finish` is awaited before the trailer (the machine holds the
 * stream until that index committed).
 */
export function streamCapture(ks: Keyspace, format: (includes: number) => CaptureFormat, prepare: () => number, finish: (includes: number) => Promise<void>): AsyncIterable<Buffer> {
  async function* generate(): AsyncGenerator<Buffer> {
    await Promise.resolve();
    const includes = prepare();
    const capture = new Capture(ks, format(includes));
    try {
      yield* capture.chunks();
      await finish(includes);
    } finally {
      capture.close();
    }
    yield* capture.tail();
  }
  return generate();
}
