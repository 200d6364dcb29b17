// Refuses writes before the JS heap runs out, instead of dying of it.
//
// Small values live on V8's heap, whose size is capped (node's --max-old-space-size; by default
// about a quarter of the machine's memory, at most about 4 GB), and a heap that reaches its cap
// ends the process ("JavaScript heap out of memory"), with everything not yet snapshotted.
// maxmemory, when set below the cap, keeps the data set under it; without it, or set too high,
// this is the backstop: past FULL of the old generation's cap (the heap's cap less the young
// generation's), commands that may grow memory are refused with an
// OOM error (as Redis refuses them past maxmemory), and reads, deletes and FLUSHALL still run.
//
// The heap's used size counts garbage until a collection: near the cap the guard first has the
// collector run (with node's --expose-gc, which bin/depot.js passes; at most once a second), so
// that garbage does not refuse writes. While it refuses them it collects again only once keys
// have gone (the data set, as the keyspace counts it, shrank since): a full collection of a big
// heap takes seconds, and one a second on a heap full of live data would stall every client;
// after a DEL or FLUSHALL, the next sample frees their memory and lets writes in again.
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/** Share of the old generation's cap past which writes are refused. */
const FULL = 0.85;
/** At most one forced collection this often (a full collection of a big heap takes seconds). */
const COLLECT_EVERY_MS = 1000;

export interface HeapProbe {
  /** The old generation's cap, bytes: what V8 dies of exceeding. */
  readonly limit: number;
  /** The old generation's used size, bytes. */
  used(): number;
  /** A full collection, when the process allows one. */
  readonly collect: (() => void) | undefined;
  now(): number;
}

/**
 * V8's young generation's cap: three semi-spaces (two, and the new large-object space beside
 * them). V8 does not report it; its size comes from node's flags (a command-line flag wins
 * over NODE_OPTIONS), 16 MiB a semi-space by default.
 */
function youngGenerationCap(): number {
  let mib = 16;
  for (const flag of [...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/), ...process.execArgv]) {
    const m = /^--max-semi-space-size=(\d+)$/.exec(flag);
    if (m !== null) mib = Number(m[1]);
  }
  return 3 * mib * 1024 * 1024;
}

export const processHeap: HeapProbe = {
  // heap_size_limit counts both generations' caps; V8 fails when the old one is full.
  limit: getHeapStatistics().heap_size_limit - youngGenerationCap(),
  used: () => {
    let used = 0;
    for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) used += space.space_used_size;
    return used;
  },
  collect: typeof globalThis.gc === 'function' ? () => globalThis.gc!() : undefined,
  now: () => Date.now(),
};

export class HeapGuard {
  /** True while writes are refused. */
  full = false;
  /** The old generation's used size at the last sample. */
  lastUsed = 0;
  private collectedAt = -Infinity;
  /** The data set's bytes at the last forced collection. */
  private datasetAtCollect = 0;

  constructor(private readonly probe: HeapProbe = processHeap) {}

  get limit(): number {
    return this.probe.limit;
  }

  /** The old generation's used size past which writes are refused. */
  get refusesAbove(): number {
    return this.probe.limit * FULL;
  }

  /** Called on the server's timer (every 100 ms) with the data set's bytes (Keyspace.datasetBytes). */
  sample(dataset: number): void {
    const p = this.probe;
    const threshold = this.refusesAbove;
    let used = p.used();
    if (used > threshold && p.collect !== undefined && p.now() - this.collectedAt >= COLLECT_EVERY_MS && (!this.full || dataset < this.datasetAtCollect)) {
      this.collectedAt = p.now();
      this.datasetAtCollect = dataset;
      p.collect();
      used = p.used();
    }
    this.lastUsed = used;
    this.full = used > threshold;
  }
}
