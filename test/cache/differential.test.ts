// Differential property test: random command sequences (helpers/cache-commands.ts) run against
// Depot and against Debian's redis-server 7.0.15 side by side; every reply must be the same, type
// and bytes, on RESP2 and RESP3, once normalized (unordered replies sorted, times by shape).
// CACHE_DIFF_RUNS raises the number of sequences (default 150). Then the keyspace notifications
// of a script, compared in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { argvOf, command, fixture, lexUnspecified, normalize } from '../helpers/cache-commands.js';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';

let depot: ServerProcess;
let redis: ServerProcess;
let cd: RespClient;
let cr: RespClient;
/** A second connection to redis-server, to inspect state without touching the transaction. */
let probe: RespClient;
let selectedDb = '0';

before(async () => {
  [depot, redis] = await Promise.all([startDepot(), startRedis()]);
  [cd, cr, probe] = await Promise.all([RespClient.open(depot.port), RespClient.open(redis.port), RespClient.open(redis.port)]);
});

after(async () => {
  cd.close();
  cr.close();
  probe.close();
  await Promise.all([depot.stop(), redis.stop()]);
});

const runs = Number(process.env['CACHE_DIFF_RUNS'] ?? '150');

test('random command sequences get the same replies from Depot and redis-server 7.0', async () => {
  let lastDifference = '';
  const property = fc.assert(
    fc.asyncProperty(fc.constantFrom('2', '3'), fc.array(command, { minLength: 1, maxLength: 40 }), async (proto, cmds) => {
      for (const client of [cd, cr]) {
        await client.call('RESET');
        await client.call('FLUSHALL');
        await client.call('HELLO', proto);
      }
      selectedDb = '0';
      const transcript: string[] = [];
      for (const raw of cmds) {
        const argv = argvOf(raw);
        if (await lexUnspecified(probe, selectedDb, argv)) continue;
        const [a, b] = await Promise.all([cd.call(...argv), cr.call(...argv)]);
        if (argv[0] === 'SELECT' && b.t === 'simple' && b.v === 'OK') selectedDb = argv[1]!;
        const na = normalize(argv, a);
        const nb = normalize(argv, b);
        transcript.push(`${argv.join(' ')} -> ${nb}`);
        if (na !== nb) {
          lastDifference = `RESP${proto} replies differ\n${transcript.join('\n')}\n  depot: ${na}\n  redis: ${nb}`;
          assert.fail(lastDifference);
        }
      }
    }),
    { numRuns: runs, seed: Number(process.env['CACHE_DIFF_SEED'] ?? '20261121') },
  );
  // fast-check reports the shrunk counterexample; the transcript of the replies is ours.
  await property.catch((err: Error) => assert.fail(`${err.message}\n${lastDifference}`));
});

test('curated edge cases of arguments and options get the same replies', async () => {
  const script = fixture('edge-cases.txt');
  for (const proto of ['2', '3']) {
    for (const client of [cd, cr]) {
      await client.call('RESET');
      await client.call('FLUSHALL');
      await client.call('HELLO', proto);
    }
    for (const argv of script) {
      const [a, b] = await Promise.all([cd.call(...argv), cr.call(...argv)]);
      assert.equal(normalize(argv, a), normalize(argv, b), `RESP${proto}: ${argv.join(' ')}`);
    }
  }
});

/** The keyspace events a command script produces, as "channel message" lines. */
async function notifications(port: number, script: readonly string[][]): Promise<string[]> {
  const c = await RespClient.open(port);
  const s = await RespClient.open(port);
  try {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await s.call('PSUBSCRIBE', '__key*__:*');
    for (const argv of script) await c.call(...argv);
    // Let the one-millisecond key expire, then read it, so that both servers have expired it by
    // now (whether their active cycle ran in those 50 ms or not), then mark the end with a PING.
    await new Promise((r) => setTimeout(r, 50));
    await c.call('EXISTS', 'e');
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    s.send('PING');
    const events: string[] = [];
    for (;;) {
      const m = await s.next();
      if (m.t !== 'array' && m.t !== 'push') throw new Error(`unexpected ${show(m)}`);
      const [kind, , channel, message] = m.v as Array<{ v: string }>;
      if (kind!.v === 'pong') return events;
      if (kind!.v === 'pmessage') events.push(`${channel!.v} ${message!.v}`);
    }
  } finally {
    c.close();
    s.close();
  }
}

test('keyspace notifications are the ones Redis publishes, in the same order', async () => {
  const script = fixture('notifications.txt');
  const [fromDepot, fromRedis] = await Promise.all([notifications(depot.port, script), notifications(redis.port, script)]);
  assert.ok(fromRedis.length > 80, 'the script produces events');
  assert.deepEqual(fromDepot, fromRedis);
});
