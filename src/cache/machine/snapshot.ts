// Keyspace snapshots, streamed while the keyspace keeps changing (docs/cache.md, "Snapshots").
//
//   header   "DPKS" | u8 version (1) | f64 BE index the state includes (see CacheMachine)
//   record   u8 type (1 string, 2 list, 3 hash, 4 set, 5 zset, 6 stream, 7 function library)
//            | u8 db | f64 BE expiry (ms since epoch, 0 = none) | str key | value
//            value: string = str; list, set = u32 count + str...; hash = u32 count +
//            (str field, str value)...; zset = u32 count + (str member, f64 score)...;
//            stream = str last ID | str first ID | str max deleted ID | f64 entries added |
//            u32 nodes, each: str master ID | u32 count + str master field... | u32 entries,
//            each: str ID | u8 deleted | u32 count + str field/value...; then u32 groups, each:
//            str name | str last ID | f64 entries read | u32 consumers, each: str name |
//            f64 seen time | u32 pending, each: str ID | f64 delivery time | f64 delivery count
//            (IDs are stream-id.ts's 16-byte form; nodes and tombstones as they are, so that
//            the restored stream trims as the original would); function library: the key is
//            the library's name, the value str code, db and expiry 0 (libraries come first, as
//            they were at the start)
//   trailer  u8 0xFF | u32 BE record count | u32 BE CRC-32C of every byte before the trailer
//   (str = u32 BE length + bytes)
//
// The walk that keeps it consistent while the keyspace changes is capture.ts's.
import { crc32c } from '../../util/crc32c.js';
import { DepotError } from '../../util/errors.js';
import { BlobStore, type Stored } from './blobs.js';
import type { Keyspace } from './keyspace.js';
import { CHUNK_BYTES, finish, streamCapture, type CaptureFormat, type Collection, type Recorded } from './capture.js';
import type { PackLimits } from './hash.js';
import type { ZSetLimits } from './zset.js';
import { Db, Hash, List, MemberSet, Stream, ZSet, type Value } from './values.js';
import { StreamNode } from './stream.js';
import { StreamImage } from './stream-image.js';
import { ConsumerGroup, type Consumer } from './stream-group.js';

const MAGIC = 'DPKS';
const VERSION = 1;
const TRAILER = 0xff;
const Type = { string: 1, list: 2, hash: 3, set: 4, zset: 5, stream: 6, library: 7 } as const;

/**
 * Growable output with the few field writers the format needs. Two buffers, used in turn:
 * `take()` hands out the filled one, and the copy-on-write hook may write records before the
 * consumer has asked for the next chunk (StateMachine.snapshot's contract), so they go to the
 * other. Fresh buffers per chunk made V8 count hundreds of MB of new ArrayBuffer memory per
 * snapshot, and start a full collection for every 64 MiB of it.
 */
class Out {
  private readonly bufs = [Buffer.allocUnsafeSlow(CHUNK_BYTES * 2), Buffer.allocUnsafeSlow(CHUNK_BYTES * 2)];
  private current = 0;
  buf = this.bufs[0]!;
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = this.bufs[this.current] = next;
  }
  u8(n: number): void {
    this.ensure(1);
    this.buf[this.pos++] = n;
  }
  u32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(n, this.pos);
    this.pos += 4;
  }
  f64(n: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(n, this.pos);
    this.pos += 8;
  }
  str(s: string): void {
    this.ensure(4 + s.length);
    this.buf.writeUInt32BE(s.length, this.pos);
    this.pos += 4;
    this.pos += this.buf.write(s, this.pos, s.length, 'latin1');
  }
  /** A stored string, a blob's bytes copied straight from its store. */
  stored(v: Stored, blobs: BlobStore): void {
    if (typeof v === 'string') return this.str(v);
    const len = blobs.length(v);
    const start = blobs.startOf(v);
    this.ensure(4 + len);
    this.buf.writeUInt32BE(len, this.pos);
    blobs.chunkOf(v).copy(this.buf, this.pos + 4, start, start + len);
    this.pos += 4 + len;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }
  /** What is written so far, valid until the next take(). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.current ^= 1;
    this.buf = this.bufs[this.current]!;
    this.pos = 0;
    return out;
  }
}

/**
 * A key's record: written whole for a string; for a collection, its head, and the rest to
 * write (stopping whenever a chunk's worth is buffered: capture.ts).
 */
function writeRecord(out: Out, blobs: BlobStore, dbIndex: number, key: string, value: Recorded, pxat: number): Generator<void> | null {
  const string = typeof value === 'string' || typeof value === 'number';
  out.u8(string ? Type.string : value instanceof StreamImage ? Type.stream : Type[value.kind]);
  out.u8(dbIndex);
  out.f64(pxat);
  out.str(key);
  if (string) {
    out.stored(value, blobs);
    return null;
  }
  if (value instanceof StreamImage) return writeStream(out, value);
  out.u32(value.size);
  return writeElements(out, value, blobs);
}

function* writeElements(out: Out, c: Collection, blobs: BlobStore): Generator<void> {
  if (c.kind === 'list') {
    for (const v of c.elements) {
      out.stored(v, blobs);
      if (out.pos >= CHUNK_BYTES) yield;
    }
  } else if (c.kind === 'hash') {
    for (const [f, v] of c.elements) {
      out.str(f);
      out.stored(v, blobs);
      if (out.pos >= CHUNK_BYTES) yield;
    }
  } else if (c.kind === 'set') {
    for (const m of c.elements) {
      out.str(m);
      if (out.pos >= CHUNK_BYTES) yield;
    }
  } else {
    for (const [m, score] of c.elements) {
      out.str(m);
      out.f64(score);
      if (out.pos >= CHUNK_BYTES) yield;
    }
  }
}

function writeStrs(out: Out, list: readonly string[]): void {
  out.u32(list.length);
  for (const x of list) out.str(x);
}

function* writeStream(out: Out, s: StreamImage): Generator<void> {
  out.str(s.lastId);
  out.str(s.firstId);
  out.str(s.maxDeletedId);
  out.f64(s.entriesAdded);
  out.u32(s.nodes.length);
  for (let n = 0; n < s.nodes.length; n++) {
    const node = s.nodes[n]!;
    const count = s.count(n);
    out.str(node.master);
    writeStrs(out, node.masterFields);
    out.u32(count);
    for (let i = 0; i < count; i++) {
      out.str(node.ids[i]!);
      out.u8(s.isDeleted(n, i) ? 1 : 0);
      writeStrs(out, node.fieldsAt(i));
    }
    if (out.pos >= CHUNK_BYTES) yield;
  }
  out.u32(s.groups.size);
  for (const [name, g] of s.groups) {
    out.str(name);
    out.str(g.lastId);
    out.f64(g.entriesRead);
    out.u32(g.consumers.size);
    for (const c of g.consumers.values()) {
      out.str(c.name);
      out.f64(c.seenTime);
      out.u32(c.pel.size);
      for (const [id, nack] of c.pel) {
        out.str(id);
        out.f64(nack.deliveryTime);
        out.f64(nack.deliveryCount);
        if (out.pos >= CHUNK_BYTES) yield;
      }
    }
  }
}

/** The DPKS records of a capture, with their count and CRC for the trailer. */
class DpksFormat implements CaptureFormat {
  private readonly out = new Out();
  /** Records written while one is open, to follow it. */
  private aside: Out | null = null;
  private open = false;
  private records = 0;
  private crc = 0;

  constructor(includes: number) {
    const out = this.out;
    out.ensure(13);
    out.buf.write(MAGIC, 0, 'latin1');
    out.pos = 4;
    out.u8(VERSION);
    out.f64(includes);
  }

  library(name: string, code: string): void {
    const out = this.out;
    out.u8(Type.library);
    out.u8(0);
    out.f64(0);
    out.str(name);
    out.str(code);
    this.records++;
  }

  record(dbIndex: number, key: string, value: Recorded, pxat: number, blobs: BlobStore): Iterator<void> | null {
    this.records++;
    if (this.open) {
      const rest = writeRecord((this.aside ??= new Out()), blobs, dbIndex, key, value, pxat);
      if (rest !== null) finish(rest);
      return null;
    }
    const rest = writeRecord(this.out, blobs, dbIndex, key, value, pxat);
    if (rest === null) return null;
    this.open = true;
    return this.closing(rest);
  }

  /** The rest of an open record, then what was set aside meanwhile. */
  private *closing(rest: Generator<void>): Generator<void> {
    yield* rest;
    this.open = false;
    if (this.aside !== null && this.aside.pos > 0) this.out.bytes(this.aside.take());
  }

  get buffered(): number {
    return this.out.pos;
  }

  take(): Buffer {
    const chunk = this.out.take();
    this.crc = crc32c(chunk, this.crc);
    return chunk;
  }

  trailer(): Buffer {
    const trailer = Buffer.allocUnsafe(9);
    trailer[0] = TRAILER;
    trailer.writeUInt32BE(this.records, 1);
    trailer.writeUInt32BE(this.crc, 5);
    return trailer;
  }
}

/**
 * The stream of a snapshot. The keyspace is captured when the stream is first read, outside
 * the caller's stack: `prepare` runs then and returns the log index the state includes; `finish`
 * is awaited before the trailer (the machine holds the snapshot until that index committed).
 */
export function streamSnapshot(ks: Keyspace, prepare: () => number, finish: (includes: number) => Promise<void>): AsyncIterable<Buffer> {
  return streamCapture(ks, (includes) => new DpksFormat(includes), prepare, finish);
}

export interface RestoredState {
  readonly dbs: Db[];
  /** Where the databases' long values are. */
  readonly blobs: BlobStore;
  readonly libraries: ReadonlyMap<string, string>;
  readonly includes: number;
}

class NeedMore extends Error {}

class In {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new NeedMore();
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const n = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  f64(): number {
    this.need(8);
    const n = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return n;
  }
  str(): string {
    const len = this.u32();
    this.need(len);
    const s = this.buf.toString('latin1', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

function corrupt(why: string): DepotError {
  return new DepotError('CORRUPT_LOG', `cache snapshot: ${why}`);
}

/** How restored values are built: the databases' hash seed, the encodings' limits, the blob store's `store`. */
interface Build {
  readonly hashSeed: number;
  readonly hashLimits: PackLimits;
  readonly zsetLimits: ZSetLimits;
  readonly store: (s: string) => Stored;
}

/**
 * A collection or stream record being read, one element (a stream: one node, one group
 * header, consumer or pending entry) at a time, so that a record larger than the bytes at hand
 * is read as they arrive instead of being held whole first: a list of a million 1 KiB values
 * was a gigabyte buffered, and a record past 4 GiB could not be read at all.
 */
interface OpenRecord {
  /** Reads the next element whole (a NeedMore leaves it unread); true once the record is complete. */
  step(r: In): boolean;
  /** The value, once complete. */
  finish(): Value;
}

/** `n` elements, each read by `read` (which must read all of an element before it keeps any of it). */
class ElementRecord implements OpenRecord {
  constructor(
    private left: number,
    private readonly read: (r: In) => void,
    readonly finish: () => Value,
  ) {}

  step(r: In): boolean {
    if (this.left === 0) return true;
    this.read(r);
    return --this.left === 0;
  }
}

function openRecord(r: In, type: number, b: Build): OpenRecord {
  if (type === Type.stream) return new StreamRecord(r);
  const n = r.u32();
  if (type === Type.list) {
    const items: Stored[] = [];
    return new ElementRecord(n, (r) => items.push(b.store(r.str())), () => new List(items));
  }
  if (type === Type.hash) {
    const h = new Hash(b.hashSeed);
    return new ElementRecord(
      n,
      (r) => {
        const field = r.str();
        h.set(field, r.str(), b.hashLimits, b.store);
      },
      () => h,
    );
  }
  if (type === Type.set) {
    const set = new MemberSet(b.hashSeed);
    return new ElementRecord(n, (r) => set.add(r.str()), () => set);
  }
  if (type === Type.zset) {
    const z = new ZSet(b.hashSeed);
    return new ElementRecord(
      n,
      (r) => {
        const member = r.str();
        z.add(member, r.f64(), b.zsetLimits);
      },
      () => z,
    );
  }
  throw corrupt(`unknown record type ${type}`);
}

function readStrs(r: In): string[] {
  const n = r.u32();
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = r.str();
  return out;
}

/**
 * A stream record: its counters, then a step for each node, for the group count, and for each
 * group's header, consumer and pending entry (a PEL may be millions long).
 */
class StreamRecord implements OpenRecord {
  private readonly s = new Stream();
  private nodesLeft: number;
  /** -1 until the group count is read. */
  private groupsLeft = -1;
  /** The group being read, with its consumers still to come and the pending entries left of the current one. */
  private group: ConsumerGroup | null = null;
  private consumersLeft = 0;
  private consumer: Consumer | null = null;
  private pendingLeft = 0;

  constructor(r: In) {
    const s = this.s;
    s.lastId = r.str();
    s.firstId = r.str();
    s.maxDeletedId = r.str();
    s.entriesAdded = r.f64();
    this.nodesLeft = r.u32();
  }

  step(r: In): boolean {
    if (this.nodesLeft > 0) {
      const node = new StreamNode(r.str(), readStrs(r));
      for (let i = 0, count = r.u32(); i < count; i++) {
        const id = r.str();
        const dead = r.u8() === 1;
        node.append(id, readStrs(r));
        if (dead) node.tombstone(i);
      }
      this.s.nodes.push(node);
      this.nodesLeft--;
      return false;
    }
    if (this.groupsLeft < 0) {
      this.groupsLeft = r.u32();
      return this.groupsLeft === 0;
    }
    // Each element is read whole before anything is kept (a NeedMore leaves it unread).
    if (this.pendingLeft > 0) {
      const id = r.str();
      const time = r.f64();
      const count = r.f64();
      this.group!.setPending(id, this.consumer!, time, count);
      this.pendingLeft--;
    } else if (this.consumersLeft > 0) {
      const name = r.str();
      const seen = r.f64();
      const pending = r.u32();
      this.consumer = this.group!.consumer(name, seen);
      this.pendingLeft = pending;
      this.consumersLeft--;
    } else {
      const name = r.str();
      const lastId = r.str();
      const entriesRead = r.f64();
      const consumers = r.u32();
      this.group = new ConsumerGroup(lastId, entriesRead);
      this.s.groups.set(name, this.group);
      this.consumersLeft = consumers;
    }
    if (this.pendingLeft > 0 || this.consumersLeft > 0) return false;
    return --this.groupsLeft === 0;
  }

  finish(): Value {
    this.s.recount();
    return this.s;
  }
}

/** Incremental parser of a snapshot stream into fresh databases. */
class SnapshotReader {
  readonly dbs: Db[];
  readonly blobs = new BlobStore();
  readonly libraries = new Map<string, string>();
  includes = -1;
  trailer: Buffer | null = null;
  records = 0;
  crc = 0;
  // An element larger than a chunk (a long string) is retried only once the bytes held have
  // doubled, so it costs O(size) copies, not O(size²).
  private held: Buffer[] = [];
  private heldBytes = 0;
  private retryAt = 0;
  private readonly build: Build;
  /** The record being read, its key and where it goes. */
  private open: { readonly record: OpenRecord; readonly db: number; readonly key: string; readonly pxat: number } | null = null;

  constructor(
    private readonly databases: number,
    hashSeed: number,
    hashLimits: PackLimits,
    zsetLimits: ZSetLimits,
  ) {
    this.dbs = Array.from({ length: databases }, () => new Db(hashSeed));
    this.build = { hashSeed, hashLimits, zsetLimits, store: (s) => this.blobs.store(s) };
  }

  /** True while a record is not complete. */
  get inRecord(): boolean {
    return this.open !== null;
  }

  push(chunk: Buffer, final: boolean): void {
    if (chunk.length > 0) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
    }
    if (this.heldBytes === 0 || (!final && this.heldBytes < this.retryAt)) return;
    const pending = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    const consumed = this.parse(pending);
    this.crc = crc32c(pending.subarray(0, consumed), this.crc);
    const rest = pending.subarray(this.trailer === null ? consumed : pending.length);
    this.held = rest.length > 0 ? [rest] : [];
    this.heldBytes = rest.length;
    this.retryAt = consumed === 0 ? this.heldBytes * 2 : 0;
  }

  private put(db: number, key: string, value: Value, pxat: number): void {
    this.dbs[db]!.keys.set(key, value, 0);
    if (pxat > 0) this.dbs[db]!.expires.set(key, pxat);
    this.records++;
  }

  /** Parses whole records and elements of the open one; returns the bytes consumed (excluding a trailer). */
  private parse(pending: Buffer): number {
    const r = new In(pending);
    let consumed = 0;
    try {
      if (this.includes < 0) {
        r.need(13);
        if (pending.toString('latin1', 0, 4) !== MAGIC || pending[4] !== VERSION) throw corrupt('bad header');
        r.pos = 5;
        this.includes = r.f64();
        consumed = r.pos;
      }
      for (;;) {
        const open = this.open;
        if (open !== null) {
          if (open.record.step(r)) {
            this.open = null;
            this.put(open.db, open.key, open.record.finish(), open.pxat);
          }
          consumed = r.pos;
          continue;
        }
        if (r.pos >= pending.length) break;
        if (this.trailer !== null) throw corrupt('bytes after the trailer');
        if (pending[r.pos] === TRAILER) {
          r.need(9);
          this.trailer = Buffer.from(pending.subarray(r.pos, r.pos + 9));
          if (r.pos + 9 !== pending.length) throw corrupt('bytes after the trailer');
          return consumed;
        }
        const type = r.u8();
        const db = r.u8();
        if (db >= this.databases) throw corrupt(`database ${db}`);
        const pxat = r.f64();
        const key = r.str();
        if (type === Type.library) {
          this.libraries.set(key, r.str());
          this.records++;
        } else if (type === Type.string) {
          this.put(db, key, this.blobs.store(r.str()), pxat);
        } else {
          this.open = { record: openRecord(r, type, this.build), db, key, pxat };
        }
        consumed = r.pos;
      }
    } catch (err) {
      if (!(err instanceof NeedMore)) throw err;
    }
    return consumed;
  }
}

/** Reads a snapshot stream; the CRC and record count are checked before anything is returned. */
export async function readSnapshot(chunks: AsyncIterable<Buffer>, databases: number, hashSeed: number, limits: { hash: PackLimits; zset: ZSetLimits }): Promise<RestoredState> {
  const reader = new SnapshotReader(databases, hashSeed, limits.hash, limits.zset);
  for await (const chunk of chunks) reader.push(chunk, false);
  reader.push(EMPTY, true);
  const trailer = reader.trailer;
  if (trailer === null || reader.inRecord) throw corrupt('missing trailer');
  if (trailer.readUInt32BE(1) !== reader.records) throw corrupt('record count mismatch');
  if (trailer.readUInt32BE(5) !== reader.crc) throw corrupt('checksum mismatch');
  return { dbs: reader.dbs, blobs: reader.blobs, libraries: reader.libraries, includes: reader.includes };
}

const EMPTY = Buffer.alloc(0);
