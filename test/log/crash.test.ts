// Crash safety: a child appends with `always` and reports each durable index; we SIGKILL it at
// random moments and check after every reopen that each reported-durable entry is present and
// intact and that nothing corrupt is returned. Rounds: DEPOT_CRASH_ROUNDS (default 50).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Log } from '../../src/log/log.js';
import type { LogEntry } from '../../src/log/format.js';
import { crashEntry } from './crash-entry.js';
import { tempDir } from '../helpers/log.js';

const child = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const rounds = Number(process.env.DEPOT_CRASH_ROUNDS ?? 50);

/** Runs the child until it has reported durable progress, then kills it after `killAfterMs`. */
function crashOnce(dir: string, term: number, killAfterMs: number): Promise<{ durable: number; opened: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child], {
      env: { ...process.env, DEPOT_CRASH_CHILD_DIR: dir, DEPOT_CRASH_CHILD_TERM: String(term) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let durable = -1;
    let opened = -1;
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, n] = line.split(' ');
        if (kind === 'open') opened = Number(n);
        if (kind === 'd') durable = Math.max(durable, Number(n));
      }
      if (durable >= 0 && timer === undefined) timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    });
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ durable, opened });
    });
  });
}

function same(a: LogEntry, b: LogEntry): boolean {
  return a.index === b.index && a.term === b.term && a.timestamp === b.timestamp && a.type === b.type && a.payload.equals(b.payload);
}

test(`log survives ${rounds} SIGKILLs with every reported-durable entry intact`, async () => {
  const { dir, cleanup } = tempDir('depot-crash-');
  try {
    const expectedTerm = new Map<number, number>();
    let reported = 0;
    let previousLast = 0;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let round = 1; round <= rounds; round++) {
      const { durable, opened } = await crashOnce(dir, round, Math.floor(random() * 40));
      const log = await Log.open({ dir, segmentBytes: 48 * 1024 });
      try {
        assert.ok(durable >= 0, `round ${round}: the child reported nothing`);
        assert.ok(log.lastIndex >= durable, `round ${round}: reported durable ${durable}, recovered only ${log.lastIndex}`);
        assert.ok(log.lastIndex >= reported, `round ${round}: lost entries reported durable in an earlier round`);
        // The child reopened at `opened` (what the last check saw); entries after it are this round's.
        assert.equal(opened, previousLast, `round ${round}: the child reopened at ${opened}, we last saw ${previousLast}`);
        for (let i = opened + 1; i <= log.lastIndex; i++) expectedTerm.set(i, round);
        for (let lo = 1; lo <= log.lastIndex; lo += 4096) {
          const got = log.entries(lo, Math.min(log.lastIndex + 1, lo + 4096));
          for (const e of got) {
            assert.ok(same(e, crashEntry(e.index, expectedTerm.get(e.index)!)), `round ${round}: entry ${e.index} differs`);
          }
        }
        await log.verify();
        reported = durable;
        previousLast = log.lastIndex;
        if (round === rounds) assert.ok(log.segmentInfo().length >= 3, 'the run should have rolled segments');
      } finally {
        await log.close();
      }
    }
  } finally {
    cleanup();
  }
});
