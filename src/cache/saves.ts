// SAVE, BGSAVE and BGREWRITEAOF, and what INFO persistence says of them.
//
// In Depot one operation stands for both of Redis's: a snapshot of the keyspace written at the
// group's applied index, after which the log below it is dropped. That is an RDB save, and it
// is also what an AOF rewrite achieves (a compact base, the journal since it short). The group
// writes one snapshot at a time, queueing the next behind the current, so a save asked for
// during a rewrite (or the reverse) is "scheduled" as in Redis, and runs once the other is done.
import type { Clock } from '../util/clock.js';

export type SaveKind = 'save' | 'bgsave' | 'rewrite';

/** One of Redis's two background jobs as INFO persistence describes it. */
export class Job {
  constructor(private readonly clock: Clock) {}

  /** Clock ms the running one started at, or null. */
  startedAt: number | null = null;
  /** The one asked for while another snapshot was being written: it runs after it. */
  queued: Promise<void> | null = null;
  lastOk = true;
  /** Seconds the last finished one took, or -1 when none has finished. */
  lastSeconds = -1;
  count = 0;
  consecutiveFailures = 0;

  get running(): boolean {
    return this.startedAt !== null;
  }

  /** Redis's `*_scheduled`: asked for, waiting for another snapshot to finish. */
  get scheduled(): boolean {
    return this.queued !== null;
  }

  /** Seconds the running one has taken so far, or -1. */
  currentSeconds(): number {
    return this.startedAt === null ? -1 : Math.floor((this.clock.now() - this.startedAt) / 1000);
  }
}

export class Saves {
  /** BGSAVE (and SAVE, for `rdb_saves` and the last save's time). */
  readonly rdb: Job;
  /** BGREWRITEAOF. */
  readonly aof: Job;
  /** Unix time (s) of the last snapshot completed (a client's SAVE, BGSAVE or BGREWRITEAOF, or automatic). */
  lastSave: number;
  /** Foreground SAVEs waiting for their snapshot. */
  private foreground = 0;
  /** The last snapshot asked for: the next one starts after it. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    /** Writes a snapshot; rejects when it cannot (persistence off, the disk failing). */
    private readonly snapshot: () => Promise<void>,
  ) {
    this.lastSave = Math.floor(clock.now() / 1000);
    this.rdb = new Job(clock);
    this.aof = new Job(clock);
  }

  /** A BGSAVE is being written or a SAVE waits for its snapshot: SAVE and BGSAVE are refused. */
  get saving(): boolean {
    return this.rdb.running || this.foreground > 0;
  }

  /** Whether a snapshot is being written or waits: one asked for now would be scheduled. */
  get busy(): boolean {
    return this.rdb.running || this.aof.running || this.rdb.scheduled || this.aof.scheduled || this.foreground > 0;
  }

  /**
   * Writes a snapshot for `kind` after those already asked for; `done` resolves once it is on
   * disk. A background kind already scheduled is not queued twice (Redis keeps one flag).
   */
  run(kind: SaveKind): { scheduled: boolean; done: Promise<void> } {
    const job = kind === 'rewrite' ? this.aof : this.rdb;
    if (kind !== 'save' && job.queued !== null) return { scheduled: true, done: job.queued };
    const scheduled = this.busy;
    if (kind === 'save') this.foreground++;
    const start = (): Promise<void> => {
      if (kind !== 'save') {
        job.queued = null;
        job.startedAt = this.clock.now();
      }
      return this.snapshot();
    };
    // Started now when nothing else is, so that the next command sees it running.
    const done = (scheduled ? this.tail.then(start) : start()).then(
      () => this.finish(kind, job, true),
      (err: unknown) => {
        this.finish(kind, job, false);
        throw err instanceof Error ? err : new Error(String(err));
      },
    );
    if (kind !== 'save' && scheduled) job.queued = done;
    this.tail = done.catch(() => undefined);
    return { scheduled, done };
  }

  /**
   * A snapshot the group started by itself, its log having outgrown the snapshot policy: Redis's
   * automatic AOF rewrite (`rewrite`), or with the journal off a BGSAVE (a follower needed it).
   * Counted, timed and reported like a client's, and what a client asks for meanwhile waits.
   */
  automatic(kind: 'bgsave' | 'rewrite', written: Promise<void>): void {
    const job = kind === 'rewrite' ? this.aof : this.rdb;
    job.startedAt = this.clock.now();
    const done = written.then(
      () => this.finish(kind, job, true),
      () => this.finish(kind, job, false),
    );
    const before = this.tail;
    this.tail = done.then(() => before);
  }

  private finish(kind: SaveKind, job: Job, ok: boolean): void {
    if (kind === 'save') {
      this.foreground--;
    } else {
      job.lastSeconds = job.currentSeconds();
      job.startedAt = null;
      job.lastOk = ok;
      job.consecutiveFailures = ok ? 0 : job.consecutiveFailures + 1;
    }
    if (!ok) return;
    // Redis counts SAVE and BGSAVE in rdb_saves, rewrites in aof_rewrites.
    if (kind === 'rewrite') this.aof.count++;
    else this.rdb.count++;
    this.lastSave = Math.floor(this.clock.now() / 1000);
  }
}
