// Child process of crash.test.ts: appends to a log with the `always` policy and reports every
// durable index on stdout ("d <index>"), until killed. Entry content is a function of index
// and term, so the parent can check every byte after recovery. Does nothing unless started
// by the crash test (the test runner also loads this file as a test module).
import process from 'node:process';
import { Log } from '../../src/log/log.js';
import { crashEntry } from './crash-entry.js';

async function run(dir: string, term: number): Promise<void> {
  const log = await Log.open({ dir, segmentBytes: 48 * 1024, checkpointBytes: 16 * 1024, tailCacheBytes: 64 * 1024 });
  process.stdout.write(`open ${log.lastIndex}\n`);
  let next = log.lastIndex + 1;
  const inFlight = new Set<Promise<void>>();
  // Bounded: the parent kills us long before; the cap only guards against a runaway child.
  for (let round = 0; round < 1_000_000; round++) {
    while (inFlight.size < 8) {
      const n = 1 + ((next * 7) % 13);
      const batch = Array.from({ length: n }, (_, i) => crashEntry(next + i, term));
      const last = next + n - 1;
      next += n;
      const p: Promise<void> = log.append(batch).then(() => {
        process.stdout.write(`d ${last}\n`);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await Promise.race(inFlight);
  }
}

const dir = process.env.DEPOT_CRASH_CHILD_DIR;
if (dir !== undefined) {
  run(dir, Number(process.env.DEPOT_CRASH_CHILD_TERM)).catch((err: unknown) => {
    process.stderr.write(`crash child failed: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(3);
  });
}
