// A group whose log writes fail (disk full, a filesystem turned read-only, an I/O error) waits
// and writes again instead of stopping, as Redis retries its AOF: the foundation log abandons
// what it had not written and reloads its state from its files, and the entries the core handed
// out since are still in the core (unstable until acknowledged). Every retry period the stall
// writes them again, from the first one the log lost; Readies taken meanwhile join it. Once the
// log holds them all, the Readies waiting on the stall go on to be acknowledged, in order.
import { setTimeout as sleep } from 'node:timers/promises';
import { isStorageError, type DepotError } from '../../util/errors.js';
import type { Entry } from '../group.js';
import type { DurableStorage } from './storage.js';

export interface StallOptions {
  storage: DurableStorage;
  /** The entries from an index on that the core handed out and that are not yet stable. */
  handedOutFrom: (from: number) => Entry[];
  retryMs: number;
  /** True once the group is closing or has stopped: the stall gives up with `stopped`. */
  stopped: () => Error | undefined;
}

export class StorageStall {
  /** The latest failure, reported until the log takes the entries. */
  error: DepotError;
  /** The lowest first index of the Readies that joined since the last attempt began. */
  private from: number;
  /** Settles when the log holds every entry handed out (or rejects when the group stops). */
  readonly done: Promise<void>;
  private readonly waits = new AbortController();

  constructor(
    error: DepotError,
    from: number,
    private readonly o: StallOptions,
  ) {
    this.error = error;
    this.from = from;
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  /** A Ready whose entries start at `from` failed to append, or came while stalled. */
  join(from: number): Promise<void> {
    this.from = Math.min(this.from, from);
    return this.done;
  }

  /** The group closes: the wait between attempts ends at once. */
  stop(): void {
    this.waits.abort();
  }

  private async run(): Promise<void> {
    const log = this.o.storage.log;
    for (let wait = true; ; ) {
      if (wait) await sleep(this.o.retryMs, undefined, { signal: this.waits.signal }).catch(() => undefined);
      const stopped = this.o.stopped();
      if (stopped !== undefined) throw stopped;
      // Entries the log kept after the failure need not be written again, unless a conflicting
      // append (a follower's new leader) replaced them: then a Ready joined from before them.
      const from = Math.min(this.from, log.lastIndex + 1);
      this.from = Infinity;
      try {
        await this.o.storage.append(this.o.handedOutFrom(from));
      } catch (err) {
        if (!isStorageError(err)) throw err;
        this.error = err;
        this.from = Math.min(this.from, from);
        wait = true;
        continue;
      }
      // Readies taken while that write ran joined with their first index: write those too.
      if (this.from === Infinity) return;
      wait = false;
    }
  }
}
