// A per-queue offset index (RocketMQ's ConsumeQueue): logical offset → where the message is
// in the log (entry index and byte position inside the entry's payload), its size, a 64-bit
// tag hash for filtering and its timestamp, in fixed 40-byte records so that an offset is one
// multiplication away. A sparse time index (timestamp → offset) rides along.
//
// Both are derived data: the owner (broker) appends as it applies the log and calls
// `cover(logIndex)` for each entry it has processed; `checkpoint()` makes the records durable
// and records the log index they cover. After a crash, `open` cuts everything after the last
// checkpoint and the owner replays the log from `coveredLogIndex + 1` (see catch-up.ts).
// An owner of many indexes may keep their checkpoints itself, in one file (`state` option,
// `captureState()` then `sync()`), instead of one atomically replaced file per index.
//
// Offset record (40 bytes, little-endian):
//   0 u64 log index  8 u32 position  12 u32 size  16 u64 tag hash  24 u64 timestamp
//   32 u32 reserved  36 u32 CRC-32C of [0, 36)
// Time record (24 bytes): 0 u64 max timestamp of all records before `offset`  8 u64 offset
//   16 u32 reserved  20 u32 CRC-32C of [0, 20)
// Checkpoint file `checkpoint` (64 bytes): magic "DEPOTOIX", u32 version, u32 0, u64 first
//   offset, u64 next offset, u64 time records, u64 covered log index, u64 max timestamp,
//   u32 0, u32 CRC-32C of [0, 60)
import { join } from 'node:path';
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc32c.js';
import { DepotError } from '../util/errors.js';
import type { FdCache } from './fd-cache.js';
import { readFileIfExists, writeFileAtomic } from './file-system.js';
import { readU64, writeU64 } from './format.js';
import { RecordFile } from './record-file.js';
import { crc32cRange } from './small-crc.js';

export interface OffsetRecord {
  readonly logIndex: number;
  readonly position: number;
  readonly size: number;
  /** Below 2^53 (see hash.ts). */
  readonly tagHash: number;
  readonly timestamp: number;
}

export interface OffsetIndexOptions {
  dir: string;
  fds: FdCache;
  /** Records per file. Default 2^20 (40 MiB files). */
  recordsPerFile?: number;
  /** Records buffered in memory before a write. Default 64 (2.5 KiB). */
  bufferRecords?: number;
  /** Offsets between time records. Default 1024. */
  timeInterval?: number;
  /**
   * Present when the owner keeps this index's checkpoint (bytes from `captureState()`, or
   * undefined for a new index): the `checkpoint` file of the directory is then not used.
   */
  state?: { bytes: Buffer | undefined };
}

/** What a checkpoint records (the 64-byte `checkpoint` file holds it encoded). */
export interface OffsetIndexState {
  readonly first: number;
  readonly next: number;
  readonly timeCount: number;
  readonly covered: number;
  readonly maxTimestamp: number;
}

/** Called for each record by `visit`; return false to stop. */
export type RecordVisitor = (offset: number, logIndex: number, position: number, size: number, tagHash: number, timestamp: number) => boolean | void;

const RECORD = 40;
const TIME_RECORD = 24;
const MAGIC = Buffer.from('DEPOTOIX', 'latin1');
const CHECKPOINT = 'checkpoint';
/** Bound on records returned by one `range` call. */
export const MAX_RANGE = 4096;
/** Bytes of an encoded `OffsetIndexState`. */
export const OFFSET_INDEX_STATE_BYTES = 64;

type State = OffsetIndexState;

export class OffsetIndex {
  private covered: number;
  private maxTimestamp: number;
  private lastTimeOffset: number;

  private constructor(
    private readonly o: Required<Omit<OffsetIndexOptions, 'state'>> & Pick<OffsetIndexOptions, 'state'>,
    private readonly records: RecordFile,
    private readonly times: RecordFile,
    s: State,
  ) {
    this.covered = s.covered;
    this.maxTimestamp = s.maxTimestamp;
    this.lastTimeOffset = s.timeCount > 0 ? this.timeAt(s.timeCount - 1).offset : -Infinity;
  }

  static async open(options: OffsetIndexOptions): Promise<OffsetIndex> {
    const o = { recordsPerFile: 1 << 20, bufferRecords: 64, timeInterval: 1024, state: undefined, ...options };
    await o.fds.fsys.mkdir(o.dir);
    const s = decodeOffsetIndexState(o.state !== undefined ? o.state.bytes : await readFileIfExists(o.fds.fsys, join(o.dir, CHECKPOINT)));
    const records = new RecordFile({ dir: o.dir, ext: '.oix', width: RECORD, perFile: o.recordsPerFile, bufferRecords: o.bufferRecords, fds: o.fds });
    const times = new RecordFile({ dir: o.dir, ext: '.tix', width: TIME_RECORD, perFile: o.recordsPerFile, bufferRecords: 1, fds: o.fds });
    const names = await o.fds.fsys.list(o.dir);
    await records.restore(s.first, s.next, names);
    await times.restore(0, s.timeCount, names);
    return new OffsetIndex(o, records, times, s);
  }

  get firstOffset(): number {
    return this.records.first;
  }

  get nextOffset(): number {
    return this.records.count;
  }

  /** The log index up to which the owner has processed the log into this index. */
  get coveredLogIndex(): number {
    return this.covered;
  }

  append(offset: number, r: OffsetRecord): void {
    this.appendFields(offset, r.logIndex, r.position, r.size, r.tagHash, r.timestamp);
  }

  /** `append` without a record object (the broker's reput path). */
  appendFields(offset: number, logIndex: number, position: number, size: number, tagHash: number, timestamp: number): void {
    assert(offset === this.records.count, 'offset %s appended, expected %s', offset, this.records.count);
    if (offset - this.lastTimeOffset >= this.o.timeInterval && offset > this.records.first) {
      const t = this.times.append();
      const tb = this.times.buffer;
      writeU64(tb, this.maxTimestamp, t);
      writeU64(tb, offset, t + 8);
      tb.writeUInt32LE(crc32cRange(tb, t, t + 20), t + 20);
      this.lastTimeOffset = offset;
    }
    const at = this.records.append();
    const buf = this.records.buffer;
    writeU64(buf, logIndex, at);
    buf.writeUInt32LE(position, at + 8);
    buf.writeUInt32LE(size, at + 12);
    writeU64(buf, tagHash, at + 16);
    writeU64(buf, timestamp, at + 24);
    buf.writeUInt32LE(crc32cRange(buf, at, at + 36), at + 36);
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  /** Records that the log has been processed up to `logIndex` (for the next checkpoint). */
  cover(logIndex: number): void {
    assert(logIndex >= this.covered, 'covered log index went back from %s to %s', this.covered, logIndex);
    this.covered = logIndex;
  }

  get(offset: number): OffsetRecord {
    return this.range(offset, 1)[0]!;
  }

  /** Records from `offset` on, at most `max` (≤ MAX_RANGE), within one file. */
  range(offset: number, max: number): OffsetRecord[] {
    this.checkOffset(offset);
    const raw = this.records.readRange(offset, Math.min(max, MAX_RANGE));
    const out: OffsetRecord[] = [];
    for (let at = 0; at < raw.length; at += RECORD) {
      if (crc32cRange(raw, at, at + 36) !== raw.readUInt32LE(at + 36)) throw this.damaged(offset + at / RECORD);
      out.push({
        logIndex: readU64(raw, at),
        position: raw.readUInt32LE(at + 8),
        size: raw.readUInt32LE(at + 12),
        tagHash: readU64(raw, at + 16),
        timestamp: readU64(raw, at + 24),
      });
    }
    if (out.length === 0) throw this.damaged(offset);
    return out;
  }

  /**
   * Calls `fn` for the records from `offset` on, at most `max` (≤ MAX_RANGE), within one file,
   * without an object per record (the consumers' read path). Returns how many were visited.
   */
  visit(offset: number, max: number, fn: RecordVisitor): number {
    this.checkOffset(offset);
    const raw = this.records.readRange(offset, Math.min(max, MAX_RANGE));
    if (raw.length === 0) throw this.damaged(offset);
    let n = 0;
    for (let at = 0; at < raw.length; at += RECORD) {
      if (crc32cRange(raw, at, at + 36) !== raw.readUInt32LE(at + 36)) throw this.damaged(offset + n);
      n++;
      if (fn(offset + n - 1, readU64(raw, at), raw.readUInt32LE(at + 8), raw.readUInt32LE(at + 12), readU64(raw, at + 16), readU64(raw, at + 24)) === false) break;
    }
    return n;
  }

  /** The first offset whose timestamp is at or after `timestamp` (nextOffset if none). */
  offsetForTime(timestamp: number): number {
    let lo = 0;
    let hi = this.times.count - 1;
    let start = this.records.first;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.timeAt(mid);
      if (t.maxTimestamp < timestamp) {
        start = Math.max(start, t.offset);
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Bounded by the index's length; in practice by one time interval (see the time record).
    for (let offset = start; offset < this.records.count; ) {
      const batch = this.range(offset, MAX_RANGE);
      for (let i = 0; i < batch.length; i++) if (batch[i]!.timestamp >= timestamp) return offset + i;
      offset += batch.length;
    }
    return this.records.count;
  }

  /** Forgets offsets from `offset` on (the owner rewinds and reappends). */
  async truncateFrom(offset: number): Promise<void> {
    await this.records.truncateFrom(Math.max(offset, this.records.first));
    let k = this.times.count;
    while (k > 0 && this.timeAt(k - 1).offset >= offset) k--;
    await this.times.truncateFrom(k);
    this.lastTimeOffset = k > 0 ? this.timeAt(k - 1).offset : -Infinity;
  }

  /** Retention: drops whole files of offsets below `offset`. */
  async dropBefore(offset: number): Promise<void> {
    await this.records.dropBefore(offset);
  }

  /** Makes the records durable, then records (atomically) what they cover. */
  async checkpoint(): Promise<void> {
    const s = this.captureState();
    await this.sync();
    await writeFileAtomic(this.o.fds.fsys, this.o.dir, CHECKPOINT, s);
  }

  /**
   * The checkpoint of the index as it is now (encoded), for an owner that stores it itself:
   * it becomes valid once a `sync()` started after this call has completed.
   */
  captureState(): Buffer {
    return encodeOffsetIndexState({ first: this.records.first, next: this.records.count, timeCount: this.times.count, covered: this.covered, maxTimestamp: this.maxTimestamp });
  }

  /** Writes and fdatasyncs every record appended so far. */
  async sync(): Promise<void> {
    await this.records.sync();
    await this.times.sync();
  }

  private checkOffset(offset: number): void {
    if (offset < this.records.first || offset >= this.records.count || !Number.isSafeInteger(offset)) {
      throw new DepotError('INVALID_OFFSET', `offset ${offset} is outside ${this.records.first}..${this.records.count - 1}`, {
        details: { offset, first: this.records.first, next: this.records.count },
      });
    }
  }

  private timeAt(k: number): { maxTimestamp: number; offset: number } {
    const raw = this.times.read(k);
    if (raw.length < TIME_RECORD || crc32c(raw.subarray(0, 20)) !== raw.readUInt32LE(20)) throw this.damaged(-1);
    return { maxTimestamp: readU64(raw, 0), offset: readU64(raw, 8) };
  }

  private damaged(offset: number): DepotError {
    return new DepotError('CORRUPT_LOG', `offset index ${this.o.dir} is damaged${offset >= 0 ? ` at offset ${offset}` : ' (time index)'}; rebuild it from the log`, {
      details: { dir: this.o.dir, offset },
    });
  }
}

export function encodeOffsetIndexState(s: OffsetIndexState): Buffer {
  const b = Buffer.alloc(OFFSET_INDEX_STATE_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(1, 8);
  writeU64(b, s.first, 16);
  writeU64(b, s.next, 24);
  writeU64(b, s.timeCount, 32);
  writeU64(b, s.covered, 40);
  writeU64(b, s.maxTimestamp, 48);
  b.writeUInt32LE(crc32c(b.subarray(0, 60)), 60);
  return b;
}

/** The checkpointed state; an index without a valid checkpoint starts empty (and is rebuilt). */
export function decodeOffsetIndexState(b: Buffer | undefined): OffsetIndexState {
  const empty = { first: 0, next: 0, timeCount: 0, covered: 0, maxTimestamp: 0 };
  if (b === undefined || b.length !== 64 || !b.subarray(0, 8).equals(MAGIC) || b.readUInt32LE(8) !== 1) return empty;
  if (crc32c(b.subarray(0, 60)) !== b.readUInt32LE(60)) return empty;
  return { first: readU64(b, 16), next: readU64(b, 24), timeCount: readU64(b, 32), covered: readU64(b, 40), maxTimestamp: readU64(b, 48) };
}
