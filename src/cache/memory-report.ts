// What the cache's memory holds, for INFO memory, MEMORY STATS and MEMORY DOCTOR.
//
// Redis counts its allocations exactly (zmalloc) and splits them into its overheads and, as the
// rest, the data set. Depot's `used_memory` is the JS heap in use (live objects, and garbage
// until V8 collects it) plus the blocks of long values off the heap; its data set is the
// keyspace's own running count (machine/memory.ts: what maxmemory compares), and the overhead
// is what is left of used_memory: the runtime and its code, connections, the scripts' states,
// garbage. The parts Redis lists are given where Depot knows them; they are a breakdown of the
// overhead, not all of it. The tables of the databases are counted in both: the data set's
// count includes each key's slot, as eviction must.
import type { Db } from './machine/values.js';

/** What the report is made from: the service's figures at the time of asking. */
export interface MemorySources {
  /** used_memory: the JS heap in use plus the long values' blocks. */
  readonly used: number;
  readonly peak: number;
  /** used_memory at start, without the data set loaded then. */
  readonly startup: number;
  /** What maxmemory counts (Keyspace.datasetBytes). */
  readonly dataset: number;
  /** Query buffers and replies waiting to be written, over every connection. */
  readonly clients: number;
  readonly clientCount: number;
  /** EVAL's script cache and the function libraries' code. */
  readonly luaCaches: number;
  readonly functionsCaches: number;
  readonly cachedScripts: number;
  readonly dbs: readonly Db[];
  /** The long values' chunks, used or free (allocated: their memory is held). */
  readonly blobsReserved: number;
  readonly blobsUsed: number;
  /** Resident memory besides used_memory when first asked: the runtime's code and structures. */
  readonly rssBaseline: number;
  /** process.memoryUsage(), read by the caller. */
  readonly process: { readonly rss: number; readonly heapTotal: number; readonly heapUsed: number };
}

export interface DbOverhead {
  readonly index: number;
  readonly main: number;
  readonly expires: number;
}

export interface MemoryReport {
  readonly used: number;
  readonly peak: number;
  readonly startup: number;
  readonly rss: number;
  readonly clients: number;
  readonly luaCaches: number;
  readonly functionsCaches: number;
  readonly dbs: readonly DbOverhead[];
  readonly overhead: number;
  readonly keys: number;
  readonly bytesPerKey: number;
  readonly dataset: number;
  readonly datasetPercent: number;
  readonly peakPercent: number;
  /** V8's heap in use and the long values' blocks; the heap's pages and the blobs' chunks. */
  readonly allocated: number;
  readonly active: number;
  readonly resident: number;
  /** rss / used (Redis's mem_fragmentation_ratio) and rss - used. */
  readonly fragmentation: number;
  readonly fragmentationBytes: number;
  readonly cachedScripts: number;
  readonly clientCount: number;
  /** Resident memory past used_memory and the runtime's own (rssBaseline): what a peak or fragmentation left. */
  readonly rssExcess: number;
}

export function memoryReport(m: MemorySources): MemoryReport {
  let keys = 0;
  const dbs: DbOverhead[] = [];
  m.dbs.forEach((db, index) => {
    if (db.keys.size === 0) return;
    keys += db.keys.size;
    dbs.push({ index, main: db.keys.tableBytes, expires: db.expires.tableBytes });
  });
  const dataset = m.dataset;
  const net = m.used > m.startup ? m.used - m.startup : 1;
  return {
    used: m.used,
    peak: m.peak,
    startup: m.startup,
    rss: m.process.rss,
    clients: m.clients,
    luaCaches: m.luaCaches,
    functionsCaches: m.functionsCaches,
    dbs,
    // The count is an estimate: early on, or with little garbage, it can pass the heap's figure.
    overhead: Math.max(0, m.used - dataset),
    keys,
    bytesPerKey: keys === 0 ? 0 : Math.floor(net / keys),
    dataset,
    datasetPercent: (dataset * 100) / net,
    peakPercent: m.peak === 0 ? 0 : (m.used * 100) / m.peak,
    allocated: m.process.heapUsed + m.blobsUsed,
    active: m.process.heapTotal + m.blobsReserved,
    resident: m.process.rss,
    fragmentation: m.used === 0 ? 0 : m.process.rss / m.used,
    fragmentationBytes: m.process.rss - m.used,
    cachedScripts: m.cachedScripts,
    clientCount: m.clientCount,
    rssExcess: m.process.rss - m.used - m.rssBaseline,
  };
}

const MIB = 1024 * 1024;

/**
 * MEMORY DOCTOR: Redis's checks where they apply to Depot (a peak far above what is used now,
 * the process's memory far above it, big client buffers, many cached scripts), in Depot's words.
 */
export function memoryDoctor(r: MemoryReport): string {
  if (r.dataset < 5 * MIB) {
    return 'This instance holds too little data for the checks to mean anything (under 5 MB). Run MEMORY DOCTOR again once it holds more.\n';
  }
  const issues: string[] = [];
  if (r.peak / r.used > 1.5) {
    issues.push(
      `Peak memory: the instance has used ${percent(r.peak / r.used)} of the memory it uses now. Memory freed since stays with the process for reuse: long values' chunks until MEMORY PURGE or FLUSHALL gives the empty ones back, the JS heap until V8 shrinks it.`,
    );
  }
  // A Node process's resident memory starts well above its heap (code, the runtime): only what
  // grew beyond that counts, as Redis counts RSS past its allocations.
  if (r.rssExcess > 10 * MIB && r.rssExcess / r.used > 0.4) {
    issues.push(
      `Resident memory: the process holds ${r.rssExcess} bytes more than used_memory and the runtime's own need (RSS ${r.rss}): V8's heap pages not in use, the long values' empty chunks, a past peak. MEMORY PURGE gives back the empty chunks.`,
    );
  }
  if (r.clientCount > 0 && r.clients / r.clientCount > 200 * 1024) {
    issues.push(
      'Client buffers: connections hold more than 200 KB each on average, in replies not yet read (a slow subscriber, large replies) or commands not yet complete. CLIENT LIST shows which (omem, qbuf).',
    );
  }
  if (r.cachedScripts > 1000) {
    issues.push(
      `Cached scripts: ${r.cachedScripts} scripts are cached. Scripts built per call instead of taking KEYS and ARGV fill the cache; SCRIPT FLUSH empties it.`,
    );
  }
  if (issues.length === 0) return 'No memory issue found.\n';
  return `Memory issues found:\n\n${issues.map((i) => ` * ${i}\n\n`).join('')}`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
