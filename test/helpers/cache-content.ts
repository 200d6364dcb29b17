// Keys of every type and encoding, and a way to compare a key's content across servers (the
// DUMP/RESTORE and RDB transfer tests).
import type { Redis } from 'ioredis';

/** A key's type and whole content, in a form that compares equal on both servers. */
export async function content(c: Redis, key: string): Promise<string> {
  const type = await c.type(key);
  switch (type) {
    case 'string':
      return `string ${(await c.getBuffer(key))!.toString('hex')}`;
    case 'list':
      return `list ${JSON.stringify(await c.lrange(key, 0, -1))}`;
    case 'set':
      return `set ${JSON.stringify((await c.smembers(key)).sort())}`;
    case 'hash':
      return `hash ${JSON.stringify(Object.entries(await c.hgetall(key)).sort())}`;
    case 'zset':
      return `zset ${JSON.stringify(await c.zrange(key, '0', '-1', 'WITHSCORES'))}`;
    default:
      return type;
  }
}

export const LONG = 'x'.repeat(300);

/** Keys of every type, small (packed) and large, with integers, long and binary values. */
export async function build(c: Redis): Promise<string[]> {
  await c.set('str', 'hello');
  await c.set('int', '12345');
  await c.set('negative', '-7');
  await c.set('long', LONG + 'abc'.repeat(100));
  await c.set('binary', Buffer.from([0, 255, 10, 13, 128]));
  await c.set('empty', '');
  await c.rpush('list', 'a', 'b', '1', '-300', '70000', '5000000000', '-9223372036854775808', LONG);
  await c.rpush('biglist', ...Array.from({ length: 1000 }, (_, i) => `e${i}`));
  await c.rpush('plainnode', 'z'.repeat(20_000), 'small');
  await c.sadd('intset', '1', '2', '3', '-5', '100000', '9000000000');
  await c.sadd('set', 'a', 'b');
  await c.sadd('bigset', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  await c.hset('hash', 'f', 'v', 'n', '5', 'neg', '-1234567', 'empty', '');
  await c.hset('bighash', ...Array.from({ length: 400 }, (_, i) => [`f${i}`, LONG.slice(0, i)]).flat());
  await c.zadd('zset', 1, 'a', 2.5, 'b', '-inf', 'c', 'inf', 'd', 1e300, 'e', -0.1, 'f');
  await c.zadd('bigzset', ...Array.from({ length: 300 }, (_, i) => [i / 3, `m${i}`]).flat());
  return ['str', 'int', 'negative', 'long', 'binary', 'empty', 'list', 'biglist', 'plainnode', 'intset', 'set', 'bigset', 'hash', 'bighash', 'zset', 'bigzset'];
}
