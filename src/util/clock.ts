// Time is injected so that pure cores and simulations never read the wall clock.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The longest delay setTimeout honours (2^31-1 ms); it fires at once for longer ones. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A clock moved by hand, for tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private ms = 0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
