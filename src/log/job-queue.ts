// The log's physical work, in order: writes of appended bytes, fsyncs, rolls, truncations,
// checkpoints. One job runs at a time, so the disk always sees the operations in the order the
// log's logical state went through them. Appends that arrive while a job runs extend the
// queued write job, so everything appended during one flush cycle becomes one write.
import { assert, AssertionError } from '../util/assert.js';
import type { Segment } from './segment.js';

export interface WriteJob {
  readonly kind: 'write';
  readonly segment: Segment;
  readonly from: number;
  to: number;
  /** Index of the last entry whose bytes end at `to`. */
  lastIndex: number;
  /** The log's truncation count when the bytes were appended: a later truncation makes the job's marks stale. */
  readonly epoch: number;
}

export interface OpJob {
  readonly kind: 'op';
  readonly name: string;
  readonly run: () => Promise<void>;
  /** Segments this job exists for; it is dropped when a truncation removes any of them. */
  readonly segments: readonly Segment[];
  /** Settles the caller's promise, if a caller waits for this job. */
  readonly settle?: (err?: Error) => void;
}

export type Job = WriteJob | OpJob;

/** Bound on queued jobs: writes coalesce, so only structural operations can pile up. */
const MAX_JOBS = 1 << 20;

export class JobQueue {
  private jobs: Job[] = [];
  private head = 0;
  /** The job being run (always jobs[head]), if any. */
  private current: Job | undefined;
  private pumping = false;
  private scheduled = false;

  constructor(
    private readonly runJob: (job: Job) => Promise<void>,
    private readonly onFailure: (job: Job, err: unknown) => Promise<void>,
  ) {}

  /** Queues the bytes [from, to) of `segment`, merged into the last queued write if it continues it. */
  write(segment: Segment, from: number, to: number, lastIndex: number, epoch: number): void {
    const tail = this.jobs.length > this.head ? this.jobs[this.jobs.length - 1] : undefined;
    if (tail?.kind === 'write' && tail !== this.current && tail.segment === segment && tail.to === from && tail.epoch === epoch) {
      tail.to = to;
      tail.lastIndex = lastIndex;
    } else {
      this.push({ kind: 'write', segment, from, to, lastIndex, epoch });
    }
    this.schedule();
  }

  op(job: Omit<OpJob, 'kind'>): void {
    this.push({ kind: 'op', ...job });
    this.schedule();
  }

  /** Nothing running (a failure handler included) and nothing queued. */
  get idle(): boolean {
    return !this.pumping && this.head >= this.jobs.length;
  }

  /** True when an op job named `name` is queued and not started. */
  hasQueued(name: string): boolean {
    for (let i = this.firstWaiting(); i < this.jobs.length; i++) {
      const j = this.jobs[i]!;
      if (j.kind === 'op' && j.name === name) return true;
    }
    return false;
  }

  /**
   * Applies a logical suffix truncation to jobs not started: drops jobs for `removed` segments
   * and clips writes of `segment` at `pos` (entries from `fromIndex` on are gone).
   */
  clip(removed: ReadonlySet<Segment>, segment: Segment | undefined, pos: number, fromIndex: number): void {
    const first = this.firstWaiting();
    const kept = this.jobs.slice(first).filter((j) => {
      if (j.kind === 'op') return !j.segments.some((s) => removed.has(s));
      if (removed.has(j.segment)) return false;
      if (j.segment === segment && j.to > pos) {
        j.to = pos;
        j.lastIndex = Math.min(j.lastIndex, fromIndex - 1);
      }
      return j.to > j.from;
    });
    for (const j of this.jobs.slice(first)) {
      if (j.kind === 'op' && !kept.includes(j)) j.settle?.();
    }
    this.jobs.length = first;
    this.jobs.push(...kept);
  }

  /** Removes every job not started, settling their callers with `err`. */
  drain(err: Error): void {
    const first = this.firstWaiting();
    for (const j of this.jobs.slice(first)) if (j.kind === 'op') j.settle?.(err);
    this.jobs.length = first;
  }

  private firstWaiting(): number {
    return this.head + (this.current !== undefined ? 1 : 0);
  }

  private push(job: Job): void {
    assert(this.jobs.length - this.head < MAX_JOBS, 'job queue bound');
    this.jobs.push(job);
  }

  private schedule(): void {
    if (this.pumping || this.scheduled) return;
    this.scheduled = true;
    // A microtask: appends made by the same synchronous code, and by every caller resumed
    // from the previous batch's promises (queued before this), join one write.
    queueMicrotask(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head]!;
      this.current = job;
      let failure: unknown;
      try {
        await this.runJob(job);
      } catch (err) {
        // A broken invariant is a bug: crash rather than carry on with the disk in doubt.
        if (err instanceof AssertionError) throw err;
        failure = err ?? new Error('job failed');
      }
      this.current = undefined;
      this.head++;
      // The failure handler drains what is queued and restores a consistent state.
      if (failure !== undefined) await this.onFailure(job, failure);
      if (this.head > 1024 && this.head * 2 > this.jobs.length) {
        this.jobs = this.jobs.slice(this.head);
        this.head = 0;
      }
    }
    this.pumping = false;
  }
}
