// The entries of the crash test: content derived from index and term only.
import type { LogEntry } from '../../src/log/format.js';

export function crashEntry(index: number, term: number): LogEntry {
  const size = (index * 131) % 700;
  const payload = Buffer.alloc(size);
  for (let j = 0; j < size; j++) payload[j] = (index + j * 13) & 0xff;
  return { index, term, timestamp: 1_700_000_000_000 + index, type: 2, payload };
}
