// The log's physical work, in order: writes of appended bytes, fsyncs, rolls, truncations,
// checkpoints. One job runs at a time, so the disk always sees the operations in the order the
// log's logical state went through them. Appends that arrive while a job runs extend the
// queued write job, so everything appended during one flush cycle becomes one write.
//
// A write normally starts on the microtask after the appends that queued it, so that a burst of
// appends (every caller resumed by the previous write) becomes one write. With `startNowBytes`,
// when the queue is idle and the write being queued already holds that many bytes, it starts at
// once instead: the rest of the burst is then encoded while those bytes are on their way, and
// joins the next write, which starts as soon as this one returns. Appenders' work and the
// writes overlap in a pipeline, one write in flight as before. That pays where a write costs in
// proportion to its bytes (into the page cache); where each write also pays a fixed device
// flush (O_DSYNC), halving the batches costs more than the overlap gains, so the log does not
// ask for it there.
//
// An fdatasync of what is already written (the interval sync, a checkpoint) does not have to
// hold writes back: a `background` op runs beside the ordered lane, so writes queued after it
// proceed while it syncs (the mark it makes durable is the written mark when it started, which
// its fdatasync covers). Background ops run one at a time, in order, from their own queue; any
// other op waits until none is left, so rolls, truncations and close never overlap a sync, and
// a failure is handled with both lanes still.
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
  /** Runs beside later writes (see above): only for syncs and checkpoints of written bytes. */
  readonly background?: boolean;
}

export type Job = WriteJob | OpJob;

/** Bound on queued jobs: writes coalesce, so only structural operations can pile up. */
const MAX_JOBS = 1 << 20;

export interface JobRunner {
  /** Runs an op job, or the I/O of a write job. */
  run(job: Job): Promise<void>;
  /** A write job's bytes are written: called in order, once the queue has moved past it. */
  wrote(job: WriteJob): void;
  /**
   * Jobs failed (`err` is the first failure; a background op may have failed beside it): the
   * handler settles their callers, drains what is queued and restores a consistent state.
   */
  failed(jobs: readonly Job[], err: unknown): Promise<void>;
}

export class JobQueue {
  private jobs: Job[] = [];
  private head = 0;
  /** The job being run (always jobs[head]), if any. */
  private current: Job | undefined;
  private pumping = false;
  private scheduled = false;
  /** The background op running, those waiting for it, and its failure once it has failed. */
  private side: Promise<void> | undefined;
  private sideQueue: OpJob[] = [];
  private sideFailure: { job: OpJob; err: unknown } | undefined;
  /** Set while a failure is handled: queued background ops wait to be drained. */
  private stopped = false;

  /** `startNowBytes`: a queued write this large starts at once when nothing runs (see above). */
  constructor(
    private readonly runner: JobRunner,
    private startNowBytes = Infinity,
  ) {}

  /** The files changed how they are written (a flush policy switch): see above. */
  setStartNowBytes(bytes: number): void {
    this.startNowBytes = bytes;
  }

  /** Queues the bytes [from, to) of `segment`, merged into the last queued write if it continues it. */
  write(segment: Segment, from: number, to: number, lastIndex: number, epoch: number): void {
    const tail = this.jobs.length > this.head ? this.jobs[this.jobs.length - 1] : undefined;
    let job: WriteJob;
    if (tail?.kind === 'write' && tail !== this.current && tail.segment === segment && tail.to === from && tail.epoch === epoch) {
      job = tail;
      job.to = to;
      job.lastIndex = lastIndex;
    } else {
      job = { kind: 'write', segment, from, to, lastIndex, epoch };
      this.push(job);
    }
    if (!this.pumping && job.to - job.from >= this.startNowBytes && this.jobs[this.head] === job) void this.pump();
    else this.schedule();
  }

  op(job: Omit<OpJob, 'kind'>): void {
    this.push({ kind: 'op', ...job });
    this.schedule();
  }

  /** Nothing running in order (a failure handler included) and nothing queued; a background sync may run. */
  get idle(): boolean {
    return !this.pumping && this.head >= this.jobs.length;
  }

  /** True when an op job named `name` is queued and not started. */
  hasQueued(name: string): boolean {
    for (let i = this.firstWaiting(); i < this.jobs.length; i++) {
      const j = this.jobs[i]!;
      if (j.kind === 'op' && j.name === name) return true;
    }
    return this.sideQueue.some((j) => j.name === name);
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
    const side = this.sideQueue;
    this.sideQueue = side.filter((j) => !j.segments.some((s) => removed.has(s)));
    for (const j of side) if (!this.sideQueue.includes(j)) j.settle?.();
  }

  /** Removes every job not started, settling their callers with `err`. */
  drain(err: Error): void {
    const first = this.firstWaiting();
    for (const j of this.jobs.slice(first)) if (j.kind === 'op') j.settle?.(err);
    this.jobs.length = first;
    const side = this.sideQueue;
    this.sideQueue = [];
    for (const j of side) j.settle?.(err);
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
    while (this.sideFailure !== undefined || this.head < this.jobs.length) {
      if (this.sideFailure !== undefined) {
        const { job, err } = this.sideFailure;
        this.sideFailure = undefined;
        await this.runner.failed([job], err);
        this.stopped = false;
        continue;
      }
      const job = this.jobs[this.head]!;
      if (job.kind === 'op' && job.background === true) {
        this.head++;
        assert(this.sideQueue.length < MAX_JOBS, 'background job queue bound');
        this.sideQueue.push(job);
        if (this.side === undefined) this.side = this.runBackground();
        continue;
      }
      if (job.kind === 'op' && this.side !== undefined) {
        // No other op beside a background one.
        await this.side;
        continue;
      }
      this.current = job;
      let failure: unknown;
      try {
        await this.runner.run(job);
      } catch (err) {
        // A broken invariant is a bug: crash rather than carry on with the disk in doubt.
        if (err instanceof AssertionError) throw err;
        failure = err ?? new Error('job failed');
      }
      this.current = undefined;
      this.head++;
      if (failure !== undefined) await this.failWithSide(job, failure);
      else if (job.kind === 'write') this.runner.wrote(job);
      if (this.head > 1024 && this.head * 2 > this.jobs.length) {
        this.jobs = this.jobs.slice(this.head);
        this.head = 0;
      }
    }
    this.pumping = false;
  }

  /**
   * Runs the queued background ops one after the other; a failure stops the lane and is
   * handled by the pump, when the ordered lane is still.
   */
  private async runBackground(): Promise<void> {
    try {
      for (let job = this.sideQueue.shift(); job !== undefined && !this.stopped; job = this.sideQueue.shift()) {
        try {
          await this.runner.run(job);
        } catch (err) {
          if (err instanceof AssertionError) throw err;
          this.sideFailure = { job, err: err ?? new Error('job failed') };
          this.stopped = true;
          this.schedule();
        }
      }
    } finally {
      this.side = undefined;
    }
  }

  /** An ordered job failed: the failure is handled once the background lane has stopped too. */
  private async failWithSide(job: Job, err: unknown): Promise<void> {
    this.stopped = true;
    await this.side;
    const jobs: Job[] = [job];
    if (this.sideFailure !== undefined) {
      jobs.push(this.sideFailure.job);
      this.sideFailure = undefined;
    }
    await this.runner.failed(jobs, err);
    this.stopped = false;
  }
}
