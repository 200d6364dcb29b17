// Open descriptors shared by every secondary index on a node: a bounded LRU, so that 10,000
// per-queue indexes do not hold 10,000 (or 30,000) descriptors. Files are opened lazily on
// first use and closed when evicted; a descriptor lent to an async call is not evicted.
import { assert } from '../util/assert.js';
import { storageError } from '../util/errors.js';
import type { FileSystem } from './file-system.js';

interface Held {
  fd: number;
  lent: number;
}

export class FdCache {
  private readonly open = new Map<string, Held>();

  constructor(
    readonly fsys: FileSystem,
    readonly maxOpen = 256,
  ) {
    assert(maxOpen >= 1);
  }

  get size(): number {
    return this.open.size;
  }

  /** A read-write descriptor of `path`, creating the file when `create` and it is missing. */
  get(path: string, create = false): number {
    const held = this.open.get(path);
    if (held !== undefined) {
      this.open.delete(path);
      this.open.set(path, held);
      return held.fd;
    }
    this.evict(this.maxOpen - 1);
    let fd: number;
    try {
      fd = this.fsys.openSync(path, 'append');
    } catch (err) {
      if (!create || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(err, `open ${path}`);
      try {
        fd = this.fsys.openSync(path, 'create');
      } catch (err2) {
        throw storageError(err2, `create ${path}`);
      }
    }
    this.open.set(path, { fd, lent: 0 });
    return fd;
  }

  /** Runs `fn` with the descriptor of `path`, which stays open until `fn` settles. */
  async with<T>(path: string, fn: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.get(path);
    const held = this.open.get(path)!;
    held.lent++;
    try {
      return await fn(fd);
    } finally {
      held.lent--;
      if (this.open.get(path) !== held && held.lent === 0) this.fsys.closeSync(fd);
    }
  }

  /** Closes `path` (before it is deleted or truncated by name). */
  forget(path: string): void {
    const held = this.open.get(path);
    if (held === undefined) return;
    this.open.delete(path);
    if (held.lent === 0) this.fsys.closeSync(held.fd);
  }

  closeAll(): void {
    for (const path of [...this.open.keys()]) this.forget(path);
  }

  private evict(keep: number): void {
    // Oldest first (Map order); lent descriptors are skipped, so the bound can be exceeded by
    // at most the number of async calls in flight.
    for (const [path, held] of this.open) {
      if (this.open.size <= keep) return;
      if (held.lent > 0) continue;
      this.open.delete(path);
      this.fsys.closeSync(held.fd);
    }
  }
}
