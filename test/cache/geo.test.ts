// GEOADD GEOPOS GEODIST GEOHASH GEORADIUS(BYMEMBER)(_RO) GEOSEARCH GEOSEARCHSTORE against
// redis-server 7.0.15 side by side: the same command lines on both, every reply compared byte
// for byte (scores, coordinates, distances, the order of unsorted results, errors), and random
// searches over points worldwide and in a cluster. Then keyspace events, ioredis, and restart
// after SIGKILL. (The random sequences of differential.test.ts run these commands too.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { keyEvents, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

const SICILY = ['13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'];

test('geo commands answer as redis-server does', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['GEOADD', 'Sicily', ...SICILY],
    ['ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'],
    ['GEODIST', 'Sicily', 'Palermo', 'nobody'],
    ['GEODIST', 'nokey', 'a', 'b'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'yd'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'x'],
    ['GEOPOS', 'Sicily', 'Palermo', 'Catania', 'nobody'],
    ['GEOPOS', 'nokey', 'a'],
    ['GEOPOS', 'Sicily'],
    ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nobody'],
    ['GEOHASH', 'nokey', 'a'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHHASH', 'ASC'],
    ['GEORADIUS', 'Sicily', '15', '37', '300', 'km', 'COUNT', '2', 'DESC'],
    ['GEORADIUS', 'Sicily', '15', '37', '300', 'km', 'COUNT', '1', 'ANY'],
    ['GEORADIUS_RO', 'Sicily', '15', '37', '300', 'km', 'WITHDIST'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '300', 'km'],
    ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Catania', '1', 'm', 'WITHCOORD'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'DESC', 'COUNT', '2'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'm'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '400', 'km'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '400', 'km', 'STOREDIST', 'COUNT', '2'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['EXPIRE', 'dst', '100'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'],
    ['TTL', 'dst'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'm', 'STORE', 'dst'],
    ['EXISTS', 'dst'],
    ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'STORE', 'Sicily2'],
    ['SET', 'str', 'x'],
    ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'STORE', 'str'],
    ['EXISTS', 'str'],
    ['GEORADIUSBYMEMBER', 'nokey', 'x', 'bad', 'km'],
    ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'],
    // Edges: the poles' limits, the antimeridian, zero.
    ['GEOADD', 'edges', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '0', '0', 'zero', '179.9999', '0', 'east', '-179.9999', '0', 'west'],
    ['GEOPOS', 'edges', 'ne', 'sw', 'zero', 'east', 'west'],
    ['GEOHASH', 'edges', 'ne', 'sw', 'zero', 'east', 'west'],
    ['GEODIST', 'edges', 'east', 'west', 'km'],
    ['GEOSEARCH', 'edges', 'FROMMEMBER', 'east', 'BYRADIUS', '100', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'edges', 'FROMLONLAT', '0', '80', 'BYRADIUS', '10000', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'edges', 'FROMLONLAT', '0', '0', 'BYRADIUS', '30000', 'km'],
    // Options and their errors.
    ['GEOADD', 'Sicily', 'NX', '13.361389', '38.115556', 'Palermo', '1', '2', 'new'],
    ['GEOADD', 'Sicily', 'XX', 'CH', '13.5', '38.1', 'Palermo', '1', '2', 'other'],
    ['GEOADD', 'Sicily', 'CH', '13.5', '38.1', 'Palermo'],
    ['GEOADD', 'Sicily', 'NX', 'XX', '1', '2', 'm'],
    ['GEOADD', 'Sicily', 'GT', '1', '2', 'm'],
    ['GEOADD', 'x', '200', '100', 'm'],
    ['GEOADD', 'x', '1', '85.06', 'm'],
    ['GEOADD', 'x', '-0', '90', 'm'],
    ['GEOADD', 'x', 'inf', '0', 'm'],
    ['GEOADD', 'x', '1e300', '0', 'm'],
    ['GEOADD', 'x', 'abc', '0', 'm'],
    ['GEOADD', 'x', '1', '2', 'm', '3'],
    ['GEOADD', 'x', 'NX', 'CH', 'XX'],
    ['GEORADIUS', 'Sicily', '15', '37', '-1', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', 'x', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'parsec'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', '0'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', 'x'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'ANY'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'STORE', 'd', 'WITHDIST'],
    ['GEORADIUS_RO', 'Sicily', '15', '37', '1', 'km', 'STORE', 'd'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'FOO'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'nobody', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'BYRADIUS', '10', 'km', 'ASC'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'ASC'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '-1', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', 'x', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STORE', 'd'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STOREDIST'],
    ['GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'WITHDIST'],
    ['LPUSH', 'list', 'a'],
    ['GEOADD', 'list', '1', '2', 'm'],
    ['GEOPOS', 'list', 'm'],
    ['GEOSEARCH', 'list', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCHSTORE', 'd', 'list', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    // Not positions: a sorted set's other scores decode to something, as in Redis.
    ['ZADD', 'plain', '0', 'a', '1', 'b', '4503599627370495', 'c', '1.5', 'd', 'inf', 'e', '-inf', 'f', '-1', 'g', '1e30', 'h', '9.3e18', 'i'],
    ['GEOPOS', 'plain', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'],
    ['GEOHASH', 'plain', 'a', 'b', 'c', 'e', 'f', 'g'],
    ['GEODIST', 'plain', 'e', 'g'],
    ['GEOSEARCH', 'plain', 'FROMMEMBER', 'f', 'BYBOX', '500', '500', 'km', 'ASC'],
    ['COMMAND', 'GETKEYS', 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd1', 'STOREDIST', 'd2'],
    ['COMMAND', 'GETKEYS', 'GEORADIUSBYMEMBER', 'Sicily', 'm', '200', 'km', 'STOREDIST', 'd2'],
    ['COMMAND', 'GETKEYS', 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'],
    // RESP3: coordinates are doubles.
    ['HELLO', '3'],
    ['GEOPOS', 'Sicily', 'Palermo', 'nobody'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHCOORD', 'WITHDIST', 'ASC'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  // HELLO's reply carries the connection's id, which the two servers number apart.
  const noId = (l: string) => l.replace(/bulk:"id", int:"\d+"/, 'bulk:"id", int:"?"');
  assert.deepEqual(d.map(noId), r.map(noId));
});

/** Random points (half of them in a 2° cluster) and random searches of every kind, with a seed. */
function randomSearches(seed: number): string[][] {
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const points: Array<[string, string, string]> = [];
  for (let i = 0; i < 300; i++) {
    const cluster = rnd() < 0.5;
    const long = cluster ? 2.35 + (rnd() - 0.5) * 2 : rnd() * 360 - 180;
    const lat = cluster ? 48.85 + (rnd() - 0.5) * 2 : rnd() * 170.1 - 85.05;
    points.push([long.toFixed(6), lat.toFixed(6), `m${i}`]);
  }
  const lines: string[][] = [['FLUSHALL']];
  for (let i = 0; i < points.length; i += 30) lines.push(['GEOADD', 'g', ...points.slice(i, i + 30).flat()]);
  const meters: Record<string, number> = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 };
  for (let i = 0; i < 250; i++) {
    const unit = pick(['m', 'km', 'ft', 'mi']);
    // Radii from 1 m to 10,000 km.
    const r = String(Math.round((10 ** (rnd() * 7) / meters[unit]!) * 1000) / 1000);
    const opts: string[] = [];
    if (rnd() < 0.4) opts.push('WITHDIST');
    if (rnd() < 0.3) opts.push('WITHCOORD');
    if (rnd() < 0.3) opts.push('WITHHASH');
    if (rnd() < 0.5) opts.push(pick(['ASC', 'DESC']));
    if (rnd() < 0.3) {
      opts.push('COUNT', String(1 + Math.floor(rnd() * 10)));
      if (rnd() < 0.3) opts.push('ANY');
    }
    const p = pick(points);
    const long = rnd() < 0.5 ? p[0] : (rnd() * 360 - 180).toFixed(4);
    const lat = rnd() < 0.5 ? p[1] : (rnd() * 170 - 85).toFixed(4);
    const kind = Math.floor(rnd() * 5);
    if (kind === 0) lines.push(['GEORADIUS', 'g', long, lat, r, unit, ...opts]);
    else if (kind === 1) lines.push(['GEORADIUSBYMEMBER', 'g', p[2], r, unit, ...opts]);
    else if (kind === 2) lines.push(['GEOSEARCH', 'g', 'FROMLONLAT', long, lat, 'BYRADIUS', r, unit, ...opts]);
    else if (kind === 3) lines.push(['GEOSEARCH', 'g', 'FROMMEMBER', p[2], 'BYBOX', r, String(Number(r) * (0.2 + rnd() * 3)), unit, ...opts]);
    else {
      const store = ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', long, lat, 'BYBOX', r, r, unit, ...opts.filter((o) => !o.startsWith('WITH'))];
      lines.push(rnd() < 0.5 ? [...store, 'STOREDIST'] : store, ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
    }
    if (rnd() < 0.2) lines.push(['GEODIST', 'g', p[2], pick(points)[2], unit]);
  }
  return lines;
}

/**
 * A stored distance (STOREDIST) is the double itself, printed in full: JS's sin, cos and asin can
 * differ from glibc's in the last bit, so those scores are compared to 12 significant digits.
 */
function storedDistancesRounded(line: string): string {
  return line.replace(/bulk:"(\d+\.\d+)"/g, (_m, n: string) => `bulk:"${Number(n).toPrecision(12)}"`);
}

test('random searches over 300 points find, order and print what redis-server does', async () => {
  for (const seed of [11, 12, 13]) {
    const lines = randomSearches(seed);
    const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
    let storedist = false;
    for (let i = 0; i < d.length; i++) {
      if (storedist && lines[i]![0] === 'ZRANGE') assert.equal(storedDistancesRounded(d[i]!), storedDistancesRounded(r[i]!), `seed ${seed}`);
      else assert.equal(d[i], r[i], `seed ${seed}`);
      storedist = lines[i]!.includes('STOREDIST');
    }
  }
});

test('GEOADD publishes zadd; stores publish georadiusstore, geosearchstore, or del when nothing is found', async () => {
  const events = (port: number) =>
    keyEvents(port, async (c) => {
      await c.call('GEOADD', 'g', ...SICILY);
      await c.call('GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'a');
      await c.call('GEOSEARCHSTORE', 'b', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km');
      await c.call('GEOSEARCHSTORE', 'b', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km');
    });
  const [d, r] = await Promise.all([events(servers.depot.port), events(servers.redis.port)]);
  assert.deepEqual(d, r);
  assert.deepEqual(d, ['__keyevent@0__:zadd g', '__keyevent@0__:georadiusstore a', '__keyevent@0__:geosearchstore b', '__keyevent@0__:del b']);
});

test('through ioredis, and back after SIGKILL (appendfsync always)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-geo-kill-'));
  try {
    let server = await startDepot(['--data', dir, '--fsync', 'always']);
    let c = new Redis({ port: server.port });
    assert.equal(await c.geoadd('Sicily', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania'), 2);
    assert.equal(await c.geodist('Sicily', 'Palermo', 'Catania', 'KM'), '166.2742');
    assert.deepEqual(await c.geosearch('Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '100', 'km', 'ASC'), ['Catania']);
    assert.equal(await c.geosearchstore('near', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'), 2);
    const before = await c.zrange('near', '0', '-1', 'WITHSCORES');
    c.disconnect();
    await server.kill();
    server = await startDepot(['--data', dir, '--fsync', 'always']);
    c = new Redis({ port: server.port });
    try {
      assert.deepEqual(await c.geopos('Sicily', 'Palermo'), [['13.36138933897018433', '38.11555639549629859']]);
      assert.deepEqual(await c.zrange('near', '0', '-1', 'WITHSCORES'), before);
    } finally {
      c.disconnect();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
