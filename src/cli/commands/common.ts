// What the queue commands share: the server address, connecting, and output as a table or as
// JSON (`--json`, one document per command, for scripts).
import process from 'node:process';
import type { Command } from 'commander';
import { Depot } from '../../client/index.js';

export const DEFAULT_SERVER = '127.0.0.1:7450';

export interface GlobalOptions {
  server: string;
  json: boolean;
}

/** Adds --server and --json to a command. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option('-s, --server <host:port>', 'Depot server (env DEPOT_SERVER)', process.env['DEPOT_SERVER'] ?? DEFAULT_SERVER)
    .option('--json', 'print JSON instead of tables', false);
}

export async function withDepot<T>(opts: GlobalOptions, fn: (depot: Depot) => Promise<T>): Promise<T> {
  const depot = await Depot.connect({ servers: [opts.server], requestTimeoutMs: 15_000 });
  try {
    return await fn(depot);
  } finally {
    await depot.close();
  }
}

export function printTable(rows: ReadonlyArray<Record<string, string | number>>, columns: readonly string[]): void {
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => row.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(line(columns.map((c) => c.toUpperCase())) + '\n');
  for (const row of cells) process.stdout.write(line(row) + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** A positive integer option, or an error naming the option. */
export function intOption(name: string, min = 0): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, not '${v}'`);
    return n;
  };
}

/** 'earliest', 'latest', or a time (ISO 8601 or ms since the epoch). */
export function parsePosition(v: string): 'earliest' | 'latest' | { timestamp: number } {
  if (v === 'earliest' || v === 'latest') return v;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new Error(`'${v}' is not earliest, latest or a time`);
  return { timestamp: ms };
}

export function formatTime(ms: number): string {
  return ms === 0 ? '-' : new Date(ms).toISOString();
}
