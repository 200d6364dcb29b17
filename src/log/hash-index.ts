// A hash index on disk (RocketMQ's IndexFile): key → values (log positions of messages with
// that key or message id), for lookups by key. Files of fixed size hold a slot table and
// chained entries; the newest file is written through memory (its slot table lives in memory
// and reaches the disk when the file is sealed), older ones are read with small preads.
// Values are returned newest first; a hash can collide, so the owner checks the real key.
//
// File `<seq>.hix`: 64-byte header, then `slots` × u32 (1-based number of the newest entry of
// the bucket, 0 = none), then `capacity` × 24-byte entries.
//   header: 0 "DEPOTHIX" | 8 u32 version | 12 u32 sealed | 16 u32 slots | 20 u32 capacity |
//           24 u32 entries | 28 u32 0 | 32 u64 min value | 40 u64 max value |
//           48 u32 CRC-32C of the slot table | 52..60 0 | 60 u32 CRC-32C of [0, 60)
//   entry:  0 u64 key hash | 8 u64 value | 16 u32 previous entry (1-based, 0 = none) |
//           20 u32 CRC-32C of [0, 20)
// Checkpoint `checkpoint` (40 bytes): 0 "DEPOTHCK" | 8 u32 version | 12 u64 active seq |
//   20 u64 entries of the active file | 28 u64 covered log index | 36 u32 CRC-32C of [0, 36).
// Recovery trusts sealed files, keeps the active file's first `entries` and rebuilds its slot
// table from them, and deletes newer files.
import { join } from 'node:path';
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc32c.js';
import { DepotError, storageError } from '../util/errors.js';
import type { FdCache } from './fd-cache.js';
import { ignoreMissing, readFileIfExists, writeFileAtomic } from './file-system.js';
import { readU64, writeU64 } from './format.js';
import { hash53 } from './hash.js';
import { crc32cRange } from './small-crc.js';

export interface HashIndexOptions {
  dir: string;
  fds: FdCache;
  /** Buckets per file. Default 2^20 (4 MiB of slots, in memory for the active file). */
  slots?: number;
  /** Entries per file. Default 2^22 (96 MiB). */
  capacity?: number;
  /** Entries buffered before a write. Default 256. */
  bufferEntries?: number;
}

const HEADER = 64;
const ENTRY = 24;
const MAGIC = Buffer.from('DEPOTHIX', 'latin1');
const CK_MAGIC = Buffer.from('DEPOTHCK', 'latin1');
const CHECKPOINT = 'checkpoint';
/** Bound on entries visited by one lookup. */
const MAX_VISITS = 100_000;

interface Sealed {
  seq: number;
  path: string;
  slots: number;
  minValue: number;
  maxValue: number;
}

export class HashIndex {
  private sealed: Sealed[] = [];
  private seq = 0;
  private slotTable: Uint32Array;
  private count = 0;
  private flushed = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;
  private covered = 0;
  /** Sealed files not yet synced (sealing writes through the page cache; checkpoints sync). */
  private unsynced = new Set<string>();
  private readonly buf: Buffer;
  private readonly o: Required<HashIndexOptions>;

  private constructor(options: HashIndexOptions) {
    this.o = { slots: 1 << 20, capacity: 1 << 22, bufferEntries: 256, ...options };
    assert(this.o.slots > 0 && this.o.capacity > 0 && this.o.bufferEntries > 0);
    this.slotTable = new Uint32Array(this.o.slots);
    this.buf = Buffer.alloc(ENTRY * this.o.bufferEntries);
  }

  static async open(options: HashIndexOptions): Promise<HashIndex> {
    const index = new HashIndex(options);
    await index.recover();
    return index;
  }

  get coveredLogIndex(): number {
    return this.covered;
  }

  cover(logIndex: number): void {
    assert(logIndex >= this.covered);
    this.covered = logIndex;
  }

  /** Adds `value` (below 2^53) under `key`. */
  put(key: Uint8Array, value: number): void {
    this.putHash(hash53(key), value);
  }

  /**
   * Adds `value` under a key given by its `hash53` (for owners that hash a part of a larger
   * buffer, or with a seed per namespace, without building a key per call).
   */
  putHash(h: number, value: number): void {
    if (this.count === this.o.capacity) this.roll();
    if (this.count - this.flushed === this.o.bufferEntries) this.flush();
    const slot = h % this.o.slots;
    const at = (this.count - this.flushed) * ENTRY;
    writeU64(this.buf, h, at);
    writeU64(this.buf, value, at + 8);
    this.buf.writeUInt32LE(this.slotTable[slot]!, at + 16);
    this.buf.writeUInt32LE(crc32cRange(this.buf, at, at + 20), at + 20);
    this.count++;
    this.slotTable[slot] = this.count;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
  }

  /** Values stored under `key`, newest first, at most `limit`. */
  get(key: Uint8Array, limit = 64): number[] {
    return this.getHash(hash53(key), limit);
  }

  /** Values stored under the key whose `hash53` is `h`, newest first, at most `limit`. */
  getHash(h: number, limit = 64): number[] {
    const out: number[] = [];
    let visits = 0;
    const walk = (first: number, entry: (n: number) => Buffer) => {
      for (let n = first; n !== 0 && out.length < limit && visits++ < MAX_VISITS; ) {
        const e = entry(n);
        if (e.length < ENTRY || crc32cRange(e, 0, 20) !== e.readUInt32LE(20)) throw this.damaged();
        if (readU64(e, 0) === h) out.push(readU64(e, 8));
        n = e.readUInt32LE(16);
      }
    };
    walk(this.slotTable[h % this.o.slots]!, (n) => this.activeEntry(n));
    for (let i = this.sealed.length - 1; i >= 0 && out.length < limit; i--) {
      const s = this.sealed[i]!;
      const slot = this.pread(s.path, HEADER + 4 * (h % s.slots), 4);
      walk(slot.length === 4 ? slot.readUInt32LE(0) : 0, (n) => this.pread(s.path, HEADER + 4 * s.slots + ENTRY * (n - 1), ENTRY));
    }
    return out;
  }

  /** Retention: deletes sealed files whose values are all below `value`. */
  async dropBelow(value: number): Promise<void> {
    while (this.sealed.length > 0 && this.sealed[0]!.maxValue < value) {
      const s = this.sealed.shift()!;
      this.o.fds.forget(s.path);
      this.unsynced.delete(s.path);
      await this.o.fds.fsys.unlink(s.path).catch(ignoreMissing);
    }
  }

  /** Makes every entry durable, then records (atomically) what the index covers. */
  async checkpoint(): Promise<void> {
    this.flush();
    const state = { seq: this.seq, count: this.count, covered: this.covered };
    const unsynced = [...this.unsynced];
    this.unsynced = new Set();
    for (const path of unsynced) await this.o.fds.with(path, (fd) => this.o.fds.fsys.datasync(fd));
    // The captured file, not this.seq: puts during the awaits may have rolled to the next one.
    if (state.count > 0) await this.o.fds.with(this.path(state.seq), (fd) => this.o.fds.fsys.datasync(fd));
    const b = Buffer.alloc(40);
    CK_MAGIC.copy(b, 0);
    b.writeUInt32LE(1, 8);
    writeU64(b, state.seq, 12);
    writeU64(b, state.count, 20);
    writeU64(b, state.covered, 28);
    b.writeUInt32LE(crc32c(b.subarray(0, 36)), 36);
    await writeFileAtomic(this.o.fds.fsys, this.o.dir, CHECKPOINT, b);
  }

  private path(seq: number): string {
    return join(this.o.dir, `${String(seq).padStart(20, '0')}.hix`);
  }

  private activeEntry(n: number): Buffer {
    if (n > this.flushed) return this.buf.subarray((n - 1 - this.flushed) * ENTRY, (n - this.flushed) * ENTRY);
    return this.pread(this.path(this.seq), HEADER + 4 * this.o.slots + ENTRY * (n - 1), ENTRY);
  }

  private flush(): void {
    if (this.count === this.flushed) return;
    const path = this.path(this.seq);
    this.write(path, this.buf.subarray(0, (this.count - this.flushed) * ENTRY), HEADER + 4 * this.o.slots + ENTRY * this.flushed);
    this.flushed = this.count;
  }

  /** Seals the active file (slot table and header; synced at the next checkpoint) and starts the next. */
  private roll(): void {
    this.flush();
    const path = this.path(this.seq);
    const slots = Buffer.from(this.slotTable.buffer, this.slotTable.byteOffset, this.slotTable.byteLength);
    this.write(path, slots, HEADER);
    const h = Buffer.alloc(HEADER);
    MAGIC.copy(h, 0);
    h.writeUInt32LE(1, 8);
    h.writeUInt32LE(1, 12);
    h.writeUInt32LE(this.o.slots, 16);
    h.writeUInt32LE(this.o.capacity, 20);
    h.writeUInt32LE(this.count, 24);
    writeU64(h, this.minValue, 32);
    writeU64(h, this.maxValue, 40);
    h.writeUInt32LE(crc32c(slots), 48);
    h.writeUInt32LE(crc32c(h.subarray(0, 60)), 60);
    this.write(path, h, 0);
    this.sealed.push({ seq: this.seq, path, slots: this.o.slots, minValue: this.minValue, maxValue: this.maxValue });
    this.unsynced.add(path);
    this.seq++;
    this.slotTable = new Uint32Array(this.o.slots);
    this.count = this.flushed = 0;
    this.minValue = Infinity;
    this.maxValue = -Infinity;
  }

  private async recover(): Promise<void> {
    const fsys = this.o.fds.fsys;
    await fsys.mkdir(this.o.dir);
    const ck = await readFileIfExists(fsys, join(this.o.dir, CHECKPOINT));
    const valid = ck !== undefined && ck.length === 40 && ck.subarray(0, 8).equals(CK_MAGIC) && crc32c(ck.subarray(0, 36)) === ck.readUInt32LE(36);
    this.seq = valid ? readU64(ck, 12) : 0;
    const count = valid ? readU64(ck, 20) : 0;
    this.covered = valid ? readU64(ck, 28) : 0;
    for (const name of (await fsys.list(this.o.dir)).filter((n) => n.endsWith('.hix')).sort()) {
      const seq = Number(name.slice(0, 20));
      const path = join(this.o.dir, name);
      if (seq > this.seq || (seq === this.seq && count === 0)) await fsys.unlink(path).catch(ignoreMissing);
      else if (seq < this.seq) this.sealed.push(this.loadSealed(seq, path));
    }
    await this.rebuildSlots(count);
  }

  private loadSealed(seq: number, path: string): Sealed {
    const h = this.pread(path, 0, HEADER);
    if (h.length !== HEADER || !h.subarray(0, 8).equals(MAGIC) || h.readUInt32LE(12) !== 1 || crc32c(h.subarray(0, 60)) !== h.readUInt32LE(60)) {
      throw this.damaged(path);
    }
    return { seq, path, slots: h.readUInt32LE(16), minValue: readU64(h, 32), maxValue: readU64(h, 40) };
  }

  /** The active file's slot table from its first `count` entries (its on-disk table is not trusted). */
  private async rebuildSlots(count: number): Promise<void> {
    const path = this.path(this.seq);
    const chunk = 4096;
    for (let n = 0; n < count; n += chunk) {
      const raw = this.pread(path, HEADER + 4 * this.o.slots + ENTRY * n, ENTRY * Math.min(chunk, count - n));
      if (raw.length !== ENTRY * Math.min(chunk, count - n)) throw this.damaged(path);
      for (let at = 0; at < raw.length; at += ENTRY) {
        if (crc32cRange(raw, at, at + 20) !== raw.readUInt32LE(at + 20)) throw this.damaged(path);
        const value = readU64(raw, at + 8);
        this.slotTable[readU64(raw, at) % this.o.slots] = n + at / ENTRY + 1;
        if (value < this.minValue) this.minValue = value;
        if (value > this.maxValue) this.maxValue = value;
      }
    }
    this.count = this.flushed = count;
  }

  private pread(path: string, position: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    try {
      return out.subarray(0, this.o.fds.fsys.readSync(this.o.fds.get(path), out, position));
    } catch (err) {
      throw storageError(err, `read ${path}`);
    }
  }

  private write(path: string, data: Buffer, position: number): void {
    try {
      this.o.fds.fsys.writeSync(this.o.fds.get(path, true), [data], position);
    } catch (err) {
      throw storageError(err, `write ${path}`);
    }
  }

  private damaged(path = this.o.dir): DepotError {
    return new DepotError('CORRUPT_LOG', `hash index ${path} is damaged; rebuild it from the log`, { details: { file: path } });
  }
}
