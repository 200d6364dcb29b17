// Geohashes as Redis's geohash.c and geohash_helper.c compute them, so that the geo commands
// store the same scores and find, order and print the same points as Redis.
//
// A position is a sorted-set score: latitude and longitude each cut into 2^26 steps (latitude
// only from -85.05112878 to 85.05112878, the Web Mercator limits), their bits interleaved into
// 52 (latitude in the even bits, longitude in the odd), which a double holds exactly. A search
// covers the point's box at a precision chosen from the radius and its eight neighbours: each
// box is a range of scores, whose points are then checked by distance (haversine, on a sphere of
// Redis's radius). Coordinates are kept as two integers (a box's latitude and longitude steps)
// rather than the interleaved bits, which need 52-bit arithmetic: moving to a neighbour is then
// a step of one, modulo 2^step, exactly what Redis's carry through the interleaved bits gives.

export const GEO_STEP_MAX = 26;
export const LAT_MIN = -85.05112878;
export const LAT_MAX = 85.05112878;
export const LONG_MIN = -180;
export const LONG_MAX = 180;
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

interface Range {
  readonly min: number;
  readonly max: number;
}
const LONG_RANGE: Range = { min: LONG_MIN, max: LONG_MAX };
const LAT_RANGE: Range = { min: LAT_MIN, max: LAT_MAX };
/** The ranges of a standard geohash (GEOHASH's strings). */
const STANDARD_LAT_RANGE: Range = { min: -90, max: 90 };

/** A box: its step (bits per coordinate) and its latitude and longitude indexes at that step. */
export interface GeoBox {
  readonly step: number;
  readonly lat: number;
  readonly long: number;
}

interface Area {
  readonly latMin: number;
  readonly latMax: number;
  readonly longMin: number;
  readonly longMax: number;
}

/** The box holding a point at `step`, or null outside the ranges (Redis's geohashEncode). */
export function encode(longitude: number, latitude: number, step: number, latRange: Range = LAT_RANGE): GeoBox | null {
  if (longitude > LONG_MAX || longitude < LONG_MIN || latitude > LAT_MAX || latitude < LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max) return null;
  const latOffset = ((latitude - latRange.min) / (latRange.max - latRange.min)) * 2 ** step;
  const longOffset = ((longitude - LONG_RANGE.min) / (LONG_RANGE.max - LONG_RANGE.min)) * 2 ** step;
  // C converts the offsets to uint32_t: truncation.
  return { step, lat: Math.trunc(latOffset), long: Math.trunc(longOffset) };
}

/** Spreads the low 16 bits of `x` to the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** The even bits of a 32-bit word, packed into 16. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** The box's interleaved bits (latitude even, longitude odd), up to 54 of them: exact in a double. */
function interleave(lat: number, long: number): number {
  const lo = (spread16(lat) | (spread16(long) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(long >>> 16) << 1)) >>> 0;
  return hi * 2 ** 32 + lo;
}

/** A box's sorted-set score range: from its first 52-bit score (included) to the next box's (excluded). */
export function scoreRange(box: GeoBox): { min: number; max: number } {
  const bits = interleave(box.lat, box.long);
  const shift = 2 ** (52 - box.step * 2);
  return { min: bits * shift, max: (bits + 1) * shift };
}

/** The score of a point: its box at GEO_STEP_MAX. */
export function scoreOf(box: GeoBox): number {
  return scoreRange(box).min;
}

const CELLS = 2 ** GEO_STEP_MAX;
const LAT_SCALE = LAT_MAX - LAT_MIN;
const LONG_SCALE = LONG_MAX - LONG_MIN;

/** The area a box covers (geohashDecode). */
function decode(box: GeoBox): Area {
  const cells = 2 ** box.step;
  return {
    latMin: LAT_MIN + (box.lat / cells) * LAT_SCALE,
    latMax: LAT_MIN + ((box.lat + 1) / cells) * LAT_SCALE,
    longMin: LONG_MIN + (box.long / cells) * LONG_SCALE,
    longMax: LONG_MIN + ((box.long + 1) / cells) * LONG_SCALE,
  };
}

/** Where decodeScore leaves a position: [longitude, latitude] (no array per point in a search). */
export const POSITION = new Float64Array(2);

/**
 * Decodes a score into POSITION: the centre of its box at GEO_STEP_MAX (the score's bits
 * deinterleaved, then geohashDecode's arithmetic), held within the ranges (a score past 52 bits,
 * which GEOADD never makes, lies outside them).
 */
export function decodeScore(score: number): void {
  let lo: number;
  let hi: number;
  if (score >= 0 && score < 2 ** 64) {
    // Redis casts the double to uint64_t: the integer part (scores from GEOADD are integers).
    const bits = Math.trunc(score);
    lo = bits % 2 ** 32 >>> 0;
    hi = Math.floor(bits / 2 ** 32) >>> 0;
  } else {
    // Outside uint64_t C leaves the cast undefined; x86-64's gives 0 from 2^64 up (and +inf),
    // 2^63 below -2^63 (and -inf), a negative integer's two's complement otherwise.
    const u = score < 0 && score >= -(2 ** 63) ? BigInt.asUintN(64, BigInt(Math.trunc(score))) : score < 0 ? 1n << 63n : 0n;
    lo = Number(u & 0xffffffffn);
    hi = Number(u >> 32n);
  }
  const lat = compact16(lo) + compact16(hi) * 65536;
  const long = compact16(lo >>> 1) + compact16(hi >>> 1) * 65536;
  const latMin = LAT_MIN + (lat / CELLS) * LAT_SCALE;
  const latMax = LAT_MIN + ((lat + 1) / CELLS) * LAT_SCALE;
  const longMin = LONG_MIN + (long / CELLS) * LONG_SCALE;
  const longMax = LONG_MIN + ((long + 1) / CELLS) * LONG_SCALE;
  POSITION[0] = Math.min(LONG_MAX, Math.max(LONG_MIN, (longMin + longMax) / 2));
  POSITION[1] = Math.min(LAT_MAX, Math.max(LAT_MIN, (latMin + latMax) / 2));
}

/** The position a score stands for, [longitude, latitude] (decodeScore). */
export function positionOf(score: number): [number, number] {
  decodeScore(score);
  return [POSITION[0]!, POSITION[1]!];
}

const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/** The 11-character standard geohash of a position (GEOHASH): re-encoded with latitudes from -90 to 90. */
export function geohashString(long: number, lat: number): string {
  const box = encode(long, lat, GEO_STEP_MAX, STANDARD_LAT_RANGE)!;
  const bits = interleave(box.lat, box.long);
  let out = '';
  for (let i = 0; i < 10; i++) out += BASE32[Math.floor(bits / 2 ** (52 - (i + 1) * 5)) % 32];
  // 52 bits make ten characters; Redis appends a zero for the eleventh.
  return out + '0';
}

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** Great-circle distance in meters (haversine). */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  // The same longitude: the distance along the meridian, without the trigonometry.
  if (v === 0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** A search area: a circle (radius) or an axis-aligned box (width, height), in the unit `conversion` meters. */
export type Shape =
  | { readonly kind: 'radius'; readonly long: number; readonly lat: number; readonly radius: number; readonly conversion: number }
  | { readonly kind: 'box'; readonly long: number; readonly lat: number; readonly width: number; readonly height: number; readonly conversion: number };

/** The distance from the shape's centre to a point inside it, or null when the point is outside. */
export function distanceWithin(shape: Shape, long: number, lat: number): number | null {
  if (shape.kind === 'radius') {
    const r = shape.radius * shape.conversion;
    // The distance along the meridian alone is a lower bound: a point beyond it (with a margin far
    // above rounding) is outside, and most of the outer boxes' points go without trigonometry.
    // The points kept get the exact distance, so the result is Redis's.
    if (latDistance(shape.lat, lat) > r * (1 + 1e-9)) return null;
    const d = distance(shape.long, shape.lat, long, lat);
    return d > r ? null : d;
  }
  // Latitude first: its distance costs less.
  if (latDistance(lat, shape.lat) > (shape.height * shape.conversion) / 2) return null;
  if (distance(long, lat, shape.long, lat) > (shape.width * shape.conversion) / 2) return null;
  return distance(shape.long, shape.lat, long, lat);
}

/** The precision at which the nine boxes around a point cover `meters` around it. */
function stepsForRadius(meters: number, lat: number): number {
  if (meters === 0) return 26;
  let step = 1;
  while (meters < MERCATOR_MAX) {
    meters *= 2;
    step++;
  }
  step -= 2;
  // Meridians converge towards the poles: wider boxes there.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** The shape's bounding box: [min long, min lat, max long, max lat] (geohashBoundingBox). */
function boundingBox(shape: Shape): [number, number, number, number] {
  const { long, lat } = shape;
  const height = shape.conversion * (shape.kind === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.kind === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  // The box's wider edge is the one nearer the pole: its top in the north, its bottom in the south.
  const southern = lat < 0;
  return [southern ? long - longDeltaBottom : long - longDeltaTop, lat - latDelta, southern ? long + longDeltaBottom : long + longDeltaTop, lat + latDelta];
}

/** The box `d` steps away; the index wraps around, as Redis's move through the interleaved bits does. */
function moved(box: GeoBox, dLong: number, dLat: number): GeoBox {
  const cells = 2 ** box.step;
  return { step: box.step, lat: (box.lat + dLat + cells) % cells, long: (box.long + dLong + cells) % cells };
}

/**
 * The boxes to search, in Redis's order (the centre, north, south, east, west, north-east,
 * north-west, south-east, south-west), without those the shape cannot reach and without one
 * that repeats the box searched before it (geohashCalculateAreasByShapeWGS84 and
 * membersOfAllNeighbors).
 */
export function searchBoxes(shape: Shape): GeoBox[] {
  const [minLong, minLat, maxLong, maxLat] = boundingBox(shape);
  const meters = (shape.kind === 'radius' ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) * shape.conversion;
  let steps = stepsForRadius(meters, shape.lat);
  let centre = encode(shape.long, shape.lat, steps)!;
  // Near a box's edge the estimated step may leave part of the shape outside the nine boxes.
  const reachesPast =
    decode(moved(centre, 0, 1)).latMax < maxLat ||
    decode(moved(centre, 0, -1)).latMin > minLat ||
    decode(moved(centre, 1, 0)).longMax < maxLong ||
    decode(moved(centre, -1, 0)).longMin > minLong;
  if (steps > 1 && reachesPast) {
    steps--;
    centre = encode(shape.long, shape.lat, steps)!;
  }
  const area = decode(centre);
  const n = moved(centre, 0, 1);
  const s = moved(centre, 0, -1);
  const e = moved(centre, 1, 0);
  const w = moved(centre, -1, 0);
  const ne = moved(centre, 1, 1);
  const nw = moved(centre, -1, 1);
  const se = moved(centre, 1, -1);
  const sw = moved(centre, -1, -1);
  const candidates: Array<GeoBox | null> = [centre, n, s, e, w, ne, nw, se, sw];
  if (steps >= 2) {
    const drop = (...indexes: number[]) => indexes.forEach((i) => (candidates[i] = null));
    if (area.latMin < minLat) drop(2, 8, 7);
    if (area.latMax > maxLat) drop(1, 5, 6);
    if (area.longMin < minLong) drop(4, 8, 6);
    if (area.longMax > maxLong) drop(3, 7, 5);
  }
  const out: GeoBox[] = [];
  // Redis compares a box with the last one searched, except when that was the centre (index 0,
  // which its loop cannot tell from "none yet"): a huge radius can make neighbours coincide.
  let last = 0;
  for (let i = 0; i < candidates.length; i++) {
    const box = candidates[i];
    if (box === null || box === undefined) continue;
    const prev = candidates[last]!;
    if (last !== 0 && box.lat === prev.lat && box.long === prev.long && box.step === prev.step) continue;
    out.push(box);
    last = i;
  }
  return out;
}
