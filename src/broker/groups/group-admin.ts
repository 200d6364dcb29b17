// Consumer group administration: listing, progress and lag, and offset resets. Groups are
// known from their live members and from their committed offsets, so a group with no member
// online can still be described and reset.
import { DepotError } from '../../util/errors.js';
import type { GroupDescription, GroupSummary, QueueProgress, ResetTarget } from '../../protocol/native/group-admin.js';
import type { GroupMode } from '../../protocol/native/membership.js';
import type { BrokerService } from '../broker-service.js';
import type { GroupCoordinator } from './coordinator.js';

export class GroupAdmin {
  constructor(
    private readonly broker: BrokerService,
    private readonly coordinator: GroupCoordinator,
    private readonly queueCount: (topic: string) => number | undefined,
  ) {}

  /** Offset owners of a group: the group itself (clustering) or one per broadcast instance. */
  private owners(group: string, topic: string): { mode: GroupMode; owners: string[] } {
    const all = this.broker.machine.ownersOf(topic);
    const broadcast = all.filter((o) => o.startsWith(`${group}#`));
    const live = this.coordinator.group(group, topic);
    if (live?.mode === 'broadcast' || (live === undefined && broadcast.length > 0 && !all.includes(group))) {
      return { mode: 'broadcast', owners: broadcast };
    }
    return { mode: 'clustering', owners: [group] };
  }

  list(): GroupSummary[] {
    const seen = new Map<string, GroupSummary>();
    for (const { owner, topic } of this.broker.machine.offsetOwners()) {
      const name = owner.includes('#') ? owner.slice(0, owner.indexOf('#')) : owner;
      seen.set(`${name}\u0000${topic}`, { group: name, topic, mode: owner.includes('#') ? 'broadcast' : 'clustering', members: 0, lagMessages: 0 });
    }
    for (const g of this.coordinator.liveGroups()) {
      seen.set(`${g.name}\u0000${g.topic}`, { group: g.name, topic: g.topic, mode: g.mode, members: g.members.size, lagMessages: 0 });
    }
    const out = [...seen.values()].filter((s) => this.queueCount(s.topic) !== undefined);
    for (const s of out) s.lagMessages = this.progress(s.group, s.topic, 0).reduce((n, q) => n + q.lagMessages, 0);
    return out.sort((a, b) => (a.group + a.topic < b.group + b.topic ? -1 : 1));
  }

  private progress(group: string, topic: string, now: number): QueueProgress[] {
    const queues = this.queueCount(topic) ?? 0;
    const { mode, owners } = this.owners(group, topic);
    const rows: QueueProgress[] = [];
    for (const owner of owners) {
      for (let q = 0; q < queues; q++) {
        const store = this.broker.store;
        const end = this.broker.machine.endOffset(topic, q);
        const committed = this.broker.machine.committed(owner, topic, q);
        const from = Math.max(committed ?? 0, store.startOffset(topic, q));
        const lagMessages = Math.max(0, end - from);
        // Messages applied but not yet indexed are a moment old: no time lag to report for them.
        const lagMs = lagMessages > 0 && from < store.endOffset(topic, q) ? Math.max(0, now - store.timestampAt(topic, q, from)) : 0;
        rows.push({ owner: mode === 'clustering' ? '' : owner.slice(group.length + 1), queue: q, committed, endOffset: end, lagMessages, lagMs });
      }
    }
    return rows;
  }

  describe(group: string, topic: string, now: number): GroupDescription {
    if (this.queueCount(topic) === undefined) throw new DepotError('TOPIC_NOT_FOUND', `topic '${topic}' does not exist`, { details: { topic } });
    const live = this.coordinator.group(group, topic);
    const { mode, owners } = this.owners(group, topic);
    if (live === undefined && !this.broker.machine.ownersOf(topic).some((o) => owners.includes(o))) {
      throw new DepotError('GROUP_NOT_FOUND_MQ', `group '${group}' has no member and no committed offset on '${topic}'`);
    }
    const members = [...(live?.members.values() ?? [])].map((m) => ({ memberId: m.memberId, clientId: m.clientId, instanceId: m.join.instanceId, queues: [...m.queues] }));
    return { group, topic, mode, generation: live?.generation ?? 0, members, queues: this.progress(group, topic, now) };
  }

  /** Moves the group's committed offsets (every broadcast instance's too) and live members' cursors. */
  async reset(group: string, topic: string, to: ResetTarget): Promise<Array<{ queue: number; offset: number }>> {
    const queues = this.queueCount(topic);
    if (queues === undefined) throw new DepotError('TOPIC_NOT_FOUND', `topic '${topic}' does not exist`, { details: { topic } });
    const store = this.broker.store;
    const offsets: Array<{ queue: number; offset: number }> = [];
    for (let q = 0; q < queues; q++) {
      const start = store.startOffset(topic, q);
      const end = this.broker.machine.endOffset(topic, q);
      let offset: number;
      if (to === 'earliest') offset = start;
      else if (to === 'latest') offset = end;
      else if ('timestamp' in to) offset = store.offsetForTimestamp(topic, q, to.timestamp);
      else offset = Math.min(Math.max(to.offset, start), end);
      offsets.push({ queue: q, offset });
    }
    const { owners } = this.owners(group, topic);
    await Promise.all(owners.map((o) => this.broker.commitOffsets(o, topic, offsets)));
    this.coordinator.resetCursors(group, topic);
    return offsets;
  }
}
