// BullMQ, Node's job queue on Redis, run unchanged against Depot and against redis-server 7.0
// side by side: its Lua scripts (cmsgpack, cjson, many keys per script), blocking commands on
// a connection of their own, streams for its events, delayed jobs, retries with backoff,
// priorities, parent and child jobs, rate limits, job schedulers. Each scenario must come out
// the same on both servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowProducer, Job, Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { depotAndRedis, onBoth as onServers } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';

const servers = depotAndRedis();

/** Runs `scenario` against each server with a queue of its own; returns what each produced. */
function onBoth<T>(name: string, scenario: (c: ConnectionOptions, queue: string) => Promise<T>): Promise<{ depot: T; redis: T }> {
  return onServers(servers, name, (port, queue) => scenario({ host: '127.0.0.1', port, maxRetriesPerRequest: null }, queue));
}

/** Resolves once `count` jobs have completed or failed on `worker`, or rejects after `ms`. */
function settled(worker: Worker, count: number, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const timer = setTimeout(() => reject(new Error(`only ${n} of ${count} jobs settled in ${ms} ms`)), ms);
    const one = () => {
      if (++n === count) {
        clearTimeout(timer);
        resolve();
      }
    };
    worker.on('completed', one);
    worker.on('failed', (job) => {
      // A failed attempt that will be retried is not settled yet.
      if (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)) one();
    });
  });
}

test('jobs added to a queue are processed by workers, with results, events and counts', async () => {
  const { depot, redis } = await onBoth('basic', async (c, name) => {
    const queue = new Queue(name, { connection: c });
    const events = new QueueEvents(name, { connection: c });
    await events.waitUntilReady();
    const seen: string[] = [];
    events.on('completed', ({ jobId, returnvalue }) => seen.push(`${jobId}=${String(returnvalue)}`));
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'sum', data: { a: i, b: 2 * i } })));
    const worker = new Worker(name, async (job: Job<{ a: number; b: number }>) => job.data.a + job.data.b, { connection: c, concurrency: 4 });
    await settled(worker, 20);
    // The last completed event may trail the worker's own.
    await eventually(() => seen.length >= 20, '20 completed events');
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    const results = (await queue.getCompleted(0, -1)).map((j) => `${j.id}:${String(j.returnvalue)}`).sort();
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    return { counts, results, events: seen.sort() };
  });
  assert.equal(depot.results.length, 20);
  assert.deepEqual(depot, redis);
});

test('delayed jobs wait, failed attempts are retried with backoff, and jobs run by priority', async () => {
  const { depot, redis } = await onBoth('timing', async (c, name) => {
    const queue = new Queue(name, { connection: c });
    const order: string[] = [];
    const started = Date.now();
    let delayedAfter = 0;
    // Added before any worker runs: the prioritized ones are taken by priority (1 first, after
    // the jobs without one), the delayed one after its delay.
    await queue.add('p3', {}, { priority: 3 });
    await queue.add('p1', {}, { priority: 1 });
    await queue.add('p2', {}, { priority: 2 });
    await queue.add('late', {}, { delay: 400 });
    await queue.add('flaky', { failTimes: 2 }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    await queue.add('doomed', { failTimes: 10 }, { attempts: 2 });
    const tries = new Map<string, number>();
    const worker = new Worker(
      name,
      async (job: Job<{ failTimes?: number }>) => {
        const n = (tries.get(job.name) ?? 0) + 1;
        tries.set(job.name, n);
        order.push(job.name);
        if (job.name === 'late') delayedAfter = Date.now() - started;
        if (n <= (job.data.failTimes ?? 0)) throw new Error(`attempt ${n} of ${job.name} fails`);
        return n;
      },
      { connection: c, concurrency: 1 },
    );
    await settled(worker, 6);
    const flaky = (await queue.getJobs(['completed'])).find((j) => j.name === 'flaky');
    const doomed = (await queue.getJobs(['failed'])).find((j) => j.name === 'doomed');
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    return {
      prioritized: order.filter((n) => n.startsWith('p')),
      lateWaited: delayedAfter >= 400,
      flaky: { attempts: flaky?.attemptsMade, result: flaky?.returnvalue as unknown },
      doomed: { attempts: doomed?.attemptsMade, reason: doomed?.failedReason },
      runs: [...tries.entries()].sort(),
    };
  });
  assert.deepEqual(depot.prioritized, ['p1', 'p2', 'p3']);
  assert.equal(depot.lateWaited, true);
  assert.deepEqual(depot, redis);
});

test('a parent job runs once its children have, and reads their results', async () => {
  const { depot, redis } = await onBoth('flow', async (c, name) => {
    const flows = new FlowProducer({ connection: c });
    const queue = new Queue(name, { connection: c });
    const worker = new Worker(
      name,
      async (job: Job<{ n?: number }>) => {
        if (job.name !== 'parent') return (job.data.n ?? 0) * 10;
        const values = Object.values(await job.getChildrenValues<number>());
        return values.reduce((a, b) => a + b, 0);
      },
      { connection: c, concurrency: 2 },
    );
    const done = settled(worker, 4);
    const tree = await flows.add({ name: 'parent', queueName: name, children: [1, 2, 3].map((n) => ({ name: 'child', queueName: name, data: { n } })) });
    await done;
    const parent = await Job.fromId(queue, tree.job.id!);
    const result = { parent: parent?.returnvalue as unknown, state: await parent?.getState() };
    await worker.close();
    await flows.close();
    await queue.obliterate({ force: true });
    await queue.close();
    return result;
  });
  assert.deepEqual(depot, { parent: 60, state: 'completed' });
  assert.deepEqual(depot, redis);
});

test('rate limits, deduplication, progress and logs, job schedulers, pause and clean', async () => {
  const { depot, redis } = await onBoth('features', async (c, name) => {
    const queue = new Queue(name, { connection: c });
    const events = new QueueEvents(name, { connection: c });
    await events.waitUntilReady();
    let progressed = false;
    events.on('progress', () => (progressed = true));
    const started = Date.now();
    const runs: number[] = [];
    // At most 5 jobs per 500 ms, whatever the concurrency.
    const worker = new Worker(
      name,
      async (job: Job<{ x?: number }>) => {
        runs.push(Date.now() - started);
        await job.updateProgress(50);
        await job.log(`hello ${job.name}`);
        return job.name === 'once' ? 'ok' : job.data.x;
      },
      { connection: c, limiter: { max: 5, duration: 500 }, concurrency: 5 },
    );
    await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'limited', data: { x: i }, opts: { removeOnComplete: i % 2 === 0 } })));
    const once = await queue.add('once', {}, { deduplication: { id: 'dd' } });
    const again = await queue.add('once', {}, { deduplication: { id: 'dd' } });
    const waited = (await once.waitUntilFinished(events, 10_000)) as unknown;
    await eventually(async () => (await queue.getJobCounts('completed')).completed >= 7, 'the 7 jobs kept on completion', 20_000);
    const limited = runs.length >= 11 && runs[10]! >= 450;
    const counts = await queue.getJobCounts('completed', 'wait', 'failed', 'delayed');
    const logs = (await queue.getJobLogs(once.id!)).logs;
    // Every 150 ms, three times.
    await queue.upsertJobScheduler('tick', { every: 150, limit: 3 }, { name: 'tick' });
    await eventually(() => runs.length >= 16, 'the three ticks');
    const schedulers = (await queue.getJobSchedulers()).map((s) => s.key);
    await queue.pause();
    const paused = await queue.isPaused();
    await queue.resume();
    const cleaned = (await queue.clean(0, 100, 'completed')).length;
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    return { deduplicated: once.id === again.id, waited, limited, counts, logs, progressed, schedulers, ticks: runs.length, paused, cleaned };
  });
  assert.equal(depot.limited, true);
  assert.equal(depot.ticks, 16);
  assert.deepEqual(depot, redis);
});
