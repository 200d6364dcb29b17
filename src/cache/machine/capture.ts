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
// hash of 600,000 fields held it for seconds when it was written at once. The collection does
// not change meanwhile, since a write to it first finishes its record (the hook); records of
// other keys the hook writes while one is open are kept aside by the format and follow it.
import { DepotError } from '../../util/errors.js';
import type { BlobStore } from './blobs.js';
import type { Keyspace, KeyspaceObserver } from './keyspace.js';
import type { Db, Value } from './values.js';

/** Bytes a format buffers before the walk hands them out: the work done per step. */
export const CHUNK_BYTES = 64 * 1024;

/** What a capture writes its records with. */
export interface CaptureFormat {
  /** A function library (written first, as they were at the start). */
  library(name: string, code: string): void;
  /**
   * A key, its value at the start, and its expiry (ms since epoch, 0 for none). A collection's
   * record may be left open and returned: each `next()` writes more of it, stopping once
   * CHUNK_BYTES are buffered, until it is done. Records written while one is open follow it.
   */
  record(dbIndex: number, key: string, value: Value, pxat: number, blobs: BlobStore): Iterator<void> | null;
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
  /** The record left open by the walk: a large collection, written a chunk a step. */
  private open: { readonly db: Db; readonly key: string; readonly rest: Iterator<void> } | null = null;

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
      this.open = null;
      finish(open.rest);
      return;
    }
    // The captured index, not the live one: SWAPDB may have moved the Db since.
    const i = this.captured.indexOf(db);
    // Only captured Dbs are marked (one made by FLUSHDB after the start is not).
    if (i < 0) return;
    const slot = db.keys.find(key);
    if (slot < 0 || db.keys.isMarked(slot, this.bits[i]!)) return;
    const rest = this.write(db, i, slot);
    if (rest !== null) finish(rest);
  }

  /** Marks the key in `slot` written and starts its record; returns the rest of it, if any. */
  private write(db: Db, dbIndex: number, slot: number): Iterator<void> | null {
    const keys = db.keys;
    keys.mark(slot, this.bits[dbIndex]!);
    const key = keys.keyAt(slot);
    const rest = this.format.record(dbIndex, key, keys.valueAt(slot), db.expires.size === 0 ? 0 : (db.expires.get(key) ?? 0), this.blobs);
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
        if (!keys.liveAt(slot) || keys.isMarked(slot, bit)) continue;
        const layout = keys.layout;
        const rest = this.write(db, i, slot);
        if (rest !== null) {
          this.open = { db, key: keys.keyAt(slot), rest };
          // Until the record is done, or the hook has finished it.
          while (this.open !== null) {
            yield this.format.take();
            if (this.open !== null && rest.next().done === true) this.open = null;
          }
        }
        if (this.format.buffered >= CHUNK_BYTES) yield this.format.take();
        // Rebuilt meanwhile (it grew or shrank): walk it again; the marks skip what is written.
        if (keys.layout !== layout) slot = -1;
      }
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
    if (this.format.buffered > 0) yield this.format.take();
    yield this.format.trailer();
  }
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
