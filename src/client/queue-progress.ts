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
    const front = this.inFlight.peekFront();
    if (front !== offset) {
      // Below the oldest in flight: completed before (commit() in a handler, then its return).
      if (front !== undefined && offset > front) this.done.add(offset);
      return;
    }
    // In-order completion (a queue's handler runs one message at a time) touches no set.
    this.inFlight.shift();
    while (this.done.size > 0 && !this.inFlight.isEmpty() && this.done.delete(this.inFlight.peekFront()!)) this.inFlight.shift();
  }

  /** The offset to commit, or undefined when nothing new can be committed. */
  commitPoint(): number | undefined {
    if (this.next < 0) return undefined;
    const point = this.inFlight.isEmpty() ? this.next : this.inFlight.peekFront()!;
    return point > this.committed ? point : undefined;
  }
}
