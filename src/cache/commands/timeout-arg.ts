// The timeout argument of the blocking pops and moves (BLPOP ... BZPOPMAX), in seconds.
import { timeoutMillis } from './longdouble.js';
import { Err, fail } from './reply-error.js';

/** The timeout in milliseconds, computed as Redis does (longdouble.ts); 0 blocks forever. */
export function timeoutArg(s: string): number {
  const ms = timeoutMillis(s);
  if (ms === 'float') fail(Err.TIMEOUT_FLOAT);
  if (ms === 'negative') fail(Err.TIMEOUT_NEGATIVE);
  return ms;
}
