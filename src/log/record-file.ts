// A sequence of fixed-width records (record k at a computable place) stored in files of
// `perFile` records named by their first record number: the storage of the offset and time
// indexes. Appends collect in a small bounded buffer and reach the files with one write per
// buffer; descriptors come from the shared FdCache. Records below `count` that were synced
// before the last checkpoint are trusted; recovery cuts everything after (see offset-index.ts).
import { join } from 'node:path';
import { assert } from '../util/assert.js';
import { storageError } from '../util/errors.js';
import type { FdCache } from './fd-cache.js';
import { ignoreMissing } from './file-system.js';

export interface RecordFileOptions {
  dir: string;
  /** File name suffix, e.g. '.oix'. */
  ext: string;
  width: number;
  perFile: number;
  /** Records buffered before a write. */
  bufferRecords: number;
  fds: FdCache;
}

export class RecordFile {
  /** Number of the first record kept (earlier files were deleted). */
  first = 0;
  /** Number of the next record to append. */
  count = 0;
  private flushed = 0;
  private readonly buf: Buffer;
  /** Files written since the last sync. */
  private dirty = new Set<string>();

  constructor(private readonly o: RecordFileOptions) {
    assert(o.width > 0 && o.perFile > 0 && o.bufferRecords > 0);
    this.buf = Buffer.alloc(o.width * o.bufferRecords);
  }

  fileOf(k: number): string {
    const start = k - (k % this.o.perFile);
    return join(this.o.dir, `${String(start).padStart(20, '0')}${this.o.ext}`);
  }

  /** The append buffer: `append` returns offsets into it. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Room for the next record (zeroed) at the returned offset of `buffer`, to be filled by the caller before anything else. */
  append(): number {
    if (this.count - this.flushed === this.o.bufferRecords) this.flush();
    const offset = (this.count - this.flushed) * this.o.width;
    this.buf.fill(0, offset, offset + this.o.width);
    this.count++;
    return offset;
  }

  /** Record k (a copy, or a view of the buffer valid until the next append). */
  read(k: number): Buffer {
    return this.readRange(k, 1);
  }

  /** Records [k, k + n), within one file or the buffer; n is clamped to what is there. */
  readRange(k: number, n: number): Buffer {
    assert(k >= this.first && k < this.count, 'record %s outside %s..%s', k, this.first, this.count - 1);
    const w = this.o.width;
    if (k >= this.flushed) {
      const m = Math.min(n, this.count - k);
      return this.buf.subarray((k - this.flushed) * w, (k - this.flushed + m) * w);
    }
    const m = Math.min(n, this.flushed - k, this.o.perFile - (k % this.o.perFile));
    const out = Buffer.allocUnsafe(m * w);
    const path = this.fileOf(k);
    let got: number;
    try {
      got = this.o.fds.fsys.readSync(this.o.fds.get(path), out, (k % this.o.perFile) * w);
    } catch (err) {
      throw storageError(err, `read ${path}`);
    }
    return out.subarray(0, got - (got % w));
  }

  /** Writes buffered records to their files (synchronous page-cache writes). */
  flush(): void {
    const w = this.o.width;
    while (this.flushed < this.count) {
      const k = this.flushed;
      const n = Math.min(this.count - k, this.o.perFile - (k % this.o.perFile));
      const path = this.fileOf(k);
      try {
        this.o.fds.fsys.writeSync(this.o.fds.get(path, true), [this.buf.subarray(0, n * w)], (k % this.o.perFile) * w);
      } catch (err) {
        throw storageError(err, `write ${path}`);
      }
      this.dirty.add(path);
      this.buf.copy(this.buf, 0, n * w, (this.count - k) * w);
      this.flushed += n;
    }
  }

  /** Flushes and makes every written record durable. */
  async sync(): Promise<void> {
    this.flush();
    const dirty = [...this.dirty];
    this.dirty = new Set();
    for (const path of dirty) await this.o.fds.with(path, (fd) => this.o.fds.fsys.datasync(fd));
  }

  /** Forgets records from `k` on (they may be rewritten). */
  async truncateFrom(k: number): Promise<void> {
    if (k >= this.count) return;
    assert(k >= this.first);
    if (k >= this.flushed) {
      this.count = k;
      return;
    }
    await this.cutFiles(k, await this.o.fds.fsys.list(this.o.dir));
    this.count = this.flushed = k;
  }

  /** Drops whole files whose records all lie below `k`. */
  async dropBefore(k: number, names?: readonly string[]): Promise<void> {
    const fsys = this.o.fds.fsys;
    for (const name of names ?? (await fsys.list(this.o.dir))) {
      if (!name.endsWith(this.o.ext) || Number(name.slice(0, 20)) + this.o.perFile > k) continue;
      const path = join(this.o.dir, name);
      this.o.fds.forget(path);
      this.dirty.delete(path);
      await fsys.unlink(path).catch(ignoreMissing);
    }
    this.first = Math.max(this.first, Math.min(k, this.count));
  }

  /**
   * Opens at a checkpointed state: records [first, count) are trusted, files after are cut and
   * files before deleted. `names` is the directory listing.
   */
  async restore(first: number, count: number, names: readonly string[]): Promise<void> {
    this.first = first;
    await this.cutFiles(count, names);
    this.count = this.flushed = count;
    await this.dropBefore(first, names);
  }

  /** Deletes files past record `k` and truncates the one holding it. */
  private async cutFiles(k: number, names: readonly string[]): Promise<void> {
    const fsys = this.o.fds.fsys;
    const keepStart = k - (k % this.o.perFile);
    for (const name of names) {
      if (!name.endsWith(this.o.ext)) continue;
      const start = Number(name.slice(0, 20));
      const path = join(this.o.dir, name);
      if (start > keepStart || (start === keepStart && k === keepStart)) {
        this.o.fds.forget(path);
        this.dirty.delete(path);
        await fsys.unlink(path).catch(ignoreMissing);
      } else if (start === keepStart) {
        await this.o.fds.with(path, (fd) => fsys.truncate(fd, (k % this.o.perFile) * this.o.width));
        this.dirty.add(path);
      }
    }
  }
}
