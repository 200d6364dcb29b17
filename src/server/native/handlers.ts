// One handler per request API. Each decodes its body (codecs throw MALFORMED_FRAME on bad
// input), calls the services and returns the response body. Handlers hold no socket state
// beyond what `Session` exposes.
import { DepotError } from '../../util/errors.js';
import { Api } from '../../protocol/native/apis.js';
import { decodeCommitRequest, decodeCreditRequest, decodeFetchRequest, encodeCommitOutcomes, encodeDelivery } from '../../protocol/native/consume.js';
import { decodeGroupKey, decodeResetRequest, encodeGroupDescription, encodeGroupList, encodeOffsets } from '../../protocol/native/group-admin.js';
import { decodeJoinRequest, decodeMemberId, encodeJoinResponse, encodeU32 } from '../../protocol/native/membership.js';
import { decodeProduceRequest, encodeProduceResult } from '../../protocol/native/produce.js';
import { decodeCreateTopic, decodeName, encodeTopicDescription, encodeTopicInfo, encodeTopicList } from '../../protocol/native/topics.js';
import { BodyReader } from '../../protocol/native/codec.js';
import type { MemberSink } from '../../broker/groups/member.js';
import type { QueueServices } from './services.js';

const EMPTY = Buffer.alloc(0);

/** What a handler may ask of the connection it serves. */
export interface Session {
  readonly clientId: string;
  /** A sink that pushes assignments to this connection under the JoinGroup's correlation id. */
  memberSink(correlationId: number): MemberSink;
  /** Remembers a member joined through this connection (it leaves when the connection closes). */
  own(memberId: string, sink: MemberSink): void;
  disown(memberId: string): void;
  /** Tags later deliveries of a subscription with this request's correlation id. */
  subscription(memberId: string, correlationId: number): void;
}

export type Handler = (s: QueueServices, session: Session, body: Buffer, correlationId: number) => Buffer | Promise<Buffer>;

export const handlers: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [Api.CreateTopic, async (s, _session, body) => {
    const { name, settings } = decodeCreateTopic(body);
    return encodeTopicInfo(await s.controller.createTopic(name, settings));
  }],
  [Api.DeleteTopic, async (s, _session, body) => {
    const name = decodeName(body);
    s.controller.requireTopic(name);
    await s.broker.dropTopic(name);
    s.coordinator.dropTopic(name);
    await s.controller.deleteTopic(name);
    return EMPTY;
  }],
  [Api.ListTopics, async (s, _session, body) => {
    new BodyReader(body).end();
    return encodeTopicList(await s.controller.listTopics());
  }],
  [Api.DescribeTopic, (s, _session, body) => {
    const topic = s.controller.requireTopic(decodeName(body));
    return encodeTopicDescription({ topic, queues: s.broker.describeQueues(topic.name, topic.queues) });
  }],
  [Api.Produce, async (s, _session, body) => {
    const req = decodeProduceRequest(body);
    const topic = s.controller.requireTopic(req.topic);
    return encodeProduceResult(await s.broker.produce(topic, req.queue, req.producerId, req.baseSequence, req.batch));
  }],
  [Api.JoinGroup, (s, session, body, correlationId) => {
    const req = decodeJoinRequest(body);
    const sink = session.memberSink(correlationId);
    const member = s.coordinator.join(req, session.clientId, sink);
    session.own(member.memberId, sink);
    return encodeJoinResponse({ memberId: member.memberId, heartbeatMs: Math.floor(req.sessionTimeoutMs / 3) });
  }],
  [Api.Heartbeat, (s, _session, body) => encodeU32(s.coordinator.heartbeat(decodeMemberId(body)))],
  [Api.LeaveGroup, (s, session, body) => {
    const memberId = decodeMemberId(body);
    s.coordinator.leave(memberId);
    session.disown(memberId);
    return EMPTY;
  }],
  [Api.Fetch, async (s, _session, body) => {
    const req = decodeFetchRequest(body);
    const { topic, messages, scanned } = await s.coordinator.fetch(req.memberId, req.maxMessages, req.maxWaitMs);
    return encodeDelivery({ brokerGroup: s.broker.brokerGroup, topic, messages, scanned });
  }],
  [Api.Subscribe, (s, session, body, correlationId) => {
    const req = decodeCreditRequest(body);
    session.subscription(req.memberId, correlationId);
    s.coordinator.subscribe(req.memberId, req.credits);
    return EMPTY;
  }],
  [Api.Credit, (s, _session, body) => {
    const req = decodeCreditRequest(body);
    s.coordinator.credit(req.memberId, req.credits);
    return EMPTY;
  }],
  [Api.CommitOffsets, async (s, _session, body) => {
    const req = decodeCommitRequest(body);
    return encodeCommitOutcomes(await s.coordinator.commit(req.memberId, req.offsets));
  }],
  [Api.ListGroups, (s, _session, body) => {
    new BodyReader(body).end();
    return encodeGroupList(s.groupAdmin.list());
  }],
  [Api.DescribeGroup, (s, _session, body) => {
    const { group, topic } = decodeGroupKey(body);
    return encodeGroupDescription(s.groupAdmin.describe(group, topic, s.clock.now()));
  }],
  [Api.ResetOffsets, async (s, _session, body) => {
    const req = decodeResetRequest(body);
    return encodeOffsets(await s.groupAdmin.reset(req.group, req.topic, req.to));
  }],
]);

export function handlerFor(api: number): Handler {
  const h = handlers.get(api);
  if (h === undefined) throw new DepotError('UNKNOWN_REQUEST', `unknown request api ${api}`);
  return h;
}
