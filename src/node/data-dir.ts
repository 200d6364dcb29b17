// The data directory and its lock. Two processes on one directory would interleave writes to
// the same logs, so a node refuses to start while another live process holds `LOCK`.
//
// The lock file stays: it holds the holder's pid padded to a fixed width, written over in place
// and blanked on release. Writing over bytes the file already has needs no free space, so a
// node restarted on a full disk still starts (and serves what it can) where creating or
// truncating the file would fail.
import { closeSync, constants, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { DepotError, storageError } from '../util/errors.js';

export class DataDir {
  private constructor(readonly path: string, private readonly lockFile: string) {}

  /** Creates the directory if needed and takes its lock. */
  static open(path: string): DataDir {
    const dir = resolve(path);
    try {
      mkdirSync(join(dir, 'groups'), { recursive: true });
    } catch (err) {
      throw storageError(err, `cannot create data directory ${dir}`);
    }
    const lockFile = join(dir, 'LOCK');
    const holder = readHolder(lockFile);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new DepotError('DATA_DIR_LOCKED', `data directory ${dir} is in use by process ${holder}`);
    }
    try {
      writeLock(lockFile, String(process.pid));
    } catch (err) {
      throw storageError(err, `cannot lock data directory ${dir}`);
    }
    return new DataDir(dir, lockFile);
  }

  groupDir(groupId: string): string {
    return join(this.path, 'groups', groupId);
  }

  release(): void {
    if (readHolder(this.lockFile) !== process.pid) return;
    try {
      writeLock(this.lockFile, '');
    } catch {
      // The process is exiting: a lock naming a dead process is taken over at the next start.
    }
  }
}

/** Room for any pid (at most 2^22 on Linux) and a newline. */
const LOCK_BYTES = 16;

/** Writes `text` padded to LOCK_BYTES over the lock file's first bytes, creating it if missing. */
function writeLock(lockFile: string, text: string): void {
  const fd = openSync(lockFile, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, `${text}\n`.padEnd(LOCK_BYTES, ' '), 0);
  } finally {
    closeSync(fd);
  }
}

function readHolder(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process not yet reaped by its parent still answers signal 0, but holds no files.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
