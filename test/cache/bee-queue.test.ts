// bee-queue, a job queue on node-redis 3, run unchanged against Depot and against redis-server
// 7.0 side by side: its Lua scripts loaded by SCRIPT EXISTS/LOAD and run by EVALSHA (in a
// pipelined batch too), BRPOPLPUSH on a connection of its own, MULTI for each finished job, job
// events over pub/sub (published from a script for delayed jobs), SSCAN and HMGET for listings,
// and its stalled-job check (SET PX NX inside a script). Each scenario must come out the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import BeeQueue from 'bee-queue';
import { depotAndRedis, onBoth } from '../helpers/cache-servers.js';
import { closedAfterEach, eventually } from '../helpers/wait.js';

const servers = depotAndRedis();
const track = closedAfterEach();

type Data = { x: number };

/** A queue of its own node-redis 3 connections, in database `db` (SELECT on connecting). */
function queue(port: number, name: string, settings: BeeQueue.QueueSettings = {}, db = 0): BeeQueue<Data> {
  const q = track(new BeeQueue<Data>(name, { redis: { host: '127.0.0.1', port, db }, ...settings }), (opened) => opened.close(100));
  q.on('error', (err) => assert.fail(`${name}: ${err.message}`));
  return q;
}

/** Events a producer hears about its queue's jobs, as sorted `event id data` lines. */
function listen(producer: BeeQueue<Data>): string[] {
  const heard: string[] = [];
  const on = (event: string) => (id: string, data: unknown) => heard.push(`${event} ${id} ${data instanceof Error ? data.message : JSON.stringify(data)}`);
  producer.on('job succeeded', on('succeeded'));
  producer.on('job retrying', on('retrying'));
  producer.on('job failed', on('failed'));
  producer.on('job progress', on('progress'));
  return heard;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('jobs saved one by one and in a batch, processed three at a time, with progress, events, health, listings and removal', async () => {
  const { depot, redis } = await onBoth(servers, 'bq-basic', async (port, name) => {
    const producer = queue(port, name, { isWorker: false });
    const worker = queue(port, name, { getEvents: false });
    await Promise.all([producer.ready(), worker.ready()]);
    const heard = listen(producer);
    const jobs = Array.from({ length: 10 }, (_, x) => producer.createJob({ x }));
    jobs[0]!.setId('custom');
    const errors = await producer.saveAll(jobs.slice(0, 7));
    for (const job of jobs.slice(7)) await job.save();
    // An id already taken: addJob returns nil and the job gets no id.
    const duplicate = await producer.createJob({ x: -1 }).setId('custom').save();
    const own: string[] = [];
    jobs[3]!.on('progress', (p) => own.push(`progress ${JSON.stringify(p)}`));
    jobs[3]!.on('succeeded', (r) => own.push(`succeeded ${JSON.stringify(r)}`));
    const before = await producer.checkHealth();
    let running = 0;
    let most = 0;
    worker.process(3, async (job) => {
      most = Math.max(most, ++running);
      await job.reportProgress({ half: job.data.x });
      await sleep(20);
      running--;
      return job.data.x * 2;
    });
    await eventually(() => heard.filter((h) => h.startsWith('succeeded')).length === 10, '10 succeeded events');
    await eventually(() => own.length === 2, 'the job of its own events');
    const after = await producer.checkHealth();
    const succeeded = (await producer.getJobs('succeeded', { size: 100 })).map((j) => `${j.id}:${j.status}:${JSON.stringify(j.data)}`).sort();
    const waiting = (await producer.getJobs('waiting', { start: 0, end: 10 })).length;
    const custom = await producer.getJob('custom');
    const stored = { status: custom.status, data: custom.data, progress: custom.progress as unknown };
    await producer.removeJob('custom');
    await (await producer.getJob('4')).remove();
    const removed = { health: await producer.checkHealth(), custom: await producer.getJob('custom'), left: (await producer.getJobs('succeeded', { size: 100 })).length };
    await producer.destroy();
    const destroyed = await producer.checkHealth();
    await Promise.all([worker.close(), producer.close()]);
    return { ids: jobs.map((j) => j.id), errors: errors.size, duplicate: duplicate.id, before, most, heard: heard.sort(), own, after, succeeded, waiting, stored, removed, destroyed };
  });
  assert.equal(depot.most, 3);
  assert.equal(depot.succeeded.length, 10);
  assert.deepEqual(depot, redis);
});

test('retries: immediate, fixed and exponential backoff (raised from the delayed set), a timeout, a failed job retried', async () => {
  const { depot, redis } = await onBoth(servers, 'bq-retries', async (port, name) => {
    // In database 2: every connection selects it.
    const producer = queue(port, name, { isWorker: false }, 2);
    const worker = queue(port, name, { getEvents: false, activateDelayedJobs: true }, 2);
    await Promise.all([producer.ready(), worker.ready()]);
    const heard = listen(producer);
    const tries = new Map<number, number>();
    let forgiven = false;
    worker.process(2, async (job) => {
      const n = (tries.get(job.data.x) ?? 0) + 1;
      tries.set(job.data.x, n);
      if (job.data.x === 3) await sleep(300);
      // Job 1 fails until it is retried by hand; jobs 2 and 4 fail twice, job 5 once.
      if (job.data.x === 1 && !forgiven) throw new Error(`one fails (${n})`);
      if ((job.data.x === 2 || job.data.x === 4) && n <= 2) throw new Error(`two fails (${n})`);
      if (job.data.x === 5 && n === 1) throw new Error('five fails once');
      return `x${job.data.x} after ${n}`;
    });
    const doomed = await producer.createJob({ x: 1 }).retries(1).save();
    await producer.createJob({ x: 2 }).retries(2).backoff('fixed', 50).save();
    await producer.createJob({ x: 3 }).timeout(50).save();
    await producer.createJob({ x: 4 }).retries(3).backoff('exponential', 20).save();
    await producer.createJob({ x: 5 }).retries(1).save();
    const finals = () => heard.filter((h) => h.startsWith('succeeded') || h.startsWith('failed')).length;
    await eventually(() => finals() === 5, 'five jobs succeeded or failed');
    const health = await producer.checkHealth();
    const failed = (await producer.getJobs('failed', { size: 10 })).map((j) => `${j.id}:${j.status}:${String(j.options.stacktraces.length)}:${String(j.options.retries)}`).sort();
    forgiven = true;
    // Job#retry is not in bee-queue's declarations.
    const failedJob = (await producer.getJob(doomed.id)) as BeeQueue.Job<Data> & { retry(): Promise<unknown> };
    await failedJob.retry();
    await eventually(() => finals() === 6, 'the retried job succeeded');
    const healthAfter = await producer.checkHealth();
    await Promise.all([worker.close(), producer.close()]);
    return { heard: heard.sort(), tries: [...tries.entries()].sort(), health, failed, healthAfter };
  });
  assert.deepEqual(depot.tries, [[1, 3], [2, 3], [3, 1], [4, 3], [5, 2]]);
  assert.deepEqual(depot, redis);
});

test('delayed jobs: listed as delayed, raised when due by activateDelayedJobs, the earliest first', async () => {
  const { depot, redis } = await onBoth(servers, 'bq-delayed', async (port, name) => {
    const producer = queue(port, name, { isWorker: false });
    await producer.ready();
    const started = Date.now();
    // Due before any worker runs: raised by the worker's first look at the delayed set.
    await producer.createJob({ x: 0 }).delayUntil(started + 50).save();
    await producer.createJob({ x: 2 }).delayUntil(started + 500).save();
    await producer.createJob({ x: 1 }).delayUntil(started + 250).save();
    const delayed = (await producer.getJobs('delayed', { start: 0, end: -1 })).map((j) => j.data.x);
    const health = await producer.checkHealth();
    await sleep(100);
    const worker = queue(port, name, { getEvents: false, activateDelayedJobs: true, delayedDebounce: 10 });
    let raised = 0;
    // An event bee-queue's declarations do not list.
    (worker as EventEmitter).on('raised jobs', (n: number) => (raised += n));
    const ran: { x: number; late: boolean }[] = [];
    const due = [50, 250, 500];
    worker.process(async (job) => {
      ran.push({ x: job.data.x, late: Date.now() - started >= due[job.data.x]! });
      return null;
    });
    await eventually(() => ran.length === 3, 'three delayed jobs run');
    const after = await producer.checkHealth();
    await Promise.all([worker.close(), producer.close()]);
    return { delayed, health, ran, raised, after };
  });
  assert.deepEqual(depot.ran, [{ x: 0, late: true }, { x: 1, late: true }, { x: 2, late: true }]);
  assert.deepEqual(depot, redis);
});

test('a job left active by a worker that went away is found stalled and run by another worker', async () => {
  const { depot, redis } = await onBoth(servers, 'bq-stalled', async (port, name) => {
    const stallInterval = 200;
    const first = queue(port, name, { getEvents: false, stallInterval });
    // Its job, finished after it closed, cannot be recorded: it says so on 'error'.
    const late: string[] = [];
    first.removeAllListeners('error').on('error', (err) => late.push(err.message));
    await first.ready();
    let release = () => {};
    let taken = false;
    first.process(async () => {
      taken = true;
      await new Promise<void>((r) => (release = r));
      return 'first';
    });
    const job = await first.createJob({ x: 7 }).save();
    await eventually(() => taken, 'the first worker taking the job');
    // Closing times out on the job in hand, which stays in the active list.
    const closed = await first.close(50).then(() => 'closed', (err: Error) => err.message);
    const second = queue(port, name, { getEvents: false, stallInterval });
    await second.ready();
    const stalled: string[] = [];
    second.on('stalled', (id: string) => stalled.push(id));
    // The first worker's own check at its start blocks checks for an interval. Past it, a check
    // marks the active jobs; one within the interval does nothing; one after it moves those still
    // marked back to waiting.
    await sleep(stallInterval + 50);
    const checks = [await second.checkStalledJobs(), await second.checkStalledJobs()];
    const health = await second.checkHealth();
    await sleep(stallInterval + 50);
    checks.push(await second.checkStalledJobs());
    const moved = await second.checkHealth();
    let result: unknown;
    second.process(async (j) => (result = `second ran ${j.id}`));
    await eventually(() => result !== undefined, 'the second worker running the stalled job');
    release();
    await eventually(() => late.length > 0, "the first worker's error for its late job");
    await second.close();
    return { closed, late, checks, stalled, health, moved, result: result === `second ran ${job.id}` };
  });
  assert.deepEqual(depot.checks, [0, 0, 1]);
  assert.deepEqual(depot, redis);
});
