// Consumer group administration.
//   ListGroups     request:  empty
//                  response: count u32, each group string | topic string | mode u8 | members u32 |
//                            lagMessages u64
//   DescribeGroup  request:  group string | topic string
//                  response: GroupDescription:
//                    group string | topic string | mode u8 | generation u32 |
//                    members count u32, each memberId string | clientId string | instanceId string |
//                      queues (count u32, queue u32 each)
//                    queues count u32, each owner string ("" in clustering mode, the instance id in
//                      broadcast mode) | queue u32 | committed i64 (-1: none) | endOffset u64 |
//                      lagMessages u64 | lagMs u64
//   ResetOffsets   request:  group string | topic string | to u8 (0 earliest, 1 latest,
//                            2 timestamp, 3 offset) | value u64
//                  response: count u32, each queue u32 | offset u64
import { DepotError } from '../../util/errors.js';
import { BodyReader, BodyWriter } from './codec.js';
import type { GroupMode } from './membership.js';

export interface GroupSummary {
  group: string;
  topic: string;
  mode: GroupMode;
  members: number;
  lagMessages: number;
}

export interface MemberDescription {
  memberId: string;
  clientId: string;
  instanceId: string;
  queues: number[];
}

export interface QueueProgress {
  owner: string;
  queue: number;
  committed: number | undefined;
  endOffset: number;
  lagMessages: number;
  lagMs: number;
}

export interface GroupDescription {
  group: string;
  topic: string;
  mode: GroupMode;
  generation: number;
  members: MemberDescription[];
  queues: QueueProgress[];
}

export type ResetTarget = 'earliest' | 'latest' | { timestamp: number } | { offset: number };

export interface ResetRequest {
  group: string;
  topic: string;
  to: ResetTarget;
}

function readMode(r: BodyReader): GroupMode {
  const m = r.u8();
  if (m > 1) throw new DepotError('MALFORMED_FRAME', `unknown group mode ${m}`);
  return m === 0 ? 'clustering' : 'broadcast';
}

export function encodeGroupList(groups: readonly GroupSummary[]): Buffer {
  const w = new BodyWriter().u32(groups.length);
  for (const g of groups) w.string(g.group).string(g.topic).u8(g.mode === 'clustering' ? 0 : 1).u32(g.members).u64(g.lagMessages);
  return w.finish();
}

export function decodeGroupList(body: Buffer): GroupSummary[] {
  const r = new BodyReader(body);
  const n = r.count(17);
  const out: GroupSummary[] = [];
  for (let i = 0; i < n; i++) out.push({ group: r.string(), topic: r.string(), mode: readMode(r), members: r.u32(), lagMessages: r.u64() });
  r.end();
  return out;
}

export function encodeGroupKey(group: string, topic: string): Buffer {
  return new BodyWriter().string(group).string(topic).finish();
}

export function decodeGroupKey(body: Buffer): { group: string; topic: string } {
  const r = new BodyReader(body);
  const m = { group: r.string(), topic: r.string() };
  r.end();
  return m;
}

export function encodeGroupDescription(d: GroupDescription): Buffer {
  const w = new BodyWriter().string(d.group).string(d.topic).u8(d.mode === 'clustering' ? 0 : 1).u32(d.generation).u32(d.members.length);
  for (const m of d.members) {
    w.string(m.memberId).string(m.clientId).string(m.instanceId).u32(m.queues.length);
    for (const q of m.queues) w.u32(q);
  }
  w.u32(d.queues.length);
  for (const q of d.queues) w.string(q.owner).u32(q.queue).i64(q.committed ?? -1).u64(q.endOffset).u64(q.lagMessages).u64(q.lagMs);
  return w.finish();
}

export function decodeGroupDescription(body: Buffer): GroupDescription {
  const r = new BodyReader(body);
  const group = r.string();
  const topic = r.string();
  const mode = readMode(r);
  const generation = r.u32();
  const members: MemberDescription[] = [];
  for (let n = r.count(10), i = 0; i < n; i++) {
    const m = { memberId: r.string(), clientId: r.string(), instanceId: r.string(), queues: [] as number[] };
    for (let k = r.count(4), j = 0; j < k; j++) m.queues.push(r.u32());
    members.push(m);
  }
  const queues: QueueProgress[] = [];
  for (let n = r.count(38), i = 0; i < n; i++) {
    const owner = r.string();
    const queue = r.u32();
    const c = r.i64();
    queues.push({ owner, queue, committed: c < 0 ? undefined : c, endOffset: r.u64(), lagMessages: r.u64(), lagMs: r.u64() });
  }
  r.end();
  return { group, topic, mode, generation, members, queues };
}

export function encodeResetRequest(m: ResetRequest): Buffer {
  const w = new BodyWriter().string(m.group).string(m.topic);
  if (m.to === 'earliest') w.u8(0).u64(0);
  else if (m.to === 'latest') w.u8(1).u64(0);
  else if ('timestamp' in m.to) w.u8(2).u64(m.to.timestamp);
  else w.u8(3).u64(m.to.offset);
  return w.finish();
}

export function decodeResetRequest(body: Buffer): ResetRequest {
  const r = new BodyReader(body);
  const group = r.string();
  const topic = r.string();
  const kind = r.u8();
  const value = r.u64();
  r.end();
  const targets: ResetTarget[] = ['earliest', 'latest', { timestamp: value }, { offset: value }];
  const to = targets[kind];
  if (to === undefined) throw new DepotError('MALFORMED_FRAME', `unknown reset target ${kind}`);
  return { group, topic, to };
}

export function encodeOffsets(offsets: ReadonlyArray<{ queue: number; offset: number }>): Buffer {
  const w = new BodyWriter(4 + 12 * offsets.length).u32(offsets.length);
  for (const o of offsets) w.u32(o.queue).u64(o.offset);
  return w.finish();
}

export function decodeOffsets(body: Buffer): Array<{ queue: number; offset: number }> {
  const r = new BodyReader(body);
  const out: Array<{ queue: number; offset: number }> = [];
  for (let n = r.count(12), i = 0; i < n; i++) out.push({ queue: r.u32(), offset: r.u64() });
  r.end();
  return out;
}
