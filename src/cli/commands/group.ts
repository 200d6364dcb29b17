// depot group list|describe|reset
import { Command } from 'commander';
import { parsePosition, printJson, printTable, withConnection, withDepot, type GlobalOptions } from './common.js';
import type { ResetTarget } from '../../client/index.js';

export function groupCommand(): Command {
  const group = new Command('group').description('list, describe and reset consumer groups');
  withConnection(group.command('list').description('consumer groups, their members and lag')).action(async (o: GlobalOptions) => {
    const groups = await withDepot(o, (d) => d.admin.listGroups());
    if (o.json) printJson(groups);
    else printTable(groups.map((g) => ({ ...g, lag: g.lagMessages })), ['group', 'topic', 'mode', 'members', 'lag']);
  });
  withConnection(group.command('describe <group>').description('members, assignment, offsets and lag per queue'))
    .requiredOption('--topic <topic>', 'the topic the group consumes')
    .action(async (name: string, o: GlobalOptions & { topic: string }) => {
      const d = await withDepot(o, (depot) => depot.admin.describeGroup(name, o.topic));
      if (o.json) return printJson(d);
      process.stdout.write(`group ${d.group} on ${d.topic}: ${d.mode}, generation ${d.generation}, ${d.members.length} members\n`);
      if (d.members.length > 0) printTable(d.members.map((m) => ({ member: m.memberId, client: m.clientId, instance: m.instanceId, queues: m.queues.join(',') })), ['member', 'client', 'instance', 'queues']);
      const lag = d.queues.reduce((n, q) => n + q.lagMessages, 0);
      const lagMs = d.queues.reduce((n, q) => Math.max(n, q.lagMs), 0);
      process.stdout.write(`lag: ${lag} messages, ${lagMs} ms behind\n`);
      printTable(
        d.queues.map((q) => ({ owner: q.owner, queue: q.queue, committed: q.committed ?? '-', end: q.endOffset, lag: q.lagMessages, lagMs: q.lagMs })),
        d.mode === 'broadcast' ? ['owner', 'queue', 'committed', 'end', 'lag', 'lagMs'] : ['queue', 'committed', 'end', 'lag', 'lagMs'],
      );
    });
  withConnection(group.command('reset <group>').description("move a group's offsets"))
    .requiredOption('--topic <topic>', 'the topic the group consumes')
    .requiredOption('--to <position>', "'earliest', 'latest', a time (ISO 8601 or ms) or offset:N")
    .action(async (name: string, o: GlobalOptions & { topic: string; to: string }) => {
      const to: ResetTarget = o.to.startsWith('offset:') ? { offset: Number(o.to.slice(7)) } : parsePosition(o.to);
      const offsets = await withDepot(o, (d) => d.admin.resetOffsets(name, o.topic, to));
      if (o.json) printJson(offsets);
      else printTable(offsets, ['queue', 'offset']);
    });
  return group;
}
