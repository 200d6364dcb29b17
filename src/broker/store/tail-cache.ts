// Payloads of the most recently applied entries, so consumers that keep up read from memory and
// only a backlog reader goes to the log. Bounded by bytes; the oldest entries leave first.
import Denque from 'denque';

export class TailCache {
  private readonly byIndex = new Map<number, Buffer>();
  private readonly order = new Denque<number>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  add(index: number, payload: Buffer): void {
    if (payload.length > this.maxBytes) return;
    this.byIndex.set(index, payload);
    this.order.push(index);
    this.bytes += payload.length;
    while (this.bytes > this.maxBytes) {
      const old = this.order.shift()!;
      this.bytes -= this.byIndex.get(old)!.length;
      this.byIndex.delete(old);
    }
  }

  get(index: number): Buffer | undefined {
    return this.byIndex.get(index);
  }

  get size(): number {
    return this.bytes;
  }
}
