// The data directory and its lock. Two processes on one directory would interleave writes to
// the same logs, so a node refuses to start while another live process holds `LOCK`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      writeFileSync(lockFile, `${process.pid}\n`);
    } catch (err) {
      throw storageError(err, `cannot lock data directory ${dir}`);
    }
    return new DataDir(dir, lockFile);
  }

  groupDir(groupId: string): string {
    return join(this.path, 'groups', groupId);
  }

  release(): void {
    if (readHolder(this.lockFile) === process.pid) rmSync(this.lockFile, { force: true });
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
