// Topic administration.
//   TopicInfo:      name string | queues u32 | retentionMs u64 | maxMessageBytes u32 | flush u8
//                   (0 sync, 1 async) | createdAt u64 | brokerGroup u16
//   CreateTopic:    request name string | queues u32 | retentionMs u64 | maxMessageBytes u32 | flush u8
//                   response TopicInfo
//   DeleteTopic:    request name string; response empty
//   ListTopics:     request empty; response count u32, TopicInfo each
//   DescribeTopic:  request name string; response TopicInfo | count u32, each QueueInfo
//   QueueInfo:      startOffset u64 | endOffset u64 | lastStoreTimestamp u64 (0 when empty)
import { DepotError } from '../../util/errors.js';
import { BodyReader, BodyWriter } from './codec.js';

export type FlushPolicy = 'sync' | 'async';

export interface TopicSettings {
  queues: number;
  retentionMs: number;
  maxMessageBytes: number;
  flush: FlushPolicy;
}

export interface TopicInfo extends TopicSettings {
  name: string;
  createdAt: number;
  /** Number of the broker group that hosts the topic's queues. */
  brokerGroup: number;
}

export interface QueueInfo {
  startOffset: number;
  endOffset: number;
  lastStoreTimestamp: number;
}

export interface TopicDescription {
  topic: TopicInfo;
  queues: QueueInfo[];
}

export function writeTopicInfo(w: BodyWriter, t: TopicInfo): BodyWriter {
  return w.string(t.name).u32(t.queues).u64(t.retentionMs).u32(t.maxMessageBytes).u8(t.flush === 'sync' ? 0 : 1).u64(t.createdAt).u16(t.brokerGroup);
}

export function readTopicInfo(r: BodyReader): TopicInfo {
  return {
    name: r.string(),
    queues: r.u32(),
    retentionMs: r.u64(),
    maxMessageBytes: r.u32(),
    flush: readFlush(r),
    createdAt: r.u64(),
    brokerGroup: r.u16(),
  };
}

function readFlush(r: BodyReader): FlushPolicy {
  const f = r.u8();
  if (f > 1) throw new DepotError('MALFORMED_FRAME', `unknown flush policy ${f}`);
  return f === 0 ? 'sync' : 'async';
}

export function encodeCreateTopic(name: string, s: TopicSettings): Buffer {
  return new BodyWriter().string(name).u32(s.queues).u64(s.retentionMs).u32(s.maxMessageBytes).u8(s.flush === 'sync' ? 0 : 1).finish();
}

export function decodeCreateTopic(body: Buffer): { name: string; settings: TopicSettings } {
  const r = new BodyReader(body);
  const name = r.string();
  const settings = { queues: r.u32(), retentionMs: r.u64(), maxMessageBytes: r.u32(), flush: readFlush(r) };
  r.end();
  return { name, settings };
}

export function encodeName(name: string): Buffer {
  return new BodyWriter().string(name).finish();
}

export function decodeName(body: Buffer): string {
  const r = new BodyReader(body);
  const name = r.string();
  r.end();
  return name;
}

export function encodeTopicInfo(t: TopicInfo): Buffer {
  return writeTopicInfo(new BodyWriter(), t).finish();
}

export function decodeTopicInfo(body: Buffer): TopicInfo {
  const r = new BodyReader(body);
  const t = readTopicInfo(r);
  r.end();
  return t;
}

export function encodeTopicList(topics: readonly TopicInfo[]): Buffer {
  const w = new BodyWriter().u32(topics.length);
  for (const t of topics) writeTopicInfo(w, t);
  return w.finish();
}

export function decodeTopicList(body: Buffer): TopicInfo[] {
  const r = new BodyReader(body);
  const n = r.count(23);
  const out: TopicInfo[] = [];
  for (let i = 0; i < n; i++) out.push(readTopicInfo(r));
  r.end();
  return out;
}

export function encodeTopicDescription(d: TopicDescription): Buffer {
  const w = writeTopicInfo(new BodyWriter(64 + d.queues.length * 24), d.topic).u32(d.queues.length);
  for (const q of d.queues) w.u64(q.startOffset).u64(q.endOffset).u64(q.lastStoreTimestamp);
  return w.finish();
}

export function decodeTopicDescription(body: Buffer): TopicDescription {
  const r = new BodyReader(body);
  const topic = readTopicInfo(r);
  const n = r.count(24);
  const queues: QueueInfo[] = [];
  for (let i = 0; i < n; i++) queues.push({ startOffset: r.u64(), endOffset: r.u64(), lastStoreTimestamp: r.u64() });
  r.end();
  return { topic, queues };
}
