// String commands (Redis t_string.c). SET, SETNX, SETEX, PSETEX and GETSET share setGeneric;
// INCR, DECR, INCRBY and DECRBY share incrGeneric. Relative expiry is resolved to an absolute
// time here, so the logged effect does not depend on when it is replayed.
import { expiryMs, intArg, parseInt64, stringRange } from './args.js';
import type { Ctx } from './context.js';
import { incrByFloatText } from './longdouble.js';
import { Err, fail, syntax, wrongArity } from './reply-error.js';
import { ALL_KEYS, ONE_KEY, command, family } from './spec.js';

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;

/**
 * EX/PX/EXAT/PXAT <n> as an absolute time in ms, checked as Redis's getExpireMillisecondsOrReply
 * checks it; throws Redis's errors. Called once the command's options have parsed (Redis
 * reports a syntax error before a bad number).
 */
function expiryAt(c: Ctx, unit: string, arg: string, cmd: string): number {
  const n = parseInt64(arg);
  if (n === null) fail(Err.NOT_INTEGER);
  const relative = unit === 'EX' || unit === 'PX';
  const at = n <= 0 ? null : expiryMs(n, unit === 'EX' || unit === 'EXAT' ? 1000 : 1, relative ? c.now : 0);
  if (at === null) fail(`ERR invalid expire time in '${cmd}' command`);
  return at;
}

/**
 * `opt` (argv[i], upper-cased) is EX, PX, EXAT or PXAT followed by a value, and none of the
 * other three came before it (`seen`: the index of the one that did, or -1).
 */
function isExpiryOption(opt: string, argv: readonly string[], i: number, seen: number): boolean {
  if (opt !== 'EX' && opt !== 'PX' && opt !== 'EXAT' && opt !== 'PXAT') return false;
  return i + 1 < argv.length && (seen < 0 || argv[seen]!.toUpperCase() === opt);
}

/** The common core of SET and friends; `pxat` 0 = no expiry. False when NX/XX prevented the write. */
function setGeneric(c: Ctx, key: string, value: string, flags: number, pxat: number): boolean {
  if (flags & (NX | XX)) {
    const exists = c.exists(key);
    if ((flags & NX && exists) || (flags & XX && !exists)) return false;
  } else c.expireIfNeeded(key);
  const db = c.db;
  // A time already past is stored too, as Redis 7.0 stores it: the key expires when next looked
  // up or by the expiry cycle (an "expired" event, not "del").
  c.fx.set(db, key, value, pxat, (flags & KEEPTTL) !== 0);
  c.notify('$', 'set', key);
  if (pxat > 0) c.notify('g', 'expire', key);
  return true;
}

function set(c: Ctx): void {
  const a = c.argv;
  let flags = 0;
  let expiry = -1; // the EX/PX/EXAT/PXAT option's index; the same one repeated replaces it, as in Redis
  for (let i = 3; i < a.length; i++) {
    const opt = a[i]!.toUpperCase();
    if (opt === 'NX' && !(flags & XX)) flags |= NX;
    else if (opt === 'XX' && !(flags & NX)) flags |= XX;
    else if (opt === 'GET') flags |= GET;
    else if (opt === 'KEEPTTL' && expiry < 0) flags |= KEEPTTL;
    else if (isExpiryOption(opt, a, i, expiry) && !(flags & KEEPTTL)) expiry = i++;
    else throw syntax();
  }
  const pxat = expiry < 0 ? 0 : expiryAt(c, a[expiry]!.toUpperCase(), a[expiry + 1]!, 'set');
  const key = a[1]!;
  if (flags & GET) {
    const old = readString(c, key);
    // Redis's SET looks the key up again to write it: another access.
    c.lookup(key);
    setGeneric(c, key, a[2]!, flags, pxat);
    if (old === undefined) c.out.nullBulk();
    else c.out.bulk(old);
    return;
  }
  if (setGeneric(c, key, a[2]!, flags, pxat)) c.out.ok();
  else c.out.nullBulk();
}

function setnx(c: Ctx): void {
  c.out.int(setGeneric(c, c.argv[1]!, c.argv[2]!, NX, 0) ? 1 : 0);
}

function setexGeneric(c: Ctx, unit: 'EX' | 'PX', cmd: string): void {
  const pxat = expiryAt(c, unit, c.argv[2]!, cmd);
  setGeneric(c, c.argv[1]!, c.argv[3]!, 0, pxat);
  c.out.ok();
}

/** The string a write command returns (SET's GET, GETSET, GETDEL, GETEX): read as GET reads it, so a miss publishes keymiss. */
function readString(c: Ctx, key: string): string | undefined {
  return c.looking('read', () => c.getString(key));
}

function get(c: Ctx): void {
  const v = c.getStored(c.argv[1]!);
  if (v === undefined) c.out.nullBulk();
  else c.bulk(v);
}

function getset(c: Ctx): void {
  const key = c.argv[1]!;
  const old = readString(c, key);
  // Redis's setKey looks the key up again to write it: another access.
  c.lookup(key);
  setGeneric(c, key, c.argv[2]!, 0, 0);
  if (old === undefined) c.out.nullBulk();
  else c.out.bulk(old);
}

function getdel(c: Ctx): void {
  const key = c.argv[1]!;
  const v = readString(c, key);
  if (v === undefined) {
    c.out.nullBulk();
    return;
  }
  c.fx.del(c.db, key);
  c.notify('g', 'del', key);
  c.out.bulk(v);
}

function getex(c: Ctx): void {
  const a = c.argv;
  const key = a[1]!;
  let persist = false;
  let expiry = -1; // as in set()
  for (let i = 2; i < a.length; i++) {
    const opt = a[i]!.toUpperCase();
    if (opt === 'PERSIST' && expiry < 0) persist = true;
    else if (isExpiryOption(opt, a, i, expiry) && !persist) expiry = i++;
    else throw syntax();
  }
  const v = readString(c, key);
  if (v === undefined) {
    c.out.nullBulk();
    return;
  }
  // -1: leave the TTL alone, 0: PERSIST. As in Redis, the time is checked only for an existing
  // string (a missing key answers nil).
  const pxat = expiry >= 0 ? expiryAt(c, a[expiry]!.toUpperCase(), a[expiry + 1]!, 'getex') : persist ? 0 : -1;
  if (pxat > 0 && pxat <= c.now) {
    c.fx.del(c.db, key);
    c.notify('g', 'del', key);
  } else if (pxat > 0) {
    c.fx.pexpireat(c.db, key, pxat);
    c.notify('g', 'expire', key);
  } else if (pxat === 0 && c.ks.dbs[c.db]!.expires.has(key)) {
    c.fx.persist(c.db, key);
    c.notify('g', 'persist', key);
  }
  c.out.bulk(v);
}

function mget(c: Ctx): void {
  const a = c.argv;
  c.out.array(a.length - 1);
  for (let i = 1; i < a.length; i++) {
    const v = c.lookup(a[i]!);
    if (typeof v === 'string' || typeof v === 'number') c.bulk(v);
    else c.out.nullBulk();
  }
}

function msetGeneric(c: Ctx, nx: boolean): boolean {
  const a = c.argv;
  if (a.length % 2 === 0) throw wrongArity(a[0]!.toLowerCase());
  if (nx) for (let i = 1; i < a.length; i += 2) if (c.exists(a[i]!)) return false;
  for (let i = 1; i < a.length; i += 2) setGeneric(c, a[i]!, a[i + 1]!, 0, 0);
  return true;
}

function mset(c: Ctx): void {
  msetGeneric(c, false);
  c.out.ok();
}

function msetnx(c: Ctx): void {
  c.out.int(msetGeneric(c, true) ? 1 : 0);
}

function checkLength(c: Ctx, bytes: number): void {
  if (bytes > c.server.maxStringBytes) fail(Err.STRING_TOO_LONG);
}

function append(c: Ctx): void {
  const key = c.argv[1]!;
  const old = c.getString(key);
  checkLength(c, (old?.length ?? 0) + c.argv[2]!.length);
  c.out.int(c.fx.append(c.db, key, c.argv[2]!));
  c.notify('$', 'append', key);
}

function strlen(c: Ctx): void {
  const v = c.getStored(c.argv[1]!);
  c.out.int(v === undefined ? 0 : c.ks.blobs.length(v));
}

function getrange(c: Ctx): void {
  const start = intArg(c.argv[2]!);
  const end = intArg(c.argv[3]!);
  const v = c.getString(c.argv[1]!) ?? '';
  const range = stringRange(start, end, v.length);
  c.out.bulk(range === null ? '' : v.slice(range[0], range[1] + 1));
}

function setrange(c: Ctx): void {
  const key = c.argv[1]!;
  const offset = intArg(c.argv[2]!);
  const patch = c.argv[3]!;
  if (offset < 0) fail('ERR offset is out of range');
  const old = c.getString(key);
  if (patch.length === 0) {
    c.out.int(old?.length ?? 0);
    return;
  }
  checkLength(c, offset + patch.length);
  c.out.int(c.fx.setrange(c.db, key, offset, patch));
  c.notify('$', 'setrange', key);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function incrGeneric(c: Ctx, by: number | bigint): void {
  const key = c.argv[1]!;
  const old = c.getString(key);
  const cur = old === undefined ? 0 : parseInt64(old);
  if (cur === null) fail(Err.NOT_INTEGER);
  let next: number | bigint;
  if (typeof cur === 'number' && typeof by === 'number' && Number.isSafeInteger(cur + by)) {
    next = cur + by;
  } else {
    const sum = BigInt(cur) + BigInt(by);
    if (sum < INT64_MIN || sum > INT64_MAX) fail(Err.OVERFLOW);
    next = sum;
  }
  c.fx.set(c.db, key, String(next), 0, true);
  c.notify('$', 'incrby', key);
  c.out.int(next);
}

function incrByArg(c: Ctx, negate: boolean): number | bigint {
  const n = parseInt64(c.argv[2]!);
  if (n === null) fail(Err.NOT_INTEGER);
  if (!negate) return n;
  if (typeof n === 'number') return -n;
  if (n === INT64_MIN) fail('ERR decrement would overflow');
  return -n;
}

function incrbyfloat(c: Ctx): void {
  const key = c.argv[1]!;
  const old = c.getString(key);
  const r = incrByFloatText(old ?? '0', c.argv[2]!);
  if (r === 'value' || r === 'increment') fail(Err.NOT_FLOAT);
  if (r === 'nan') fail(Err.NAN_OR_INF);
  // Logged as SET of the result: replaying the float addition could round differently.
  c.fx.set(c.db, key, r, 0, true);
  c.notify('$', 'incrbyfloat', key);
  c.out.bulk(r);
}

const W = '@write @string';
const R = '@read @string';
export const stringCommands = family('string', [
  command('get', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the string value of a key.', get),
  command('set', -3, 'write denyoom', ONE_KEY, `${W} @slow`, 'Sets the string value of a key, ignoring its type.', set),
  command('setnx', 3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Sets the value of a key only when it does not exist.', setnx),
  command('setex', 4, 'write denyoom', ONE_KEY, `${W} @slow`, 'Sets a value and its expiry in seconds.', (c) => setexGeneric(c, 'EX', 'setex')),
  command('psetex', 4, 'write denyoom', ONE_KEY, `${W} @slow`, 'Sets a value and its expiry in milliseconds.', (c) => setexGeneric(c, 'PX', 'psetex')),
  command('getset', 3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Sets a new value and returns the previous one.', getset),
  command('getdel', 2, 'write fast', ONE_KEY, `${W} @fast`, 'Returns the value of a key and deletes it.', getdel),
  command('getex', -2, 'write fast', ONE_KEY, `${W} @fast`, 'Returns the value of a key and changes its expiry.', getex),
  command('mget', -2, 'readonly fast', ALL_KEYS, `${R} @fast`, 'Returns the values of several keys.', mget),
  command('mset', -3, 'write denyoom', [1, -1, 2], `${W} @slow`, 'Sets several keys.', mset),
  command('msetnx', -3, 'write denyoom', [1, -1, 2], `${W} @slow`, 'Sets several keys only when none exists.', msetnx),
  command('append', 3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Appends to the value of a key.', append),
  command('strlen', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the length of a string value.', strlen),
  command('getrange', 4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns a substring of a string value.', getrange),
  command('substr', 4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns a substring of a string value (GETRANGE\'s old name).', getrange),
  command('setrange', 4, 'write denyoom', ONE_KEY, `${W} @slow`, 'Overwrites part of a string value at an offset.', setrange),
  command('incr', 2, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Increments an integer value by one.', (c) => incrGeneric(c, 1)),
  command('decr', 2, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Decrements an integer value by one.', (c) => incrGeneric(c, -1)),
  command('incrby', 3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Increments an integer value by a number.', (c) => incrGeneric(c, incrByArg(c, false))),
  command('decrby', 3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Decrements an integer value by a number.', (c) => incrGeneric(c, incrByArg(c, true))),
  command('incrbyfloat', 3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Increments a float value by a number.', incrbyfloat),
]);
