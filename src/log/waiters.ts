// Appends waiting for the log's written or durable mark to cover their last entry, in index
// order. A queue with a moving head: a group commit settles a thousand waiters from the front
// without shifting the array each time.

/** An append waiting for its last entry to be durable (or written) under the policy. */
export interface Waiter {
  readonly index: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export function settle(w: Waiter, err?: Error): void {
  if (err === undefined) w.resolve();
  else w.reject(err);
}

export class Waiters {
  private list: Waiter[] = [];
  private head = 0;

  /** Waits for `index`, which must not be below any waiter's already queued. */
  wait(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.list.push({ index, resolve, reject });
    });
  }

  /** Resolves every waiter up to `index`. */
  resolveUpTo(index: number): void {
    while (this.head < this.list.length && this.list[this.head]!.index <= index) settle(this.list[this.head++]!);
    if (this.head > 1024 && this.head * 2 > this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes the waiters of entries from `index` on, for the caller to settle later. */
  takeFrom(index: number): Waiter[] {
    let k = this.list.length;
    while (k > this.head && this.list[k - 1]!.index >= index) k--;
    const moved = this.list.slice(k);
    this.list.length = k;
    return moved;
  }

  /** Rejects every waiter with `err`. */
  rejectAll(err: Error): void {
    const pending = this.list.slice(this.head);
    this.list = [];
    this.head = 0;
    for (const w of pending) settle(w, err);
  }
}

/**
 * Appends waiting under the policy they were made under: an `always` append waits for the
 * durable mark, any other for the written mark. Two queues, so that a change of policy while
 * appends wait keeps each one's promise (log.ts, setFlushPolicy).
 */
export class AppendWaiters {
  private readonly written = new Waiters();
  private readonly durable = new Waiters();

  wait(index: number, durable: boolean): Promise<void> {
    return (durable ? this.durable : this.written).wait(index);
  }

  resolveUpTo(writtenIndex: number, durableIndex: number): void {
    this.written.resolveUpTo(writtenIndex);
    this.durable.resolveUpTo(durableIndex);
  }

  takeFrom(index: number): Waiter[] {
    return [...this.written.takeFrom(index), ...this.durable.takeFrom(index)];
  }

  rejectAll(err: Error): void {
    this.written.rejectAll(err);
    this.durable.rejectAll(err);
  }
}
