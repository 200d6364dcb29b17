// A consumer's progress on one queue: which delivered offsets are still being worked on, and so
// which offset may be committed (everything before it is done). Out-of-order completion is fine:
// the commit point only moves past a message once every earlier one is done.
import Denque from 'denque';

export class QueueProgress {
  private readonly inFlight = new Denque<number>();
  private readonly done = new Set<number>();
  /** Offset after the last message delivered. */
  private next = -1;
  /** Highest offset acknowledged by the broker as committed. */
  committed = -1;

  delivered(offset: number): void {
    this.inFlight.push(offset);
    this.next = offset + 1;
  }

  /** The broker examined the queue up to `next` (it filtered out what it did not deliver). */
  scannedTo(next: number): void {
    if (next > this.next) this.next = next;
  }

  /** A delivered message that needs no work (filtered out on the client). */
  skipped(offset: number): void {
    this.delivered(offset);
    this.complete(offset);
  }

  complete(offset: number): void {
    this.done.add(offset);
    while (!this.inFlight.isEmpty() && this.done.has(this.inFlight.peekFront()!)) this.done.delete(this.inFlight.shift()!);
  }

  /** The offset to commit, or undefined when nothing new can be committed. */
  commitPoint(): number | undefined {
    if (this.next < 0) return undefined;
    const point = this.inFlight.isEmpty() ? this.next : this.inFlight.peekFront()!;
    return point > this.committed ? point : undefined;
  }
}
