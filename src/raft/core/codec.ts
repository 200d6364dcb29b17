// Binary form of raft messages on the wire (docs/raft.md, "Wire format"). Pure functions over
// Buffers; integers are big-endian, 64-bit fields hold JS safe integers (< 2^53).
//
//   message := type u8 | from u32 | to u32 | term u64 | logTerm u64 | index u64 | commit u64
//              | flags u8 (bit 0: reject, bit 1: has snapshot) | rejectHint u64 | context u64
//              | [snapshot] | entryCount u32 | entry*
//   snapshot := index u64 | term u64 | voterCount u16 | voter u32* | learnerCount u16 | learner u32*
//   entry := index u64 | term u64 | timestamp u64 | type u8 | length u32 | payload
import { DepotError } from '../../util/errors.js';
import { ByteReader } from './byte-reader.js';
import { messageTypeName, type ConfState, type Entry, type Message, type MessageType, type SnapshotMeta } from './types.js';

const HEADER_BYTES = 1 + 4 + 4 + 8 * 4 + 1 + 8 + 8;
const ENTRY_HEADER_BYTES = 8 * 3 + 1 + 4;
const TWO32 = 0x1_0000_0000;

function putU64(b: Buffer, v: number, o: number): number {
  b.writeUInt32BE(Math.floor(v / TWO32), o);
  b.writeUInt32BE(v >>> 0, o + 4);
  return o + 8;
}

function getU64(b: Buffer, o: number): number {
  const v = b.readUInt32BE(o) * TWO32 + b.readUInt32BE(o + 4);
  if (!Number.isSafeInteger(v)) throw new DepotError('MALFORMED_FRAME', `64-bit field at ${o} exceeds 2^53`);
  return v;
}

function confBytes(c: ConfState): number {
  return 4 + 4 * (c.voters.length + c.learners.length);
}

export function encodedMessageBytes(m: Message): number {
  return encodedHeadBytes(m) + encodedEntriesBytes(m.entries);
}

/** Bytes of a message up to and including its entry count (everything but the entries). */
export function encodedHeadBytes(m: Message): number {
  return HEADER_BYTES + 4 + (m.snapshot ? 16 + confBytes(m.snapshot.conf) : 0);
}

export function encodedEntriesBytes(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += ENTRY_HEADER_BYTES + e.payload.length;
  return n;
}

/** Writes `m` at `o` in `b` (sized by encodedMessageBytes); returns the offset after it. */
export function encodeMessageInto(m: Message, b: Buffer, o: number): number {
  return encodeEntriesInto(m.entries, b, encodeMessageHeadInto(m, b, o));
}

/**
 * Writes `m` without its entries (sized by encodedHeadBytes); its entries must follow, as
 * written by encodeEntriesInto. Split so that one encoding of entries can follow the heads of
 * several messages (the same append to several followers).
 */
export function encodeMessageHeadInto(m: Message, b: Buffer, o: number): number {
  b.writeUInt8(m.type, o);
  b.writeUInt32BE(m.from, o + 1);
  b.writeUInt32BE(m.to, o + 5);
  o = putU64(b, m.term, o + 9);
  o = putU64(b, m.logTerm, o);
  o = putU64(b, m.index, o);
  o = putU64(b, m.commit, o);
  b.writeUInt8((m.reject ? 1 : 0) | (m.snapshot ? 2 : 0), o);
  o = putU64(b, m.rejectHint, o + 1);
  o = putU64(b, m.context, o);
  if (m.snapshot) o = encodeSnapshotMeta(m.snapshot, b, o);
  b.writeUInt32BE(m.entries.length, o);
  return o + 4;
}

/** Writes `ents` at `o` in `b` (sized by encodedEntriesBytes); returns the offset after them. */
export function encodeEntriesInto(ents: readonly Entry[], b: Buffer, o: number): number {
  for (const e of ents) {
    o = putU64(b, e.index, o);
    o = putU64(b, e.term, o);
    o = putU64(b, e.timestamp, o);
    b.writeUInt8(e.type, o);
    b.writeUInt32BE(e.payload.length, o + 1);
    o += 5;
    o += e.payload.copy(b, o);
  }
  return o;
}

export function snapshotMetaBytes(s: SnapshotMeta): number {
  return 16 + confBytes(s.conf);
}

export function encodeSnapshotMeta(s: SnapshotMeta, b: Buffer, o: number): number {
  o = putU64(b, s.index, o);
  o = putU64(b, s.term, o);
  for (const list of [s.conf.voters, s.conf.learners]) {
    b.writeUInt16BE(list.length, o);
    o += 2;
    for (const id of list) {
      b.writeUInt32BE(id, o);
      o += 4;
    }
  }
  return o;
}

export function decodeSnapshotMeta(b: Buffer, o: number): { meta: SnapshotMeta; next: number } {
  const r = ByteReader.of(b, o);
  const meta = readSnapshotMeta(r);
  return { meta, next: o + r.consumed };
}

export function readSnapshotMeta(r: ByteReader): SnapshotMeta {
  r.need(16);
  const index = getU64(r.buf, r.off);
  const term = getU64(r.buf, r.off + 8);
  r.skip(16);
  const lists: number[][] = [];
  for (let k = 0; k < 2; k++) {
    r.need(2);
    const n = r.buf.readUInt16BE(r.off);
    r.skip(2);
    r.need(4 * n);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(r.buf.readUInt32BE(r.off + 4 * i));
    r.skip(4 * n);
    lists.push(ids);
  }
  return { index, term, conf: { voters: lists[0]!, learners: lists[1]! } };
}

/** Decodes one message at `o`. Entry payloads are views into `b`: copy them to keep them. */
export function decodeMessage(b: Buffer, o: number): { message: Message; next: number } {
  const r = ByteReader.of(b, o);
  const message = readMessage(r);
  return { message, next: o + r.consumed };
}

/**
 * Reads one message. Entry payloads are views into the reader's pieces (copies for the few that
 * straddle two): copy them to keep them beyond the pieces' lifetime.
 */
export function readMessage(r: ByteReader): Message {
  r.need(HEADER_BYTES);
  const b = r.buf;
  const o = r.off;
  const type = b.readUInt8(o);
  if (messageTypeName[type] === undefined) throw new DepotError('MALFORMED_FRAME', `unknown raft message type ${type}`);
  const flags = b.readUInt8(o + 41);
  const m: Message = {
    type: type as MessageType,
    from: b.readUInt32BE(o + 1),
    to: b.readUInt32BE(o + 5),
    term: getU64(b, o + 9),
    logTerm: getU64(b, o + 17),
    index: getU64(b, o + 25),
    commit: getU64(b, o + 33),
    reject: (flags & 1) !== 0,
    rejectHint: getU64(b, o + 42),
    context: getU64(b, o + 50),
    snapshot: undefined,
    entries: [],
  };
  r.skip(HEADER_BYTES);
  if (flags & 2) m.snapshot = readSnapshotMeta(r);
  const count = r.peekU32();
  r.skip(4);
  if (count * ENTRY_HEADER_BYTES > r.available) throw new DepotError('MALFORMED_FRAME', `raft message claims ${count} entries, more than its bytes hold`);
  for (let i = 0; i < count; i++) m.entries.push(readEntry(r));
  return m;
}

function readEntry(r: ByteReader): Entry {
  r.need(ENTRY_HEADER_BYTES);
  const b = r.buf;
  const o = r.off;
  const index = getU64(b, o);
  const term = getU64(b, o + 8);
  const timestamp = getU64(b, o + 16);
  const type = b.readUInt8(o + 24);
  const len = b.readUInt32BE(o + 25);
  r.skip(ENTRY_HEADER_BYTES);
  if (len > r.available) throw new DepotError('MALFORMED_FRAME', `raft entry of ${len} bytes truncated`);
  return { index, term, timestamp, type, payload: r.bytes(len) };
}
