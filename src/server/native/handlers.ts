// One handler per request API. Each decodes its body (codecs throw MALFORMED_FRAME on bad
// input), calls the services and returns the response body. Handlers hold no socket state
// beyond what `Session` exposes.
import { DepotError } from '../../util/errors.js';
import { Api } from '../../protocol/native/apis.js';
import { decodeCommitRequest, decodeCreditRequest, decodeFetchRequest, DELIVERY_RUNS, encodeCommitOutcomes, encodeDelivery, encodeDeliveryRuns, type Delivery } from '../../protocol/native/consume.js';
import { decodeGroupKey, decodeResetRequest, encodeGroupDescription, encodeGroupList, encodeOffsets } from '../../protocol/native/group-admin.js';
import { decodeGetMessage, decodeKeyQuery, decodeTimeQuery, encodeStoredMessage, encodeStoredMessages } from '../../protocol/native/lookup.js';
import { decodeJoinRequest, decodeMemberId, encodeJoinResponse, encodeU32 } from '../../protocol/native/membership.js';
import { decodeProduceRequest, encodeProduceResult } from '../../protocol/native/produce.js';
import { decodeCreateTopic, decodeName, encodeTopicDescription, encodeTopicInfo, encodeTopicList } from '../../protocol/native/topics.js';
import { BodyReader } from '../../protocol/native/codec.js';
import { prefixedBody, type Frame } from '../../protocol/native/frame.js';
import { CommandType } from '../../broker/machine/commands.js';
import type { MemberSink } from '../../broker/groups/member.js';
import type { QueueServices } from './services.js';

const EMPTY = Buffer.alloc(0);

/** What a handler may ask of the connection it serves. */
export interface Session {
  readonly clientId: string;
  /** A sink that pushes to this connection: assignments under the JoinGroup's correlation id. */
  memberSink(correlationId: number, brokerGroup: number): MemberSink;
  /** Remembers a member joined through this connection (it leaves when the connection closes). */
  own(memberId: string, sink: MemberSink): void;
  disown(memberId: string): void;
  /** Tags later deliveries of a subscription with this request's correlation id, in runs if `runs`. */
  subscription(memberId: string, correlationId: number, runs: boolean): void;
}

/** A response body written as parts, in order, under frame flags (a Delivery in runs). */
export interface Parts {
  parts: Buffer[];
  flags: number;
}

export type Reply = Buffer | Parts;

export type Handler = (s: QueueServices, session: Session, body: Buffer, frame: Frame) => Reply | Promise<Reply>;

/** A Delivery in the layout its requester asked for (the DELIVERY_RUNS flag of `requestFlags`). */
export function deliveryReply(d: Delivery, requestFlags: number): Reply {
  return (requestFlags & DELIVERY_RUNS) !== 0 ? { parts: encodeDeliveryRuns(d), flags: DELIVERY_RUNS } : encodeDelivery(d);
}

const topicHandlers: Array<[number, Handler]> = [
  [Api.CreateTopic, async (s, _session, body) => {
    const { name, settings } = decodeCreateTopic(body);
    return encodeTopicInfo(await s.controller.createTopic(name, settings));
  }],
  [Api.DeleteTopic, async (s, _session, body) => {
    const topic = s.controller.requireTopic(decodeName(body));
    const { broker, coordinator } = s.brokerOf(topic);
    await broker.dropTopic(topic.name);
    coordinator.dropTopic(topic.name);
    await s.controller.deleteTopic(topic.name);
    return EMPTY;
  }],
  [Api.ListTopics, async (s, _session, body) => {
    new BodyReader(body).end();
    return encodeTopicList(await s.controller.listTopics());
  }],
  [Api.DescribeTopic, (s, _session, body) => {
    const topic = s.controller.requireTopic(decodeName(body));
    return encodeTopicDescription({ topic, queues: s.brokerOf(topic).broker.describeQueues(topic.name, topic.queues) });
  }],
  [Api.Produce, async (s, _session, body, frame) => {
    const req = decodeProduceRequest(body);
    const topic = s.controller.requireTopic(req.topic);
    // The request body behind the command type is the log command: stored without a copy.
    return encodeProduceResult(await s.brokerOf(topic).broker.produce(topic, req, prefixedBody(frame, CommandType.Produce)));
  }],
];

const memberHandlers: Array<[number, Handler]> = [
  [Api.JoinGroup, (s, session, body, { correlationId }) => {
    const req = decodeJoinRequest(body);
    const topic = s.controller.requireTopic(req.topic);
    const { broker, coordinator } = s.brokerOf(topic);
    const sink = session.memberSink(correlationId, broker.brokerGroup);
    const member = coordinator.join(req, session.clientId, sink);
    session.own(member.memberId, sink);
    return encodeJoinResponse({ memberId: member.memberId, heartbeatMs: Math.floor(req.sessionTimeoutMs / 3) });
  }],
  [Api.Heartbeat, (s, _session, body) => {
    const memberId = decodeMemberId(body);
    return encodeU32(s.memberParts(memberId).coordinator.heartbeat(memberId));
  }],
  [Api.LeaveGroup, (s, session, body) => {
    const memberId = decodeMemberId(body);
    s.memberParts(memberId).coordinator.leave(memberId);
    session.disown(memberId);
    return EMPTY;
  }],
  [Api.Fetch, async (s, _session, body, { flags }) => {
    const req = decodeFetchRequest(body);
    const { broker, coordinator } = s.memberParts(req.memberId);
    const { topic, runs, scanned } = await coordinator.fetch(req.memberId, req.maxMessages, req.maxWaitMs);
    return deliveryReply({ brokerGroup: broker.brokerGroup, topic, runs, scanned }, flags);
  }],
  [Api.Subscribe, (s, session, body, { correlationId, flags }) => {
    const req = decodeCreditRequest(body);
    session.subscription(req.memberId, correlationId, (flags & DELIVERY_RUNS) !== 0);
    s.memberParts(req.memberId).coordinator.subscribe(req.memberId, req.credits);
    return EMPTY;
  }],
  [Api.Credit, (s, _session, body) => {
    const req = decodeCreditRequest(body);
    s.memberParts(req.memberId).coordinator.credit(req.memberId, req.credits);
    return EMPTY;
  }],
  [Api.CommitOffsets, async (s, _session, body) => {
    const req = decodeCommitRequest(body);
    return encodeCommitOutcomes(await s.memberParts(req.memberId).coordinator.commit(req.memberId, req.offsets));
  }],
];

const adminHandlers: Array<[number, Handler]> = [
  [Api.ListGroups, (s, _session, body) => {
    new BodyReader(body).end();
    const all = [...s.all()].flatMap((p) => p.admin.list());
    return encodeGroupList(all.sort((a, b) => (a.group + a.topic < b.group + b.topic ? -1 : 1)));
  }],
  [Api.DescribeGroup, (s, _session, body) => {
    const { group, topic } = decodeGroupKey(body);
    return encodeGroupDescription(s.brokerOf(s.controller.requireTopic(topic)).admin.describe(group, topic, s.clock.now()));
  }],
  [Api.ResetOffsets, async (s, _session, body) => {
    const req = decodeResetRequest(body);
    return encodeOffsets(await s.brokerOf(s.controller.requireTopic(req.topic)).admin.reset(req.group, req.topic, req.to));
  }],
  [Api.GetMessage, async (s, _session, body) => {
    const id = decodeGetMessage(body);
    return encodeStoredMessage(await s.broker(id.brokerGroup).broker.getMessage(id.logIndex, id.position));
  }],
  [Api.FindByKey, async (s, _session, body) => {
    const q = decodeKeyQuery(body);
    const topic = s.controller.requireTopic(q.topic);
    return encodeStoredMessages(await s.brokerOf(topic).broker.findByKey(topic.name, q.key, q.max));
  }],
  [Api.FindByTime, async (s, _session, body) => {
    const q = decodeTimeQuery(body);
    const topic = s.controller.requireTopic(q.topic);
    return encodeStoredMessages(await s.brokerOf(topic).broker.findByTime(topic, q.timestamp, q.max));
  }],
];

export const handlers: ReadonlyMap<number, Handler> = new Map<number, Handler>([...topicHandlers, ...memberHandlers, ...adminHandlers]);

export function handlerFor(api: number): Handler {
  const h = handlers.get(api);
  if (h === undefined) throw new DepotError('UNKNOWN_REQUEST', `unknown request api ${api}`);
  return h;
}
