// Active expiry: a few times a second, sample keys that have an expiry and delete those past
// it, so that keys nobody reads again do not stay in memory. Like Redis's activeExpireCycle,
// the work per tick is bounded (keys examined and time); a database whose samples are mostly
// expired is sampled again within the same tick. Only the leader expires keys; the deletions
// are logged as DEL effects.
import type { Ctx } from './commands/context.js';
import type { Db } from './machine/values.js';

const SAMPLE = 20;
/** Stop resampling a database once fewer than this share of a sample had expired. */
const RESAMPLE_RATIO = 0.25;
const MAX_KEYS_PER_TICK = 10_000;

export class ActiveExpiry {
  /** Per database: the live iterator over its expires map, so each tick resumes where it stopped. */
  private readonly cursors = new Map<Db, Iterator<[string, number]>>();
  expiredTotal = 0;

  /** One cycle over all databases; returns the number of keys deleted. */
  tick(c: Ctx, now: number, budgetMs: number, clock: () => number): number {
    const start = clock();
    let examined = 0;
    let deleted = 0;
    const dbs = c.ks.dbs;
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[i]!;
      if (db.expires.size === 0) continue;
      for (;;) {
        const r = this.sample(c, db, i, now);
        examined += r.examined;
        deleted += r.expired;
        if (r.examined === 0 || r.expired < r.examined * RESAMPLE_RATIO) break;
        if (examined >= MAX_KEYS_PER_TICK || clock() - start >= budgetMs) return deleted;
      }
      if (examined >= MAX_KEYS_PER_TICK || clock() - start >= budgetMs) break;
    }
    return deleted;
  }

  private sample(c: Ctx, db: Db, index: number, now: number): { examined: number; expired: number } {
    let it = this.cursors.get(db);
    if (it === undefined) {
      it = db.expires.entries();
      this.cursors.set(db, it);
    }
    let examined = 0;
    let expired = 0;
    while (examined < SAMPLE) {
      const r = it.next();
      if (r.done === true) {
        // Wrapped around: start again next time (and drop iterators of replaced databases).
        this.cursors.delete(db);
        break;
      }
      examined++;
      const [key, at] = r.value;
      if (at <= now) {
        c.expire(index, key);
        expired++;
        this.expiredTotal++;
      }
    }
    return { examined, expired };
  }

  /** Forgets iterators of databases that were flushed or swapped away. */
  prune(current: readonly Db[]): void {
    for (const db of this.cursors.keys()) if (!current.includes(db)) this.cursors.delete(db);
  }
}
