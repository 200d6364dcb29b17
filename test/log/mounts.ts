// Real small filesystems for the disk-full and read-only tests (we run as root). Every mount
// is undone in `finally` and, should the process die first, on exit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mounted = new Set<string>();
process.on('exit', () => {
  for (const dir of mounted) unmount(dir);
});

export interface Mount {
  dir: string;
  remount(mode: 'ro' | 'rw'): void;
  release(): void;
}

/** A tmpfs of `bytes`, or undefined (with the reason) where mounting is not permitted. */
export function mountTmpfs(bytes: number): Mount | string {
  const dir = mkdtempSync(join(tmpdir(), 'depot-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `mount not permitted: ${String((err as Error).message).split('\n')[0]}`;
  }
  mounted.add(dir);
  return {
    dir,
    remount: (mode) => execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' }),
    release() {
      unmount(dir);
      mounted.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

/**
 * A server's data directory on a tmpfs of `bytes` that a test fills up (`fill`) and frees
 * again (`free`), or undefined after skipping `t` where mounting is not permitted.
 */
export function smallDisk(t: { skip(message: string): void }, bytes: number): { dataDir: string; fill(bytes: number): void; free(): void; release(): void } | undefined {
  const m = mountTmpfs(bytes);
  if (typeof m === 'string') {
    t.skip(m);
    return undefined;
  }
  const filler = join(m.dir, 'filler');
  return {
    dataDir: join(m.dir, 'data'),
    fill: (n) => writeFileSync(filler, Buffer.alloc(n)),
    free: () => unlinkSync(filler),
    release: () => m.release(),
  };
}
