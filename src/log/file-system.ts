// The narrow file interface under the log and its indexes. Everything the storage engine does
// to a disk goes through one of these methods, so that tests can put a fault-injecting layer
// underneath (disk full, read-only, I/O errors) where a real filesystem cannot be arranged.
// Errors are Node system errors (with `code`); callers map them with `storageError`.
import fs from 'node:fs';
import { join } from 'node:path';

export type OpenMode = 'read' | 'append' | 'create';

export interface DiskUsage {
  totalBytes: number;
  freeBytes: number;
}

export interface FileSystem {
  /**
   * 'read': existing file read-only; 'append': existing file read-write; 'create': read-write,
   * must not exist. With `dsync`, every write returns only once its data is durable (O_DSYNC).
   */
  open(path: string, mode: OpenMode, dsync?: boolean): Promise<number>;
  openSync(path: string, mode: OpenMode): number;
  close(fd: number): Promise<void>;
  closeSync(fd: number): void;
  /** Writes all of `buffers` at `position` (one writev where possible). */
  write(fd: number, buffers: readonly Buffer[], position: number): Promise<void>;
  /** Writes all of `buffers` at `position` on the calling thread. */
  writeSync(fd: number, buffers: readonly Buffer[], position: number): void;
  read(fd: number, target: Buffer, position: number): Promise<number>;
  readSync(fd: number, target: Buffer, position: number): number;
  datasync(fd: number): Promise<void>;
  truncate(fd: number, length: number): Promise<void>;
  size(fd: number): Promise<number>;
  sizeSync(fd: number): number;
  readFile(path: string): Promise<Buffer>;
  /** Names (not paths) in `dir`. */
  list(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsync of a directory, so that created, renamed and unlinked names are durable. */
  syncDir(dir: string): Promise<void>;
  usage(dir: string): Promise<DiskUsage>;
}

const flags: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY,
  append: fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
};

function cb<T>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

/** Buffers per writev call: Linux's IOV_MAX (libuv would split a longer list into several calls anyway). */
const IOV_MAX = 1024;

async function writeAll(fd: number, buffers: readonly Buffer[], position: number): Promise<void> {
  let pending = buffers.filter((b) => b.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const written = await cb<number>((done) => fs.writev(fd, pending.slice(0, IOV_MAX), pos, done));
    if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    pos += written;
    pending = unwritten(pending, written);
  }
}

/** What is left of `buffers` after a writev wrote `written` bytes of them (it may write less than asked). */
function unwritten(buffers: readonly Buffer[], written: number): Buffer[] {
  let next = 0;
  let left = written;
  while (next < buffers.length && buffers[next]!.length <= left) left -= buffers[next++]!.length;
  if (next === buffers.length) return [];
  return [buffers[next]!.subarray(left), ...buffers.slice(next + 1)];
}

export const nodeFileSystem: FileSystem = {
  open: (path, mode, dsync = false) => cb<number>((done) => fs.open(path, flags[mode] | (dsync ? fs.constants.O_DSYNC : 0), 0o644, done)),
  openSync: (path, mode) => fs.openSync(path, flags[mode], 0o644),
  close: (fd) => cb<void>((done) => fs.close(fd, done)),
  closeSync: (fd) => fs.closeSync(fd),
  write: writeAll,
  writeSync(fd, buffers, position) {
    // One pwritev for a write's record headers and payloads, not a pwrite each.
    let pending = buffers.filter((b) => b.length > 0);
    let pos = position;
    while (pending.length > 0) {
      const written = fs.writevSync(fd, pending.length <= IOV_MAX ? pending : pending.slice(0, IOV_MAX), pos);
      if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      pos += written;
      pending = unwritten(pending, written);
    }
  },
  read: (fd, target, position) => cb<number>((done) => fs.read(fd, target, 0, target.length, position, done)),
  readSync: (fd, target, position) => fs.readSync(fd, target, 0, target.length, position),
  datasync: (fd) => cb<void>((done) => fs.fdatasync(fd, done)),
  truncate: (fd, length) => cb<void>((done) => fs.ftruncate(fd, length, done)),
  size: async (fd) => (await cb<fs.Stats>((done) => fs.fstat(fd, done))).size,
  sizeSync: (fd) => fs.fstatSync(fd).size,
  readFile: (path) => fs.promises.readFile(path),
  list: (dir) => fs.promises.readdir(dir),
  mkdir: async (dir) => {
    await fs.promises.mkdir(dir, { recursive: true });
  },
  unlink: (path) => fs.promises.unlink(path),
  rename: (from, to) => fs.promises.rename(from, to),
  async syncDir(dir) {
    const fd = await cb<number>((done) => fs.open(dir, fs.constants.O_RDONLY, done));
    try {
      await cb<void>((done) => fs.fsync(fd, done));
    } finally {
      await cb<void>((done) => fs.close(fd, done));
    }
  },
  async usage(dir) {
    const s = await fs.promises.statfs(dir);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  },
};

/**
 * Replaces `dir/name` with `data` so that a crash leaves either the old or the new content:
 * write a temporary file, fsync it, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(fsys: FileSystem, dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  await fsys.unlink(tmp).catch(ignoreMissing);
  const fd = await fsys.open(tmp, 'create');
  try {
    await fsys.write(fd, [data], 0);
    await fsys.datasync(fd);
  } finally {
    await fsys.close(fd);
  }
  await fsys.rename(tmp, join(dir, name));
  await fsys.syncDir(dir);
}

/** For unlinks that may find the file already gone (an interrupted earlier attempt). */
export function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

/** Reads a whole small file, or undefined when it does not exist. */
export async function readFileIfExists(fsys: FileSystem, path: string): Promise<Buffer | undefined> {
  try {
    return await fsys.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
