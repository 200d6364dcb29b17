// Differential property test: random command sequences (helpers/cache-commands.ts) run against
// Depot and against Debian's redis-server 7.0.15 side by side; every reply must be the same, type
// and bytes, on RESP2 and RESP3, once normalized (unordered replies sorted, times by shape).
// CACHE_DIFF_RUNS raises the number of sequences (default 150). Keyspace notifications are
// compared in notifications-differential.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { argvOf, clearErrno, command, fixture, lexUnspecified, normalize } from '../helpers/cache-commands.js';
import { RespClient } from '../helpers/cache-resp-client.js';
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
        await clearErrno(probe, argv);
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
