// Produce: one record batch for one queue.
//   request:  topic string | queue u32 | producerId u64 (0: not idempotent) | baseSequence u32 |
//             batch (the rest of the body, record-batch.ts)
//   response: brokerGroup u16 | logIndex u64 | batchOffset u32 | baseOffset u64 | count u32 |
//             storeTimestamp u64 | duplicate u8 (1: a retry of a batch already stored; the original
//             result is returned). batchOffset: where the batch starts in the log entry, so the
//             producer can compute each message's id (message-id.ts).
import { BodyReader, BodyWriter } from './codec.js';

export interface ProduceRequest {
  topic: string;
  queue: number;
  producerId: number;
  baseSequence: number;
  /** The record batch, as encoded by the producer. */
  batch: Buffer;
}

export interface ProduceResult {
  brokerGroup: number;
  logIndex: number;
  batchOffset: number;
  baseOffset: number;
  count: number;
  storeTimestamp: number;
  duplicate: boolean;
}

/** The request's fixed part; send it followed by `batch` (two buffers, no copy of the batch). */
export function encodeProduceHead(m: Omit<ProduceRequest, 'batch'>): Buffer {
  return Buffer.from(new BodyWriter(64).string(m.topic).u32(m.queue).u64(m.producerId).u32(m.baseSequence).finish());
}

export function decodeProduceRequest(body: Buffer): ProduceRequest {
  const r = new BodyReader(body);
  const topic = r.string();
  const queue = r.u32();
  const producerId = r.u64();
  const baseSequence = r.u32();
  return { topic, queue, producerId, baseSequence, batch: r.raw(r.remaining) };
}

export function encodeProduceResult(m: ProduceResult): Buffer {
  return new BodyWriter(40).u16(m.brokerGroup).u64(m.logIndex).u32(m.batchOffset).u64(m.baseOffset).u32(m.count).u64(m.storeTimestamp).u8(m.duplicate ? 1 : 0).finish();
}

export function decodeProduceResult(body: Buffer): ProduceResult {
  const r = new BodyReader(body);
  const m = { brokerGroup: r.u16(), logIndex: r.u64(), batchOffset: r.u32(), baseOffset: r.u64(), count: r.u32(), storeTimestamp: r.u64(), duplicate: r.u8() === 1 };
  r.end();
  return m;
}
