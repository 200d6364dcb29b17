// `npm run sim -- --seeds N [--start S]`: runs N seeded simulations from seed S and prints
// each failure with its seed (rerun it alone with --seeds 1 --start <seed>).
import process from 'node:process';
import { Simulation } from './simulation.js';

export interface BatchResult {
  runs: number;
  failures: { seed: number; error: string }[];
  acked: number;
  ms: number;
}

export function runSeeds(start: number, count: number): BatchResult {
  const t0 = performance.now();
  const failures: { seed: number; error: string }[] = [];
  let acked = 0;
  for (let seed = start; seed < start + count; seed++) {
    try {
      acked += new Simulation(seed).run().acked;
    } catch (err) {
      failures.push({ seed, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  return { runs: count, failures, acked, ms: performance.now() - t0 };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

// Run as a command, not when imported, nor when the test runner loads every file under test/.
const asCommand = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (asCommand && process.env['NODE_TEST_CONTEXT'] === undefined) {
  const r = runSeeds(arg('--start', 1), arg('--seeds', 100));
  for (const f of r.failures) process.stdout.write(`FAIL seed ${f.seed}: ${f.error}\n`);
  process.stdout.write(`${r.runs - r.failures.length} passed, ${r.failures.length} failed (${r.acked} acknowledged writes checked, ${(r.ms / 1000).toFixed(1)} s)\n`);
  process.exitCode = r.failures.length > 0 ? 1 : 0;
}
