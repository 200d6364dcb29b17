// Geo commands (Redis's geo.c): GEOADD GEOPOS GEODIST GEOHASH GEORADIUS GEORADIUSBYMEMBER (and
// their _RO forms) GEOSEARCH GEOSEARCHSTORE, over sorted sets whose scores are geohashes
// (../geohash.ts). GEOADD is ZADD on the scores it computes, as in Redis (its reply, its
// keyspace event, what the log carries); a search reads the sorted set's score range of each
// box around the centre, keeps the points within the shape, and replies or stores them.
import { decodeScore, distance, distanceWithin, encode, GEO_STEP_MAX, geohashString, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN, POSITION, positionOf, scoreOf, scoreRange, searchBoxes, type Shape } from '../geohash.js';
import type { ZSet } from '../machine/zset.js';
import { floatArg, intArg } from './args.js';
import type { CommandSpec, Ctx } from './context.js';
import { fail, syntax } from './reply-error.js';
import { command, family, ONE_KEY } from './spec.js';
import { storeEntries } from './zset-reply.js';
import { CH, NX, XX, zaddPairs } from './zsets.js';

/** printf's %f (six decimals), which Redis's range error prints the coordinates with. */
function fixed6(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x < 0 ? '-inf' : 'inf';
  if (Object.is(x, -0)) return '-0.000000';
  return Math.abs(x) < 1e21 ? x.toFixed(6) : `${BigInt(x)}.000000`;
}

/** Redis's "human" long double: %.17Lf without the trailing zeros (GEOPOS, WITHCOORD). */
function human(x: number): string {
  const s = x.toFixed(17).replace(/0+$/, '');
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/** A longitude and a latitude argument, checked against the ranges a geohash covers. */
function longLat(longArg: string, latArg: string): [number, number] {
  const long = floatArg(longArg);
  const lat = floatArg(latArg);
  if (long < LONG_MIN || long > LONG_MAX || lat < LAT_MIN || lat > LAT_MAX) {
    fail(`ERR invalid longitude,latitude pair ${fixed6(long)},${fixed6(lat)}`);
  }
  return [long, lat];
}

/** Meters per unit. */
function unitArg(s: string): number {
  const u = s.toLowerCase();
  if (u === 'm') return 1;
  if (u === 'km') return 1000;
  if (u === 'ft') return 0.3048;
  if (u === 'mi') return 1609.34;
  fail('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** A member's position, or null when it is missing. */
function memberPosition(z: ZSet, member: string): [number, number] | null {
  const score = z.score(member);
  return score === undefined ? null : positionOf(score);
}

/** GEOADD key [NX|XX] [CH] longitude latitude member ...: ZADD's work on each position's score, as Redis calls ZADD. */
function geoadd(c: Ctx): void {
  const a = c.argv;
  let flags = 0;
  let first = 2;
  for (; first < a.length; first++) {
    const o = a[first]!.toLowerCase();
    if (o === 'nx') flags |= NX;
    else if (o === 'xx') flags |= XX;
    else if (o === 'ch') flags |= CH;
    else break;
  }
  // No triple at all: Redis's ZADD call then finds no pair, a syntax error too.
  if ((a.length - first) % 3 !== 0 || first === a.length || (flags & NX && flags & XX)) throw syntax();
  const scores: number[] = [];
  const members: string[] = [];
  for (let i = first; i < a.length; i += 3) {
    const [long, lat] = longLat(a[i]!, a[i + 1]!);
    scores.push(scoreOf(encode(long, lat, GEO_STEP_MAX)!));
    members.push(a[i + 2]!);
  }
  zaddPairs(c, a[1]!, flags, scores, members);
}

function geopos(c: Ctx): void {
  const z = c.getZSet(c.argv[1]!);
  c.out.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) {
    const p = z === undefined ? null : memberPosition(z, c.argv[i]!);
    if (p === null) {
      c.out.nullArray();
      continue;
    }
    c.out.array(2);
    c.out.doubleText(human(p[0]));
    c.out.doubleText(human(p[1]));
  }
}

function geohash(c: Ctx): void {
  const z = c.getZSet(c.argv[1]!);
  c.out.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) {
    const p = z === undefined ? null : memberPosition(z, c.argv[i]!);
    if (p === null) c.out.nullBulk();
    else c.out.bulk(geohashString(p[0], p[1]));
  }
}

function geodist(c: Ctx): void {
  let toMeters = 1;
  if (c.argv.length === 5) toMeters = unitArg(c.argv[4]!);
  else if (c.argv.length > 5) throw syntax();
  const z = c.getZSet(c.argv[1]!);
  if (z === undefined) return c.out.nullBulk();
  const p1 = memberPosition(z, c.argv[2]!);
  const p2 = memberPosition(z, c.argv[3]!);
  if (p1 === null || p2 === null) return c.out.nullBulk();
  c.out.bulk((distance(p1[0], p1[1], p2[0], p2[1]) / toMeters).toFixed(4));
}

/** How a search is asked for. */
const COORDS = 1; // GEORADIUS: around coordinates
const MEMBER = 2; // GEORADIUSBYMEMBER: around a member
const NOSTORE = 4; // the _RO forms: no STORE
const SEARCH = 8; // GEOSEARCH's arguments
const SEARCHSTORE = 16; // GEOSEARCHSTORE: only STOREDIST

interface Found {
  readonly member: string;
  readonly score: number;
  readonly long: number;
  readonly lat: number;
  readonly dist: number;
}

/** Redis's georadiusGeneric: the arguments read in its order, so that the same line gets the same error. */
function search(c: Ctx, srcIndex: number, flags: number): void {
  const a = c.argv;
  // A read lookup also when storing (GEORADIUS STORE, GEOSEARCHSTORE), as in Redis.
  const z = c.looking('read', () => c.getZSet(a[srcIndex]!));
  let long = 0;
  let lat = 0;
  let radius = 0;
  let width = 0;
  let height = 0;
  let conversion = 1;
  let kind: 'radius' | 'box' = 'radius';
  let base: number;
  let storeKey: string | null = null;
  const distanceArgs = (at: number) => {
    radius = floatArg(a[at]!, 'ERR need numeric radius');
    if (radius < 0) fail('ERR radius cannot be negative');
    conversion = unitArg(a[at + 1]!);
  };
  if (flags & COORDS) {
    base = 6;
    [long, lat] = longLat(a[2]!, a[3]!);
    distanceArgs(4);
  } else if (flags & MEMBER) {
    base = 5;
    // Without the key, the options are still read (for the reply's kind), but not the member nor the radius.
    if (z !== undefined) {
      const p = memberPosition(z, a[2]!);
      if (p === null) fail('ERR could not decode requested zset member');
      [long, lat] = p;
      distanceArgs(3);
    }
  } else {
    base = 2;
    if (flags & SEARCHSTORE) {
      base = 3;
      storeKey = a[1]!;
    }
  }
  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort: 'none' | 'asc' | 'desc' = 'none';
  let any = false;
  let count = 0;
  let storeDist = false;
  const remaining = a.length - base;
  for (let i = 0; i < remaining; i++) {
    const arg = a[base + i]!.toLowerCase();
    if (arg === 'withdist') withDist = true;
    else if (arg === 'withhash') withHash = true;
    else if (arg === 'withcoord') withCoord = true;
    else if (arg === 'any') any = true;
    else if (arg === 'asc') sort = 'asc';
    else if (arg === 'desc') sort = 'desc';
    else if (arg === 'count' && i + 1 < remaining) {
      count = intArg(a[base + i + 1]!);
      if (count <= 0) fail('ERR COUNT must be > 0');
      i++;
    } else if ((arg === 'store' || arg === 'storedist') && i + 1 < remaining && !(flags & NOSTORE) && !(flags & SEARCH)) {
      storeKey = a[base + i + 1]!;
      storeDist = arg === 'storedist';
      i++;
    } else if (arg === 'storedist' && flags & SEARCH && flags & SEARCHSTORE) {
      storeDist = true;
    } else if (arg === 'frommember' && i + 1 < remaining && flags & SEARCH && !fromLonLat) {
      if (z !== undefined) {
        const p = memberPosition(z, a[base + i + 1]!);
        if (p === null) fail('ERR could not decode requested zset member');
        [long, lat] = p;
      }
      fromMember = true;
      i++;
    } else if (arg === 'fromlonlat' && i + 2 < remaining && flags & SEARCH && !fromMember) {
      [long, lat] = longLat(a[base + i + 1]!, a[base + i + 2]!);
      fromLonLat = true;
      i += 2;
    } else if (arg === 'byradius' && i + 2 < remaining && flags & SEARCH && !byBox) {
      distanceArgs(base + i + 1);
      kind = 'radius';
      byRadius = true;
      i += 2;
    } else if (arg === 'bybox' && i + 3 < remaining && flags & SEARCH && !byRadius) {
      width = floatArg(a[base + i + 1]!, 'ERR need numeric width');
      height = floatArg(a[base + i + 2]!, 'ERR need numeric height');
      if (height < 0 || width < 0) fail('ERR height or width cannot be negative');
      conversion = unitArg(a[base + i + 3]!);
      kind = 'box';
      byBox = true;
      i += 3;
    } else throw syntax();
  }
  if (storeKey !== null && (withDist || withHash || withCoord)) {
    fail(`ERR ${flags & SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (flags & SEARCH && !(fromMember || fromLonLat)) fail(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${a[0]}`);
  if (flags & SEARCH && !(byRadius || byBox)) fail(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${a[0]}`);
  if (any && count === 0) fail('ERR the ANY argument requires COUNT argument');
  const event = flags & SEARCH ? 'geosearchstore' : 'georadiusstore';
  if (z === undefined) {
    if (storeKey === null) return c.out.array(0);
    storeEntries(c, storeKey, [], event);
    return c.out.int(0);
  }
  // COUNT returns the nearest, unless ANY asked for the first found.
  if (count !== 0 && sort === 'none' && !any) sort = 'asc';
  const shape: Shape = kind === 'radius' ? { kind, long, lat, radius, conversion } : { kind, long, lat, width, height, conversion };
  const found = pointsWithin(z, shape, any ? count : 0);
  if (found.length === 0 && storeKey === null) return c.out.array(0);
  if (sort !== 'none') found.sort(sort === 'asc' ? (x, y) => x.dist - y.dist : (x, y) => y.dist - x.dist);
  const returned = count === 0 || found.length < count ? found.length : count;
  if (storeKey !== null) {
    const entries = found.slice(0, returned).map((p) => ({ member: p.member, score: storeDist ? p.dist / conversion : p.score }));
    storeEntries(c, storeKey, entries, event);
    return c.out.int(returned);
  }
  const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
  c.out.array(returned);
  for (let i = 0; i < returned; i++) {
    const p = found[i]!;
    if (options > 0) c.out.array(options + 1);
    c.out.bulk(p.member);
    if (withDist) c.out.bulk((p.dist / conversion).toFixed(4));
    if (withHash) c.out.int(p.score);
    if (withCoord) {
      c.out.array(2);
      c.out.doubleText(human(p.long));
      c.out.doubleText(human(p.lat));
    }
  }
}

/** The members within the shape, box by box in Redis's order; at most `limit` (0: all) when ANY. */
function pointsWithin(z: ZSet, shape: Shape, limit: number): Found[] {
  const found: Found[] = [];
  const visit = (member: string, score: number): boolean => {
    decodeScore(score);
    const long = POSITION[0]!;
    const lat = POSITION[1]!;
    const dist = distanceWithin(shape, long, lat);
    if (dist !== null) found.push({ member, score, long, lat, dist });
    return !(limit > 0 && found.length >= limit);
  };
  for (const box of searchBoxes(shape)) {
    if (limit > 0 && found.length >= limit) break;
    const { min, max } = scoreRange(box);
    z.forEachByScore({ min, minExclusive: false, max, maxExclusive: true }, visit);
  }
  return found;
}

/**
 * GEORADIUS and GEORADIUSBYMEMBER: the key, then the key after the first STORE and the one after
 * the first STOREDIST from the options on (`from`), as Redis 7's key specifications find them.
 */
function radiusKeys(from: number): (argv: readonly string[]) => string[] {
  return (argv) => {
    const keys = [argv[1]!];
    for (const keyword of ['store', 'storedist']) {
      for (let i = from; i < argv.length - 1; i++) {
        if (argv[i]!.toLowerCase() !== keyword) continue;
        keys.push(argv[i + 1]!);
        break;
      }
    }
    return keys;
  };
}

const R = '@read @geo @slow';
const W = '@write @geo @slow';

export const geoCommands: CommandSpec[] = family('geo', [
  command('geoadd', -5, 'write denyoom', ONE_KEY, W, 'Adds members with their positions to a sorted set.', geoadd),
  command('geopos', -2, 'readonly', ONE_KEY, R, 'Returns the positions of members.', geopos),
  command('geodist', -4, 'readonly', ONE_KEY, R, 'Returns the distance between two members.', geodist),
  command('geohash', -2, 'readonly', ONE_KEY, R, 'Returns the positions of members as geohash strings.', geohash),
  command('georadius', -6, 'write denyoom movablekeys', [1, 1, 1], W, 'Finds members within a radius of a position, or stores them.', (c) => search(c, 1, COORDS), { keysOf: radiusKeys(6) }),
  command('georadius_ro', -6, 'readonly', ONE_KEY, R, 'Finds members within a radius of a position.', (c) => search(c, 1, COORDS | NOSTORE)),
  command('georadiusbymember', -5, 'write denyoom movablekeys', [1, 1, 1], W, 'Finds members within a radius of a member, or stores them.', (c) => search(c, 1, MEMBER), { keysOf: radiusKeys(5) }),
  command('georadiusbymember_ro', -5, 'readonly', ONE_KEY, R, 'Finds members within a radius of a member.', (c) => search(c, 1, MEMBER | NOSTORE)),
  command('geosearch', -7, 'readonly', ONE_KEY, R, 'Finds members within a radius or a box.', (c) => search(c, 1, SEARCH)),
  command('geosearchstore', -8, 'write denyoom', [1, 2, 1], W, 'Stores the members within a radius or a box in another key.', (c) => search(c, 2, SEARCH | SEARCHSTORE)),
]);
