// Retention of a broker group: messages older than their topic's retention time stop being
// served (each queue's first served offset moves past them, and consumers' positions with it),
// and whole closed segments of the commit log are deleted once nothing in them is needed — or,
// while the disk is fuller than the watermark, once nothing in them is unconsumed. Runs
// periodically with bounded work; the broker's pin on the log keeps what is needed meanwhile
// (also from the snapshot compaction of the raft driver).
import type { Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { FileSystem } from '../log/file-system.js';
import type { BrokerService } from './broker-service.js';
import { KEY_VALUE_SHIFT } from './store/reput.js';
import type { StoredQueue } from './store/queue-indexes.js';

export interface RetentionOptions {
  /** Between runs. Default 10 s. */
  intervalMs?: number;
  /** Disk usage (fraction) above which consumed messages go before they expire. Default 0.75. */
  diskUsageWatermark?: number;
  /** Queues checked for expiry per run, round robin (bounds one run's work). Default 2,000. */
  queuesPerRun?: number;
}

export interface RetentionRun {
  /** Queues whose first served offset moved. */
  expired: number;
  diskAboveWatermark: boolean;
  /** Log index from which the broker keeps entries. */
  keepFrom: number;
  segments: number;
  bytes: number;
}

export class Retention {
  private readonly o: Required<RetentionOptions>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private cursor = 0;
  private release: (() => void) | undefined;
  private pinned: number | undefined;

  constructor(
    private readonly broker: BrokerService,
    /** A topic's retention in ms (0: no time limit), or undefined for a topic that is gone. */
    private readonly retentionOf: (topic: string) => number | undefined,
    private readonly fsys: FileSystem,
    private readonly dir: string,
    private readonly clock: Clock,
    options: RetentionOptions = {},
    private readonly logger: Logger = silentLogger,
  ) {
    this.o = { intervalMs: 10_000, diskUsageWatermark: 0.75, queuesPerRun: 2_000, ...options };
  }

  /** Pins what the indexes hold at once, then runs every `intervalMs`. */
  start(): void {
    this.repin(this.keepFrom(false));
    this.timer = setInterval(() => {
      if (this.running === undefined) void this.run().catch((err: unknown) => this.logger.error({ err }, 'retention run failed'));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One run: expire, pin, delete segments, drop index files. Runs beside nothing else of the store. */
  run(): Promise<RetentionRun> {
    const p = this.broker.store.exclusive(() => this.runExclusive());
    this.running = p;
    return p.finally(() => (this.running = undefined));
  }

  private async runExclusive(): Promise<RetentionRun> {
    const now = this.clock.now();
    const moved = this.expire(now);
    const usage = await this.fsys.usage(this.dir);
    const full = usage.totalBytes > 0 && (usage.totalBytes - usage.freeBytes) / usage.totalBytes > this.o.diskUsageWatermark;
    const keepFrom = this.keepFrom(full);
    this.repin(keepFrom);
    const log = this.broker.log;
    const deleted = await log.retain({ maxBytes: 0, diskUsageWatermark: 1 }, now);
    if (deleted.segments > 0) {
      this.logger.info({ ...deleted, firstIndex: log.firstIndex, diskAboveWatermark: full }, 'commit log segments deleted');
      for (const q of this.broker.store.indexes.all()) {
        const head = q.headLogIndex();
        if (head !== undefined && head < log.firstIndex) {
          this.broker.store.skipDeleted(q);
          moved.add(q);
        }
      }
    }
    if (moved.size > 0) {
      // The new first offsets are checkpointed before index files below them go.
      await this.broker.store.checkpointHeld();
      for (const q of moved) await q.index.dropBefore(q.start);
    }
    await this.broker.store.keys.dropBelow(log.firstIndex * KEY_VALUE_SHIFT);
    return { expired: moved.size, diskAboveWatermark: full, keepFrom, ...deleted };
  }

  /** Moves the first served offset of up to `queuesPerRun` queues past their expired messages. */
  private expire(now: number): Set<StoredQueue> {
    const moved = new Set<StoredQueue>();
    const queues = [...this.broker.store.indexes.all()];
    const n = Math.min(queues.length, this.o.queuesPerRun);
    for (let i = 0; i < n; i++) {
      const q = queues[(this.cursor + i) % queues.length]!;
      const retention = this.retentionOf(q.topic);
      if (retention === undefined || retention === 0) continue;
      const head = q.headTimestamp();
      if (head === undefined || head >= now - retention) continue;
      q.advanceStart(q.index.offsetForTime(now - retention));
      moved.add(q);
    }
    this.cursor = queues.length === 0 ? 0 : (this.cursor + n) % queues.length;
    return moved;
  }

  /**
   * The first log index the broker needs: every queue's first served message (while the disk
   * is above the watermark, its first unconsumed one), and everything not yet indexed.
   */
  private keepFrom(full: boolean): number {
    const store = this.broker.store;
    let keep = store.reputIndex + 1;
    for (const q of store.indexes.all()) {
      const from = full ? Math.max(q.start, this.consumed(q)) : q.start;
      if (from >= q.end) continue;
      const logIndex = from === q.start ? q.headLogIndex()! : q.index.get(from).logIndex;
      if (logIndex < keep) keep = logIndex;
    }
    return keep;
  }

  /** The lowest committed offset of any consumer of the queue (its start when nobody consumes). */
  private consumed(q: StoredQueue): number {
    const machine = this.broker.machine;
    let low: number | undefined;
    for (const owner of machine.ownersOf(q.topic)) {
      const c = machine.committed(owner, q.topic, q.queue) ?? q.start;
      if (low === undefined || c < low) low = c;
    }
    return low ?? q.start;
  }

  private repin(index: number): void {
    if (index === this.pinned) return;
    const old = this.release;
    this.release = this.broker.log.pin(index);
    this.pinned = index;
    old?.();
  }
}
