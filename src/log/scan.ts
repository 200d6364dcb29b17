// Sequential scan of a segment file, verifying every record: used by recovery (the tail of the
// active segment), to rebuild a missing position index, and by verify().
import { assert } from '../util/assert.js';
import { DepotError } from '../util/errors.js';
import type { FileSystem } from './file-system.js';
import { checkRecord, Corrupt, MAX_RECORD_BYTES, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, RECORD_MAGIC, recordIndex, recordTerm, recordTimestamp, Torn } from './format.js';
import type { Segment } from './segment.js';
import type { TermRun } from './term-runs.js';

/** A growable array of u32 positions (off the V8 heap's object space). */
export class PositionList {
  private data: Uint32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Uint32Array(Math.max(16, capacity));
  }

  static from(values: Uint32Array): PositionList {
    const list = new PositionList(values.length);
    list.data.set(values);
    list.length = values.length;
    return list;
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  at(k: number): number {
    assert(k >= 0 && k < this.length, 'position %s out of %s', k, this.length);
    return this.data[k]!;
  }

  truncate(length: number): void {
    assert(length <= this.length);
    this.length = length;
  }

  view(from = 0, to = this.length): Uint32Array {
    return this.data.subarray(from, to);
  }
}

export type ScanStop = 'end' | 'torn' | 'corrupt' | 'out-of-order';

export interface ScanResult {
  positions: PositionList;
  /** File position after the last good record. */
  end: number;
  maxTimestamp: number;
  /** Term runs starting inside the scanned records. */
  runs: TermRun[];
  lastTerm: number;
  stop: ScanStop;
}

const CHUNK_BYTES = 4 << 20;

/**
 * Reads records from `start` to `fileSize`, expecting indexes from `firstIndex` on, and stops
 * at the end of the file or at the first record that is torn, corrupt or out of order.
 * `prevTerm` is the term of the entry before `firstIndex` (−1 if none): runs are reported
 * only where the term changes.
 */
export async function scanRecords(
  fsys: FileSystem,
  fd: number,
  fileSize: number,
  start: number,
  firstIndex: number,
  prevTerm: number,
): Promise<ScanResult> {
  const positions = new PositionList();
  const runs: TermRun[] = [];
  let maxTimestamp = 0;
  let term = prevTerm;
  let pos = start;
  let buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(RECORD_HEADER_BYTES, fileSize - start)));
  let bufStart = -1;
  let bufEnd = -1;
  let stop: ScanStop = 'end';
  while (pos < fileSize) {
    if (pos + RECORD_HEADER_BYTES > bufEnd || bufStart < 0) {
      ({ bufStart, bufEnd } = await fill(fsys, fd, buf, pos, fileSize));
    }
    let total = checkRecord(buf, pos - bufStart, bufEnd - bufStart);
    if (total === Torn && bufEnd < fileSize) {
      const need = RECORD_HEADER_BYTES + buf.readUInt32LE(pos - bufStart + 4);
      if (need > MAX_RECORD_BYTES) {
        stop = 'corrupt';
        break;
      }
      if (need > buf.length && pos + need <= fileSize) buf = Buffer.allocUnsafe(need);
      ({ bufStart, bufEnd } = await fill(fsys, fd, buf, pos, fileSize));
      total = checkRecord(buf, 0, bufEnd - bufStart);
    }
    if (total === Torn || total === Corrupt) {
      stop = total === Torn ? 'torn' : 'corrupt';
      break;
    }
    const off = pos - bufStart;
    const t = recordTerm(buf, off);
    if (recordIndex(buf, off) !== firstIndex + positions.length || t < term) {
      stop = 'out-of-order';
      break;
    }
    if (t !== term) {
      runs.push({ start: firstIndex + positions.length, term: t });
      term = t;
    }
    maxTimestamp = Math.max(maxTimestamp, recordTimestamp(buf, off));
    positions.push(pos);
    pos += total;
  }
  return { positions, end: pos, maxTimestamp, runs, lastTerm: term, stop };
}

/**
 * Scans the records of a segment file from its header up to `bytes`, which must hold exactly
 * `count` valid records from index `base`; anything else is reported as CORRUPT_LOG.
 */
export async function scanWhole(fsys: FileSystem, path: string, base: number, bytes: number, count: number, prevTerm: number): Promise<ScanResult> {
  const fd = await fsys.open(path, 'read');
  const scan = await scanRecords(fsys, fd, bytes, SEGMENT_HEADER_BYTES, base, prevTerm).finally(() => fsys.close(fd));
  if (scan.positions.length !== count || scan.end !== bytes) {
    const at = base + scan.positions.length;
    throw new DepotError('CORRUPT_LOG', `${path}: damaged at entry ${at} (byte ${scan.end}, ${scan.stop})`, {
      details: { file: path, index: at, position: scan.end },
    });
  }
  return scan;
}

/**
 * Scans `segments` in full up to `end` (the written mark: later segments may not exist on disk
 * yet), checking every record as `scanWhole` does.
 */
export async function verifyUpTo(
  fsys: FileSystem,
  segments: readonly Segment[],
  end: { readonly segment: Segment; readonly pos: number; readonly index: number },
): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  let prevTerm = -1;
  for (const seg of segments) {
    const last = seg === end.segment;
    const size = last ? end.pos : seg.bytes;
    const count = last ? end.index - seg.base + 1 : seg.count;
    const scan = await scanWhole(fsys, seg.path, seg.base, size, count, prevTerm);
    prevTerm = scan.lastTerm;
    entries += count;
    bytes += size;
    if (last) break;
  }
  return { entries, bytes };
}

async function fill(fsys: FileSystem, fd: number, buf: Buffer, pos: number, fileSize: number) {
  const n = await fsys.read(fd, buf.subarray(0, Math.min(buf.length, fileSize - pos)), pos);
  return { bufStart: pos, bufEnd: pos + n };
}

/**
 * Whether a valid record with an index above `afterIndex` starts anywhere in [from, fileSize):
 * tells a torn tail (nothing valid after the damage) from damage in the middle of the data.
 */
export async function validRecordAfter(fsys: FileSystem, fd: number, fileSize: number, from: number, afterIndex: number): Promise<boolean> {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let start = from; start < fileSize; start += CHUNK_BYTES - RECORD_HEADER_BYTES) {
    const n = await fsys.read(fd, buf.subarray(0, Math.min(CHUNK_BYTES, fileSize - start)), start);
    for (let off = 0; off + RECORD_HEADER_BYTES <= n; off++) {
      if (buf[off + 31] !== RECORD_MAGIC) continue;
      const index = recordIndex(buf, off);
      if (index <= afterIndex || index > afterIndex + 0xffffffff) continue;
      const len = RECORD_HEADER_BYTES + buf.readUInt32LE(off + 4);
      if (len > MAX_RECORD_BYTES || start + off + len > fileSize) continue;
      const record = off + len <= n ? buf.subarray(off, off + len) : Buffer.allocUnsafe(len);
      if (off + len > n) await fsys.read(fd, record, start + off);
      if (checkRecord(record, 0, len) > 0) return true;
    }
    if (n < CHUNK_BYTES) break;
  }
  return false;
}
