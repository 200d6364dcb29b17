// A raft node in its own process, for the multi-process test: one RaftHost, one group with a
// list state machine, driven by its parent over IPC.
//   parent → child: { op: 'open', peers } | { op: 'propose', id, value } | { op: 'items', id } | { op: 'cpu', id } | { op: 'exit' }
//   child → parent: { op: 'listening', address } | { op: 'reply', id, ... } | { op: 'leader', isLeader }
import process from 'node:process';
import { join } from 'node:path';
import type { RaftGroup } from '../../../src/raft/driver/group.js';
import { RaftHost } from '../../../src/raft/driver/host.js';
import { isDepotError } from '../../../src/util/errors.js';
import { CountingMachine, ListMachine } from './machines.js';

interface Command {
  op: 'open' | 'propose' | 'items' | 'cpu' | 'exit';
  id?: number;
  value?: string;
  peers?: Record<number, string>;
}

// argv: nodeId dataDir [port] [electionTicks] [list|count]
const [nodeId, dataDir, port] = [Number(process.argv[2]), process.argv[3]!, Number(process.argv[4] ?? 0)];
const electionTicks = Number(process.argv[5] ?? 10);
const sm = process.argv[6] === 'count' ? new CountingMachine() : new ListMachine();
let group: RaftGroup<number> | undefined;
const items = () => (sm instanceof ListMachine ? sm.items : []);

function reply(msg: object): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const host = await RaftHost.start({ nodeId, host: '127.0.0.1', port, tickMs: 50 });
  process.on('message', (cmd: Command) => void handle(host, cmd));
  reply({ op: 'listening', address: host.address });
}

async function handle(host: RaftHost, cmd: Command): Promise<void> {
  if (cmd.op === 'open') {
    for (const [id, a] of Object.entries(cmd.peers!)) host.learnAddress(Number(id), a);
    group = await host.openGroup({ id: 'q', dir: join(dataDir, 'groups', 'q'), bootstrap: cmd.peers!, durability: 'sync', stateMachine: sm, tuning: { electionTicks } });
    group.onLeadershipChange((isLeader) => reply({ op: 'leader', isLeader }));
    reply({ op: 'reply', id: cmd.id });
  } else if (cmd.op === 'propose') {
    try {
      const p = group!.propose(Buffer.from(cmd.value!));
      await p.applied;
      reply({ op: 'reply', id: cmd.id, ok: true, index: p.index });
    } catch (err) {
      reply({ op: 'reply', id: cmd.id, ok: false, code: isDepotError(err) ? err.code : 'INTERNAL', leader: isDepotError(err) ? err.details['leaderId'] : undefined });
    }
  } else if (cmd.op === 'exit') {
    process.exit(0);
  } else if (cmd.op === 'cpu') {
    // The benchmark's CPU time per commit: user + system microseconds of this process so far.
    const u = process.cpuUsage();
    reply({ op: 'reply', id: cmd.id, cpuMicros: u.user + u.system });
  } else if (cmd.op === 'items') {
    reply({ op: 'reply', id: cmd.id, items: items(), applied: group?.status().appliedIndex ?? 0 });
  }
}

// Only meaningful as a child forked with IPC by the multi-process test.
if (process.send !== undefined) void main();
