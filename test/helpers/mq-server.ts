// Starts the queue engine in a child process: `depot start` on free loopback ports, optionally
// with a configuration file (small segments, frequent snapshots and retention runs for tests).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDepot } from './depot-process.js';

export interface QueueServerProcess {
  readonly port: number;
  readonly httpPort: number;
  readonly address: string;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** SIGTERM, and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for exit. */
  kill(): Promise<void>;
  /** Removes the data directory (after stop or kill). */
  cleanup(): void;
  /** The value of a Prometheus sample of the node's /metrics (undefined when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
}

export interface QueueServerOptions {
  dataDir?: string;
  port?: number;
  /** Settings as in the YAML configuration file (docs/configuration.md). */
  config?: Record<string, unknown>;
}

export async function startQueueServer(dataDirOrOptions: string | QueueServerOptions = {}, port = 0): Promise<QueueServerProcess> {
  const o = typeof dataDirOrOptions === 'string' ? { dataDir: dataDirOrOptions, port } : dataDirOrOptions;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'depot-mq-'));
  const args = ['--port', String(o.port ?? 0), '--no-cache'];
  if (o.config !== undefined) {
    // JSON is YAML: the file goes next to the data (removed with it).
    const file = join(dataDir, 'test-config.yaml');
    writeFileSync(file, JSON.stringify(o.config));
    args.push('--config', file);
  }
  const depot = await startDepot({ dataDir, args });
  const httpPort = depot.ports['http']!;
  return {
    port: depot.ports['native']!,
    httpPort,
    address: depot.address,
    dataDir,
    proc: depot.proc,
    stop: async () => {
      await depot.stop();
    },
    kill: () => depot.kill(),
    cleanup: () => depot.cleanup(),
    metric: async (name, labels = {}) => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of text.split('\n')) {
        const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
        if (m === null || m[1] !== name) continue;
        const have = (m[2] ?? '').split(',');
        if (want.every((w) => have.includes(w))) return Number(m[3]);
      }
      return undefined;
    },
  };
}
