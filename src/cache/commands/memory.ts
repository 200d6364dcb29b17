// MEMORY: USAGE of a key, STATS, DOCTOR, MALLOC-STATS and PURGE (memory-report.ts).
import type { Stored } from '../machine/blobs.js';
import { entryBytes, EXPIRE_BYTES } from '../machine/memory.js';
import { Hash, List, type Value } from '../machine/values.js';
import { memoryDoctor } from '../memory-report.js';
import { intArg } from './args.js';
import type { Ctx } from './context.js';
import { syntax } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

/**
 * MEMORY USAGE: what the key counts for maxmemory (machine/memory.ts), plus its long values'
 * bytes: a string's exactly, a list's or hash's estimated from its first `samples` elements
 * (0: all), as Redis samples them.
 */
function memoryUsage(c: Ctx): void {
  let samples = 5;
  for (let i = 3; i < c.argv.length; i++) {
    if (c.argv[i]!.toUpperCase() !== 'SAMPLES' || i + 1 >= c.argv.length) throw syntax();
    samples = intArg(c.argv[++i]!);
    if (samples < 0) throw syntax();
    if (samples === 0) samples = Infinity;
  }
  const key = c.argv[2]!;
  // Counted, not published as keymiss: Redis looks it up as OBJECT does.
  const v = c.looking('peek', () => c.lookup(key, c.db, false));
  if (v === undefined) return c.out.nullBulk();
  const ttl = c.ks.dbs[c.db]!.expires.has(key) ? EXPIRE_BYTES : 0;
  c.out.int(entryBytes(key, v) + ttl + longValueBytes(c, v, samples));
}

function longValueBytes(c: Ctx, v: Value, samples: number): number {
  const length = (x: Stored) => (typeof x === 'number' ? c.ks.blobs.length(x) : 0);
  if (typeof v === 'number') return length(v);
  let seen = 0;
  let bytes = 0;
  if (v instanceof List) {
    for (; seen < v.length && seen < samples; seen++) bytes += length(v.at(seen));
    return seen === 0 ? 0 : Math.round((bytes / seen) * v.length);
  }
  if (v instanceof Hash) {
    for (const x of v.values()) {
      if (seen >= samples) break;
      bytes += length(x);
      seen++;
    }
    return seen === 0 ? 0 : Math.round((bytes / seen) * v.size);
  }
  return 0;
}

/** A figure of MEMORY STATS: an integer, or a ratio (a double). */
type Figure = readonly [name: string, value: number, ratio?: boolean];

/** Redis's MEMORY STATS map, with Depot's figures (memory-report.ts says what each is). */
function memoryStats(c: Ctx): void {
  const r = c.server.memoryReport();
  const before: Figure[] = [
    ['peak.allocated', r.peak],
    ['total.allocated', r.used],
    ['startup.allocated', r.startup],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', r.clients],
    ['cluster.links', 0],
    ['aof.buffer', 0],
    ['lua.caches', r.luaCaches],
    ['functions.caches', r.functionsCaches],
  ];
  const after: Figure[] = [
    ['overhead.total', r.overhead],
    ['keys.count', r.keys],
    ['keys.bytes-per-key', r.bytesPerKey],
    ['dataset.bytes', r.dataset],
    ['dataset.percentage', r.datasetPercent, true],
    ['peak.percentage', r.peakPercent, true],
    ['allocator.allocated', r.allocated],
    ['allocator.active', r.active],
    ['allocator.resident', r.resident],
    ['allocator-fragmentation.ratio', r.allocated === 0 ? 0 : r.active / r.allocated, true],
    ['allocator-fragmentation.bytes', r.active - r.allocated],
    ['allocator-rss.ratio', r.active === 0 ? 0 : r.resident / r.active, true],
    ['allocator-rss.bytes', r.resident - r.active],
    ['rss-overhead.ratio', 1, true],
    ['rss-overhead.bytes', 0],
    ['fragmentation', r.fragmentation, true],
    ['fragmentation.bytes', r.fragmentationBytes],
  ];
  const write = (figures: readonly Figure[]): void => {
    for (const [name, value, ratio] of figures) {
      c.out.bulk(name);
      if (ratio === true) c.out.double(value);
      else c.out.int(value);
    }
  };
  c.out.map(before.length + r.dbs.length + after.length);
  write(before);
  for (const db of r.dbs) {
    c.out.bulk(`db.${db.index}`);
    c.out.map(3);
    write([
      ['overhead.hashtable.main', db.main],
      ['overhead.hashtable.expires', db.expires],
      ['overhead.hashtable.slot-to-keys', 0],
    ]);
  }
  write(after);
}

export const memoryCommands = family('server', [
  command('memory', -2, '', NO_KEYS, '@slow', 'Reports on memory.', () => undefined, {
    subcommands: [
      command('memory|usage', -3, 'readonly', [2, 2, 1], '@read @slow', 'Estimates the memory a key takes.', memoryUsage),
      command('memory|stats', 2, '', NO_KEYS, '@slow', 'Reports what the memory holds.', memoryStats),
      command('memory|doctor', 2, '', NO_KEYS, '@slow', 'Reports memory problems.', (c) => c.out.verbatim(memoryDoctor(c.server.memoryReport()))),
      // V8's heap has no allocator statistics to print; Redis says the same under libc's malloc.
      command('memory|malloc-stats', 2, '', NO_KEYS, '@slow', "Reports the allocator's statistics (none: V8).", (c) => c.out.verbatim('Stats not supported for the current allocator')),
      command('memory|purge', 2, '', NO_KEYS, '@slow', "Gives back the long values' empty chunks.", (c) => {
        c.server.purgeMemory();
        c.out.ok();
      }),
    ],
  }),
]);
