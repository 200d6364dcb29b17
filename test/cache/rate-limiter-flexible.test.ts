// rate-limiter-flexible, Node's most used rate limiter, run unchanged against Depot and against
// redis-server 7.0 side by side: RateLimiterRedis's Lua script (SET NX EX, INCRBY, PTTL, EXPIRE)
// through ioredis's defineCommand (EVALSHA, EVAL on NOSCRIPT) and node-redis's EVAL, its
// MULTI paths (no duration, set, block, get), and RateLimiterRedisNonAtomic's MULTI writes.
// Each scenario's outcome must come out the same on both servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RateLimiterRedis, RateLimiterRedisNonAtomic, RateLimiterRes, type IRateLimiterRedisOptions } from 'rate-limiter-flexible';
import { depotAndRedis, onBoth } from '../helpers/cache-servers.js';
import { closedAfterEach } from '../helpers/wait.js';

const servers = depotAndRedis();
const track = closedAfterEach();

function ioredis(port: number): Redis {
  return track(new Redis({ host: '127.0.0.1', port }), (c) => c.disconnect());
}

interface Outcome {
  ok: boolean;
  consumed: number;
  remaining: number;
  first: boolean;
  /** msBeforeNext in whole seconds, rounded up: a scenario runs well within a second. */
  seconds: number;
}

function outcome(ok: boolean, r: RateLimiterRes): Outcome {
  return { ok, consumed: r.consumedPoints, remaining: r.remainingPoints, first: r.isFirstInDuration, seconds: r.msBeforeNext < 0 ? -1 : Math.ceil(r.msBeforeNext / 1000) };
}

/** What a consume, penalty or reward came to: a result, a refusal with its result, or an error's message. */
async function settle(p: Promise<RateLimiterRes>): Promise<Outcome | string> {
  try {
    return outcome(true, await p);
  } catch (err) {
    if (err instanceof RateLimiterRes) return outcome(false, err);
    return err instanceof Error ? `error: ${err.message}` : `error: ${String(err)}`;
  }
}

type Limiter = RateLimiterRedis | RateLimiterRedisNonAtomic;

async function read(limiter: Limiter, key: string): Promise<Outcome | null> {
  const r = await limiter.get(key);
  return r === null ? null : outcome(true, r);
}

/**
 * The life of one key: consumed until refused, read, penalised, rewarded, deleted; a string
 * count of points; a limiter without a duration (MULTI INCRBY PTTL) and a key set without an
 * expiry that a consume then gives one (the script's EXPIRE branch).
 */
async function lifecycle(make: (opts: Omit<IRateLimiterRedisOptions, 'storeClient'>) => Limiter, prefix: string): Promise<unknown> {
  const limiter = make({ keyPrefix: prefix, points: 5, duration: 10 });
  const steps: unknown[] = [];
  for (let i = 0; i < 6; i++) steps.push(await settle(limiter.consume('user')));
  steps.push(await settle(limiter.consume('other', 2)));
  // Points given as a string: the library takes one, though its declarations say number.
  steps.push(await settle(limiter.consume('other', '3' as unknown as number)));
  steps.push(await read(limiter, 'user'), await read(limiter, 'nobody'));
  steps.push(await settle(limiter.penalty('other', 4)));
  steps.push(await settle(limiter.reward('other', 6)));
  steps.push(await limiter.delete('user'), await limiter.delete('user'), await read(limiter, 'user'));
  steps.push(await settle(limiter.consume('user')));
  const forever = make({ keyPrefix: `${prefix}-forever`, points: 2, duration: 0 });
  for (let i = 0; i < 3; i++) steps.push(await settle(forever.consume('k')));
  steps.push(await read(forever, 'k'));
  // A key set without an expiry, then consumed by a limiter with a duration.
  steps.push(outcome(true, await limiter.set('pinned', 1, 0)), await read(limiter, 'pinned'));
  steps.push(await settle(limiter.consume('pinned')), await read(limiter, 'pinned'));
  return steps;
}

/** An Outcome, written short for the expectations below. */
function o(ok: boolean, consumed: number, remaining: number, first: boolean, seconds: number): Outcome {
  return { ok, consumed, remaining, first, seconds };
}

/** What `lifecycle` comes to, with either client and either limiter. */
const lifecycleSteps = [
  ...[1, 2, 3, 4, 5].map((n) => o(true, n, 5 - n, n === 1, 10)),
  o(false, 6, 0, false, 10),
  o(true, 2, 3, true, 10),
  o(true, 5, 0, false, 10),
  o(true, 6, 0, false, 10),
  null,
  o(true, 9, 0, false, 10),
  o(true, 3, 2, false, 10),
  true,
  false,
  null,
  o(true, 1, 4, true, 10),
  o(true, 1, 1, true, -1),
  o(true, 2, 0, false, -1),
  o(false, 3, 0, false, -1),
  o(true, 3, 0, false, -1),
  o(true, 1, 0, false, -1),
  o(true, 1, 4, false, -1),
  o(true, 2, 3, false, 10),
  o(true, 2, 3, false, 10),
];
const burstResult = { passed: 10, counts: Array.from({ length: 20 }, (_, i) => i + 1) };

/** Twenty consumes at once against 10 points: exactly ten pass, each count handed out once. */
async function burst(limiter: Limiter): Promise<unknown> {
  const all = await Promise.all(Array.from({ length: 20 }, () => settle(limiter.consume('hot'))));
  const passed = all.filter((o) => typeof o !== 'string' && o.ok).length;
  const counts = all.map((o) => (typeof o === 'string' ? o : o.consumed)).sort((a, b) => Number(a) - Number(b));
  return { passed, counts };
}

test('RateLimiterRedis with ioredis: consume until refused, get, penalty, reward, delete, no duration, burst', async () => {
  const { depot, redis } = await onBoth(servers, 'rlf-io', async (port, name) => {
    const client = ioredis(port);
    const make = (opts: Omit<IRateLimiterRedisOptions, 'storeClient'>) => new RateLimiterRedis({ storeClient: client, ...opts });
    const steps = await lifecycle(make, name);
    // The script cache emptied: ioredis's EVALSHA gets NOSCRIPT and falls back to EVAL.
    await client.script('FLUSH');
    const afterFlush = await settle(make({ keyPrefix: name, points: 5, duration: 10 }).consume('flushed'));
    const hot = await burst(make({ keyPrefix: `${name}-burst`, points: 10, duration: 10 }));
    await client.quit();
    return { steps, afterFlush, hot };
  });
  assert.deepEqual(depot, { steps: lifecycleSteps, afterFlush: o(true, 1, 4, true, 10), hot: burstResult });
  assert.deepEqual(depot, redis);
});

for (const RESP of [2, 3] as const) {
  test(`RateLimiterRedis with node-redis over RESP${RESP} (useRedisPackage): the same life of a key through EVAL`, async () => {
    const { depot, redis } = await onBoth(servers, `rlf-nr${RESP}`, async (port, name) => {
      const client = track(createClient({ socket: { host: '127.0.0.1', port }, RESP }), (c) => c.close());
      await client.connect();
      const make = (opts: Omit<IRateLimiterRedisOptions, 'storeClient'>) => new RateLimiterRedis({ storeClient: client, useRedisPackage: true, ...opts });
      const steps = await lifecycle(make, name);
      const hot = await burst(make({ keyPrefix: `${name}-burst`, points: 10, duration: 10 }));
      await client.close();
      return { steps, hot };
    });
    assert.deepEqual(depot, { steps: lifecycleSteps, hot: burstResult });
    assert.deepEqual(depot, redis);
  });
}

test('RateLimiterRedisNonAtomic with ioredis: reads then MULTI writes keep the key and its expiry', async () => {
  const { depot, redis } = await onBoth(servers, 'rlf-nonatomic', async (port, name) => {
    const client = ioredis(port);
    const steps = await lifecycle((opts) => new RateLimiterRedisNonAtomic({ storeClient: client, ...opts }), name);
    await client.quit();
    return steps;
  });
  assert.deepEqual(depot, lifecycleSteps);
  assert.deepEqual(depot, redis);
});

test('block duration, block(), set() and a key expiring: refusals carry the block, expiry starts over', async () => {
  const { depot, redis } = await onBoth(servers, 'rlf-block', async (port, name) => {
    const client = ioredis(port);
    const steps: unknown[] = [];
    // Two points a second; the third blocks the key for three seconds.
    const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: name, points: 2, duration: 1, blockDuration: 3 });
    for (let i = 0; i < 4; i++) steps.push(await settle(limiter.consume('ip')));
    steps.push(await read(limiter, 'ip'), await client.ttl(`${name}:ip`));
    steps.push(outcome(true, await limiter.block('other', 5)), await read(limiter, 'other'));
    steps.push(await settle(limiter.consume('other')));
    steps.push(outcome(true, await limiter.set('fixed', 1, 2)), await read(limiter, 'fixed'));
    // A key of a one-second duration gone after it: the next consume is the first again.
    steps.push(await settle(limiter.consume('brief')));
    await new Promise((r) => setTimeout(r, 1100));
    steps.push(await read(limiter, 'brief'), await settle(limiter.consume('brief')));
    // The in-memory block: refused by the limiter itself once it has seen 3 points.
    const guarded = new RateLimiterRedis({ storeClient: client, keyPrefix: `${name}-mem`, points: 2, duration: 5, inMemoryBlockOnConsumed: 3, inMemoryBlockDuration: 5 });
    for (let i = 0; i < 4; i++) steps.push(await settle(guarded.consume('ip')));
    steps.push(await read(guarded, 'ip'));
    await client.quit();
    return steps;
  });
  assert.deepEqual(depot, [
    ...[o(true, 1, 1, true, 1), o(true, 2, 0, false, 1), o(false, 3, 0, false, 3), o(false, 4, 0, false, 3), o(true, 4, 0, false, 3), 3],
    ...[o(true, 3, 0, false, 5), o(true, 3, 0, false, 5), o(false, 4, 0, false, 5), o(true, 1, 0, false, 2), o(true, 1, 1, false, 2)],
    ...[o(true, 1, 1, true, 1), null, o(true, 1, 1, true, 1)],
    ...[o(true, 1, 1, true, 5), o(true, 2, 0, false, 5), o(false, 3, 0, false, 5), o(false, 0, 0, false, 5), o(true, 3, 0, false, 5)],
  ]);
  assert.deepEqual(depot, redis);
});
