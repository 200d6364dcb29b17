// Consumer groups on the broker's leader: membership, heartbeats and session timeouts,
// assignment (clustering: queues spread over members; broadcast: every member gets every
// queue with its own progress), delivery wake-ups, commits and admin resets. Membership lives in
// memory (members rejoin after a failover); committed offsets live in the log.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import { DepotError, ErrorCodes } from '../../util/errors.js';
import { tagHash } from '../../protocol/native/record-batch.js';
import type { CommitOutcome, OffsetCommit } from '../../protocol/native/consume.js';
import type { JoinRequest } from '../../protocol/native/membership.js';
import type { BrokerService } from '../broker-service.js';
import { assignQueues } from './assign.js';
import { Member, MAX_CREDITS, type MemberSink, type ReadBatch } from './member.js';

export const MIN_SESSION_TIMEOUT_MS = 1000;
export const MAX_SESSION_TIMEOUT_MS = 300_000;
export const MAX_MEMBERS_PER_GROUP = 10_000;
const GROUP_NAME = /^[A-Za-z0-9._-]{1,200}$/;

export class ConsumerGroup {
  generation = 0;
  readonly members = new Map<string, Member>();
  /** Clustering mode: which member reads each queue. */
  readonly owners = new Map<number, Member>();

  constructor(readonly name: string, readonly topic: string, readonly mode: JoinRequest['mode']) {}

  /** Where a member's progress is committed. */
  ownerKey(member: Member): string {
    return this.mode === 'clustering' ? this.name : `${this.name}#${member.join.instanceId}`;
  }
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly byTopic = new Map<string, Set<ConsumerGroup>>();
  private readonly byMember = new Map<string, ConsumerGroup>();
  private readonly wake = new Set<Member>();
  private wakeScheduled = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly broker: BrokerService,
    /** Queue count of a topic, or undefined if it does not exist. */
    private readonly queueCount: (topic: string) => number | undefined,
    private readonly clock: Clock,
    private readonly onError: (what: string, err: unknown) => void = () => undefined,
  ) {
    this.unsubscribe = broker.store.onAppend((topic, queue) => this.onAppend(topic, queue));
    this.sweeper = setInterval(() => this.sweep(), 250);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.unsubscribe();
    for (const g of this.groups.values()) for (const m of g.members.values()) m.close();
    this.groups.clear();
    this.byMember.clear();
    this.byTopic.clear();
  }

  group(name: string, topic: string): ConsumerGroup | undefined {
    return this.groups.get(`${name}\u0000${topic}`);
  }

  liveGroups(): ConsumerGroup[] {
    return [...this.groups.values()];
  }

  join(req: JoinRequest, clientId: string, sink: MemberSink): Member {
    if (!GROUP_NAME.test(req.group)) throw new DepotError('BAD_REQUEST', `group name '${req.group}' must be 1 to 200 of A-Z a-z 0-9 . _ -`);
    if (this.queueCount(req.topic) === undefined) throw new DepotError('TOPIC_NOT_FOUND', `topic '${req.topic}' does not exist`, { details: { topic: req.topic } });
    if (req.sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS || req.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS) {
      throw new DepotError('BAD_REQUEST', `session timeout must be ${MIN_SESSION_TIMEOUT_MS} to ${MAX_SESSION_TIMEOUT_MS} ms`);
    }
    if (req.mode === 'broadcast' && req.instanceId === '') throw new DepotError('BAD_REQUEST', 'a broadcast member needs an instance id');
    const key = `${req.group}\u0000${req.topic}`;
    let g = this.groups.get(key);
    if (g !== undefined && g.mode !== req.mode) {
      throw new DepotError('BAD_REQUEST', `group '${req.group}' consumes '${req.topic}' in ${g.mode} mode, not ${req.mode}`);
    }
    if (g === undefined) {
      this.groups.set(key, (g = new ConsumerGroup(req.group, req.topic, req.mode)));
      let set = this.byTopic.get(req.topic);
      if (set === undefined) this.byTopic.set(req.topic, (set = new Set()));
      set.add(g);
    }
    if (g.members.size >= MAX_MEMBERS_PER_GROUP) throw new DepotError('THROTTLED', `group '${req.group}' has ${MAX_MEMBERS_PER_GROUP} members`);
    const tags = req.tags.length === 0 ? undefined : new Set(req.tags.map(tagHash));
    const group = g;
    const member = new Member(randomUUID(), clientId, req, tags, sink, this.clock.now(), (m, q) => this.resolveCursor(group, m, q), (m, err) =>
      this.onError(`delivery to member ${m.memberId} of '${group.name}' failed`, err),
    );
    g.members.set(member.memberId, member);
    this.byMember.set(member.memberId, g);
    this.rebalance(g, member);
    return member;
  }

  knows(memberId: string): boolean {
    return this.byMember.has(memberId);
  }

  member(memberId: string): { group: ConsumerGroup; member: Member } {
    const group = this.byMember.get(memberId);
    const member = group?.members.get(memberId);
    if (group !== undefined && member !== undefined) return { group, member };
    throw new DepotError('NOT_GROUP_MEMBER', `'${memberId}' is not a member of any group (session expired?)`);
  }

  heartbeat(memberId: string): number {
    const { group, member } = this.member(memberId);
    member.lastSeen = this.clock.now();
    return group.generation;
  }

  leave(memberId: string): void {
    const { group, member } = this.member(memberId);
    this.remove(group, member);
  }

  private remove(group: ConsumerGroup, member: Member): void {
    member.close();
    group.members.delete(member.memberId);
    this.byMember.delete(member.memberId);
    if (group.members.size === 0) {
      this.groups.delete(`${group.name}\u0000${group.topic}`);
      this.byTopic.get(group.topic)?.delete(group);
      return;
    }
    this.rebalance(group, undefined);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const g of [...this.groups.values()]) {
      for (const m of [...g.members.values()]) {
        if (now - m.lastSeen > m.join.sessionTimeoutMs) this.remove(g, m);
      }
    }
  }

  /** Reassigns queues; only members whose queues changed (and `joined`) are told. */
  private rebalance(g: ConsumerGroup, joined: Member | undefined): void {
    const queues = this.queueCount(g.topic) ?? 0;
    g.generation++;
    const changed: Member[] = joined === undefined ? [] : [joined];
    if (g.mode === 'broadcast') {
      if (joined !== undefined) joined.setQueues(Array.from({ length: queues }, (_, q) => q));
    } else {
      const current = new Map([...g.members.values()].map((m) => [m.memberId, m.queues]));
      const next = assignQueues(queues, current);
      g.owners.clear();
      for (const m of g.members.values()) {
        const mine = next.get(m.memberId)!;
        if (m !== joined && !sameQueues(m.queues, mine)) changed.push(m);
        m.setQueues(mine);
        for (const q of mine) g.owners.set(q, m);
      }
    }
    for (const m of changed) {
      m.sink.assignment({ group: g.name, topic: g.topic, generation: g.generation, queues: m.queues });
      this.scheduleWake(m);
    }
  }

  private resolveCursor(g: ConsumerGroup, m: Member, queue: number): number {
    const store = this.broker.store;
    const owner = g.ownerKey(m);
    const committed = this.broker.machine.committed(owner, g.topic, queue);
    if (committed !== undefined) return Math.max(committed, store.startOffset(g.topic, queue));
    const start = m.join.start;
    const offset =
      start === 'earliest'
        ? store.startOffset(g.topic, queue)
        : start === 'latest'
          ? this.broker.machine.endOffset(g.topic, queue)
          : store.offsetForTimestamp(g.topic, queue, start.timestamp);
    // Remember where the group started, so a successor does not start again from "latest".
    this.broker.commitOffsets(owner, g.topic, [{ queue, offset }]).catch(() => undefined);
    return offset;
  }

  fetch(memberId: string, maxMessages: number, maxWaitMs: number): Promise<ReadBatch & { topic: string }> {
    const { group, member } = this.member(memberId);
    member.lastSeen = this.clock.now();
    const max = Math.min(Math.max(1, maxMessages), MAX_CREDITS);
    return member.fetchMessages(max, Math.min(maxWaitMs, 60_000), this.broker.store).then((batch) => ({ topic: group.topic, ...batch }));
  }

  subscribe(memberId: string, credits: number): void {
    const { member } = this.member(memberId);
    member.subscribed = true;
    this.credit(memberId, credits);
  }

  credit(memberId: string, credits: number): void {
    const { member } = this.member(memberId);
    member.lastSeen = this.clock.now();
    member.credits = Math.min(MAX_CREDITS, member.credits + credits);
    member.pump(this.broker.store);
  }

  /** Commits for the queues the member owns; other queues get QUEUE_NOT_ASSIGNED. */
  async commit(memberId: string, offsets: readonly OffsetCommit[]): Promise<CommitOutcome[]> {
    const { group, member } = this.member(memberId);
    member.lastSeen = this.clock.now();
    const mine = new Set(member.queues);
    const accepted = offsets.filter((o) => mine.has(o.queue));
    if (accepted.length > 0) await this.broker.commitOffsets(group.ownerKey(member), group.topic, accepted);
    return offsets.map((o) => ({ queue: o.queue, code: mine.has(o.queue) ? 0 : ErrorCodes.QUEUE_NOT_ASSIGNED }));
  }

  /** After an admin reset: every live member re-reads its queues from the committed offsets. */
  resetCursors(name: string, topic: string): void {
    const g = this.group(name, topic);
    if (g === undefined) return;
    g.generation++;
    for (const m of g.members.values()) {
      m.cursors.clear();
      m.sink.assignment({ group: g.name, topic: g.topic, generation: g.generation, queues: m.queues });
      this.scheduleWake(m);
    }
  }

  /** Drops the groups of a deleted topic. */
  dropTopic(topic: string): void {
    for (const g of this.byTopic.get(topic) ?? []) {
      for (const m of g.members.values()) {
        m.close();
        this.byMember.delete(m.memberId);
      }
      this.groups.delete(`${g.name}\u0000${g.topic}`);
    }
    this.byTopic.delete(topic);
  }

  private onAppend(topic: string, queue: number): void {
    const groups = this.byTopic.get(topic);
    if (groups === undefined) return;
    for (const g of groups) {
      if (g.mode === 'clustering') {
        const m = g.owners.get(queue);
        if (m !== undefined) this.scheduleWake(m);
      } else {
        for (const m of g.members.values()) this.scheduleWake(m);
      }
    }
  }

  /** Wake-ups of one event-loop turn are coalesced: one pump per member however many batches landed. */
  private scheduleWake(m: Member): void {
    this.wake.add(m);
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const members = [...this.wake];
      this.wake.clear();
      for (const member of members) if (!member.closed) member.pump(this.broker.store);
    });
  }
}

function sameQueues(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((q, i) => q === b[i]);
}
