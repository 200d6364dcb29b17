// A read that leaves a few commands leaves them for the end of the turn, where the commands of
// every connection read in that pass run together; a longer pipeline runs at once
// (server/resp/connection.ts, CacheService.runLater). Through the real server: pipelines cut
// into reads of every size, below and above that bound, from connections on two databases,
// keep each connection's order, and no command runs twice or not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDepot } from '../helpers/cache-servers.js';
import { RespClient, encodeCommand } from '../helpers/cache-resp-client.js';

const CONNECTIONS = 6;
const COMMANDS = 1500;

/** Deterministic chunk sizes, 1 to 150 commands: on both sides of the bound of 64. */
function chunkSizes(seed: number, total: number): number[] {
  const sizes: number[] = [];
  let x = seed;
  for (let left = total; left > 0; ) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const n = Math.min(left, 1 + ((x >>> 8) % 150));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

test('pipelines cut into reads of every size keep their order on every connection, each command run once', async () => {
  const depot = await startDepot(['--appendonly', 'no']);
  const clients: RespClient[] = [];
  try {
    for (let n = 0; n < CONNECTIONS; n++) {
      const c = await RespClient.open(depot.port);
      clients.push(c);
      // Half the connections on database 1: one pass runs commands of both.
      if (n % 2 === 1) assert.deepEqual(await c.call('SELECT', '1'), { t: 'simple', v: 'OK' });
    }
    const shared: number[] = [];
    await Promise.all(
      clients.map(async (c, n) => {
        // Each command: INCR of the connection's own counter, then INCR of a counter shared by
        // the connections on its database.
        const writing = (async () => {
          let sent = 0;
          for (const size of chunkSizes(n + 1, COMMANDS)) {
            const parts: Buffer[] = [];
            for (let j = 0; j < size; j++, sent++) {
              parts.push(encodeCommand(['INCR', `own:${n}`]), encodeCommand(['INCR', 'shared']));
            }
            c.write(Buffer.concat(parts));
            // Now and then a pause, so that reads also land alone in a pass.
            if (sent % 7 === 0) await new Promise((r) => setImmediate(r));
          }
        })();
        for (let i = 1; i <= COMMANDS; i++) {
          assert.deepEqual(await c.next(), { t: 'int', v: String(i) }, `connection ${n}, command ${i}`);
          const s = await c.next();
          assert.equal(s.t, 'int');
          shared.push((n % 2) * 1e6 + Number(s.v));
        }
        await writing;
      }),
    );
    // Each database's shared counter took every increment once: its replies are 1..total.
    const perDb = (CONNECTIONS / 2) * COMMANDS;
    const expected = [...Array.from({ length: perDb }, (_, i) => i + 1), ...Array.from({ length: perDb }, (_, i) => 1e6 + i + 1)];
    assert.deepEqual(
      shared.sort((a, b) => a - b),
      expected,
    );
    for (const [db, c] of [0, 1].map((d) => [d, clients[d]!] as const)) {
      assert.deepEqual(await c.call('GET', 'shared'), { t: 'bulk', v: String(perDb) }, `database ${db}`);
    }
  } finally {
    for (const c of clients) c.close();
    await depot.stop();
  }
});
