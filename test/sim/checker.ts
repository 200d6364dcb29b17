// Safety checks of a simulated run. After every step: election safety (one leader per term),
// log matching (same index and term ⇒ same entry and same predecessor term), leader
// completeness (a new leader holds every committed entry) and state machine safety (every
// node applies the same entry at an index). At the end: the client history is linearizable
// for an append-only sequence, and no acknowledged write was lost.
import { EntryType } from '../../src/raft/group.js';
import { StateRole, type Entry, type Ready } from '../../src/raft/core/types.js';
import type { DurableSnapshot } from './disk.js';
import type { SimNode } from './node.js';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
}

function entryKey(e: Entry): string {
  return `${e.term}:${e.type}:${e.payload.toString('base64')}`;
}

export class Checker {
  private readonly leaders = new Map<number, number>();
  /** index/term → entry key and the term of the entry before it. */
  private readonly written = new Map<string, { key: string; prevTerm: number | undefined }>();
  /** index → applied entry, the same on every node. */
  private readonly applied: (Entry | undefined)[] = [];
  maxApplied = 0;

  onReady(node: SimNode, rd: Ready): void {
    const raft = node.raw!.raft;
    if (rd.softState?.role === StateRole.Leader) this.onLeader(node);
    for (const e of rd.entries) {
      const k = `${e.index}/${e.term}`;
      const prevTerm = raft.log.term(e.index - 1);
      const seen = this.written.get(k);
      if (seen === undefined) {
        this.written.set(k, { key: entryKey(e), prevTerm });
      } else if (seen.key !== entryKey(e) || (seen.prevTerm !== undefined && prevTerm !== undefined && seen.prevTerm !== prevTerm)) {
        throw new SafetyViolation(`log matching: node ${node.id} holds a different entry ${k}`);
      }
    }
  }

  private onLeader(node: SimNode): void {
    const raft = node.raw!.raft;
    const other = this.leaders.get(raft.term);
    if (other !== undefined && other !== node.id) {
      throw new SafetyViolation(`election safety: ${other} and ${node.id} both lead term ${raft.term}`);
    }
    this.leaders.set(raft.term, node.id);
    for (let i = raft.log.firstIndex(); i <= this.maxApplied; i++) {
      const e = this.applied[i];
      if (e !== undefined && raft.log.term(i) !== e.term) {
        throw new SafetyViolation(`leader completeness: leader ${node.id} of term ${raft.term} lacks committed entry ${i}/${e.term}`);
      }
    }
  }

  onApply(node: SimNode, e: Entry): void {
    if (e.index !== node.smIndex + 1) {
      throw new SafetyViolation(`node ${node.id} applied ${e.index} after ${node.smIndex}`);
    }
    const prev = this.applied[e.index];
    if (prev === undefined) {
      this.applied[e.index] = e;
      this.maxApplied = Math.max(this.maxApplied, e.index);
    } else if (entryKey(prev) !== entryKey(e)) {
      throw new SafetyViolation(`state machine safety: node ${node.id} applied ${e.index}/${e.term}, others ${e.index}/${prev.term}`);
    }
  }

  onSnapshotInstalled(node: SimNode, s: DurableSnapshot): void {
    const expected: string[] = [];
    for (let i = 1; i <= s.meta.index; i++) {
      const e = this.applied[i];
      if (e?.type === EntryType.Command) expected.push(e.payload.toString());
    }
    if (expected.join(',') !== s.data.join(',')) {
      throw new SafetyViolation(`node ${node.id} installed a snapshot at ${s.meta.index} that differs from the applied log`);
    }
  }
}

export interface WriteOp {
  kind: 'write';
  value: string;
  invoke: number;
  /** Completion time when acknowledged; Infinity when the outcome is unknown. */
  complete: number;
  outcome: 'ok' | 'failed' | 'unknown';
}

export interface ReadOp {
  kind: 'read';
  invoke: number;
  complete: number;
  result: string[];
}

/** Checks the client history against the final sequence; returns the violations found. */
export function checkHistory(final: readonly string[], writes: readonly WriteOp[], reads: readonly ReadOp[]): string[] {
  const problems: string[] = [];
  const pos = new Map<string, number>();
  final.forEach((v, i) => {
    if (pos.has(v)) problems.push(`value ${v} appears twice`);
    pos.set(v, i);
  });
  const byValue = new Map(writes.map((w) => [w.value, w]));
  for (const v of final) if (!byValue.has(v)) problems.push(`value ${v} was never written`);
  for (const w of writes) {
    if (w.outcome === 'ok' && !pos.has(w.value)) problems.push(`acknowledged write ${w.value} was lost`);
    if (w.outcome === 'failed' && pos.has(w.value)) problems.push(`write ${w.value} reported failed but was applied`);
  }
  const placed = writes.filter((w) => pos.has(w.value));
  for (const a of placed) {
    for (const b of placed) {
      if (a.complete < b.invoke && pos.get(a.value)! > pos.get(b.value)!) {
        problems.push(`write ${a.value} completed before ${b.value} began but is ordered after it`);
      }
    }
  }
  for (const r of reads) {
    const L = r.result.length;
    if (r.result.some((v, i) => final[i] !== v)) problems.push(`read at ${r.invoke} saw a sequence that is not a prefix of the final one`);
    for (const w of placed) {
      const p = pos.get(w.value)!;
      if (w.complete < r.invoke && p >= L) problems.push(`read at ${r.invoke} missed write ${w.value} acknowledged at ${w.complete}`);
      if (w.invoke > r.complete && p < L) problems.push(`read completed at ${r.complete} saw write ${w.value} invoked later`);
    }
    for (const r2 of reads) {
      if (r.complete < r2.invoke && r2.result.length < L) problems.push(`read at ${r2.invoke} saw less than an earlier read`);
    }
  }
  return problems.slice(0, 10);
}
