// Over maxmemory, Depot and redis-server 7.0 side by side: the same commands get the same replies.
// maxmemory is 1 byte, which both servers are over whatever they count (Depot its data set,
// Redis its allocator), so the replies depend on the rules alone: what evicts and when, what is
// refused, how transactions and scripts meet the limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

/** Two connections to one server: `main` runs the script, `other` changes the configuration meanwhile. */
interface Pair {
  main: RespClient;
  other: RespClient;
}

async function open(port: number): Promise<Pair> {
  return { main: await RespClient.open(port), other: await RespClient.open(port) };
}

/** A step: a command of the main connection, or (`other`) of the second one. */
type Step = readonly string[] | { readonly other: readonly string[] };

async function transcript(port: number, steps: readonly Step[]): Promise<string[]> {
  const p = await open(port);
  try {
    const lines: string[] = [];
    for (const step of steps) {
      const [client, argv] = 'other' in step ? [p.other, step.other] : [p.main, step];
      lines.push(`${'other' in step ? 'other: ' : ''}${argv.join(' ')} -> ${show(await client.call(...argv))}`);
    }
    await p.other.call('CONFIG', 'SET', 'maxmemory', '0');
    return lines;
  } finally {
    p.main.close();
    p.other.close();
  }
}

async function compare(steps: readonly Step[]): Promise<void> {
  const setup: Step[] = [
    ['FLUSHALL'],
    ['SCRIPT', 'FLUSH'],
    ['CONFIG', 'SET', 'maxmemory', '0'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
  ];
  const [d, r] = await Promise.all([transcript(servers.depot.port, [...setup, ...steps]), transcript(servers.redis.port, [...setup, ...steps])]);
  assert.deepEqual(d, r);
}

const OVER: Step = { other: ['CONFIG', 'SET', 'maxmemory', '1'] };
const UNDER: Step = { other: ['CONFIG', 'SET', 'maxmemory', '0'] };

test('a lowered maxmemory evicts on the next command, a read too, whatever the policy', async () => {
  const steps: Step[] = [];
  for (const policy of ['allkeys-lru', 'allkeys-random', 'volatile-ttl', 'allkeys-lfu']) {
    steps.push(UNDER, ['MSET', 'a', '1', 'b', '2', 'c', '3'], ['SET', 'v', '1', 'EX', '1000'], ['CONFIG', 'SET', 'maxmemory-policy', policy]);
    steps.push(OVER, ['DBSIZE'], ['EXISTS', 'a', 'b', 'c', 'v']);
  }
  // volatile-lru with keys but none volatile: nothing to evict, the reads still run.
  steps.push(UNDER, ['MSET', 'a', '1', 'b', '2'], ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru'], OVER, ['DBSIZE'], ['GET', 'a'], ['SET', 'c', '3']);
  await compare(steps);
});

test('over maxmemory: writes that may grow memory are refused, reads and deletes run', async () => {
  await compare([
    ['SET', 'big', 'x'.repeat(100)],
    ['RPUSH', 'list', 'a', 'b'],
    OVER,
    ['GET', 'big'],
    ['PING'],
    ['SET', 'x', '1'],
    ['INCR', 'big'],
    ['APPEND', 'big', 'x'],
    ['LPOP', 'list'],
    ['RPUSH', 'list', 'c'],
    ['DEL', 'nokey'],
    ['EXPIRE', 'big', '100'],
    ['DEL', 'big'],
    ['SET', 'x', '1'],
    // The memory check comes before subscriber mode's, as in Redis's processCommand.
    ['SUBSCRIBE', 'c'],
    ['SET', 'x', '1'],
    ['GET', 'x'],
    ['RESET'],
  ]);
});

test('over maxmemory, a transaction queues nothing, and EXEC aborts if it would run a write that grows memory', async () => {
  await compare([
    ['SET', 'big', 'x'.repeat(100)],
    OVER,
    // Every command but EXEC, DISCARD, QUIT and RESET is refused while queueing, reads too.
    ['MULTI'],
    ['GET', 'big'],
    ['PING'],
    ['MULTI'],
    ['EXEC'],
    ['MULTI'],
    ['DISCARD'],
    UNDER,
    // Queued under the limit; over it by EXEC: aborted, as it would run a SET.
    ['MULTI'],
    ['SET', 'y', '1'],
    OVER,
    ['EXEC'],
    ['GET', 'y'],
    UNDER,
    // Only reads and deletes queued: EXEC runs them over the limit.
    ['MULTI'],
    ['GET', 'big'],
    ['DEL', 'big'],
    OVER,
    ['EXEC'],
  ]);
});

test('over maxmemory, a script without flags meets the limit at its first write; declared flags decide before it runs', async () => {
  const shebang = (flags: string, body: string) => `#!lua${flags === '' ? '' : ` flags=${flags}`}\n${body}`;
  await compare([
    ['SET', 'big', 'x'.repeat(100)],
    OVER,
    ['EVAL', 'return 1', '0'],
    ['EVAL', "return redis.call('GET','big')", '0'],
    ['EVAL', "return redis.call('SET','a','b')", '0'],
    ['EVAL', "return redis.pcall('SET','a','b')", '0'],
    // A write that does not grow memory goes first: the script has written, and runs to its end.
    ['EVAL', "redis.call('DEL','nokey') return redis.call('SET','a','b')", '0'],
    // So does a write that failed.
    ['EVAL', "redis.pcall('LPUSH','big','x') return redis.call('SET','c','d')", '0'],
    ['EVAL', shebang('', 'return 1'), '0'],
    ['EVAL', shebang('no-writes', 'return 1'), '0'],
    ['EVAL', shebang('no-writes', "return redis.call('SET','a','b')"), '0'],
    ['EVAL', shebang('allow-oom', "return redis.call('SET','e','f')"), '0'],
    ['EVAL_RO', shebang('', 'return 1'), '0'],
    ['EVAL_RO', 'return 1', '0'],
    ['EVAL', shebang('bad', 'return 1'), '0'],
    ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
    ['SCRIPT', 'LOAD', shebang('', 'return 2')],
    ['EVALSHA', '327e60b78547ebb77ec450ead371d5bd10cbdd69', '0'],
    ['SCRIPT', 'LOAD', 'return 3'],
    ['EVALSHA', '09d3822de862f46d784e6a36848b4f0736dda47a', '0'],
    UNDER,
    // Queued under the limit, run over it: the script meets the limit at its write inside EXEC.
    ['MULTI'],
    ['EVAL', "return redis.call('SET','g','h')", '0'],
    OVER,
    ['EXEC'],
    ['DBSIZE'],
  ]);
});

test('COMMAND INFO shows EVAL\'s and FCALL\'s flags as Redis does: no denyoom, skip_monitor', async () => {
  for (const name of ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro', 'echo', 'sort_ro', 'save', 'client|help', 'object|help', 'xinfo|help', 'client|kill']) {
    const [d, r] = await Promise.all([transcript(servers.depot.port, [['COMMAND', 'INFO', name]]), transcript(servers.redis.port, [['COMMAND', 'INFO', name]])]);
    assert.deepEqual(d, r);
  }
});
