// Clustering-mode assignment: spread a topic's queues evenly over the live members (5 queues and
// 2 members → 3 and 2; more members than queues → the extra ones idle), moving as few queues as
// possible, so a member whose queues did not change is not disturbed (incremental rebalance).
import { assert } from '../../util/assert.js';

/**
 * `current`: each live member's queues before the change (new members: empty).
 * Returns each member's queues, sorted. Deterministic for a given input.
 */
export function assignQueues(queueCount: number, current: ReadonlyMap<string, readonly number[]>): Map<string, number[]> {
  const members = [...current.keys()].sort();
  const out = new Map<string, number[]>(members.map((m) => [m, []]));
  if (members.length === 0) return out;
  const base = Math.floor(queueCount / members.length);
  const extra = queueCount % members.length;
  // Members already holding the most keep the larger quotas: that moves the fewest queues.
  const byHolding = [...members].sort((a, b) => current.get(b)!.length - current.get(a)!.length || (a < b ? -1 : 1));
  const quota = new Map(byHolding.map((m, i) => [m, base + (i < extra ? 1 : 0)]));
  const taken = new Uint8Array(queueCount);
  for (const m of byHolding) {
    const mine = out.get(m)!;
    for (const q of current.get(m)!) {
      if (q < queueCount && taken[q] === 0 && mine.length < quota.get(m)!) {
        taken[q] = 1;
        mine.push(q);
      }
    }
  }
  let q = 0;
  for (const m of members) {
    const mine = out.get(m)!;
    while (mine.length < quota.get(m)!) {
      while (taken[q] === 1) q++;
      taken[q] = 1;
      mine.push(q);
    }
    mine.sort((a, b) => a - b);
  }
  assert(members.reduce((n, m) => n + out.get(m)!.length, 0) === queueCount, 'every queue assigned once');
  return out;
}
