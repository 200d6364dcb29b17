// Starts the queue engine in a child process: `depot start` on free loopback ports.
import type { ChildProcess } from 'node:child_process';
import { startDepot } from './depot-process.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface QueueServerProcess {
  readonly port: number;
  readonly address: string;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** SIGTERM, and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for exit. */
  kill(): Promise<void>;
  /** Removes the data directory (after stop or kill). */
  cleanup(): void;
}

export async function startQueueServer(dataDir = mkdtempSync(join(tmpdir(), 'depot-mq-')), port = 0): Promise<QueueServerProcess> {
  const depot = await startDepot({ dataDir, args: ['--port', String(port), '--no-cache'] });
  return {
    port: depot.ports['native']!,
    address: depot.address,
    dataDir,
    proc: depot.proc,
    stop: async () => {
      await depot.stop();
    },
    kill: () => depot.kill(),
    cleanup: () => depot.cleanup(),
  };
}
