// Runs `depot start` (bin/depot.js) as a child process on free loopback ports, the way a user
// runs it, for end-to-end tests: the queue, the cache and the node itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const depotBin = fileURLToPath(new URL('../../../bin/depot.js', import.meta.url));

/** The node flags of bin/depot.js's `#!/usr/bin/env -S node ...` line, which its own runs get. */
export const depotNodeFlags: readonly string[] = (() => {
  const first = readFileSync(depotBin, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node((?: --?[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (m === null) throw new Error(`unexpected first line of ${depotBin}: ${first}`);
  return m[1]!.split(' ').filter((f) => f !== '');
})();

// Servers still running when the test process ends (a failed assertion, a timeout) are killed
// with it, so no test leaves a node behind holding ports and files.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface DepotProcess {
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Ports by listener name: native, http, raft, and redis when the cache runs. */
  readonly ports: Readonly<Record<string, number>>;
  /** "127.0.0.1:port" of the native protocol. */
  readonly address: string;
  /** Everything the process wrote to stderr so far (the last 64 KiB). */
  stderr(): string;
  /** Everything it wrote to stdout, its log (the last 64 KiB). */
  stdout(): string;
  /** SIGTERM, and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, and wait for exit (nothing when it has already exited: safe in `finally`). */
  kill(): Promise<void>;
  /** Removes the data directory (after stop or kill). */
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  /** Extra `depot start` arguments. */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Node flags instead of bin/depot.js's (depotNodeFlags). */
  nodeFlags?: readonly string[];
}

export async function startDepot(options: StartOptions = {}): Promise<DepotProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'depot-node-'));
  const args = [depotBin, 'start', '--data', dataDir, '--port', '0', '--http-port', '0', '--raft-port', '0', '--redis-port', '0', '--log-level', 'warn', ...(options.args ?? [])];
  const proc = spawn(process.execPath, [...(options.nodeFlags ?? depotNodeFlags), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  let stdout = '';
  proc.stdout!.on('data', (c: Buffer) => {
    stdout = (stdout + c.toString()).slice(-65536);
  });
  proc.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-65536);
  });
  live.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      live.delete(proc);
      resolve(code);
    }),
  );
  const listening = new Promise<Record<string, number>>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = /depot started: (.*)\n/.exec(out)?.[1];
      if (line === undefined) return;
      const found: Record<string, number> = {};
      for (const m of line.matchAll(/(\w+) [^\s,]+:(\d+)/g)) found[m[1]!] = Number(m[2]);
      resolve(found);
    });
    void exited.then((code) => reject(new Error(`depot start exited with ${code} before listening:\n${stderr}`)));
  });
  let ports: Record<string, number>;
  try {
    ports = await listening;
  } catch (err) {
    // A start that failed leaves no data directory it made behind.
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // A running server must not keep a finished (or failed) test file alive: unreferenced, it dies
  // with the test process (see `live`); waiting for its exit references it again.
  proc.unref();
  (proc.stdout as unknown as { unref(): void }).unref();
  (proc.stderr as unknown as { unref(): void }).unref();
  const waitExit = async (signal: NodeJS.Signals) => {
    proc.ref();
    proc.kill(signal);
    return exited;
  };
  return {
    dataDir,
    proc,
    ports,
    address: `127.0.0.1:${ports['native']}`,
    stderr: () => stderr,
    stdout: () => stdout,
    stop: () => waitExit('SIGTERM'),
    kill: async () => {
      await waitExit('SIGKILL');
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
