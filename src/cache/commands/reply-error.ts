// Error replies. A handler throws ReplyError with the exact text Redis sends (clients match on
// the prefix and often on the message); the dispatcher writes it as `-<text>`. Handlers
// validate every argument before their first effect, so a thrown error never leaves a command
// half applied.

export class ReplyError extends Error {
  override readonly name = 'ReplyError';
}

export const Err = {
  WRONGTYPE: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  SYNTAX: 'ERR syntax error',
  NOT_INTEGER: 'ERR value is not an integer or out of range',
  NOT_FLOAT: 'ERR value is not a valid float',
  OVERFLOW: 'ERR increment or decrement would overflow',
  NO_SUCH_KEY: 'ERR no such key',
  INDEX_RANGE: 'ERR index out of range',
  DB_RANGE: 'ERR DB index is out of range',
  NOAUTH: 'NOAUTH Authentication required.',
  WRONGPASS: 'WRONGPASS invalid username-password pair or user is disabled.',
  NAN_OR_INF: 'ERR increment would produce NaN or Infinity',
  MIN_MAX_FLOAT: 'ERR min or max is not a float',
  MIN_MAX_LEX: 'ERR min or max not valid string range item',
  TIMEOUT_FLOAT: 'ERR timeout is not a float or out of range',
  TIMEOUT_NEGATIVE: 'ERR timeout is negative',
  POSITIVE: 'ERR value is out of range, must be positive',
  STRING_TOO_LONG: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  HASH_NOT_INTEGER: 'ERR hash value is not an integer',
  HASH_NOT_FLOAT: 'ERR hash value is not a float',
  SCORE_NAN: 'ERR resulting score is not a number (NaN)',
  NUMKEYS: 'ERR numkeys should be greater than 0',
  SAME_OBJECT: 'ERR source and destination objects are the same',
} as const;

export function wrongArity(name: string): ReplyError {
  return new ReplyError(`ERR wrong number of arguments for '${name}' command`);
}

/** Redis's text for an integer outside the range a command accepts (getRangeLongFromObjectOrReply). */
export function outOfRange(min: number | bigint | string, max: number | bigint | string): string {
  return `ERR value is out of range, value must between ${min} and ${max}`;
}

export function syntax(): ReplyError {
  return new ReplyError(Err.SYNTAX);
}

export function fail(text: string): never {
  throw new ReplyError(text);
}
