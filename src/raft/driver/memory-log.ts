// A group log kept in memory only: Redis's `appendonly no` for the cache. Appends are stable at
// once and nothing is written; the group drops entries as soon as they are applied
// (RaftGroupOptions.volatileLog), so the log holds one turn's entries at most. A restart starts
// from the latest snapshot written on request (SAVE), as Redis starts from its dump.rdb.
import { rm, stat } from 'node:fs/promises';
import { Log } from '../../log/log.js';
import { checkRange } from '../../log/read.js';
import type { FlushPolicy } from '../../log/options.js';
import { assert } from '../../util/assert.js';
import { DepotError, storageError } from '../../util/errors.js';
import type { OpenLogOptions } from './group.js';
import type { GroupLog, StoredEntry } from './log-store.js';

export class MemoryLog implements GroupLog {
  private ents: StoredEntry[] = [];
  private first: number;

  constructor(startIndex: number) {
    assert(Number.isSafeInteger(startIndex) && startIndex >= 1, 'bad start index %s', startIndex);
    this.first = startIndex;
  }

  get firstIndex(): number {
    return this.first;
  }

  get lastIndex(): number {
    return this.first + this.ents.length - 1;
  }

  get writtenIndex(): number {
    return this.lastIndex;
  }

  get durableIndex(): number {
    return this.lastIndex;
  }

  get stableIndex(): number {
    return this.lastIndex;
  }

  /** Nothing is written, so nothing fails. */
  get failure(): undefined {
    return undefined;
  }

  append(entries: readonly StoredEntry[]): Promise<void> {
    for (const e of entries) {
      assert(e.index === this.lastIndex + 1, 'append of %s after %s', e.index, this.lastIndex);
      this.ents.push(e);
    }
    return Promise.resolve();
  }

  term(index: number): number {
    checkRange(index, index + 1, this.first, this.lastIndex);
    return this.ents[index - this.first]!.term;
  }

  entries(lo: number, hi: number, maxBytes = Infinity): StoredEntry[] {
    checkRange(lo, hi, this.first, this.lastIndex);
    const out: StoredEntry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.first]!;
      bytes += e.payload.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  cached(index: number): StoredEntry | undefined {
    return index < this.first || index > this.lastIndex ? undefined : this.ents[index - this.first];
  }

  read(lo: number, hi: number, maxBytes?: number): Promise<StoredEntry[]> {
    try {
      return Promise.resolve(this.entries(lo, hi, maxBytes));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  truncateSuffix(index: number): Promise<void> {
    if (index <= this.lastIndex) {
      checkRange(index, this.lastIndex + 1, this.first, this.lastIndex);
      this.ents.length = index - this.first;
    }
    return Promise.resolve();
  }

  truncatePrefix(index: number): Promise<void> {
    if (index <= this.first) return Promise.resolve();
    if (index > this.lastIndex + 1) {
      return Promise.reject(new DepotError('INDEX_OUT_OF_RANGE', `cannot drop entries up to ${index - 1}: last is ${this.lastIndex}`));
    }
    this.ents = this.ents.slice(index - this.first);
    this.first = index;
    return Promise.resolve();
  }

  reset(nextIndex: number): Promise<void> {
    this.ents = [];
    this.first = nextIndex;
    return Promise.resolve();
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  setFlushPolicy(_policy: FlushPolicy): Promise<void> {
    return Promise.resolve();
  }

  retain(): Promise<{ segments: number; bytes: number }> {
    return Promise.resolve({ segments: 0, bytes: 0 });
  }

  close(): Promise<void> {
    this.ents = [];
    return Promise.resolve();
  }
}

/**
 * A memory log for the group whose journal directory is `dir`. A journal left there by a run
 * with a persistent log is dropped only when the snapshot the group starts from covers it
 * (`o.startIndex` follows the snapshot); writes after that snapshot would be lost, so the node
 * refuses to start instead.
 */
export async function openMemoryLog(dir: string, o: OpenLogOptions): Promise<GroupLog> {
  if (await exists(dir)) {
    const journal = await Log.open({ dir, create: false, startIndex: o.startIndex });
    const last = journal.lastIndex;
    await journal.close();
    if (last >= o.startIndex) {
      throw new DepotError(
        'INVALID_CONFIG',
        `${dir} holds writes (entries ${o.startIndex}..${last}) that no snapshot covers: start with the journal on ` +
          '(appendonly yes) and SAVE before turning it off, or delete that directory to drop them',
      );
    }
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      throw storageError(err, `remove ${dir}`);
    }
  }
  return new MemoryLog(o.startIndex);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw storageError(err, `stat ${path}`);
  }
}
