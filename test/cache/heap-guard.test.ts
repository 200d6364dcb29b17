// The heap guard (src/cache/heap-guard.ts): past 85% of the JS heap's cap, writes that may grow
// memory are refused with OOM instead of the process dying of "JavaScript heap out of memory".
// A unit test of when it collects, and a server process with a small heap filled until it
// refuses: it stays up, reads and deletes work, and after FLUSHALL it takes writes again; a
// maxmemory above what the heap holds is logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapGuard, type HeapProbe } from '../../src/cache/heap-guard.js';
import { startDepot, type DepotProcess } from '../helpers/depot-process.js';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { eventually } from '../helpers/wait.js';

test('refuses past 85% of the cap; collects first, at most once a second, and while refusing only once keys have gone', () => {
  let used = 0;
  let now = 0;
  let collections = 0;
  let garbage = 0;
  const probe: HeapProbe = {
    limit: 1000,
    used: () => used,
    collect: () => {
      collections++;
      used -= garbage;
      garbage = 0;
    },
    now: () => now,
  };
  const g = new HeapGuard(probe);
  used = 850;
  g.sample(500);
  assert.equal(g.full, false);
  assert.equal(collections, 0, 'no collection below the threshold');
  // Over it with garbage: the collection frees it, writes go on.
  used = 950;
  garbage = 200;
  g.sample(500);
  assert.equal(collections, 1);
  assert.equal(g.full, false);
  // Over it with live data: refused.
  now += 1000;
  used = 950;
  g.sample(600);
  assert.equal(collections, 2);
  assert.equal(g.full, true);
  // Refusing, nothing deleted: no more collections, however long.
  for (let i = 0; i < 50; i++) {
    now += 1000;
    g.sample(600);
  }
  assert.equal(collections, 2);
  assert.equal(g.full, true);
  // Keys went (the data set shrank): the next sample collects, within a second of the last.
  garbage = 500;
  g.sample(100);
  assert.equal(collections, 3);
  assert.equal(g.full, false);
  assert.equal(g.lastUsed, 450);
});

/** Waits for the node's log to match. */
async function logged(node: DepotProcess, pattern: RegExp): Promise<void> {
  await eventually(() => pattern.test(node.stdout()), `${pattern} in the log`);
}

test('a server with a small heap refuses writes with OOM as it nears the cap, stays up, and writes again after FLUSHALL', async () => {
  // A young generation far smaller than the old one, as with the default cap (4 GiB against
  // 3 x 64 MiB): with bin/depot.js's 64 MiB semi-spaces one scavenge could promote more than the
  // guard's margin of a 128 MiB heap at once.
  const node = await startDepot({ nodeFlags: ['--max-old-space-size=128', '--max-semi-space-size=4', '--expose-gc'], args: ['--appendonly', 'no', '--maxmemory', '1gb'] });
  const c = await RespClient.open(node.ports['redis']!);
  try {
    // A maxmemory above what the heap holds is accepted, and said, at start and on CONFIG SET.
    await logged(node, /maxmemory 1073741824 is above what the JS heap holds/);
    assert.equal(show(await c.call('CONFIG', 'SET', 'maxmemory', '2gb')), 'simple:"OK"');
    await logged(node, /maxmemory 2147483648 is above what the JS heap holds/);
    assert.equal(show(await c.call('CONFIG', 'SET', 'maxmemory', '0')), 'simple:"OK"');
    const limit = Number(/depot_heap_limit:(\d+)/.exec(show(await c.call('INFO', 'memory')))![1]);
    assert.ok(limit > 0 && limit < 512 * 1024 * 1024, `heap limit ${limit}`);
    // Hashes of ten 20-byte values (about 450 bytes of heap each), 500 a pipeline, until refused:
    // at most 2,000,000 (about 900 MB, far past the cap) and 120 s.
    let refused: string | null = null;
    const started = Date.now();
    for (let n = 0; refused === null && n < 2_000_000 && Date.now() - started < 120_000; n += 500) {
      for (let i = 0; i < 500; i++) {
        const args = ['HSET', `obj:${n + i}`];
        for (let f = 0; f < 10; f++) args.push(`field${f}`, `value-${n + i}-${f}`.padEnd(20, 'x'));
        c.send(...args);
      }
      for (let i = 0; i < 500; i++) {
        const r = await c.next();
        if (r.t === 'error' && refused === null) refused = r.v;
      }
    }
    assert.ok(refused !== null, 'never refused');
    assert.match(refused, /^OOM command not allowed when the server's JS heap is nearly full/);
    assert.equal(node.proc.exitCode, null, 'the server died');
    assert.equal(show(await c.call('PING')), 'simple:"PONG"');
    assert.equal(show(await c.call('HGET', 'obj:7', 'field3')), 'bulk:"value-7-3xxxxxxxxxxx"');
    assert.match(show(await c.call('INFO', 'memory')), /depot_heap_full:1/);
    assert.equal(show(await c.call('DEL', 'obj:7')), 'int:"1"');
    assert.equal(show(await c.call('FLUSHALL')), 'simple:"OK"');
    // The next samples (every 100 ms) collect the freed keys and let writes in again.
    let reply = '';
    for (let i = 0; i < 100 && reply !== 'simple:"OK"'; i++) {
      reply = show(await c.call('SET', 'after', 'flushall'));
      if (reply !== 'simple:"OK"') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(reply, 'simple:"OK"');
    assert.match(show(await c.call('INFO', 'memory')), /depot_heap_full:0/);
  } finally {
    c.close();
    await node.kill();
    node.cleanup();
  }
});
