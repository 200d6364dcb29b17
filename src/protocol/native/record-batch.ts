// Record batches: the unit in which messages travel from producer to broker and are stored in
// the group's log, unchanged (the broker checks them, it never re-encodes them).
//
// Batch:   magic u8 (=1) | attributes u8 (=0) | count u32 | crc u32 | records
//          crc is CRC-32C of the records section (every byte after the crc field).
// Record:  length u32 (bytes after this field) | timestamp u64 (producer, ms) | flags u8
//          [key: u16 length + UTF-8]   when flags & 1
//          [tag: u16 length + UTF-8]   when flags & 2
//          headerCount u16, each: name (u16 length + UTF-8) value (u32 length + bytes)
//          body: u32 length + bytes
import { crc32c } from '../../util/crc32c.js';
import { DepotError } from '../../util/errors.js';
import { readU64, writeU64 } from './codec.js';

export const BATCH_MAGIC = 1;
export const BATCH_HEADER_BYTES = 10;
const CRC_OFFSET = 6;
const FLAG_KEY = 1;
const FLAG_TAG = 2;
/** Smallest record: length, timestamp, flags, header count, body length. */
const MIN_RECORD_BYTES = 4 + 8 + 1 + 2 + 4;
/** Bounds a batch so a message id's position field and the index always fit. */
export const MAX_BATCH_RECORDS = 1_000_000;

export interface MessageInput {
  key?: string;
  tag?: string;
  headers?: Readonly<Record<string, string>>;
  body: Uint8Array | string;
  /** Producer timestamp in ms; the producer's clock when omitted. */
  timestamp?: number;
}

/** What the broker needs from a stored record without touching its body. */
export interface RecordInfo {
  /** Byte offset of the record (its length field) within the batch. */
  offset: number;
  /** Bytes of the whole record, length field included. */
  size: number;
  timestamp: number;
  /** FNV-1a of the tag's UTF-8 bytes; 0 when the record has no tag. */
  tagHash: number;
  /** Length of the body, for the max-message-size check. */
  bodyBytes: number;
}

export interface DecodedRecord {
  timestamp: number;
  key: string | undefined;
  tag: string | undefined;
  headers: Record<string, string>;
  /** A view into the received bytes. */
  body: Buffer;
}

export function encodedRecordBytes(m: MessageInput): number {
  let n = MIN_RECORD_BYTES + bodyBytes(m.body);
  if (m.key !== undefined) n += 2 + Buffer.byteLength(m.key);
  if (m.tag !== undefined) n += 2 + Buffer.byteLength(m.tag);
  for (const name in m.headers) n += 6 + Buffer.byteLength(name) + Buffer.byteLength(m.headers[name]!);
  return n;
}

function bodyBytes(b: Uint8Array | string): number {
  return typeof b === 'string' ? Buffer.byteLength(b) : b.length;
}

/** Encodes `messages` into one batch; `now` is the default producer timestamp. */
export function encodeBatch(messages: readonly MessageInput[], now: number): Buffer {
  if (messages.length === 0 || messages.length > MAX_BATCH_RECORDS) {
    throw new DepotError('INVALID_MESSAGE', `a batch holds 1 to ${MAX_BATCH_RECORDS} messages, got ${messages.length}`);
  }
  let total = BATCH_HEADER_BYTES;
  for (const m of messages) total += encodedRecordBytes(m);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt8(BATCH_MAGIC, 0);
  out.writeUInt8(0, 1);
  out.writeUInt32BE(messages.length, 2);
  let pos = BATCH_HEADER_BYTES;
  for (const m of messages) pos = writeRecord(out, pos, m, now);
  out.writeUInt32BE(crc32c(out.subarray(BATCH_HEADER_BYTES)), CRC_OFFSET);
  return out;
}

function writeRecord(out: Buffer, start: number, m: MessageInput, now: number): number {
  let pos = start + 4;
  writeU64(out, pos, m.timestamp ?? now);
  pos += 8;
  out.writeUInt8((m.key !== undefined ? FLAG_KEY : 0) | (m.tag !== undefined ? FLAG_TAG : 0), pos++);
  if (m.key !== undefined) pos = writeShortString(out, pos, m.key, 'key');
  if (m.tag !== undefined) pos = writeShortString(out, pos, m.tag, 'tag');
  const names = m.headers === undefined ? [] : Object.keys(m.headers);
  if (names.length > 0xffff) throw new DepotError('INVALID_MESSAGE', 'a message has at most 65535 headers');
  out.writeUInt16BE(names.length, pos);
  pos += 2;
  for (const name of names) {
    pos = writeShortString(out, pos, name, 'header name');
    const n = out.write(m.headers![name]!, pos + 4);
    out.writeUInt32BE(n, pos);
    pos += 4 + n;
  }
  const body = typeof m.body === 'string' ? Buffer.from(m.body) : m.body;
  out.writeUInt32BE(body.length, pos);
  out.set(body, pos + 4);
  pos += 4 + body.length;
  out.writeUInt32BE(pos - start - 4, start);
  return pos;
}

function writeShortString(out: Buffer, pos: number, s: string, what: string): number {
  const n = out.write(s, pos + 2);
  if (n > 0xffff) throw new DepotError('INVALID_MESSAGE', `${what} exceeds 65535 bytes`);
  out.writeUInt16BE(n, pos);
  return pos + 2 + n;
}

/** Record count from the batch header (validated by `scanBatch`). */
export function batchCount(batch: Buffer): number {
  return batch.readUInt32BE(2);
}

/**
 * Checks a batch received from a client (magic, CRC, every record's structure, the body size
 * limit) without an object per record; returns the record count. Throws INVALID_MESSAGE,
 * CRC_MISMATCH or MESSAGE_TOO_LARGE; never reads outside `batch`.
 */
export function checkBatch(batch: Buffer, maxBodyBytes = Number.MAX_SAFE_INTEGER): number {
  if (batch.length < BATCH_HEADER_BYTES) throw new DepotError('INVALID_MESSAGE', `batch of ${batch.length} bytes is shorter than its header`);
  if (batch.readUInt8(0) !== BATCH_MAGIC) throw new DepotError('INVALID_MESSAGE', `unknown batch magic ${batch.readUInt8(0)}`);
  if (batch.readUInt8(1) !== 0) throw new DepotError('INVALID_MESSAGE', `unknown batch attributes ${batch.readUInt8(1)}`);
  const count = batch.readUInt32BE(2);
  if (count === 0 || count > MAX_BATCH_RECORDS) throw new DepotError('INVALID_MESSAGE', `batch count ${count} is outside 1..${MAX_BATCH_RECORDS}`);
  if (count * MIN_RECORD_BYTES > batch.length - BATCH_HEADER_BYTES) throw new DepotError('INVALID_MESSAGE', `batch of ${batch.length} bytes cannot hold ${count} records`);
  const crc = crc32c(batch.subarray(BATCH_HEADER_BYTES));
  if (crc !== batch.readUInt32BE(CRC_OFFSET)) throw new DepotError('CRC_MISMATCH', 'record batch CRC-32C does not match its contents');
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const body = checkRecord(batch, pos);
    if (body > maxBodyBytes) {
      throw new DepotError('MESSAGE_TOO_LARGE', `message body of ${body} bytes exceeds the topic's limit of ${maxBodyBytes}`, {
        details: { limit: maxBodyBytes, size: body },
      });
    }
    pos += 4 + batch.readUInt32BE(pos);
  }
  if (pos !== batch.length) throw new DepotError('INVALID_MESSAGE', `${batch.length - pos} trailing bytes after the last record`);
  return count;
}

/** `checkBatch`, returning where each record is. */
export function scanBatch(batch: Buffer, maxBodyBytes = Number.MAX_SAFE_INTEGER): RecordInfo[] {
  const count = checkBatch(batch, maxBodyBytes);
  const infos: RecordInfo[] = new Array(count);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    infos[i] = scanRecord(batch, pos);
    pos += infos[i]!.size;
  }
  return infos;
}

/** Structure of the record at `start`; throws INVALID_MESSAGE if it does not fit its length. */
export function scanRecord(batch: Buffer, start: number): RecordInfo {
  const bodyBytes = checkRecord(batch, start);
  return { offset: start, size: storedRecordSize(batch, start), timestamp: readU64(batch, start + 4), tagHash: storedRecordTagHash(batch, start), bodyBytes };
}

/**
 * Checks that the record at `start` is well formed within `batch`; returns its body length.
 * Runs once per produced message: no closure or object per call.
 */
function checkRecord(batch: Buffer, start: number): number {
  if (start + MIN_RECORD_BYTES > batch.length) throw invalid(start, 'truncated');
  const size = 4 + batch.readUInt32BE(start);
  const end = start + size;
  if (size < MIN_RECORD_BYTES || end > batch.length) throw invalid(start, `length ${size} does not fit the batch`);
  readU64(batch, start + 4);
  const flags = batch[start + 12]!;
  let pos = start + 13;
  for (let f = FLAG_KEY; f <= FLAG_TAG; f <<= 1) {
    if ((flags & f) === 0) continue;
    if (pos + 2 > end) throw invalid(start, 'truncated string');
    pos += 2 + batch.readUInt16BE(pos);
    if (pos > end) throw invalid(start, 'string overruns the record');
  }
  if (pos + 2 > end) throw invalid(start, 'truncated header count');
  const headers = batch.readUInt16BE(pos);
  pos += 2;
  for (let h = 0; h < headers; h++) {
    if (pos + 2 > end) throw invalid(start, 'truncated header name');
    pos += 2 + batch.readUInt16BE(pos);
    if (pos + 4 > end) throw invalid(start, 'truncated header value');
    pos += 4 + batch.readUInt32BE(pos);
    if (pos > end) throw invalid(start, 'header value overruns the record');
  }
  if (pos + 4 > end) throw invalid(start, 'truncated body length');
  const bodyLen = batch.readUInt32BE(pos);
  if (pos + 4 + bodyLen !== end) throw invalid(start, 'body length does not match the record length');
  return bodyLen;
}

function invalid(start: number, why: string): DepotError {
  return new DepotError('INVALID_MESSAGE', `record at byte ${start}: ${why}`);
}

// Field access to a record already checked by `scanBatch` (as stored in the log), without an
// object per record: the broker's index builder reads every stored record this way.

/** Bytes of the valid record at `pos`, its length field included. */
export function storedRecordSize(buf: Buffer, pos: number): number {
  return 4 + buf.readUInt32BE(pos);
}

/** Offset of the key's u16 length field in the valid record at `pos`, or -1 without a key. */
export function storedRecordKeyAt(buf: Buffer, pos: number): number {
  return (buf[pos + 12]! & FLAG_KEY) !== 0 ? pos + 13 : -1;
}

/** Tag hash (as in `RecordInfo`) of the valid record at `pos`; 0 without a tag. */
export function storedRecordTagHash(buf: Buffer, pos: number): number {
  const flags = buf[pos + 12]!;
  if ((flags & FLAG_TAG) === 0) return 0;
  let at = pos + 13;
  if ((flags & FLAG_KEY) !== 0) at += 2 + buf.readUInt16BE(at);
  return fnv1a(buf, at + 2, at + 2 + buf.readUInt16BE(at));
}

/**
 * Decodes the record stored at `start` of `buf` (starting at its length field), checking that it
 * is well formed within its length. Strings are copied, the body is a view.
 */
export function decodeRecord(buf: Buffer, start = 0): DecodedRecord {
  const info = scanRecord(buf, start);
  const flags = buf.readUInt8(start + 12);
  let pos = start + 13;
  const readShort = (): string => {
    const n = buf.readUInt16BE(pos);
    const s = buf.toString('utf8', pos + 2, pos + 2 + n);
    pos += 2 + n;
    return s;
  };
  const key = flags & FLAG_KEY ? readShort() : undefined;
  const tag = flags & FLAG_TAG ? readShort() : undefined;
  // No prototype: a header named __proto__ is just a header.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const count = buf.readUInt16BE(pos);
  pos += 2;
  for (let h = 0; h < count; h++) {
    const name = readShort();
    const n = buf.readUInt32BE(pos);
    headers[name] = buf.toString('utf8', pos + 4, pos + 4 + n);
    pos += 4 + n;
  }
  const n = buf.readUInt32BE(pos);
  return { timestamp: info.timestamp, key, tag, headers, body: buf.subarray(pos + 4, pos + 4 + n) };
}

/** FNV-1a (32-bit) of bytes [from, to); never 0, so 0 can mean "no tag". */
export function fnv1a(buf: Uint8Array, from = 0, to = buf.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= buf[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

export function tagHash(tag: string): number {
  return fnv1a(Buffer.from(tag));
}
