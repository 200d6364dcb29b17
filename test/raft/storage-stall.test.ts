// A group whose log writes fail (the fault-injecting file layer: ENOSPC on every write and
// open) waits and writes again instead of stopping: proposals are refused meanwhile, the ones
// waiting hear that their outcome is unknown, and once the disk takes writes again what waited
// is written, committed and applied, in order, and survives a restart. A follower whose disk
// fails catches up the same way while the other two go on committing; a leader whose disk
// fails, or hangs, hands leadership to one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import type { RaftGroup } from '../../src/raft/driver/group.js';
import type { RaftHost } from '../../src/raft/driver/host.js';
import { isDepotError } from '../../src/util/errors.js';
import { FaultyFileSystem } from '../log/faulty-fs.js';
import { startHosts, tempDir, waitFor, type OpenLog } from './helpers/cluster.js';
import { ListMachine } from './helpers/machines.js';

const FULL: Parameters<FaultyFileSystem['failWith']>[1] = ['write', 'open'];

function faultyLogs(faulty: FaultyFileSystem): OpenLog {
  return (dir, o) => Log.open({ dir, fs: faulty.fs, flush: o.durability === 'sync' ? { mode: 'always' } : { mode: 'interval', intervalMs: 1000 }, startIndex: o.startIndex, segmentBytes: 8192 });
}

/** Three hosts and a group of three on them, each member's log on its own faulty file layer, led by someone. */
async function threeGroups(prefix: string) {
  const tmp = tempDir(prefix);
  const faults = [new FaultyFileSystem(), new FaultyFileSystem(), new FaultyFileSystem()];
  const hosts = await startHosts(3, faultyLogs(new FaultyFileSystem()));
  const sms = hosts.map(() => new ListMachine());
  const bootstrap = Object.fromEntries(hosts.map((h) => [h.nodeId, h.address]));
  try {
    const groups = await Promise.all(
      hosts.map((h, i) => h.openGroup({ id: 'q', dir: join(tmp.dir, `n${h.nodeId}`), bootstrap, durability: 'sync', stateMachine: sms[i]!, openLog: faultyLogs(faults[i]!), storageRetryMs: 20, hungWriteMs: 300 })),
    );
    await waitFor(() => groups.some((g) => g.status().isLeader), 5000, 'a leader');
    return { tmp, faults, hosts, sms, groups };
  } catch (err) {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
    throw err;
  }
}

test('a single group whose disk fills: proposals refused, then written, applied and kept once it has room', async () => {
  const tmp = tempDir('raft-stall-');
  const faulty = new FaultyFileSystem();
  let [host] = await startHosts(1, faultyLogs(faulty), 1000);
  const open = (h: RaftHost, sm: ListMachine) =>
    h.openGroup({ id: 'g', dir: join(tmp.dir, 'g'), bootstrap: { 1: h.address }, durability: 'sync', stateMachine: sm, storageRetryMs: 20 });
  try {
    const sm = new ListMachine();
    const g: RaftGroup<number> = await open(host!, sm);
    const changes: Array<string | undefined> = [];
    g.onStorageChange((f) => changes.push(f));
    await waitFor(() => g.status().isLeader, 3000, 'self-election');
    await Promise.all(['a', 'b'].map((v) => g.propose(Buffer.from(v)).applied));

    faulty.failWith('ENOSPC', FULL);
    const waiting = ['c', 'd', 'e'].map((v) => g.propose(Buffer.from(v)));
    for (const p of waiting) {
      await assert.rejects(p.applied, (err: unknown) => isDepotError(err, 'STORAGE_FULL') && /outcome of this request is unknown/.test(err.message));
    }
    const status = g.status();
    assert.match(status.failure ?? '', /no space left on device/);
    assert.equal(status.retrying, true);
    assert.equal(changes.length, 1);
    assert.throws(() => g.propose(Buffer.from('refused')), (err: unknown) => isDepotError(err, 'STORAGE_FULL'));
    await assert.rejects(g.snapshotNow(), (err: unknown) => isDepotError(err, 'STORAGE_FULL'));
    // Several retry periods pass with the disk still full: nothing applied, nothing lost.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(sm.items, ['a', 'b']);

    faulty.heal();
    await waitFor(() => g.status().failure === undefined, 5000, 'the stall to end');
    assert.deepEqual(changes.slice(1), [undefined]);
    assert.equal(g.status().retrying, undefined);
    await waitFor(() => sm.items.length === 5, 10_000, 'the waiting entries to apply');
    assert.deepEqual(sm.items, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(await g.propose(Buffer.from('f')).applied, 6);
    await host!.close();

    [host] = await startHosts(1, faultyLogs(faulty), 1000);
    const again = new ListMachine();
    const g2 = await open(host!, again);
    await waitFor(() => g2.status().isLeader, 3000, 'self-election after restart');
    await g2.read(() => undefined);
    assert.deepEqual(again.items, ['a', 'b', 'c', 'd', 'e', 'f']);
  } finally {
    await host!.close();
    tmp.remove();
  }
});

test('a follower whose disk fails catches up once it has room, while the others commit', async () => {
  const { tmp, faults, hosts, sms, groups } = await threeGroups('raft-stall3-');
  try {
    const li = groups.findIndex((g) => g.status().isLeader);
    const leader = groups[li]!;
    const fi = (li + 1) % 3;
    await Promise.all(['a', 'b'].map((v) => leader.propose(Buffer.from(v)).applied));
    await waitFor(() => sms[fi]!.items.length === 2, 5000, 'the follower applied the first entries');

    faults[fi]!.failWith('ENOSPC', FULL);
    const values = Array.from({ length: 30 }, (_, i) => `w${i}`);
    for (const v of values) await leader.propose(Buffer.from(v)).applied;
    await waitFor(() => groups[fi]!.status().retrying === true, 5000, 'the follower to stall');
    assert.ok(sms[fi]!.items.length < 32, 'the stalled follower applied entries it could not write');

    faults[fi]!.heal();
    await waitFor(() => sms[fi]!.items.length === 32, 10_000, 'the follower to catch up');
    assert.deepEqual(sms[fi]!.items, ['a', 'b', ...values]);
    assert.equal(groups[fi]!.status().failure, undefined);
    await leader.propose(Buffer.from('after')).applied;
    await waitFor(() => sms.every((sm) => sm.items.length === 33), 5000, 'everyone applied the last entry');
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});

/**
 * Once leader `li` cannot write: a follower takes over and takes 20 writes. Returns what every
 * node must end with: 'c', proposed to the old leader as its disk broke, reached the followers
 * first and commits or not (its outcome was unknown), the same on every node.
 */
async function writesGoOnElsewhere(groups: ReadonlyArray<RaftGroup<number>>, sms: readonly ListMachine[], li: number, prefix: string): Promise<string[]> {
  await waitFor(() => groups.some((g, i) => i !== li && g.status().isLeader), 5000, 'a follower to take over');
  // The old leader may still count itself leader for a moment (its hand-off not yet answered):
  // its proposals are refused meanwhile, so write to the new one.
  const ni = groups.findIndex((g, i) => i !== li && g.status().isLeader);
  const values = Array.from({ length: 20 }, (_, i) => `${prefix}${i}`);
  for (const v of values) await groups[ni]!.propose(Buffer.from(v)).applied;
  const expected = sms[ni]!.items;
  assert.deepEqual(expected.filter((v) => v !== 'c'), ['a', 'b', ...values]);
  assert.ok(sms[li]!.items.length < expected.length, 'the old leader applied entries it could not write');
  return expected;
}

/** Heals the old leader's disk: it catches up with `expected`. */
async function oldLeaderCatchesUp(fault: FaultyFileSystem, sm: ListMachine, expected: readonly string[]): Promise<void> {
  fault.heal();
  await waitFor(() => sm.items.length === expected.length, 10_000, 'the old leader to catch up');
  assert.deepEqual(sm.items, expected);
}

test('a leader whose disk fails hands leadership to a follower: writes go on there, and it catches up once it has room', async () => {
  const { tmp, faults, hosts, sms, groups } = await threeGroups('raft-stall-lead-');
  try {
    const li = groups.findIndex((g) => g.status().isLeader);
    await Promise.all(['a', 'b'].map((v) => groups[li]!.propose(Buffer.from(v)).applied));

    faults[li]!.failWith('ENOSPC', FULL);
    // The leader learns of the full disk from its next write.
    await assert.rejects(groups[li]!.propose(Buffer.from('c')).applied, (err: unknown) => isDepotError(err, 'STORAGE_FULL'));
    const expected = await writesGoOnElsewhere(groups, sms, li, 'w');
    assert.equal(groups[li]!.status().isLeader, false);
    assert.equal(groups[li]!.status().retrying, true);

    await oldLeaderCatchesUp(faults[li]!, sms[li]!, expected);
    assert.equal(groups[li]!.status().failure, undefined);
  } finally {
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});

test('a leader whose disk hangs hands leadership to a follower: writes go on there, and it catches up once the disk answers', async () => {
  const { tmp, faults, hosts, sms, groups } = await threeGroups('raft-hang-');
  try {
    const li = groups.findIndex((g) => g.status().isLeader);
    await Promise.all(['a', 'b'].map((v) => groups[li]!.propose(Buffer.from(v)).applied));

    faults[li]!.hang(['write', 'datasync', 'open']);
    // The leader learns of the hung disk from a write that does not finish. Its followers write
    // 'c' and commit it, but the leader applies only what its own log holds: without the
    // hand-off its clients would wait as long as the disk does.
    const stuck = groups[li]!.propose(Buffer.from('c')).applied.then(
      () => 'applied',
      () => 'rejected',
    );
    const expected = await writesGoOnElsewhere(groups, sms, li, 'h');

    await oldLeaderCatchesUp(faults[li]!, sms[li]!, expected);
    // The waiting proposal is answered once the old leader applies its entry (or hears it lost).
    assert.equal(await stuck, expected.includes('c') ? 'applied' : 'rejected');
  } finally {
    faults.forEach((f) => f.heal());
    for (const h of hosts) await h.close().catch(() => undefined);
    tmp.remove();
  }
});
