// Invariant checks. A failed assertion is a bug in Depot, never bad input: input errors
// are DepotErrors returned to the caller. Assertions stay on in production (TigerBeetle style):
// continuing with a broken invariant risks corrupting stored data.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/**
 * Throws an AssertionError unless `condition` holds. Each `%s` of the message is replaced by the
 * next of `a`, `b`, `c`, `d`, and only when the check fails: a template literal would turn its numbers
 * into strings on every call, and many checks run for every entry or every request.
 */
export function assert(condition: unknown, message = 'assertion failed', a?: unknown, b?: unknown, c?: unknown, d?: unknown): asserts condition {
  if (!condition) throw new AssertionError(format(message, a, b, c, d));
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

function format(message: string, ...args: unknown[]): string {
  let k = 0;
  return message.replace(/%s/g, () => String(args[k++]));
}
