// Shared by the log tests: temporary directories and entry builders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../../src/log/format.js';

export function tempDir(prefix = 'depot-log-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Entries [from, from + n) with a recognisable payload of `size` bytes. */
export function makeEntries(from: number, n: number, term = 1, size = 16): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = 0; i < n; i++) out.push(makeEntry(from + i, term, size));
  return out;
}

export function makeEntry(index: number, term = 1, size = 16): LogEntry {
  const payload = Buffer.alloc(size);
  for (let j = 0; j < size; j++) payload[j] = (index * 31 + j * 7 + term) & 0xff;
  return { index, term, timestamp: 1_700_000_000_000 + index, type: index % 3, payload };
}
