// The slow log (Redis slowlog.c): the last slowlog-max-len commands that ran for
// slowlog-log-slower-than microseconds or more, newest first. Kept in memory only, per node.
//
// An entry keeps a trimmed copy of the command line, as Redis does, so that a slow MSET of
// a million values does not keep the values alive: at most MAX_ARGS arguments (the last one
// saying how many were left out) of at most MAX_ARG_BYTES bytes each, a cut argument copied
// rather than kept as a V8 slice of the whole.
import { detached } from './machine/packed.js';

/** Arguments kept per entry, the last replaced by "... (N more arguments)" when there were more. */
export const MAX_ARGS = 32;
/** Bytes kept per argument, followed by "... (N more bytes)" when it was longer. */
export const MAX_ARG_BYTES = 128;

export interface SlowlogEntry {
  readonly id: number;
  /** Unix time in seconds when the command was logged. */
  readonly time: number;
  readonly micros: number;
  readonly argv: readonly string[];
  /** The client's address (ip:port) and name ("" when it has none). */
  readonly peer: string;
  readonly name: string;
}

export class SlowLog {
  /** Oldest first from `head` on; the slots before `head` were trimmed and are reclaimed in bulk. */
  private entries: SlowlogEntry[] = [];
  private head = 0;
  private nextId = 0;

  get length(): number {
    return this.entries.length - this.head;
  }

  /** Logs a command; then drops the oldest entries beyond `maxLen`. */
  push(argv: readonly string[], micros: number, time: number, peer: string, name: string, maxLen: number): void {
    this.entries.push({ id: this.nextId++, time, micros, argv: trimArgs(argv), peer, name });
    this.trim(maxLen);
  }

  /** Up to `count` entries, newest first (all of them when count is negative). */
  newest(count: number): SlowlogEntry[] {
    const n = count < 0 ? this.length : Math.min(count, this.length);
    const out: SlowlogEntry[] = [];
    for (let i = this.entries.length - 1; out.length < n; i--) out.push(this.entries[i]!);
    return out;
  }

  /** Empties the log; ids go on from where they were, as in Redis. */
  reset(): void {
    this.entries = [];
    this.head = 0;
  }

  private trim(maxLen: number): void {
    if (this.length <= maxLen) return;
    this.head = this.entries.length - maxLen;
    // Reclaim the trimmed slots once they are half the array: amortised O(1) per push.
    if (this.head >= this.entries.length / 2) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

/** The command line as an entry keeps it (see the header). Arguments are latin1: one byte a character. */
export function trimArgs(argv: readonly string[]): string[] {
  const kept = Math.min(argv.length, MAX_ARGS);
  const out: string[] = [];
  for (let i = 0; i < kept; i++) {
    const a = argv[i]!;
    if (kept < argv.length && i === kept - 1) out.push(`... (${argv.length - kept + 1} more arguments)`);
    else if (a.length > MAX_ARG_BYTES) out.push(`${detached(a.slice(0, MAX_ARG_BYTES))}... (${a.length - MAX_ARG_BYTES} more bytes)`);
    else out.push(a);
  }
  return out;
}
