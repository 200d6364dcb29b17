// Time is injected so that pure cores and simulations never read the wall clock.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Microseconds since the Unix epoch, within the millisecond `now` reads (Redis's TIME). */
  micros(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Date.now has no finer grain; the monotonic clock's fraction is clamped into Date.now's
  // millisecond, so that a stepped wall clock (NTP) cannot put the two readings apart.
  micros: () => {
    const us = Date.now() * 1000;
    return Math.min(Math.max(Math.floor((performance.timeOrigin + performance.now()) * 1000), us), us + 999);
  },
};

/** The longest delay setTimeout honours (2^31-1 ms); it fires at once for longer ones. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A clock moved by hand, for tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private ms = 0) {}
  now(): number {
    return this.ms;
  }
  micros(): number {
    return this.ms * 1000;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
