// State machines for driver tests and the benchmark.

/** An append-only list of strings, snapshotted as JSON. */
import type { Entry, StateMachine } from '../../../src/raft/group.js';

export class ListMachine implements StateMachine<number> {
  items: string[] = [];

  apply(entry: Entry): number {
    this.items.push(entry.payload.toString());
    return this.items.length;
  }

  async *snapshot(): AsyncIterable<Buffer> {
    const copy = JSON.stringify(this.items);
    for (let i = 0; i < copy.length; i += 1000) yield Buffer.from(copy.slice(i, i + 1000));
  }

  async restore(chunks: AsyncIterable<Buffer>): Promise<void> {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    this.items = JSON.parse(Buffer.concat(parts).toString() || '[]') as string[];
  }
}

/** Counts applied entries: the benchmark's state machine (its snapshot is a number). */
export class CountingMachine implements StateMachine<number> {
  count = 0;

  apply(): number {
    return ++this.count;
  }

  async *snapshot(): AsyncIterable<Buffer> {
    yield Buffer.from(String(this.count));
  }

  async restore(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const c of chunks) this.count = Number(c.toString());
  }
}
