// Redis's LFU counter (evict.c), kept in a key's access field while an LFU eviction policy is
// chosen: (minutes since the epoch mod 2^16) << 8 | an 8-bit counter. The counter grows
// logarithmically (each access increments it with probability 1 / ((counter - 5) *
// lfu-log-factor + 1)) and loses one per lfu-decay-time minutes without access, so it says how
// often a key is read lately, in 255 steps. Pure: time and chance are the caller's inputs.

/** A new key's counter, so that it is not evicted before it had a chance to be read. */
export const LFU_INIT_VAL = 5;

export interface LfuParams {
  readonly logFactor: number;
  /** Minutes without access per point of decay; 0: no decay. */
  readonly decayMinutes: number;
}

/** The clock the field keeps: minutes, mod 2^16. */
export function lfuMinutes(seconds: number): number {
  return Math.floor(seconds / 60) & 0xffff;
}

/** The counter of a new key. */
export function lfuNew(minutes: number): number {
  return (minutes << 8) | LFU_INIT_VAL;
}

/** The counter of `field` with its decay applied (OBJECT FREQ; eviction's score). */
export function lfuCounter(field: number, minutes: number, p: LfuParams): number {
  const counter = field & 0xff;
  if (p.decayMinutes === 0) return counter;
  const last = (field >>> 8) & 0xffff;
  const elapsed = minutes >= last ? minutes - last : 0xffff - last + minutes;
  return Math.max(0, counter - Math.floor(elapsed / p.decayMinutes));
}

/** The field after an access at `minutes`; `r` is uniform in [0, 1). */
export function lfuTouch(field: number, minutes: number, r: number, p: LfuParams): number {
  let counter = lfuCounter(field, minutes, p);
  if (counter < 255 && r < 1 / (Math.max(0, counter - LFU_INIT_VAL) * p.logFactor + 1)) counter++;
  return (minutes << 8) | counter;
}
