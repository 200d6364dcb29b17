// Frame bodies of node↔node raft traffic, in the native protocol's reserved api range
// 0xF000–0xF0FF (docs/raft.md). All frames are FrameKind.Request with correlationId 0: raft
// needs no responses, its messages answer each other.
//
//   0xF000 hello      := nodeId u32                       (first frame of every connection)
//   0xF001 messages   := groupLength u16 | group UTF-8 | count u32 | message*   (codec.ts)
//   0xF002 snapshot   := groupLength u16 | group UTF-8 | from u32 | to u32 | term u64
//                        | meta (codec.ts) | offset u64 | last u8 | data
import { DepotError } from '../../util/errors.js';
import { encodeFrameHeader, FRAME_HEADER_BYTES, FrameKind } from '../../protocol/native/frame.js';
import { ByteReader } from '../core/byte-reader.js';
import { decodeSnapshotMeta, readMessage, encodedEntriesBytes, encodedHeadBytes, encodeEntriesInto, encodeMessageHeadInto, encodeSnapshotMeta, snapshotMetaBytes } from '../core/codec.js';
import type { Entry, Message, SnapshotMeta } from '../core/types.js';

export const RaftApi = {
  Hello: 0xf000,
  Messages: 0xf001,
  SnapshotChunk: 0xf002,
} as const;

export const RAFT_API_FIRST = 0xf000;
export const RAFT_API_LAST = 0xf0ff;

const TWO32 = 0x1_0000_0000;

/** Encoded entry runs remembered by one SharedEntries (a few followers, a few appends each). */
const MAX_SHARED_RUNS = 64;

function putGroup(group: Buffer, b: Buffer, o: number): number {
  b.writeUInt16BE(group.length, o);
  group.copy(b, o + 2);
  return o + 2 + group.length;
}

function getGroup(b: Buffer): { group: string; next: number } {
  if (b.length < 2) throw new DepotError('MALFORMED_FRAME', 'raft frame without a group');
  const n = b.readUInt16BE(0);
  if (b.length < 2 + n) throw new DepotError('MALFORMED_FRAME', 'raft frame group truncated');
  return { group: b.toString('utf8', 2, 2 + n), next: 2 + n };
}

export function encodeHello(nodeId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(nodeId, 0);
  return b;
}

export function decodeHello(b: Buffer): number {
  if (b.length !== 4) throw new DepotError('MALFORMED_FRAME', 'bad raft hello');
  return b.readUInt32BE(0);
}

/**
 * Entries encoded once for several messages: a leader sends the same append to every follower
 * that is at the same point, and each frame then holds (a reference to) the same bytes instead
 * of a copy per follower. A run is recognised by its first and last entry objects and its
 * length: runs are contiguous slices of one log and entries are never modified, so equal ends
 * mean equal runs. The owner drops it once the sends it serves are written (one event-loop
 * turn), which also bounds what it holds.
 */
export class SharedEntries {
  private runs: { first: Entry; last: Entry; count: number; bytes: Buffer }[] = [];

  encoded(ents: readonly Entry[]): Buffer {
    const first = ents[0]!;
    const last = ents[ents.length - 1]!;
    for (const r of this.runs) if (r.first === first && r.last === last && r.count === ents.length) return r.bytes;
    const bytes = Buffer.allocUnsafe(encodedEntriesBytes(ents));
    encodeEntriesInto(ents, bytes, 0);
    if (this.runs.length < MAX_SHARED_RUNS) this.runs.push({ first, last, count: ents.length, bytes });
    return bytes;
  }
}

/**
 * One messages frame (native-protocol header included) as the pieces of one vectored write:
 * the message heads are encoded into one buffer, each message's entries come from `shared`.
 */
export function encodeMessagesFrame(group: Buffer, msgs: readonly Message[], shared: SharedEntries): Buffer[] {
  let headBytes = FRAME_HEADER_BYTES + 2 + group.length + 4;
  for (const m of msgs) headBytes += encodedHeadBytes(m);
  const head = Buffer.allocUnsafe(headBytes);
  let o = putGroup(group, head, FRAME_HEADER_BYTES);
  head.writeUInt32BE(msgs.length, o);
  o += 4;
  const pieces: Buffer[] = [];
  let bodyBytes = headBytes - FRAME_HEADER_BYTES;
  let start = 0;
  for (const m of msgs) {
    o = encodeMessageHeadInto(m, head, o);
    if (m.entries.length === 0) continue;
    const ents = shared.encoded(m.entries);
    pieces.push(head.subarray(start, o), ents);
    bodyBytes += ents.length;
    start = o;
  }
  if (start < o) pieces.push(head.subarray(start, o));
  encodeFrameHeader(head, 0, FrameKind.Request, 0, RaftApi.Messages, 0, bodyBytes);
  return pieces;
}

export function decodeMessages(b: Buffer): { group: string; messages: Message[] } {
  return readMessages(ByteReader.of(b), b.length);
}

/**
 * Reads a messages frame body of `bodyBytes` (which the reader holds whole). Entry payloads are
 * views into the reader's pieces (see ByteReader), which therefore must never be reused.
 */
export function readMessages(r: ByteReader, bodyBytes: number): { group: string; messages: Message[] } {
  const end = r.consumed + bodyBytes;
  if (bodyBytes < 2) throw new DepotError('MALFORMED_FRAME', 'raft frame without a group');
  const n = r.peekU16();
  r.skip(2);
  if (bodyBytes < 2 + n) throw new DepotError('MALFORMED_FRAME', 'raft frame group truncated');
  r.need(n);
  const group = r.buf.toString('utf8', r.off, r.off + n);
  r.skip(n);
  if (end - r.consumed < 4) throw new DepotError('MALFORMED_FRAME', 'raft message batch truncated');
  const count = r.peekU32();
  r.skip(4);
  if (count > end - r.consumed) throw new DepotError('MALFORMED_FRAME', `raft frame claims ${count} messages, more than its bytes hold`);
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    messages.push(readMessage(r));
    if (r.consumed > end) throw new DepotError('MALFORMED_FRAME', 'raft message runs past its frame');
  }
  if (r.consumed !== end) throw new DepotError('MALFORMED_FRAME', 'trailing bytes after raft messages');
  return { group, messages };
}

export interface SnapshotChunk {
  group: string;
  from: number;
  to: number;
  term: number;
  meta: SnapshotMeta;
  offset: number;
  last: boolean;
  data: Buffer;
}

export function encodeSnapshotChunk(c: SnapshotChunk): Buffer {
  const g = Buffer.from(c.group, 'utf8');
  const b = Buffer.allocUnsafe(2 + g.length + 16 + snapshotMetaBytes(c.meta) + 9 + c.data.length);
  let o = putGroup(g, b, 0);
  b.writeUInt32BE(c.from, o);
  b.writeUInt32BE(c.to, o + 4);
  b.writeUInt32BE(Math.floor(c.term / TWO32), o + 8);
  b.writeUInt32BE(c.term >>> 0, o + 12);
  o = encodeSnapshotMeta(c.meta, b, o + 16);
  b.writeUInt32BE(Math.floor(c.offset / TWO32), o);
  b.writeUInt32BE(c.offset >>> 0, o + 4);
  b.writeUInt8(c.last ? 1 : 0, o + 8);
  c.data.copy(b, o + 9);
  return b;
}

export function decodeSnapshotChunk(b: Buffer): SnapshotChunk {
  const { group, next } = getGroup(b);
  if (b.length < next + 16) throw new DepotError('MALFORMED_FRAME', 'snapshot chunk truncated');
  const from = b.readUInt32BE(next);
  const to = b.readUInt32BE(next + 4);
  const term = b.readUInt32BE(next + 8) * TWO32 + b.readUInt32BE(next + 12);
  const { meta, next: o } = decodeSnapshotMeta(b, next + 16);
  if (b.length < o + 9) throw new DepotError('MALFORMED_FRAME', 'snapshot chunk truncated');
  const offset = b.readUInt32BE(o) * TWO32 + b.readUInt32BE(o + 4);
  return { group, from, to, term, meta, offset, last: b.readUInt8(o + 8) === 1, data: b.subarray(o + 9) };
}
