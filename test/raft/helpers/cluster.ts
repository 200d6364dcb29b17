// In-process raft nodes on 127.0.0.1 for driver tests: one RaftHost per node, real TCP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftHost } from '../../../src/raft/driver/host.js';
import type { GroupLog } from '../../../src/raft/driver/log-store.js';
import { Log } from '../../../src/log/log.js';

export type OpenLog = (dir: string, o: { durability: 'sync' | 'async'; startIndex: number }) => Promise<GroupLog>;

/** Foundation logs with small segments, so that truncation and retention have whole segments to drop. */
export const smallSegmentLogs: OpenLog = (dir, o) =>
  Log.open({ dir, flush: o.durability === 'sync' ? { mode: 'always' } : { mode: 'interval', intervalMs: 1000 }, startIndex: o.startIndex, segmentBytes: 8192 });

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startHosts(n: number, openLog: OpenLog, tickMs = 20): Promise<RaftHost[]> {
  const hosts: RaftHost[] = [];
  for (let id = 1; id <= n; id++) hosts.push(await RaftHost.start({ nodeId: id, host: '127.0.0.1', port: 0, tickMs, openLog }));
  for (const h of hosts) for (const o of hosts) h.learnAddress(o.nodeId, o.address);
  return hosts;
}

/** Polls `cond` every 10 ms until it holds; throws after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
