// Small hashes are packed (machine/hash.ts) as Redis keeps them in a listpack: the same
// commands against Depot and Debian's redis-server 7.0.15 must give the same replies, byte for
// byte and in the same order, including OBJECT ENCODING through the conversions Redis makes
// (a long field or value, more fields than hash-max-listpack-entries, a limit lowered by CONFIG
// SET), HGETALL's order (insertion order, an overwrite keeping its place), HSCAN answering a
// packed hash whole with cursor 0, and HRANDFIELD with a count covering the hash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';

let depot: ServerProcess;
let redis: ServerProcess;
let cd: RespClient;
let cr: RespClient;

before(async () => {
  [depot, redis] = await Promise.all([startDepot(), startRedis()]);
  [cd, cr] = await Promise.all([RespClient.open(depot.port), RespClient.open(redis.port)]);
});

after(async () => {
  cd.close();
  cr.close();
  await Promise.all([depot.stop(), redis.stop()]);
});

/** Runs each command on both servers and asserts the same reply. */
async function same(...commands: string[][]): Promise<void> {
  for (const args of commands) {
    const [d, r] = await Promise.all([cd.call(...args), cr.call(...args)]);
    assert.equal(show(d), show(r), args.join(' '));
  }
}

const encoding = (key: string) => ['OBJECT', 'ENCODING', key];

test('a small hash reads in insertion order; an overwrite keeps its place; HSCAN and HRANDFIELD answer it whole', async () => {
  await same(
    ['HSET', 'h1', 'a', '1', 'b', '2', 'c', '3'],
    encoding('h1'),
    ['HSET', 'h1', 'b', '22'],
    ['HDEL', 'h1', 'a'],
    ['HSET', 'h1', 'a', '11', 'd', ''],
    ['HGETALL', 'h1'],
    ['HKEYS', 'h1'],
    ['HVALS', 'h1'],
    ['HMGET', 'h1', 'a', 'nope', 'd'],
    ['HSCAN', 'h1', '0', 'COUNT', '1'],
    ['HSCAN', 'h1', '0', 'MATCH', '[ab]'],
    ['HRANDFIELD', 'h1', '10', 'WITHVALUES'],
    ['HINCRBY', 'h1', 'n', '5'],
    ['HINCRBYFLOAT', 'h1', 'n', '0.5'],
    ['HSTRLEN', 'h1', 'n'],
    ['HGETALL', 'h1'],
    encoding('h1'),
  );
});

test('a field or value over hash-max-listpack-value makes a table for good', async () => {
  await same(
    ['HSET', 'h2', 'f', 'v'.repeat(64)],
    encoding('h2'),
    ['HSET', 'h2', 'g', 'w'.repeat(65)],
    encoding('h2'),
    ['HDEL', 'h2', 'g'],
    encoding('h2'),
    ['HSET', 'h3', 'x'.repeat(65), '1'],
    encoding('h3'),
    ['HGET', 'h2', 'f'],
  );
});

test('more fields than hash-max-listpack-entries make a table; a lowered limit converts a hash at its next write', async () => {
  const fields = Array.from({ length: 512 }, (_, i) => [`field:${i}`, `${i}`]).flat();
  await same(
    ['CONFIG', 'GET', 'hash-max-listpack-entries'],
    ['CONFIG', 'GET', 'hash-max-ziplist-value'],
    ['HSET', 'h4', ...fields],
    encoding('h4'),
    ['HSET', 'h4', 'one more', 'x'],
    encoding('h4'),
    ['HDEL', 'h4', 'one more', 'field:0'],
    encoding('h4'),
    ['HSET', 'h5', 'a', '1', 'b', '2', 'c', '3'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '2'],
    ['CONFIG', 'GET', 'hash-max-ziplist-entries'],
    encoding('h5'),
    ['HGET', 'h5', 'a'],
    encoding('h5'),
    ['HSET', 'h5', 'a', 'overwritten'],
    encoding('h5'),
    ['HSET', 'h6', 'a', '1', 'b', '2'],
    encoding('h6'),
    ['CONFIG', 'SET', 'hash-max-ziplist-value', '3'],
    ['CONFIG', 'GET', 'hash-max-listpack-value'],
    ['HSET', 'h6', 'a', 'four'],
    encoding('h6'),
    ['CONFIG', 'SET', 'hash-max-listpack-value', '1kb'],
    ['CONFIG', 'GET', 'hash-max-listpack-value'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '-1'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '128', 'hash-max-listpack-value', '64'],
  );
});
