// Consumer group membership.
//   JoinGroup   request:  group string | topic string | mode u8 (0 clustering, 1 broadcast) |
//                         instanceId string | tagCount u16, tag string each (none: all tags) |
//                         start u8 (0 earliest, 1 latest, 2 timestamp) | startTimestamp u64 |
//                         sessionTimeoutMs u32
//               response: memberId string | heartbeatMs u32
//               then an Assignment push (correlationId = the JoinGroup's) whenever the member's
//               queues change, the first one right after the response.
//   Assignment  push:     group string | topic string | generation u32 | count u32, queue u32 each
//   Heartbeat   request:  memberId string;  response: generation u32
//   LeaveGroup  request:  memberId string;  response: empty
import { DepotError } from '../../util/errors.js';
import { BodyReader, BodyWriter } from './codec.js';

export type GroupMode = 'clustering' | 'broadcast';
export type StartPosition = 'earliest' | 'latest' | { timestamp: number };

export interface JoinRequest {
  group: string;
  topic: string;
  mode: GroupMode;
  instanceId: string;
  tags: string[];
  start: StartPosition;
  sessionTimeoutMs: number;
}

export interface JoinResponse {
  memberId: string;
  heartbeatMs: number;
}

export interface Assignment {
  group: string;
  topic: string;
  generation: number;
  queues: number[];
}

export function encodeJoinRequest(m: JoinRequest): Buffer {
  const w = new BodyWriter().string(m.group).string(m.topic).u8(m.mode === 'clustering' ? 0 : 1).string(m.instanceId).u16(m.tags.length);
  for (const t of m.tags) w.string(t);
  if (m.start === 'earliest') w.u8(0).u64(0);
  else if (m.start === 'latest') w.u8(1).u64(0);
  else w.u8(2).u64(m.start.timestamp);
  return w.u32(m.sessionTimeoutMs).finish();
}

export function decodeJoinRequest(body: Buffer): JoinRequest {
  const r = new BodyReader(body);
  const group = r.string();
  const topic = r.string();
  const modeByte = r.u8();
  if (modeByte > 1) throw new DepotError('MALFORMED_FRAME', `unknown group mode ${modeByte}`);
  const instanceId = r.string();
  const tags: string[] = [];
  for (let n = r.u16(), i = 0; i < n; i++) tags.push(r.string());
  const startByte = r.u8();
  const ts = r.u64();
  if (startByte > 2) throw new DepotError('MALFORMED_FRAME', `unknown start position ${startByte}`);
  const start: StartPosition = startByte === 0 ? 'earliest' : startByte === 1 ? 'latest' : { timestamp: ts };
  const sessionTimeoutMs = r.u32();
  r.end();
  return { group, topic, mode: modeByte === 0 ? 'clustering' : 'broadcast', instanceId, tags, start, sessionTimeoutMs };
}

export function encodeJoinResponse(m: JoinResponse): Buffer {
  return new BodyWriter().string(m.memberId).u32(m.heartbeatMs).finish();
}

export function decodeJoinResponse(body: Buffer): JoinResponse {
  const r = new BodyReader(body);
  const m = { memberId: r.string(), heartbeatMs: r.u32() };
  r.end();
  return m;
}

export function encodeAssignment(m: Assignment): Buffer {
  const w = new BodyWriter(32 + 4 * m.queues.length).string(m.group).string(m.topic).u32(m.generation).u32(m.queues.length);
  for (const q of m.queues) w.u32(q);
  return w.finish();
}

export function decodeAssignment(body: Buffer): Assignment {
  const r = new BodyReader(body);
  const group = r.string();
  const topic = r.string();
  const generation = r.u32();
  const n = r.count(4);
  const queues: number[] = [];
  for (let i = 0; i < n; i++) queues.push(r.u32());
  r.end();
  return { group, topic, generation, queues };
}

export function encodeMemberId(memberId: string): Buffer {
  return new BodyWriter().string(memberId).finish();
}

export function decodeMemberId(body: Buffer): string {
  const r = new BodyReader(body);
  const id = r.string();
  r.end();
  return id;
}

export function encodeU32(v: number): Buffer {
  return new BodyWriter(4).u32(v).finish();
}

export function decodeU32(body: Buffer): number {
  const r = new BodyReader(body);
  const v = r.u32();
  r.end();
  return v;
}
