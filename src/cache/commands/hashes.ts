// Hash commands (Redis t_hash.c).
import { boundedPicks, checkPairedCount, is, parseInt64, randomCountArg } from './args.js';
import type { Ctx } from './context.js';
import { incrByFloatText, parseLongDouble } from './longdouble.js';
import { Err, fail, syntax, wrongArity } from './reply-error.js';
import { randomSlots } from './random.js';
import { emptyScan, scanCursor, scanOptions, scanStep } from './scan.js';
import { globMatch } from '../glob.js';
import { ONE_KEY, command, family } from './spec.js';

function hsetGeneric(c: Ctx, replyOk: boolean): void {
  const a = c.argv;
  if (a.length % 2 !== 0) throw wrongArity(a[0]!.toLowerCase());
  const key = a[1]!;
  c.getHash(key);
  const n = c.fx.hset(c.db, key, a, 2);
  c.notify('h', 'hset', key);
  if (replyOk) c.out.ok();
  else c.out.int(n);
}

function hsetnx(c: Ctx): void {
  const [, key, field, value] = c.argv as [string, string, string, string];
  const h = c.getHash(key);
  if (h?.has(field)) return c.out.int(0);
  c.fx.hset(c.db, key, [field, value]);
  c.notify('h', 'hset', key);
  c.out.int(1);
}

function hget(c: Ctx): void {
  const v = c.getHash(c.argv[1]!)?.get(c.argv[2]!);
  if (v === undefined) c.out.nullBulk();
  else c.bulk(v);
}

function hmget(c: Ctx): void {
  const h = c.getHash(c.argv[1]!);
  c.out.array(c.argv.length - 2);
  for (let i = 2; i < c.argv.length; i++) {
    const v = h?.get(c.argv[i]!);
    if (v === undefined) c.out.nullBulk();
    else c.bulk(v);
  }
}

function hgetall(c: Ctx): void {
  const h = c.getHash(c.argv[1]!);
  c.out.map(h?.size ?? 0);
  if (h === undefined) return;
  for (const [f, v] of h) {
    c.out.bulk(f);
    c.bulk(v);
  }
}

function hdel(c: Ctx): void {
  const key = c.argv[1]!;
  const h = c.getHash(key);
  if (h === undefined) return c.out.int(0);
  const fields = c.argv.slice(2).filter((f) => h.has(f));
  if (fields.length === 0) return c.out.int(0);
  const n = c.fx.hdel(c.db, key, fields);
  c.notify('h', 'hdel', key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
  c.out.int(n);
}

function hexists(c: Ctx): void {
  c.out.int(c.getHash(c.argv[1]!)?.has(c.argv[2]!) ? 1 : 0);
}

function hlen(c: Ctx): void {
  c.out.int(c.getHash(c.argv[1]!)?.size ?? 0);
}

function hkeys(c: Ctx): void {
  const h = c.getHash(c.argv[1]!);
  c.out.bulkArray(h === undefined ? [] : [...h.keys()]);
}

function hvals(c: Ctx): void {
  const h = c.getHash(c.argv[1]!);
  c.out.array(h?.size ?? 0);
  if (h !== undefined) for (const v of h.values()) c.bulk(v);
}

function hstrlen(c: Ctx): void {
  const v = c.getHash(c.argv[1]!)?.get(c.argv[2]!);
  c.out.int(v === undefined ? 0 : c.ks.blobs.length(v));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function hincrby(c: Ctx): void {
  const [, key, field, incrText] = c.argv as [string, string, string, string];
  const by = parseInt64(incrText);
  if (by === null) fail(Err.NOT_INTEGER);
  const old = c.getHash(key)?.get(field);
  const cur = old === undefined ? 0 : parseInt64(c.text(old));
  if (cur === null) fail(Err.HASH_NOT_INTEGER);
  let next: number | bigint;
  if (typeof cur === 'number' && typeof by === 'number' && Number.isSafeInteger(cur + by)) next = cur + by;
  else {
    next = BigInt(cur) + BigInt(by);
    if (next < INT64_MIN || next > INT64_MAX) fail(Err.OVERFLOW);
  }
  c.fx.hset(c.db, key, [field, String(next)]);
  c.notify('h', 'hincrby', key);
  c.out.int(next);
}

function hincrbyfloat(c: Ctx): void {
  const [, key, field, incr] = c.argv as [string, string, string, string];
  const by = parseLongDouble(incr);
  if (by === null) fail(Err.NOT_FLOAT);
  // Redis refuses an infinite increment here before it looks at the field (INCRBYFLOAT does not).
  if (typeof by === 'string') fail('ERR value is NaN or Infinity');
  const old = c.getHash(key)?.get(field);
  const r = incrByFloatText(old === undefined ? '0' : c.text(old), incr);
  if (r === 'increment') fail(Err.NOT_FLOAT);
  if (r === 'value') fail(Err.HASH_NOT_FLOAT);
  if (r === 'nan') fail(Err.NAN_OR_INF);
  c.fx.hset(c.db, key, [field, r]);
  c.notify('h', 'hincrbyfloat', key);
  c.out.bulk(r);
}

function hrandfield(c: Ctx): void {
  const a = c.argv;
  const key = a[1]!;
  if (a.length === 2) {
    const h = c.getHash(key);
    if (h === undefined) return c.out.nullBulk();
    return c.out.bulk(h.entryReader()(randomSlots(c.random, h, 1)[0]!)[0]);
  }
  const count = randomCountArg(a[2]!);
  const withValues = a.length === 4 && is(a[3], 'WITHVALUES');
  if (a.length > 4 || (a.length === 4 && !withValues)) throw syntax();
  if (withValues) checkPairedCount(count);
  const h = c.getHash(key);
  if (h === undefined || count === 0) return c.out.array(0);
  const slots = randomSlots(c.random, h, boundedPicks(count));
  const entryAt = h.entryReader();
  const pairs = withValues && c.out.resp === 3;
  c.out.array(slots.length * (withValues && !pairs ? 2 : 1));
  for (const slot of slots) {
    const [f, v] = entryAt(slot);
    if (pairs) c.out.array(2);
    c.out.bulk(f);
    if (withValues) c.bulk(v);
  }
}

function hscan(c: Ctx): void {
  const cursor = scanCursor(c, 2);
  const h = c.getHash(c.argv[1]!);
  if (h === undefined) return emptyScan(c);
  const o = scanOptions(c, cursor, 3, false);
  // A packed hash is answered whole, cursor 0, as Redis answers a listpack (COUNT is a hint).
  const { next, entries } =
    h.encoding === 'listpack'
      ? { next: 0, entries: [...h].filter((e) => o.match === null || globMatch(o.match, e[0])) }
      : scanStep(c, o, h, () => h.entries(), (e) => e[0]);
  c.out.array(2);
  c.out.bulk(String(next));
  c.out.array(entries.length * 2);
  for (const [f, v] of entries) {
    c.out.bulk(f);
    c.bulk(v);
  }
}

const W = '@write @hash';
const R = '@read @hash';
export const hashCommands = family('hash', [
  command('hset', -4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Sets fields of a hash.', (c) => hsetGeneric(c, false)),
  command('hmset', -4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Sets fields of a hash (replies OK).', (c) => hsetGeneric(c, true)),
  command('hsetnx', 4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Sets a field only when it does not exist.', hsetnx),
  command('hget', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the value of a field.', hget),
  command('hmget', -3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the values of several fields.', hmget),
  command('hgetall', 2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns every field and value.', hgetall),
  command('hdel', -3, 'write fast', ONE_KEY, `${W} @fast`, 'Deletes fields.', hdel),
  command('hexists', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Tells whether a field exists.', hexists),
  command('hlen', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the number of fields.', hlen),
  command('hkeys', 2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns every field name.', hkeys),
  command('hvals', 2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns every value.', hvals),
  command('hstrlen', 3, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the length of the value of a field.', hstrlen),
  command('hincrby', 4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Increments the integer value of a field.', hincrby),
  command('hincrbyfloat', 4, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Increments the float value of a field.', hincrbyfloat),
  command('hrandfield', -2, 'readonly', ONE_KEY, `${R} @slow`, 'Returns random fields.', hrandfield),
  command('hscan', -3, 'readonly', ONE_KEY, `${R} @slow`, 'Iterates over the fields of a hash.', hscan),
]);
