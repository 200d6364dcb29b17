// A list refilled from call to call, for the lists a server turn builds with an entry per
// command (the keys it reads ahead, the command lines it runs).
//
// Emptying a JS array (`length = 0`) gives its backing store back to the heap, so the next fill
// grows it again from nothing: 17 elements, then 41, 77, 131, ... For lists of a few hundred
// entries a turn that was a third of what a request allocated, and every byte allocated brings
// the next scavenge nearer. A Scratch keeps its store and clears only the slots it used, so
// nothing it held stays reachable once cleared.
export class Scratch<T> {
  /** Entries 0 .. length - 1; those after are undefined. */
  readonly items: Array<T | undefined> = [];
  length = 0;

  static of<T>(items: readonly T[]): Scratch<T> {
    const s = new Scratch<T>();
    for (const x of items) s.push(x);
    return s;
  }

  push(x: T): void {
    this.items[this.length++] = x;
  }

  /** Entry `i`, which must be below `length`. */
  at(i: number): T {
    return this.items[i] as T;
  }

  /** Replaces entry `i`, which must be below `length`. */
  set(i: number, x: T): void {
    this.items[i] = x;
  }

  toArray(): T[] {
    return this.items.slice(0, this.length) as T[];
  }

  clear(): void {
    // A loop, not fill(): fill calls into the runtime, which costs more for a few dozen slots.
    const items = this.items;
    for (let i = 0; i < this.length; i++) items[i] = undefined;
    this.length = 0;
  }
}
