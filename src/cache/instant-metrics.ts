// INFO's instantaneous rates (instantaneous_ops_per_sec, instantaneous_input_kbps, ...), as
// Redis computes them: a counter is sampled every 100 ms, each sample is the rate since the one
// before, and the figure is the mean of the last 16 samples (about the last 1.6 seconds).
import { assert } from '../util/assert.js';

const SAMPLES = 16;

export class InstantMetric {
  private readonly samples = new Float64Array(SAMPLES);
  private next = 0;
  private lastValue = 0;
  private lastAt: number;

  constructor(now: number) {
    this.lastAt = now;
  }

  /** Records the counter's `value` read at `now` (milliseconds). */
  sample(value: number, now: number): void {
    assert(value >= this.lastValue, 'counter went back from %s to %s', this.lastValue, value);
    const elapsed = now - this.lastAt;
    this.samples[this.next] = elapsed > 0 ? ((value - this.lastValue) * 1000) / elapsed : 0;
    this.next = (this.next + 1) % SAMPLES;
    this.lastValue = value;
    this.lastAt = now;
  }

  /** The mean rate of the last samples, per second. */
  get perSecond(): number {
    let sum = 0;
    for (const s of this.samples) sum += s;
    return sum / SAMPLES;
  }

  /** CONFIG RESETSTAT: the counter starts again from 0 at `now`. */
  reset(now: number): void {
    this.samples.fill(0);
    this.next = 0;
    this.lastValue = 0;
    this.lastAt = now;
  }
}
