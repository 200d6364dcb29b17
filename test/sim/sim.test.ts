// The deterministic simulator in the default suite: SIM_SEEDS seeds (default 1,000) from
// SIM_START, plus every recorded regression seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REGRESSION_SEEDS } from './regressions.js';
import { runSeeds } from './run.js';
import { Simulation } from './simulation.js';

const count = Number(process.env['SIM_SEEDS'] ?? 1000);
const start = Number(process.env['SIM_START'] ?? 1);

test(`raft simulation: ${count} seeds from ${start}`, () => {
  const r = runSeeds(start, count);
  assert.deepEqual(r.failures, [], `failing seeds (rerun with npm run sim -- --seeds 1 --start <seed>)`);
  assert.ok(r.acked > count, `clients got writes acknowledged (${r.acked})`);
});

test('raft simulation: regression seeds', () => {
  for (const { seed } of REGRESSION_SEEDS) new Simulation(seed).run();
});

test('raft simulation: a seed replays exactly', () => {
  assert.deepEqual(new Simulation(42).run(), new Simulation(42).run());
});
