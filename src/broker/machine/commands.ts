// Broker commands as stored in the group's log. A Produce entry is a small header followed by
// the producer's record batch exactly as it arrived, so the log is the message store: it is the
// native Produce request body (protocol/native/produce.ts) behind the command type byte, so the
// server can store a request without copying it (frame.ts, prefixedBody).
//
//   Produce:        type u8 (1) | topic string | queue u32 | producerId u64 | baseSequence u32 | batch
//   CommitOffsets:  type u8 (2) | owner string | topic string | count u32, each queue u32 | offset u64
//   DropTopic:      type u8 (3) | topic string
import { DepotError } from '../../util/errors.js';
import { BodyReader, BodyWriter } from '../../protocol/native/codec.js';

export const CommandType = { Produce: 1, CommitOffsets: 2, DropTopic: 3 } as const;

export interface ProduceCommand {
  type: typeof CommandType.Produce;
  topic: string;
  queue: number;
  producerId: number;
  baseSequence: number;
  /** Byte offset of the batch within the entry payload. */
  batchOffset: number;
  batch: Buffer;
}

export interface CommitCommand {
  type: typeof CommandType.CommitOffsets;
  /** The group, or `group#instance` for a broadcast member's own progress. */
  owner: string;
  topic: string;
  offsets: Array<{ queue: number; offset: number }>;
}

export interface DropTopicCommand {
  type: typeof CommandType.DropTopic;
  topic: string;
}

export type BrokerCommand = ProduceCommand | CommitCommand | DropTopicCommand;

/** The Produce header; the proposal is this followed by the batch. */
export function encodeProduceHeader(topic: string, queue: number, producerId: number, baseSequence: number): Buffer {
  return new BodyWriter(32 + topic.length).u8(CommandType.Produce).string(topic).u32(queue).u64(producerId).u32(baseSequence).finish();
}

export function encodeCommit(owner: string, topic: string, offsets: ReadonlyArray<{ queue: number; offset: number }>): Buffer {
  const w = new BodyWriter(16 + owner.length + topic.length + 12 * offsets.length).u8(CommandType.CommitOffsets).string(owner).string(topic).u32(offsets.length);
  for (const o of offsets) w.u32(o.queue).u64(o.offset);
  return Buffer.from(w.finish());
}

export function encodeDropTopic(topic: string): Buffer {
  return Buffer.from(new BodyWriter().u8(CommandType.DropTopic).string(topic).finish());
}

export function decodeCommand(payload: Buffer): BrokerCommand {
  const r = new BodyReader(payload);
  const type = r.u8();
  switch (type) {
    case CommandType.Produce: {
      const topic = r.string();
      const queue = r.u32();
      const producerId = r.u64();
      const baseSequence = r.u32();
      const batchOffset = r.offset;
      return { type, topic, queue, producerId, baseSequence, batchOffset, batch: r.raw(r.remaining) };
    }
    case CommandType.CommitOffsets: {
      const owner = r.string();
      const topic = r.string();
      const offsets: Array<{ queue: number; offset: number }> = [];
      for (let n = r.count(12), i = 0; i < n; i++) offsets.push({ queue: r.u32(), offset: r.u64() });
      r.end();
      return { type, owner, topic, offsets };
    }
    case CommandType.DropTopic: {
      const topic = r.string();
      r.end();
      return { type, topic };
    }
    default:
      throw new DepotError('BAD_REQUEST', `unknown broker command ${type}`);
  }
}
