// Bounded waits and cleanup for the tests that drive a library and watch for its effects.
import { afterEach } from 'node:test';

/** Polls `check` every 10 ms until it holds; rejects naming `what` after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `promise`, or a rejection naming `what` if it has not settled after `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A registry of what a test opens (connections, queues, servers), closed after the test whether
 * it passed or not, so that a failed scenario leaves no handle holding the test process open
 * until the runner's timeout. Closed last opened first (a Socket.IO server before the
 * connections of its adapter), each close bounded and its failure ignored: closing what the test
 * already closed is harmless.
 */
export function closedAfterEach(): <T>(thing: T, close: (thing: T) => unknown) => T {
  const open: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of open.splice(0).reverse()) await within(Promise.resolve().then(close), 'a close', 2000).catch(() => {});
  });
  return (thing, close) => {
    open.push(() => close(thing));
    return thing;
  };
}
