// Off-heap storage for string values, hash values and list elements of 64 bytes to 64 KiB.
//
// Why: a stored value that is a JS string is born in V8's young generation and survives, so
// the scavenger copies it (twice, before it is promoted), and once overwritten it is old
// garbage for the concurrent marker and the compactor. With 1 KiB values that was a third of
// the server's CPU per SET and HSET, in its GC threads and its main thread. Here a value is
// copied once into a chunk the GC never scans, and its handle is a small integer (a Smi: no
// heap object at all). A value is freed explicitly when it is overwritten or deleted, as
// Redis's zmalloc does.
//
// Layout: 4 MiB chunks, cut into blocks by a bump pointer. A block is u32 BE length + the
// latin1 bytes, rounded up to a size class (16-byte steps to 256 bytes, then 8 classes per
// power of two: at most 12.5% of a block is padding). A freed block goes to its class's free
// list and is only reused for that class; but a chunk whose blocks are all free is recycled,
// whole, when any class next needs a new chunk (its blocks leave the free lists in one pass
// over them), so a workload that moves from one value size to another reuses the memory
// instead of growing. Chunks go back to the system only when the last block is freed
// (FLUSHALL), or when MEMORY PURGE asks (`purge`: the empty ones), as memory freed under Redis
// stays with jemalloc until then: giving a chunk back and taking a fresh one later costs a page
// fault per 4 KiB, which on this machine more than doubled the cost of refilling a list popped
// empty. A handle counts 16-byte units from the start of chunk 0, so a purged chunk keeps its
// number (its buffer is dropped, and allocated again when the number is reused).
//
// Shorter values stay JS strings (a blob would cost more than it saves), and so do longer ones
// (V8 keeps strings over 128 KiB in its large-object space, never copied).
import { assert } from '../../util/assert.js';
import { IntStack } from './int-stack.js';
import { readU32BE, writeU32BE } from '../../util/bytes.js';
import { readLatin1, writeLatin1 } from '../../util/latin1.js';
import type { Scratch } from '../../util/scratch.js';

declare const blobBrand: unique symbol;
/** A handle to a block of a BlobStore. */
export type BlobRef = number & { readonly [blobBrand]: true };
/** A stored string: a JS string or a handle to the same bytes in a BlobStore. */
export type Stored = string | BlobRef;

export const MIN_BLOB = 64;
export const MAX_BLOB = 64 * 1024;

const HEADER = 4;
const CHUNK_SHIFT = 22;
const CHUNK_BYTES = 1 << CHUNK_SHIFT;
const UNIT_SHIFT = 4;
const UNITS_PER_CHUNK_SHIFT = CHUNK_SHIFT - UNIT_SHIFT;
const OFFSET_MASK = (1 << UNITS_PER_CHUNK_SHIFT) - 1;
/** Handles stay below 2^30, a Smi on every V8 build: 16 GiB of blocks. */
const MAX_CHUNKS = 1 << (30 - UNITS_PER_CHUNK_SHIFT);
/** Written over a freed block's length: a later read or a second free trips an assertion. */
const FREED = 0xffffffff;

/** The size class of a block for `n` bytes (header included): 16 classes to 256 bytes, then 8 per doubling. */
function classOf(n: number): number {
  if (n <= 256) return (n + 15) >>> 4;
  const shift = 28 - Math.clz32(n - 1);
  return 16 + (shift - 5) * 8 + (((n - 1) >>> shift) - 7);
}

/** Block bytes by size class. */
const CLASSES = classOf(MAX_BLOB + HEADER) + 1;
const CLASS_BYTES = new Array<number>(CLASSES).fill(0);
for (let n = 1; classOf(n) < CLASSES; n++) CLASS_BYTES[classOf(n)] = n;

/** What a purged chunk holds until its number is reused. */
const PURGED = Buffer.alloc(0);

export class BlobStore {
  private chunks: Buffer[] = [];
  /** Chunks not purged: those whose memory is held. */
  private allocatedChunks = 0;
  /** Blocks in use (or released while held) per chunk. */
  private chunkLive: number[] = [];
  /** Chunks that became empty since the last recycling (some may hold blocks again); each once. */
  private emptied: number[] = [];
  private isEmptied: boolean[] = [];
  /** Empty chunks taken out of the free lists, for the next new chunks. */
  private spare: number[] = [];
  /** The chunk new blocks are cut from, and where the next one goes in it. */
  private current = -1;
  private bump = CHUNK_BYTES;
  /** Free handles by size class. */
  private free: IntStack[] = emptyLists();
  private holds = 0;
  /** Handles released while held: freed when the last hold ends. */
  private deferred: BlobRef[] = [];
  private live = 0;
  private liveBlockBytes = 0;

  /** `s` itself when its length is outside the blob range (or the store is full), else a new blob. */
  store(s: string): Stored {
    const len = s.length;
    if (len < MIN_BLOB || len > MAX_BLOB) return s;
    const cls = classOf(len + HEADER);
    const size = CLASS_BYTES[cls]!;
    const ref = this.allocate(cls, size);
    if (ref < 0) return s;
    const chunk = this.chunks[ref >>> UNITS_PER_CHUNK_SHIFT]!;
    const at = (ref & OFFSET_MASK) << UNIT_SHIFT;
    writeU32BE(chunk, at, len);
    writeLatin1(chunk, s, at + HEADER, len);
    this.chunkLive[ref >>> UNITS_PER_CHUNK_SHIFT]!++;
    this.live++;
    this.liveBlockBytes += size;
    return ref as BlobRef;
  }

  /** A copy of `v` (COPY): a new blob, or the same string. */
  dup(v: Stored): Stored {
    return typeof v === 'string' ? v : this.store(this.text(v));
  }

  text(v: Stored): string {
    if (typeof v === 'string') return v;
    const chunk = this.chunkOf(v);
    const at = this.startOf(v);
    return readLatin1(chunk, at, at + this.lengthAt(chunk, at));
  }

  length(v: Stored): number {
    return typeof v === 'string' ? v.length : this.lengthAt(this.chunkOf(v), this.startOf(v));
  }

  /** Whether `v` holds the same bytes as `s`. */
  equals(v: Stored, s: string): boolean {
    return typeof v === 'string' ? v === s : this.length(v) === s.length && this.text(v) === s;
  }

  /** The chunk holding the blob's bytes, from `startOf(ref)` for `length(ref)` bytes. */
  chunkOf(ref: BlobRef): Buffer {
    return this.chunks[ref >>> UNITS_PER_CHUNK_SHIFT]!;
  }

  startOf(ref: BlobRef): number {
    return ((ref & OFFSET_MASK) << UNIT_SHIFT) + HEADER;
  }

  /** What warm() read, kept so that its loads are not optimised away; nothing else reads it. */
  warmed = 0;

  /**
   * Reads the first bytes of the blocks of `values` (strings and other values are skipped), ahead
   * of the commands that read or free them (see Dict.warm).
   */
  warm(values: Scratch<unknown>): void {
    let sink = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values.at(i);
      if (typeof v !== 'number') continue;
      const chunk = this.chunks[v >>> UNITS_PER_CHUNK_SHIFT];
      if (chunk !== undefined) sink += chunk[(v & OFFSET_MASK) << UNIT_SHIFT] ?? 0;
    }
    this.warmed = sink;
  }

  /** Frees `v`'s block (nothing for a string). The handle must not be used again. */
  release(v: Stored): void {
    // With no blob live, `v` is a string: said without reading it. A replaced value is
    // otherwise not read, and reading its type costs a cache miss per overwrite once the values
    // outgrow the CPU caches (about 30 ns here).
    if (this.live === 0 || typeof v === 'string') return;
    const chunk = this.chunkOf(v);
    const at = (v & OFFSET_MASK) << UNIT_SHIFT;
    const len = readU32BE(chunk, at);
    assert(len !== FREED, 'blob freed twice');
    if (this.holds > 0) {
      this.deferred.push(v);
      return;
    }
    writeU32BE(chunk, at, FREED);
    const cls = classOf(len + HEADER);
    this.free[cls]!.push(v);
    this.live--;
    this.liveBlockBytes -= CLASS_BYTES[cls]!;
    if (this.live === 0) {
      this.reset();
      return;
    }
    const c = v >>> UNITS_PER_CHUNK_SHIFT;
    if (--this.chunkLive[c]! === 0 && c !== this.current) this.chunkEmptied(c);
  }

  /**
   * Keeps released blocks from reuse until `unhold`: a snapshot in progress still reads values
   * that the keyspace has dropped (the databases it captured before a FLUSHDB).
   */
  hold(): void {
    this.holds++;
  }

  unhold(): void {
    assert(this.holds > 0, 'blob store not held');
    if (--this.holds > 0) return;
    const deferred = this.deferred;
    this.deferred = [];
    for (const ref of deferred) this.release(ref);
  }

  /** Blobs in use. */
  get count(): number {
    return this.live;
  }

  /** Bytes of the blocks in use (what maxmemory counts). */
  get usedBytes(): number {
    return this.liveBlockBytes;
  }

  /** Bytes of the chunks, used or free (purged ones excepted). */
  get reservedBytes(): number {
    return this.allocatedChunks * CHUNK_BYTES;
  }

  /**
   * MEMORY PURGE: drops the memory of the chunks whose blocks are all free (V8 gives it back to
   * the system once it collects the buffers). Returns the bytes dropped.
   */
  purge(): number {
    if (this.emptied.length > 0) this.recycle();
    let dropped = 0;
    for (const c of this.spare) {
      if (this.chunks[c] === PURGED) continue;
      this.chunks[c] = PURGED;
      this.allocatedChunks--;
      dropped += CHUNK_BYTES;
    }
    return dropped;
  }

  private lengthAt(chunk: Buffer, at: number): number {
    const len = readU32BE(chunk, at - HEADER);
    assert(len !== FREED, 'read of a freed blob');
    return len;
  }

  /** A handle to a free block of `size` bytes, or -1 when the store is full. */
  private allocate(cls: number, size: number): number {
    const list = this.free[cls]!;
    if (list.length > 0) return list.pop();
    if (this.bump + size > CHUNK_BYTES && !this.newChunk()) return -1;
    const ref = (this.current << UNITS_PER_CHUNK_SHIFT) | (this.bump >>> UNIT_SHIFT);
    this.bump += size;
    return ref;
  }

  /** Starts cutting blocks from another chunk, an empty one if any; false when the store is full. */
  private newChunk(): boolean {
    const previous = this.current;
    if (this.spare.length === 0 && this.emptied.length > 0) this.recycle();
    let id = this.spare.pop();
    if (id === undefined) {
      id = this.chunks.length;
      if (id === MAX_CHUNKS) return false;
      this.chunks.push(Buffer.allocUnsafeSlow(CHUNK_BYTES));
      this.allocatedChunks++;
      this.chunkLive.push(0);
      this.isEmptied.push(false);
    } else if (this.chunks[id] === PURGED) {
      this.chunks[id] = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.allocatedChunks++;
    }
    this.current = id;
    this.bump = 0;
    if (previous >= 0 && this.chunkLive[previous] === 0) this.chunkEmptied(previous);
    return true;
  }

  private chunkEmptied(c: number): void {
    if (this.isEmptied[c]) return;
    this.isEmptied[c] = true;
    this.emptied.push(c);
  }

  /**
   * Takes the chunks that are still empty out of the free lists (one pass over them all) and
   * makes them spare; a chunk that took a block again since it emptied stays as it is.
   */
  private recycle(): void {
    const empty = new Uint8Array(this.chunks.length);
    let n = 0;
    for (const c of this.emptied) {
      this.isEmptied[c] = false;
      if (this.chunkLive[c] !== 0 || c === this.current) continue;
      empty[c] = 1;
      this.spare.push(c);
      n++;
    }
    this.emptied = [];
    if (n === 0) return;
    for (const list of this.free) list.filter((ref) => empty[ref >>> UNITS_PER_CHUNK_SHIFT] === 0);
  }

  private reset(): void {
    this.chunks = [];
    this.allocatedChunks = 0;
    this.chunkLive = [];
    this.spare = [];
    this.emptied = [];
    this.isEmptied = [];
    this.current = -1;
    this.bump = CHUNK_BYTES;
    this.free = emptyLists();
  }
}

function emptyLists(): IntStack[] {
  return Array.from({ length: CLASSES }, () => new IntStack());
}
