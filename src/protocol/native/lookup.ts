// Message lookup (operations): by message id, by key, by store time.
//   GetMessage   request:  brokerGroup u16 | logIndex u64 | position u32   (the message id)
//                response: StoredMessage
//   FindByKey    request:  topic string | key string | max u32
//                response: count u32, StoredMessage each (newest first)
//   FindByTime   request:  topic string | timestamp u64 | max u32
//                response: count u32, StoredMessage each: per queue in queue order, up to `max`
//                messages stored at or after `timestamp`
//   StoredMessage: brokerGroup u16 | topic string | queue u32 | offset u64 | storeTimestamp u64 |
//                  logIndex u64 | position u32 | record bytes (as stored, record-batch.ts)
import { BodyReader, BodyWriter } from './codec.js';
import type { MessageLocation } from './message-id.js';

export interface StoredMessage {
  brokerGroup: number;
  topic: string;
  queue: number;
  offset: number;
  storeTimestamp: number;
  logIndex: number;
  position: number;
  /** The stored record: a view into the body on decode. */
  record: Buffer;
}

export interface KeyQuery {
  topic: string;
  key: string;
  max: number;
}

export interface TimeQuery {
  topic: string;
  timestamp: number;
  max: number;
}

/** Bytes of a StoredMessage besides its topic and record. */
const FIXED_BYTES = 2 + 2 + 4 + 8 + 8 + 8 + 4 + 4;

export function encodeGetMessage(m: MessageLocation): Buffer {
  return new BodyWriter(14).u16(m.brokerGroup).u64(m.logIndex).u32(m.position).finish();
}

export function decodeGetMessage(body: Buffer): MessageLocation {
  const r = new BodyReader(body);
  const m = { brokerGroup: r.u16(), logIndex: r.u64(), position: r.u32() };
  r.end();
  return m;
}

export function encodeKeyQuery(q: KeyQuery): Buffer {
  return new BodyWriter().string(q.topic).string(q.key).u32(q.max).finish();
}

export function decodeKeyQuery(body: Buffer): KeyQuery {
  const r = new BodyReader(body);
  const q = { topic: r.string(), key: r.string(), max: r.u32() };
  r.end();
  return q;
}

export function encodeTimeQuery(q: TimeQuery): Buffer {
  return new BodyWriter().string(q.topic).u64(q.timestamp).u32(q.max).finish();
}

export function decodeTimeQuery(body: Buffer): TimeQuery {
  const r = new BodyReader(body);
  const q = { topic: r.string(), timestamp: r.u64(), max: r.u32() };
  r.end();
  return q;
}

function writeStored(w: BodyWriter, m: StoredMessage): void {
  w.u16(m.brokerGroup).string(m.topic).u32(m.queue).u64(m.offset).u64(m.storeTimestamp).u64(m.logIndex).u32(m.position).bytes(m.record);
}

function readStored(r: BodyReader): StoredMessage {
  return { brokerGroup: r.u16(), topic: r.string(), queue: r.u32(), offset: r.u64(), storeTimestamp: r.u64(), logIndex: r.u64(), position: r.u32(), record: r.bytes() };
}

export function encodeStoredMessage(m: StoredMessage): Buffer {
  const w = new BodyWriter(FIXED_BYTES + Buffer.byteLength(m.topic) + m.record.length);
  writeStored(w, m);
  return w.finish();
}

export function decodeStoredMessage(body: Buffer): StoredMessage {
  const r = new BodyReader(body);
  const m = readStored(r);
  r.end();
  return m;
}

export function encodeStoredMessages(list: readonly StoredMessage[]): Buffer {
  let bytes = 4;
  for (const m of list) bytes += FIXED_BYTES + Buffer.byteLength(m.topic) + m.record.length;
  const w = new BodyWriter(bytes).u32(list.length);
  for (const m of list) writeStored(w, m);
  return w.finish();
}

export function decodeStoredMessages(body: Buffer): StoredMessage[] {
  const r = new BodyReader(body);
  const out: StoredMessage[] = [];
  for (let n = r.count(FIXED_BYTES), i = 0; i < n; i++) out.push(readStored(r));
  r.end();
  return out;
}
