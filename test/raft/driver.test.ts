// The driver end to end in one process: real TCP between RaftHosts on 127.0.0.1 and real
// logs in temporary directories; the group contract (propose/read/leadership events),
// NOT_LEADER hints, failover, a new member that catches up from a streamed snapshot, pins
// and retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfChangeType } from '../../src/raft/core/confchange.js';
import type { RaftGroup } from '../../src/raft/driver/group.js';
import { RaftHost } from '../../src/raft/driver/host.js';
import { openMemoryLog } from '../../src/raft/driver/memory-log.js';
import { isDepotError } from '../../src/util/errors.js';
import { smallSegmentLogs, startHosts, tempDir, waitFor } from './helpers/cluster.js';
import { ListMachine } from './helpers/machines.js';

test('a single-node group elects itself at once and applies proposals', async () => {
  const tmp = tempDir('raft-single-');
  const [host] = await startHosts(1, smallSegmentLogs, 1000);
  try {
    const sm = new ListMachine();
    const g = await host!.openGroup({ id: 'g1', dir: join(tmp.dir, 'g1'), bootstrap: { 1: host!.address }, durability: 'sync', stateMachine: sm });
    const changes: boolean[] = [];
    g.onLeadershipChange((l) => changes.push(l));
    // No election timeout (10 ticks of 1 s here): leadership comes within a few event-loop turns
    // (and fsyncs, slow on a loaded machine), far sooner than one.
    await waitFor(() => g.status().isLeader, 3000, 'self-election');
    const props = ['a', 'b', 'c'].map((v) => g.propose(Buffer.from(v)));
    assert.deepEqual(props.map((p) => p.index), [3, 4, 5]);
    assert.deepEqual(await Promise.all(props.map((p) => p.applied)), [1, 2, 3]);
    assert.deepEqual(await g.read(() => [...sm.items]), ['a', 'b', 'c']);
    assert.deepEqual(changes, [true]);
    // The cache's mode: an entry counts once written to the OS, fsynced in the background.
    const asm = new ListMachine();
    const ag = await host!.openGroup({ id: 'g2', dir: join(tmp.dir, 'g2'), bootstrap: { 1: host!.address }, durability: 'async', stateMachine: asm });
    await waitFor(() => ag.status().isLeader, 3000, 'self-election');
    assert.equal(await ag.propose(Buffer.from('x')).applied, 1);
    assert.ok(ag.log.writtenIndex >= 3);
    // flush(): what was proposed is handed to the log before it returns, not in a later turn.
    const y = ag.propose(Buffer.from('y'));
    assert.equal(ag.log.lastIndex, y.index - 1);
    ag.flush();
    assert.equal(ag.log.lastIndex, y.index);
    // ...and, written on this thread (the log's inline write), committed and applied in the
    // same call: a group of one needs nobody else, and nothing was left to wait for.
    assert.equal(ag.status().appliedIndex, y.index);
    assert.deepEqual(asm.items, ['x', 'y']);
    assert.equal(await y.applied, 2);
  } finally {
    await host!.close();
    tmp.remove();
  }
});

async function openAll(hosts: RaftHost[], dir: string, sms: ListMachine[], extra: object = {}): Promise<RaftGroup<number>[]> {
  const bootstrap = Object.fromEntries(hosts.map((h) => [h.nodeId, h.address]));
  return Promise.all(
    hosts.map((h, i) => h.openGroup({ id: 'q', dir: join(dir, `n${h.nodeId}`), bootstrap, durability: 'sync', stateMachine: sms[i]!, ...extra })),
  );
}

test('three nodes: followers refuse with a leader hint, writes survive the leader stopping', async () => {
  const tmp = tempDir('raft-three-');
  const hosts = await startHosts(3, smallSegmentLogs);
  const sms = hosts.map(() => new ListMachine());
  try {
    const groups = await openAll(hosts, tmp.dir, sms);
    await waitFor(() => groups.some((g) => g.status().isLeader), 5000, 'a leader');
    const li = groups.findIndex((g) => g.status().isLeader);
    const follower = groups[(li + 1) % 3]!;
    await waitFor(() => follower.status().leaderAddress !== undefined, 5000, 'follower knows the leader');
    assert.throws(() => follower.propose(Buffer.from('x')), (err: unknown) =>
      isDepotError(err, 'NOT_LEADER') && err.details['leader'] === hosts[li]!.address);
    const acked = await Promise.all(Array.from({ length: 50 }, (_, i) => groups[li]!.propose(Buffer.from(`w${i}`)).applied));
    assert.equal(acked.length, 50);
    await hosts[li]!.close();
    const rest = groups.filter((_, i) => i !== li);
    await waitFor(() => rest.some((g) => g.status().isLeader), 5000, 'a new leader');
    const nl = rest.find((g) => g.status().isLeader)!;
    await nl.propose(Buffer.from('after')).applied;
    const smOf = (g: RaftGroup<number>) => sms[groups.indexOf(g)]!;
    await waitFor(() => rest.every((g) => smOf(g).items.length === 51), 5000, 'followers applied everything');
    for (const g of rest) assert.deepEqual(smOf(g).items, [...Array.from({ length: 50 }, (_, i) => `w${i}`), 'after']);
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});

test('durability changes at run time: after the switch to always, a commit means a majority fdatasynced the entry', async () => {
  const tmp = tempDir('raft-durability-');
  const hosts = await startHosts(3, smallSegmentLogs);
  const sms = hosts.map(() => new ListMachine());
  try {
    const groups = await openAll(hosts, tmp.dir, sms, { durability: 'async' });
    await waitFor(() => groups.some((g) => g.status().isLeader), 5000, 'a leader');
    const leader = groups.find((g) => g.status().isLeader)!;
    const early = Array.from({ length: 20 }, (_, i) => leader.propose(Buffer.from(`a${i}`)));
    // Every replica switches its own log, while the first proposals are in flight; the switch
    // makes what each replica had appended durable.
    const had = groups.map((g) => g.log.lastIndex);
    await Promise.all(groups.map((g) => g.setFlushPolicy({ mode: 'always' })));
    groups.forEach((g, i) => assert.ok(g.log.durableIndex >= had[i]!, `replica ${i + 1}: durable ${g.log.durableIndex} < ${had[i]}`));
    for (let round = 0; round < 5; round++) {
      const p = leader.propose(Buffer.from(`b${round}`));
      await p.applied;
      const durable = groups.filter((g) => g.log.durableIndex >= p.index).length;
      assert.ok(durable >= 2, `entry ${p.index} committed with ${durable} durable copies`);
    }
    await Promise.all(early.map((p) => p.applied));
    await Promise.all(groups.map((g) => g.setFlushPolicy({ mode: 'never' })));
    assert.equal(await leader.propose(Buffer.from('c')).applied, 26);
    assert.deepEqual(sms[groups.indexOf(leader)]!.items.slice(-2), ['b4', 'c']);
    // A policy the log refuses changes nothing and does not stop the group.
    await assert.rejects(leader.setFlushPolicy({ mode: 'interval', intervalMs: 0 }), (err) => isDepotError(err, 'INVALID_CONFIG'));
    assert.equal(await leader.propose(Buffer.from('d')).applied, 27);
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});

test('a new member catches up from a streamed snapshot, then votes', async () => {
  const tmp = tempDir('raft-join-');
  const hosts = await startHosts(4, smallSegmentLogs);
  const sms = hosts.map(() => new ListMachine());
  try {
    const opts = { snapshotEntries: 20, retainEntries: 5 };
    const groups = await openAll(hosts.slice(0, 3), tmp.dir, sms, opts);
    await waitFor(() => groups.some((g) => g.status().isLeader), 5000, 'a leader');
    const leader = groups.find((g) => g.status().isLeader)!;
    for (let i = 0; i < 100; i++) leader.propose(Buffer.from(`v${i}`));
    await leader.propose(Buffer.from('last')).applied;
    // The leader's log no longer starts at the beginning: the joiner needs a snapshot.
    await waitFor(() => leader.log.firstIndex > 50, 5000, 'compaction below a snapshot');
    const joiner = await hosts[3]!.openGroup({ id: 'q', dir: join(tmp.dir, 'n4'), durability: 'sync', stateMachine: sms[3]!, ...opts });
    await leader.changeMembership({ type: ConfChangeType.AddLearner, node: 4, address: hosts[3]!.address });
    await waitFor(() => sms[3]!.items.length === 101, 5000, 'the learner to catch up');
    // Promotion is refused until the leader has seen the learner acknowledge the commit index.
    await retry(() => leader.changeMembership({ type: ConfChangeType.AddVoter, node: 4, address: hosts[3]!.address }), 5000);
    await leader.propose(Buffer.from('with-4')).applied;
    await waitFor(() => sms.every((sm) => sm.items.at(-1) === 'with-4'), 5000, 'every member to apply');
    for (const sm of sms) assert.deepEqual(sm.items, sms[0]!.items);
    assert.equal(sms[0]!.items.length, 102);
    assert.equal(joiner.status().appliedIndex, leader.status().appliedIndex);
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});

async function retry<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isDepotError(err, 'PROPOSAL_DROPPED') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

test('snapshots truncate the log below them, except what a service pinned', async () => {
  const tmp = tempDir('raft-pin-');
  const [host] = await startHosts(1, smallSegmentLogs, 1000);
  try {
    const sm = new ListMachine();
    const g = await host!.openGroup({ id: 'p', dir: join(tmp.dir, 'p'), bootstrap: { 1: host!.address }, durability: 'sync', stateMachine: sm, snapshotEntries: 20, retainEntries: 0 });
    await waitFor(() => g.status().isLeader, 3000, 'self-election');
    const unpin = g.pin(10);
    for (let i = 0; i < 60; i++) g.propose(Buffer.from(`e${i}`));
    await g.propose(Buffer.from('last')).applied;
    await waitFor(() => g.log.firstIndex === 10, 10_000, 'truncation up to the pin');
    // Index 1 is the bootstrap snapshot, 2 the leader's empty entry: e0 is at 3.
    assert.equal(g.log.entries(10, 11)[0]!.payload.toString(), 'e7');
    unpin();
    for (let i = 0; i < 30; i++) g.propose(Buffer.from(`f${i}`));
    await g.propose(Buffer.from('after')).applied;
    await waitFor(() => g.log.firstIndex > 60, 10_000, 'truncation once unpinned');
    assert.ok(g.commitIndex >= g.log.lastIndex - 1);
  } finally {
    await host!.close();
    tmp.remove();
  }
});

test('a volatile log (persistence off): entries go once applied, only snapshotNow persists, and a journal is dropped only when a snapshot covers it', async () => {
  const tmp = tempDir('raft-volatile-');
  const dir = join(tmp.dir, 'v');
  const snapshots = () => readdirSync(join(dir, 'raft', 'snapshots'));
  const hosts: RaftHost[] = [];
  const open = async (volatile: boolean, sm: ListMachine) => {
    const [host] = await startHosts(1, smallSegmentLogs, 1000);
    hosts.push(host!);
    const extra = volatile ? { volatileLog: true, openLog: openMemoryLog } : {};
    try {
      const g = await host!.openGroup({ id: 'v', dir, bootstrap: { 1: host!.address }, durability: 'async', stateMachine: sm, snapshotEntries: 10, ...extra });
      await waitFor(() => g.status().isLeader, 3000, 'self-election');
      return { host: host!, g };
    } catch (err) {
      await host!.close();
      throw err;
    }
  };
  try {
    let sm = new ListMachine();
    let { host, g } = await open(true, sm);
    for (let i = 0; i < 29; i++) g.propose(Buffer.from(`a${i}`));
    await g.propose(Buffer.from('a29')).applied;
    // Past snapshotEntries three times over: no snapshot, no file, nothing held.
    assert.deepEqual(snapshots(), []);
    assert.equal(existsSync(join(dir, 'log')), false);
    assert.equal(g.log.firstIndex, g.log.lastIndex + 1);
    await assert.rejects(g.changeMembership({ type: ConfChangeType.AddLearner, node: 2, address: '127.0.0.1:1' }), (err: unknown) => isDepotError(err, 'INVALID_CONFIG'));
    await g.snapshotNow();
    assert.equal(snapshots().length, 1);
    await g.propose(Buffer.from('lost')).applied;
    await host.close();

    // Restarted: the snapshot comes back, what came after it does not.
    sm = new ListMachine();
    ({ host, g } = await open(true, sm));
    assert.equal(sm.items.length, 30);
    assert.equal(sm.items[29], 'a29');
    await host.close();

    // The journal on: it starts from that snapshot and keeps what follows on disk.
    sm = new ListMachine();
    ({ host, g } = await open(false, sm));
    await g.propose(Buffer.from('d1')).applied;
    await host.close();
    // Off again: d1 is in no snapshot, so the node refuses rather than drop it...
    await assert.rejects(open(true, new ListMachine()), (err: unknown) => isDepotError(err, 'INVALID_CONFIG') && /no snapshot covers/.test(err.message));
    ({ host, g } = await open(false, (sm = new ListMachine())));
    // Replayed from the journal once the new term's first entry commits.
    assert.equal(await g.read(() => sm.items.at(-1)), 'd1');
    await g.snapshotNow();
    await host.close();
    // ...and once a snapshot holds it, the journal goes and d1 stays.
    sm = new ListMachine();
    ({ host, g } = await open(true, sm));
    assert.equal(sm.items.at(-1), 'd1');
    assert.equal(existsSync(join(dir, 'log')), false);
    await host.close();
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});

test('retention deletes whole segments below the snapshot and the lowest pin only', async () => {
  const tmp = tempDir('raft-retain-');
  const [host] = await startHosts(1, smallSegmentLogs, 1000);
  try {
    const sm = new ListMachine();
    // Snapshots far apart and the whole log retained by them: only retention truncates here.
    const g = await host!.openGroup({ id: 'r', dir: join(tmp.dir, 'r'), bootstrap: { 1: host!.address }, durability: 'sync', stateMachine: sm, snapshotEntries: 150, retainEntries: 1_000_000 });
    await waitFor(() => g.status().isLeader, 3000, 'self-election');
    const unpin = g.pin(100);
    for (let i = 0; i < 199; i++) g.propose(Buffer.alloc(200, 0x61));
    await g.propose(Buffer.from('last')).applied;
    await waitFor(() => g.snapshotIndex >= 151, 10_000, 'a snapshot');
    await g.retain({ maxBytes: 0 }, Date.now());
    assert.ok(g.log.firstIndex > 2 && g.log.firstIndex <= 100, `first index ${g.log.firstIndex} within the pin`);
    unpin();
    await g.retain({ maxBytes: 0 }, Date.now());
    assert.ok(g.log.firstIndex > 100 && g.log.firstIndex <= g.snapshotIndex + 1, `first index ${g.log.firstIndex} within the snapshot at ${g.snapshotIndex}`);
  } finally {
    await host!.close();
    tmp.remove();
  }
});

test('reads on a follower are refused with a leader hint; leadership events on every node', async () => {
  const tmp = tempDir('raft-read-');
  const hosts = await startHosts(3, smallSegmentLogs);
  const sms = hosts.map(() => new ListMachine());
  try {
    const groups = await openAll(hosts, tmp.dir, sms);
    const events = groups.map(() => [] as boolean[]);
    groups.forEach((g, i) => g.onLeadershipChange((l) => events[i]!.push(l)));
    await waitFor(() => groups.some((g) => g.status().isLeader), 5000, 'a leader');
    const li = groups.findIndex((g) => g.status().isLeader);
    await groups[li]!.propose(Buffer.from('x')).applied;
    assert.deepEqual(await groups[li]!.read(() => [...sms[li]!.items]), ['x']);
    const follower = groups[(li + 1) % 3]!;
    await waitFor(() => follower.status().leaderAddress !== undefined, 5000, 'follower knows the leader');
    await assert.rejects(follower.read(() => 1), (err: unknown) => isDepotError(err, 'NOT_LEADER') && err.details['leader'] === hosts[li]!.address);
    groups[li]!.transferLeadership(hosts[(li + 1) % 3]!.nodeId);
    await waitFor(() => follower.status().isLeader, 5000, 'the transfer');
    assert.deepEqual(events[li], [true, false]);
    assert.deepEqual(events[(li + 1) % 3], [true]);
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});
