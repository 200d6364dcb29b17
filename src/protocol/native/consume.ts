// Consumption: pull (Fetch, long polling) or push (Subscribe + Credit), and offset commits.
//   Fetch          request:  memberId string | maxMessages u32 | maxWaitMs u32
//                  response: Delivery
//   Subscribe      request:  memberId string | credits u32;  response: empty
//                  then Deliver pushes (correlationId = the Subscribe's), each spending one
//                  credit per message; the server never sends more messages than credits granted.
//   Credit         request:  memberId string | credits u32;  response: empty
//   CommitOffsets  request:  memberId string | count u32, each queue u32 | offset u64
//                            (offset: the next message to consume)
//                  response: count u32, each queue u32 | code u16 (0 committed, else error code)
//   Delivery:      brokerGroup u16 | topic string | count u32, each:
//                  queue u32 | offset u64 | storeTimestamp u64 | logIndex u64 | position u32 |
//                  record (u32 length + the record as stored, record-batch.ts)
//                  | scannedCount u32, each queue u32 | next u64: the broker examined the queue up
//                  to `next` (messages it filtered out by tag included), so the consumer may
//                  commit up to there once the messages delivered before are done.
import { BodyReader, BodyWriter } from './codec.js';

export interface FetchRequest {
  memberId: string;
  maxMessages: number;
  maxWaitMs: number;
}

export interface CreditRequest {
  memberId: string;
  credits: number;
}

export interface OffsetCommit {
  queue: number;
  offset: number;
}

export interface CommitRequest {
  memberId: string;
  offsets: OffsetCommit[];
}

export interface CommitOutcome {
  queue: number;
  /** 0 when committed, else a wire error code (util/errors.ts). */
  code: number;
}

export interface DeliveredMessage {
  queue: number;
  offset: number;
  storeTimestamp: number;
  logIndex: number;
  position: number;
  /** The stored record, a view into the frame body. */
  record: Buffer;
}

export interface Delivery {
  brokerGroup: number;
  topic: string;
  messages: DeliveredMessage[];
  scanned: Array<{ queue: number; next: number }>;
}

/** Bytes a delivered message adds to a Delivery body besides its record. */
export const DELIVERED_MESSAGE_OVERHEAD = 4 + 8 + 8 + 8 + 4 + 4;

export function encodeFetchRequest(m: FetchRequest): Buffer {
  return new BodyWriter().string(m.memberId).u32(m.maxMessages).u32(m.maxWaitMs).finish();
}

export function decodeFetchRequest(body: Buffer): FetchRequest {
  const r = new BodyReader(body);
  const m = { memberId: r.string(), maxMessages: r.u32(), maxWaitMs: r.u32() };
  r.end();
  return m;
}

export function encodeCreditRequest(m: CreditRequest): Buffer {
  return new BodyWriter().string(m.memberId).u32(m.credits).finish();
}

export function decodeCreditRequest(body: Buffer): CreditRequest {
  const r = new BodyReader(body);
  const m = { memberId: r.string(), credits: r.u32() };
  r.end();
  return m;
}

export function encodeCommitRequest(m: CommitRequest): Buffer {
  const w = new BodyWriter(32 + 12 * m.offsets.length).string(m.memberId).u32(m.offsets.length);
  for (const o of m.offsets) w.u32(o.queue).u64(o.offset);
  return w.finish();
}

export function decodeCommitRequest(body: Buffer): CommitRequest {
  const r = new BodyReader(body);
  const memberId = r.string();
  const n = r.count(12);
  const offsets: OffsetCommit[] = [];
  for (let i = 0; i < n; i++) offsets.push({ queue: r.u32(), offset: r.u64() });
  r.end();
  return { memberId, offsets };
}

export function encodeCommitOutcomes(outcomes: readonly CommitOutcome[]): Buffer {
  const w = new BodyWriter(4 + 6 * outcomes.length).u32(outcomes.length);
  for (const o of outcomes) w.u32(o.queue).u16(o.code);
  return w.finish();
}

export function decodeCommitOutcomes(body: Buffer): CommitOutcome[] {
  const r = new BodyReader(body);
  const n = r.count(6);
  const out: CommitOutcome[] = [];
  for (let i = 0; i < n; i++) out.push({ queue: r.u32(), code: r.u16() });
  r.end();
  return out;
}

/**
 * Encodes a Delivery into one buffer: the server copies each stored record once, here, and
 * never decodes it.
 */
export function encodeDelivery(d: Delivery): Buffer {
  let bytes = 12 + Buffer.byteLength(d.topic) + 12 * d.scanned.length;
  for (const m of d.messages) bytes += DELIVERED_MESSAGE_OVERHEAD + m.record.length;
  const w = new BodyWriter(bytes).u16(d.brokerGroup).string(d.topic).u32(d.messages.length);
  for (const m of d.messages) w.u32(m.queue).u64(m.offset).u64(m.storeTimestamp).u64(m.logIndex).u32(m.position).bytes(m.record);
  w.u32(d.scanned.length);
  for (const s of d.scanned) w.u32(s.queue).u64(s.next);
  return w.finish();
}

export function decodeDelivery(body: Buffer): Delivery {
  const r = new BodyReader(body);
  const brokerGroup = r.u16();
  const topic = r.string();
  const n = r.count(DELIVERED_MESSAGE_OVERHEAD);
  const messages: DeliveredMessage[] = [];
  for (let i = 0; i < n; i++) {
    messages.push({ queue: r.u32(), offset: r.u64(), storeTimestamp: r.u64(), logIndex: r.u64(), position: r.u32(), record: r.bytes() });
  }
  const scanned: Array<{ queue: number; next: number }> = [];
  for (let k = r.count(12), i = 0; i < k; i++) scanned.push({ queue: r.u32(), next: r.u64() });
  r.end();
  return { brokerGroup, topic, messages, scanned };
}
