// An in-memory GroupLog for driver tests that need no files: appends become "durable" one
// event-loop turn later, like a log whose fdatasync is fast.
import type { GroupLog, StoredEntry } from '../../../src/raft/driver/log-store.js';

export class MemoryLog implements GroupLog {
  private items: StoredEntry[] = [];
  private first: number;
  writtenIndex: number;
  durableIndex: number;

  constructor(startIndex: number) {
    this.first = startIndex;
    this.writtenIndex = this.durableIndex = startIndex - 1;
  }

  get firstIndex(): number {
    return this.first;
  }

  get lastIndex(): number {
    return this.first + this.items.length - 1;
  }

  append(entries: readonly StoredEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (entries[0]!.index !== this.lastIndex + 1) return Promise.reject(new Error(`append at ${entries[0]!.index} after ${this.lastIndex}`));
    this.items.push(...entries.map((e) => ({ ...e, payload: Buffer.from(e.payload) })));
    const last = this.lastIndex;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.writtenIndex = this.durableIndex = Math.max(this.durableIndex, Math.min(last, this.lastIndex));
        resolve();
      }),
    );
  }

  term(index: number): number {
    return this.at(index).term;
  }

  entries(lo: number, hi: number, maxBytes = Infinity): StoredEntry[] {
    const out: StoredEntry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.at(i);
      if (out.length > 0 && bytes + e.payload.length > maxBytes) break;
      bytes += e.payload.length;
      out.push(e);
    }
    return out;
  }

  async read(lo: number, hi: number, maxBytes?: number): Promise<StoredEntry[]> {
    return this.entries(lo, hi, maxBytes);
  }

  async truncateSuffix(index: number): Promise<void> {
    this.items.length = Math.max(0, index - this.first);
    this.writtenIndex = this.durableIndex = Math.min(this.durableIndex, index - 1);
  }

  async truncatePrefix(index: number): Promise<void> {
    if (index <= this.first) return;
    this.items = this.items.slice(index - this.first);
    this.first = index;
  }

  async reset(nextIndex: number): Promise<void> {
    this.items = [];
    this.first = nextIndex;
    this.writtenIndex = this.durableIndex = nextIndex - 1;
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}

  private at(index: number): StoredEntry {
    const e = this.items[index - this.first];
    if (e === undefined) throw new Error(`entry ${index} is not in the log [${this.first}, ${this.lastIndex}]`);
    return e;
  }
}
