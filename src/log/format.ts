// On-disk record and segment-header layouts (docs/storage.md has the byte tables).
// All integers are little-endian; 64-bit fields hold numbers below 2^53 (low word first).
//
// Entry record, 32-byte header then payload:
//   0  u32  crc       CRC-32C of bytes [4, 32 + length)
//   4  u32  length    payload bytes
//   8  u64  index
//   16 u64  term
//   24 u48  timestamp ms since epoch
//   30 u8   type
//   31 u8   magic     RECORD_MAGIC (format version of the record)
//   32 ...  payload
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc32c.js';
import { DepotError } from '../util/errors.js';
import { crc32cRange } from './small-crc.js';

export const RECORD_HEADER_BYTES = 32;
export const RECORD_MAGIC = 0xa5;
export const SEGMENT_HEADER_BYTES = 32;
const SEGMENT_MAGIC = Buffer.from('DEPOTSEG', 'latin1');
const FORMAT_VERSION = 1;
const TWO32 = 0x1_0000_0000;
const TWO16 = 0x1_0000;

/** An entry of the log. Structurally the raft `Entry`. */
export interface LogEntry {
  readonly index: number;
  readonly term: number;
  /** Milliseconds since the Unix epoch (48 bits are stored). */
  readonly timestamp: number;
  /** 0..255. */
  readonly type: number;
  readonly payload: Buffer;
}

export function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value >>> 0, offset);
  buf.writeUInt32LE(Math.floor(value / TWO32), offset + 4);
}

export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * TWO32;
}

export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + payloadBytes;
}

/**
 * Writes the 32-byte header of `entry`'s record at `target[offset]` (the payload follows it
 * on disk, not in `target`): the CRC covers the rest of the header, then the payload. One
 * native CRC call: the 28 header bytes are folded in JavaScript and seed the payload's CRC.
 */
export function encodeRecordHeader(target: Buffer, offset: number, entry: LogEntry): void {
  target.writeUInt32LE(entry.payload.length, offset + 4);
  writeU64(target, entry.index, offset + 8);
  writeU64(target, entry.term, offset + 16);
  target.writeUInt32LE(entry.timestamp >>> 0, offset + 24);
  target.writeUInt16LE(Math.floor(entry.timestamp / TWO32) & 0xffff, offset + 28);
  target[offset + 30] = entry.type;
  target[offset + 31] = RECORD_MAGIC;
  target.writeUInt32LE(crc32c(entry.payload, crc32cRange(target, offset + 4, offset + RECORD_HEADER_BYTES)), offset);
}

/** Result of checking one record: its total length, or why it is not a record. */
export const Torn = -1;
export const Corrupt = -2;

/**
 * Checks the record at `buf[offset]` whose bytes end no later than `end`.
 * Returns its total length, `Torn` when its header or payload runs past `end`,
 * or `Corrupt` when the magic or the CRC does not match.
 */
export function checkRecord(buf: Buffer, offset: number, end: number): number {
  if (end - offset < RECORD_HEADER_BYTES) return Torn;
  if (buf[offset + 31] !== RECORD_MAGIC) return Corrupt;
  const total = RECORD_HEADER_BYTES + buf.readUInt32LE(offset + 4);
  if (total > end - offset) return Torn;
  const crc = crc32c(buf.subarray(offset + 4, offset + total));
  return crc === buf.readUInt32LE(offset) ? total : Corrupt;
}

export function recordIndex(buf: Buffer, offset: number): number {
  return readU64(buf, offset + 8);
}

export function recordTerm(buf: Buffer, offset: number): number {
  return readU64(buf, offset + 16);
}

export function recordTimestamp(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 24) + buf.readUInt16LE(offset + 28) * TWO32;
}

/** The entry whose checked record starts at `buf[offset]`; the payload is a view, not a copy. */
export function decodeRecord(buf: Buffer, offset: number): LogEntry {
  const len = buf.readUInt32LE(offset + 4);
  return {
    index: recordIndex(buf, offset),
    term: recordTerm(buf, offset),
    timestamp: recordTimestamp(buf, offset),
    type: buf[offset + 30]!,
    payload: buf.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + len),
  };
}

// Segment header, 32 bytes at offset 0 of every segment file:
//   0  8    magic "DEPOTSEG"
//   8  u32  version
//   12 u32  generation  (of the meta file when the segment was created; see reset)
//   16 u64  base index  (the index of the segment's first entry)
//   24 u32  reserved, 0
//   28 u32  CRC-32C of bytes [0, 28)
export function encodeSegmentHeader(generation: number, base: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(generation, 12);
  writeU64(b, base, 16);
  b.writeUInt32LE(crc32c(b.subarray(0, 28)), 28);
  return b;
}

export interface SegmentHeader {
  generation: number;
  base: number;
}

/** The decoded header, or undefined when the bytes are not a valid segment header. */
export function decodeSegmentHeader(b: Buffer): SegmentHeader | undefined {
  if (b.length < SEGMENT_HEADER_BYTES) return undefined;
  if (!b.subarray(0, 8).equals(SEGMENT_MAGIC) || b.readUInt32LE(8) !== FORMAT_VERSION) return undefined;
  if (crc32c(b.subarray(0, 28)) !== b.readUInt32LE(28)) return undefined;
  return { generation: b.readUInt32LE(12), base: readU64(b, 16) };
}

// File names: the base index as 20 zero-padded digits, like Kafka and RocketMQ.
const NAME = /^(\d{20})\.(seg|idx)$/;

export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, '0')}.seg`;
}

export function indexFileName(base: number): string {
  return `${String(base).padStart(20, '0')}.idx`;
}

export function parseFileName(name: string): { base: number; kind: 'seg' | 'idx' } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const base = Number(m[1]);
  return Number.isSafeInteger(base) ? { base, kind: m[2] as 'seg' | 'idx' } : undefined;
}

/** The largest payload an entry may have; the whole record fits a u32 position delta. */
export const MAX_PAYLOAD_BYTES = 1 << 30;
export const MAX_RECORD_BYTES = RECORD_HEADER_BYTES + MAX_PAYLOAD_BYTES;
/** Bounds that a stored number must respect, checked before it is written. */
export const MAX_INDEX = Number.MAX_SAFE_INTEGER;
export const MAX_TIMESTAMP = TWO32 * TWO16 - 1;

/**
 * Checks entries about to be appended after a last term of `lastTerm`: out-of-order indexes or
 * terms are the caller's bug (thrown); a payload or field out of range is returned as the error.
 */
export function invalidEntry(entries: readonly LogEntry[], lastTerm: number, maxEntryBytes: number): DepotError | undefined {
  let term = lastTerm;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    assert(e.index === entries[0]!.index + i, 'appended indexes must be contiguous');
    assert(e.term >= term && Number.isSafeInteger(e.term), 'term %s at %s is below %s', e.term, e.index, term);
    term = e.term;
    if (e.payload.length > maxEntryBytes) {
      return new DepotError('MESSAGE_TOO_LARGE', `entry ${e.index}: ${e.payload.length} bytes > maxEntryBytes ${maxEntryBytes}`);
    }
    if (!(e.timestamp >= 0 && e.timestamp <= MAX_TIMESTAMP) || !(e.type >= 0 && e.type <= 255) || e.index > MAX_INDEX) {
      return new DepotError('BAD_REQUEST', `entry ${e.index}: timestamp, type or index out of range`);
    }
  }
  return undefined;
}
