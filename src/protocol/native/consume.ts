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
//   Delivery (the legacy layout, one entry per message):
//                  brokerGroup u16 | topic string | count u32, each:
//                  queue u32 | offset u64 | storeTimestamp u64 | logIndex u64 | position u32 |
//                  record (u32 length + the record as stored, record-batch.ts)
//                  | scannedCount u32, each queue u32 | next u64: the broker examined the queue up
//                  to `next` (messages it filtered out by tag included), so the consumer may
//                  commit up to there once the messages delivered before are done.
//   Delivery in runs (frame flag DELIVERY_RUNS on the Fetch or Subscribe request asks for it, and
//                  marks every response or push that carries it):
//                  brokerGroup u16 | topic string | runCount u32, each:
//                  queue u32 | offset u64 | count u32 | storeTimestamp u64 | logIndex u64 |
//                  position u32 | records (u32 length + `count` stored records back to back)
//                  | scanned as above. Message i of a run has offset `offset + i` and position
//                  `position` plus the sizes of the records before it: consecutive messages of one
//                  queue stored in one log entry travel as one slice of that entry.
import { DepotError } from '../../util/errors.js';
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

/** Consecutive messages of one queue stored back to back in one log entry. */
export interface DeliveredRun {
  queue: number;
  /** Offset of the first message; the others follow one by one. */
  offset: number;
  count: number;
  storeTimestamp: number;
  logIndex: number;
  /** Byte position of the first record in its log entry. */
  position: number;
  /** The `count` records as stored, back to back: a view of the entry or the frame, not a copy. */
  records: Buffer;
}

export interface ScannedQueue {
  queue: number;
  next: number;
}

export interface Delivery {
  brokerGroup: number;
  topic: string;
  runs: DeliveredRun[];
  scanned: ScannedQueue[];
}

/** Frame flag of a Fetch or Subscribe request asking for, and of a frame carrying, a Delivery in runs. */
export const DELIVERY_RUNS = 1;

/** Bytes a run adds to a Delivery in runs besides its records. */
export const DELIVERED_RUN_OVERHEAD = 4 + 8 + 4 + 8 + 8 + 4 + 4;
/** Bytes a message adds to a legacy Delivery besides its record. */
const DELIVERED_MESSAGE_OVERHEAD = 4 + 8 + 8 + 8 + 4 + 4;
/** Smallest stored record (record-batch.ts): length, timestamp, flags, header count, body length. */
const MIN_RECORD_BYTES = 4 + 8 + 1 + 2 + 4;

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
 * A Delivery in runs as the parts of one body: small buffers of fixed fields between views of the
 * runs' records, so the stored bytes go to the socket without a copy (written as one vector).
 */
export function encodeDeliveryRuns(d: Delivery): Buffer[] {
  const w = new BodyWriter(12 + Buffer.byteLength(d.topic) + DELIVERED_RUN_OVERHEAD * d.runs.length + 12 * d.scanned.length);
  w.u16(d.brokerGroup).string(d.topic).u32(d.runs.length);
  const cuts: number[] = [];
  for (const r of d.runs) {
    w.u32(r.queue).u64(r.offset).u32(r.count).u64(r.storeTimestamp).u64(r.logIndex).u32(r.position).u32(r.records.length);
    cuts.push(w.length);
  }
  w.u32(d.scanned.length);
  for (const s of d.scanned) w.u32(s.queue).u64(s.next);
  const fixed = w.finish();
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < d.runs.length; i++) {
    parts.push(fixed.subarray(from, cuts[i]), d.runs[i]!.records);
    from = cuts[i]!;
  }
  parts.push(fixed.subarray(from));
  return parts;
}

/** A Delivery in the legacy layout (one entry per message, records copied), for clients that did not ask for runs. */
export function encodeDelivery(d: Delivery): Buffer {
  let bytes = 12 + Buffer.byteLength(d.topic) + 12 * d.scanned.length;
  let count = 0;
  for (const r of d.runs) {
    bytes += DELIVERED_MESSAGE_OVERHEAD * r.count + r.records.length;
    count += r.count;
  }
  const w = new BodyWriter(bytes).u16(d.brokerGroup).string(d.topic).u32(count);
  for (const r of d.runs) {
    for (let i = 0, at = 0; i < r.count; i++) {
      const size = 4 + r.records.readUInt32BE(at);
      w.u32(r.queue).u64(r.offset + i).u64(r.storeTimestamp).u64(r.logIndex).u32(r.position + at).bytes(r.records.subarray(at, at + size));
      at += size;
    }
  }
  w.u32(d.scanned.length);
  for (const s of d.scanned) w.u32(s.queue).u64(s.next);
  return w.finish();
}

/** Decodes a Delivery of either layout (`flags` of its frame); a legacy message becomes a run of one. */
export function decodeDelivery(body: Buffer, flags: number): Delivery {
  const r = new BodyReader(body);
  const brokerGroup = r.u16();
  const topic = r.string();
  const runs: DeliveredRun[] = [];
  if ((flags & DELIVERY_RUNS) !== 0) {
    for (let n = r.count(DELIVERED_RUN_OVERHEAD), i = 0; i < n; i++) {
      const run = { queue: r.u32(), offset: r.u64(), count: r.u32(), storeTimestamp: r.u64(), logIndex: r.u64(), position: r.u32(), records: r.bytes() };
      checkRun(run.records, run.count);
      runs.push(run);
    }
  } else {
    for (let n = r.count(DELIVERED_MESSAGE_OVERHEAD), i = 0; i < n; i++) {
      const run = { queue: r.u32(), offset: r.u64(), count: 1, storeTimestamp: r.u64(), logIndex: r.u64(), position: r.u32(), records: r.bytes() };
      checkRun(run.records, 1);
      runs.push(run);
    }
  }
  const scanned: ScannedQueue[] = [];
  for (let k = r.count(12), i = 0; i < k; i++) scanned.push({ queue: r.u32(), next: r.u64() });
  r.end();
  return { brokerGroup, topic, runs, scanned };
}

/**
 * Checks that `records` is exactly `count` records by their length fields, so walking a run never
 * leaves it (each record's own fields are checked when it is decoded).
 */
function checkRun(records: Buffer, count: number): void {
  if (count < 1 || count * MIN_RECORD_BYTES > records.length) throw new DepotError('MALFORMED_FRAME', `a run of ${count} records cannot be ${records.length} bytes`);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + MIN_RECORD_BYTES > records.length) throw new DepotError('MALFORMED_FRAME', `run record ${i} is truncated`);
    const size = 4 + records.readUInt32BE(at);
    if (size < MIN_RECORD_BYTES) throw new DepotError('MALFORMED_FRAME', `run record ${i} is shorter than a record`);
    at += size;
  }
  if (at !== records.length) throw new DepotError('MALFORMED_FRAME', `a run of ${count} records does not fill its ${records.length} bytes`);
}
