// redlock 5, Node's Redlock algorithm on ioredis, run unchanged against Depot and against
// redis-server 7.0 side by side: its three Lua scripts (acquire with EXISTS and SET PX, extend
// with GET and SET PX, release with GET and DEL) by EVALSHA, falling back to EVAL on NOSCRIPT;
// contention between two Redlock instances; a quorum over three databases; `using` with its
// automatic extension and its abort. Each scenario's outcome must come out the same on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { depotAndRedis, onBoth } from '../helpers/cache-servers.js';
import { closedAfterEach, within } from '../helpers/wait.js';

// redlock 5's package.json `exports` names no types, so TypeScript's NodeNext resolution cannot
// type `import 'redlock'`: its CommonJS build is loaded and typed by its own declaration file.
type RedlockModule = typeof import('../../node_modules/redlock/dist/index.js');
const { default: Redlock, ExecutionError, ResourceLockedError } = createRequire(import.meta.url)('redlock') as RedlockModule;

const servers = depotAndRedis();
const track = closedAfterEach();

function client(port: number, db = 0): Redis {
  return track(new Redis({ host: '127.0.0.1', port, db }), (c) => c.disconnect());
}

/** An error's class and message, or `ok` when `p` resolves. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

/** Each attempt's votes against, as `name: message`, of a failed operation. */
async function votesAgainst(err: unknown): Promise<string[][]> {
  if (!(err instanceof ExecutionError)) throw err;
  const stats = await Promise.all(err.attempts);
  return stats.map((s) => [...s.votesAgainst.values()].map((e) => `${e instanceof ResourceLockedError ? 'ResourceLockedError' : e.name}: ${e.message}`));
}

/** Seconds to live of `key`, rounded up: a scenario's steps take a few ms. */
async function ttl(c: Redis, key: string): Promise<number> {
  const ms = await c.pttl(key);
  return ms < 0 ? ms : Math.ceil(ms / 1000);
}

test('acquire, extend and release; a second Redlock refused while the lock is held, then served', async () => {
  const { depot, redis } = await onBoth(servers, 'redlock', async (port, name) => {
    const [a, b, c] = [client(port), client(port), client(port)];
    // No script cached yet: the first EVALSHA is answered NOSCRIPT and redlock sends EVAL.
    await a.script('FLUSH');
    const first = new Redlock([a], { retryCount: 0 });
    const second = new Redlock([b], { retryCount: 2, retryDelay: 30, retryJitter: 0 });
    const [x, y, z] = [`${name}:x`, `${name}:y`, `${name}:z`];
    const steps: unknown[] = [];
    const lock = await first.acquire([x, y], 2000);
    steps.push((await c.mget(x, y)).map((v) => v === lock.value), await ttl(c, x));
    const extended = await lock.extend(5000);
    steps.push(extended.value === lock.value, await ttl(c, y), lock.expiration);
    // Contention on y: three attempts, each voted against, and z released again on failure.
    const refused = await second.acquire([y, z], 1000).catch((err: unknown) => err);
    steps.push(refused instanceof ExecutionError ? refused.message : refused, await votesAgainst(refused), await c.exists(z));
    const released = await extended.release();
    steps.push((await Promise.all(released.attempts)).map((s) => s.votesFor.size), await c.exists(x, y));
    const taken = await second.acquire([y, z], 1000);
    steps.push(await c.get(z) === taken.value);
    // The first lock's value is gone from y: extending or releasing it again fails.
    steps.push(await failure(extended.extend(1000)));
    const stale = await first.release(lock).catch((err: unknown) => err);
    steps.push(await votesAgainst(stale), await c.get(y) === taken.value);
    await taken.release();
    await Promise.all([a.quit(), b.quit(), c.quit()]);
    return steps;
  });
  assert.deepEqual(depot[6], [
    ['ResourceLockedError: The operation was applied to: 0 of the 2 requested resources.'],
    ['ResourceLockedError: The operation was applied to: 0 of the 2 requested resources.'],
    ['ResourceLockedError: The operation was applied to: 0 of the 2 requested resources.'],
  ]);
  assert.deepEqual(depot, redis);
});

test('a lock expired on the server: another instance takes it, the first can neither extend nor release it', async () => {
  const { depot, redis } = await onBoth(servers, 'redlock-expiry', async (port, name) => {
    const [a, b, c] = [client(port), client(port), client(port)];
    const first = new Redlock([a], { retryCount: 0 });
    const second = new Redlock([b], { retryCount: 0 });
    const key = `${name}:job`;
    const short = await first.acquire([key], 150);
    await new Promise((r) => setTimeout(r, 200));
    const steps: unknown[] = [await c.exists(key)];
    const next = await second.acquire([key], 1000);
    steps.push(await failure(short.extend(1000)));
    // Past its expiration locally too, release still runs its script: it must not delete the new owner's key.
    steps.push(await failure(short.release()), (await c.get(key)) === next.value);
    await next.release();
    await Promise.all([a.quit(), b.quit(), c.quit()]);
    return steps;
  });
  assert.deepEqual(depot.slice(0, 2), [0, 'ExecutionError: Cannot extend an already-expired lock.']);
  assert.deepEqual(depot, redis);
});

test('a quorum over three databases: two of three votes lock, one of three does not', async () => {
  const { depot, redis } = await onBoth(servers, 'redlock-quorum', async (port, name) => {
    const members = [client(port, 0), client(port, 1), client(port, 2)];
    const redlock = new Redlock(members, { retryCount: 0 });
    const key = `${name}:res`;
    const steps: unknown[] = [];
    // Another holder in database 2: the lock is still had with databases 0 and 1.
    await members[2]!.set(key, 'someone', 'PX', 5000);
    const lock = await redlock.acquire([key], 1000);
    const stats = await Promise.all(lock.attempts);
    steps.push(stats.map((s) => [s.membershipSize, s.quorumSize, s.votesFor.size, s.votesAgainst.size]));
    steps.push(await Promise.all(members.map((m) => m.get(key).then((v) => (v === lock.value ? 'ours' : v)))));
    await lock.release();
    steps.push(await Promise.all(members.map((m) => m.exists(key))));
    // A second holder in database 1 as well: a majority against, nothing left behind.
    await members[1]!.set(key, 'someone', 'PX', 5000);
    const refused = await redlock.acquire([key], 1000).catch((err: unknown) => err);
    steps.push(await votesAgainst(refused), await members[0]!.exists(key));
    await Promise.all(members.map((m) => m.quit()));
    return steps;
  });
  assert.deepEqual(depot[0], [[3, 2, 2, 1]]);
  assert.deepEqual(depot, redis);
});

const quorumFailed = 'ExecutionError: The operation was unable to achieve a quorum during its retry window.';

test('using(): the lock is extended while the routine runs, released after; a stolen lock aborts the routine', async () => {
  const { depot, redis } = await onBoth(servers, 'redlock-using', async (port, name) => {
    const [a, c] = [client(port), client(port)];
    const redlock = new Redlock([a], { retryCount: 1, retryDelay: 20, retryJitter: 0, automaticExtensionThreshold: 200 });
    const key = `${name}:task`;
    const steps: unknown[] = [];
    // Held for 400 ms at a time, extended 200 ms before it runs out; the routine runs 900 ms.
    let value: string | null = null;
    const result = await redlock.using([key], 400, async (signal) => {
      value = await c.get(key);
      await new Promise((r) => setTimeout(r, 900));
      steps.push(signal.aborted, (await c.get(key)) === value, (await c.pttl(key)) > 0);
      return 'done';
    });
    steps.push(result, value !== null, await c.exists(key));
    // Someone else overwrites the key: the next extension fails until the lock runs out, the
    // routine is told through its signal, and the release after it fails too.
    let told = '';
    const after = await failure(
      redlock.using([key], 400, async (signal) => {
        await c.set(key, 'thief', 'PX', 5000);
        await within(new Promise((r) => signal.addEventListener('abort', r)), 'the abort signal', 5000);
        told = signal.error === undefined ? 'no error' : `${signal.error.name}: ${signal.error.message}`;
      }),
    );
    steps.push(told, after, await c.get(key));
    await Promise.all([a.quit(), c.quit()]);
    return steps;
  });
  assert.deepEqual(depot, [false, true, true, 'done', true, 0, quorumFailed, quorumFailed, 'thief']);
  assert.deepEqual(depot, redis);
});
