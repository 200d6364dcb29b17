// Invariant checks. A failed assertion is a bug in Depot, never bad input: input errors
// are DepotErrors returned to the caller. Assertions stay on in production (TigerBeetle style):
// continuing with a broken invariant risks corrupting stored data.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
