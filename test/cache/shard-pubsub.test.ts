// Shard channels (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS and SHARDNUMSUB)
// against redis-server 7.0.15: the same script on both, a subscriber's frames and a publisher's
// replies compared in order, on RESP2 (subscriber mode) and RESP3 (push frames); shard channels
// are a namespace apart from the others, as in Redis outside a cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

/** Runs the script on one server; returns what the subscriber and the publisher saw. */
async function transcript(port: number, resp: '2' | '3'): Promise<string[]> {
  const sub = await RespClient.open(port);
  const pub = await RespClient.open(port);
  const seen: string[] = [];
  const frames = async (n: number) => {
    for (let i = 0; i < n; i++) seen.push(`sub <- ${show(await sub.next())}`);
  };
  const call = async (c: RespClient, who: string, ...args: string[]) => seen.push(`${who} ${args.join(' ')} -> ${show(await c.call(...args))}`);
  try {
    await call(sub, 'sub', 'HELLO', resp);
    seen.pop(); // HELLO's reply carries the connection's id
    sub.send('SSUBSCRIBE', 'a', 'b', 'a');
    await frames(3);
    sub.send('SUBSCRIBE', 'a');
    await frames(1);
    await call(pub, 'pub', 'SPUBLISH', 'a', 'hello');
    await frames(1);
    await call(pub, 'pub', 'PUBLISH', 'a', 'plain');
    await frames(1);
    await call(pub, 'pub', 'SPUBLISH', 'nobody', 'x');
    // In Redis's table's order, which is no order: compared sorted.
    const channels = (await pub.call('PUBSUB', 'SHARDCHANNELS')) as { v: Array<{ v: string }> };
    seen.push(`pub PUBSUB SHARDCHANNELS -> ${channels.v.map((x) => x.v).sort().join(' ')}`);
    await call(pub, 'pub', 'PUBSUB', 'SHARDCHANNELS', 'b*');
    await call(pub, 'pub', 'PUBSUB', 'SHARDNUMSUB', 'a', 'b', 'c');
    await call(pub, 'pub', 'PUBSUB', 'NUMSUB', 'a', 'b');
    await call(pub, 'pub', 'PUBSUB', 'CHANNELS');
    const list = (await pub.call('CLIENT', 'LIST')) as { v: string };
    seen.push(`pub CLIENT LIST -> ${/sub=\d+ psub=\d+ ssub=\d+/g.exec(list.v.split('\n').find((l) => l.includes('cmd=ssubscribe') || l.includes('cmd=subscribe') || l.includes('ssub=2'))!)?.[0]}`);
    if (resp === '2') await call(sub, 'sub', 'GET', 'k');
    sub.send('SUNSUBSCRIBE', 'b');
    await frames(1);
    sub.send('SUNSUBSCRIBE');
    await frames(1);
    sub.send('SUNSUBSCRIBE');
    await frames(1);
    sub.send('UNSUBSCRIBE');
    await frames(1);
    await call(sub, 'sub', 'PING');
    await call(pub, 'pub', 'SPUBLISH', 'a', 'gone');
    await call(pub, 'pub', 'SPUBLISH', 'a');
    await call(pub, 'pub', 'PUBSUB', 'SHARDCHANNELS', 'x', 'y');
    await call(pub, 'pub', 'PUBSUB', 'channels', 'x', 'y');
    return seen;
  } finally {
    sub.close();
    pub.close();
  }
}

test('shard channels: subscriptions, messages, counts and introspection as redis-server gives them', async () => {
  for (const resp of ['2', '3'] as const) {
    const [d, r] = await Promise.all([transcript(servers.depot.port, resp), transcript(servers.redis.port, resp)]);
    assert.deepEqual(d, r, `RESP${resp}`);
  }
});
