// Which key goes when the data set is over maxmemory (Redis's maxmemory-policy). The service
// asks on the leader, before a command that may grow memory and on its timer, and deletes the
// key as a DEL effect: followers and a restart drop the same keys, and nothing here is replayed.
//
// LRU, LFU and TTL are approximated by sampling, as Redis's evict.c does: each round draws
// maxmemory-samples keys from every database (from the expiry tables for volatile-*) into a pool
// of the 16 best candidates seen, kept from round to round, and the best one still present goes.
// More samples come closer to true LRU at more cost per eviction. A round's samples are short
// runs of live slots, each walking on from a random one, much as Redis's dictGetSomeKeys takes
// them: neighbours share cache lines, where independent random slots cost a cache miss each (and,
// in a sparse table, several tries each); the keys in neighbouring slots are as random as any,
// by their hashes.
import { assert } from '../util/assert.js';
import type { Keyspace } from './machine/keyspace.js';
import { lfuCounter, lfuMinutes } from './machine/lfu.js';
import { randomSlots, type Slotted } from './commands/random.js';

/** Redis's policies, in the order of its error text. */
export const EVICTION_POLICIES = ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

/** The policies under which access fields hold LFU counters (machine/lfu.ts). */
export function isLfu(policy: EvictionPolicy): boolean {
  return policy === 'allkeys-lfu' || policy === 'volatile-lfu';
}

const POOL_SIZE = 16;
/** Samples per database and round, whatever maxmemory-samples says (Redis accepts up to 2^31-1). */
const MAX_SAMPLES = 4096;
/**
 * Live slots a sample takes in a row from each random start: neighbours share cache lines, and
 * short runs from several starts keep a sample spread over the table (one long walk would stay
 * in one array of a table that is resizing, whose keys are older or newer than the rest).
 */
const RUN_SLOTS = 4;

interface Candidate {
  db: number;
  /** Where the key was in the sampled table: found there again without hashing it. */
  slot: number;
  key: string;
  /** Higher goes first: seconds idle (LRU), 255 less the counter (LFU), or how soon it expires (TTL). */
  score: number;
}

export interface Victim {
  readonly db: number;
  readonly key: string;
}

export class Evictor {
  /** Ascending by score; the last is the next to go. */
  private readonly pool: Candidate[] = [];
  /** Where the random policies look first, so that every database gives up keys in turn. */
  private nextDb = 0;
  private readonly slots: number[] = [];

  /** The next key to evict under `policy`, or null when it has none (noeviction, no volatile keys). */
  victim(ks: Keyspace, policy: EvictionPolicy, samples: number, nowMs: number, random: () => number): Victim | null {
    switch (policy) {
      case 'noeviction':
        return null;
      case 'allkeys-random':
      case 'volatile-random':
        return this.randomKey(ks, policy === 'volatile-random', random);
      default:
        return this.fromPool(ks, policy, samples, nowMs, random);
    }
  }

  /** Forgets the candidates (FLUSHALL, a policy change): their scores mean nothing any more. */
  reset(): void {
    this.pool.length = 0;
  }

  private randomKey(ks: Keyspace, volatile: boolean, random: () => number): Victim | null {
    for (let i = 0; i < ks.dbs.length; i++) {
      const db = (this.nextDb + i) % ks.dbs.length;
      const table = volatile ? ks.dbs[db]!.expires : ks.dbs[db]!.keys;
      if (table.size === 0) continue;
      this.nextDb = db + 1;
      return { db, key: table.keyAt(randomSlots(random, table, 1)[0]!) };
    }
    return null;
  }

  private fromPool(ks: Keyspace, policy: Exclude<EvictionPolicy, 'noeviction' | 'allkeys-random' | 'volatile-random'>, samples: number, nowMs: number, random: () => number): Victim | null {
    const volatile = policy.startsWith('volatile-');
    const nowSeconds = Math.floor(nowMs / 1000);
    const lfu = isLfu(policy) ? ks.lfu : null;
    assert(lfu !== null || !isLfu(policy), 'an LFU policy with no LFU counters kept');
    const minutes = lfuMinutes(nowSeconds);
    for (;;) {
      let sampled = false;
      for (let db = 0; db < ks.dbs.length; db++) {
        const d = ks.dbs[db]!;
        const table = volatile ? d.expires : d.keys;
        if (table.size === 0) continue;
        sampled = true;
        sampleSlots(table, Math.min(samples, MAX_SAMPLES), random, this.slots);
        for (const slot of this.slots) {
          const key = table.keyAt(slot);
          let score: number;
          if (policy === 'volatile-ttl') {
            // Sooner expiry, higher score.
            score = -d.expires.valueAt(slot);
          } else {
            const at = volatile ? d.keys.find(key) : slot;
            if (at < 0) continue;
            const field = d.keys.accessAt(at);
            score = lfu !== null ? 255 - lfuCounter(field, minutes, lfu) : nowSeconds - field;
          }
          this.offer({ db, slot, key, score });
        }
      }
      if (!sampled) return null;
      // The best candidates still present; one gone since it was pooled is dropped.
      while (this.pool.length > 0) {
        const c = this.pool.pop()!;
        const d = ks.dbs[c.db]!;
        const table = volatile ? d.expires : d.keys;
        // The same string at the same slot (the table has not resized since), or found by name.
        const there = c.slot < table.slots && table.liveAt(c.slot) && table.keyAt(c.slot) === c.key;
        if (there || table.has(c.key)) return { db: c.db, key: c.key };
      }
    }
  }

  private offer(c: Candidate): void {
    const pool = this.pool;
    // By slot: comparing key strings would load each (a cache miss); a key pooled twice after
    // a resize moved it is dropped when its second copy comes up.
    for (const p of pool) {
      if (p.slot === c.slot && p.db === c.db) return;
    }
    if (pool.length === POOL_SIZE) {
      if (c.score <= pool[0]!.score) return;
      pool.shift();
    }
    let i = pool.length;
    while (i > 0 && pool[i - 1]!.score > c.score) i--;
    pool.splice(i, 0, c);
  }
}

/**
 * Up to `count` live slots of `table` (at least one when it has any): runs of up to RUN_SLOTS
 * live slots, each walking on from a random slot (wrapping around) and passing at most 10
 * slots per sample it may take.
 */
function sampleSlots(table: Slotted, count: number, random: () => number, out: number[]): void {
  out.length = 0;
  const first = table.firstSlot;
  const range = table.slots - first;
  for (let starts = 0; out.length < count && starts < count; starts++) {
    let s = first + Math.floor(random() * range);
    const run = Math.min(RUN_SLOTS, count - out.length);
    let taken = 0;
    for (let step = 0; step < range && taken < run && step < run * 10; step++) {
      if (table.liveAt(s)) {
        out.push(s);
        taken++;
      }
      if (++s === table.slots) s = first;
    }
  }
  if (out.length > 0) return;
  // A sparse table missed by every run (say, in the middle of a resize): walk until one is found.
  let s = first + Math.floor(random() * range);
  for (let step = 0; step < range; step++) {
    if (table.liveAt(s)) return void out.push(s);
    if (++s === table.slots) s = first;
  }
}
