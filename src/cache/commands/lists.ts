// List commands (Redis t_list.c). Pushes share pushGeneric, pops popGeneric, moves moveGeneric;
// the blocking forms run the same code and park the client when nothing can be popped.
import { indexRange, intArg, is, keysAfterNumkeys, parseInt64 } from './args.js';
import { timeoutArg } from './timeout-arg.js';
import type { List } from '../machine/list.js';
import { BLOCKED, type Ctx } from './context.js';
import { Err, fail, syntax, wrongArity } from './reply-error.js';
import { ONE_KEY, command, family } from './spec.js';

function pushGeneric(c: Ctx, left: boolean, onlyIfExists: boolean): void {
  const key = c.argv[1]!;
  const list = c.getList(key);
  if (onlyIfExists && list === undefined) return c.out.int(0);
  const n = c.fx.push(c.db, key, c.argv, left, 2);
  c.notify('l', left ? 'lpush' : 'rpush', key);
  c.signalReady(key);
  c.out.int(n);
}

/** Pops `count` elements of a list known to be non-empty, with notifications. */
/**
 * Pops up to `count` elements of the list at `key` (it exists) straight into the reply: one bulk
 * string (`single`), or an array of them.
 */
function popInto(c: Ctx, list: List, key: string, count: number, left: boolean, single: boolean): void {
  if (!single) c.out.array(Math.min(count, list.length));
  c.fx.pop(c.db, key, single ? 1 : count, left, (v) => c.bulk(v));
  c.notify('l', left ? 'lpop' : 'rpop', key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
}

function popGeneric(c: Ctx, left: boolean): void {
  const a = c.argv;
  if (a.length > 3) throw wrongArity(a[0]!.toLowerCase());
  const hasCount = a.length === 3;
  const count = hasCount ? intArg(a[2]!, Err.POSITIVE) : 1;
  if (count < 0) fail(Err.POSITIVE);
  const key = a[1]!;
  const list = c.getList(key);
  if (list === undefined) return hasCount ? c.out.nullArray() : c.out.nullBulk();
  if (count === 0) return c.out.array(0);
  popInto(c, list, key, count, left, !hasCount);
}

function llen(c: Ctx): void {
  c.out.int(c.getList(c.argv[1]!)?.length ?? 0);
}

function lrange(c: Ctx): void {
  const start = intArg(c.argv[2]!);
  const stop = intArg(c.argv[3]!);
  const list = c.getList(c.argv[1]!);
  const r = list === undefined ? null : indexRange(start, stop, list.length);
  if (list === undefined || r === null) return c.out.array(0);
  c.out.array(r[1] - r[0] + 1);
  for (let i = r[0]; i <= r[1]; i++) c.bulk(list.at(i));
}

/** Whether `list` holds `element` (stored elements may be blobs: compared by their bytes). */
function contains(c: Ctx, list: List, element: string): boolean {
  for (let i = 0; i < list.length; i++) if (c.ks.blobs.equals(list.at(i), element)) return true;
  return false;
}

function normIndex(index: number, length: number): number {
  return index < 0 ? length + index : index;
}

function lindex(c: Ctx): void {
  const list = c.getList(c.argv[1]!);
  if (list === undefined) return c.out.nullBulk();
  const index = intArg(c.argv[2]!);
  const i = normIndex(index, list.length);
  if (i < 0 || i >= list.length) return c.out.nullBulk();
  c.bulk(list.at(i));
}

function lset(c: Ctx): void {
  const key = c.argv[1]!;
  const list = c.getList(key);
  if (list === undefined) fail(Err.NO_SUCH_KEY);
  const index = intArg(c.argv[2]!);
  const i = normIndex(index, list.length);
  if (i < 0 || i >= list.length) fail(Err.INDEX_RANGE);
  c.fx.lset(c.db, key, i, c.argv[3]!);
  c.notify('l', 'lset', key);
  c.out.ok();
}

function linsert(c: Ctx): void {
  const key = c.argv[1]!;
  const where = c.argv[2]!;
  if (!is(where, 'BEFORE') && !is(where, 'AFTER')) throw syntax();
  const list = c.getList(key);
  if (list === undefined) return c.out.int(0);
  if (!contains(c, list, c.argv[3]!)) return c.out.int(-1);
  const n = c.fx.linsert(c.db, key, is(where, 'AFTER'), c.argv[3]!, c.argv[4]!);
  c.notify('l', 'linsert', key);
  c.out.int(n);
}

function lrem(c: Ctx): void {
  const key = c.argv[1]!;
  const count = intArg(c.argv[2]!);
  const list = c.getList(key);
  if (list === undefined || !contains(c, list, c.argv[3]!)) return c.out.int(0);
  const n = c.fx.lrem(c.db, key, count, c.argv[3]!);
  c.notify('l', 'lrem', key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
  c.out.int(n);
}

function ltrim(c: Ctx): void {
  const key = c.argv[1]!;
  const start = intArg(c.argv[2]!);
  const stop = intArg(c.argv[3]!);
  const list = c.getList(key);
  if (list === undefined) return c.out.ok();
  const r = indexRange(start, stop, list.length);
  if (r === null || r[0] !== 0 || r[1] !== list.length - 1) c.fx.ltrim(c.db, key, r === null ? 1 : r[0], r === null ? 0 : r[1]);
  else c.fx.modified(c.db, key);
  // Published even when nothing was trimmed, as Redis does.
  c.notify('l', 'ltrim', key);
  if (c.ks.dbs[c.db]!.keys.get(key) === undefined) c.notify('g', 'del', key);
  c.out.ok();
}

function lposOptions(c: Ctx): { rank: number; count: number | null; maxlen: number } {
  let rank = 1;
  let count: number | null = null;
  let maxlen = 0;
  const a = c.argv;
  for (let i = 3; i < a.length; i += 2) {
    if (i + 1 >= a.length) throw syntax();
    const opt = a[i]!.toUpperCase();
    const v = intArg(a[i + 1]!, opt === 'COUNT' ? "ERR COUNT can't be negative" : opt === 'MAXLEN' ? "ERR MAXLEN can't be negative" : Err.NOT_INTEGER);
    if (is(a[i], 'RANK')) {
      if (v === 0) fail("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      // LLONG_MIN: Redis 7.0 negates it into itself, and every match from the tail then
      // ranks high enough, as with -1 (7.2 refuses it instead).
      rank = parseInt64(a[i + 1]!) === -(2n ** 63n) ? -1 : v;
    } else if (is(a[i], 'COUNT')) {
      if (v < 0) fail("ERR COUNT can't be negative");
      count = v;
    } else if (is(a[i], 'MAXLEN')) {
      if (v < 0) fail("ERR MAXLEN can't be negative");
      maxlen = v;
    } else throw syntax();
  }
  return { rank, count, maxlen };
}

function lpos(c: Ctx): void {
  const o = lposOptions(c);
  const list = c.getList(c.argv[1]!);
  const element = c.argv[2]!;
  const found: number[] = [];
  if (list !== undefined) {
    const want = o.count === null ? 1 : o.count === 0 ? Infinity : o.count;
    let skip = Math.abs(o.rank) - 1;
    const n = list.length;
    const limit = o.maxlen === 0 ? n : Math.min(n, o.maxlen);
    for (let k = 0; k < limit && found.length < want; k++) {
      const i = o.rank > 0 ? k : n - 1 - k;
      if (!c.ks.blobs.equals(list.at(i), element)) continue;
      if (skip > 0) skip--;
      else found.push(i);
    }
  }
  if (o.count !== null) {
    c.out.array(found.length);
    for (const i of found) c.out.int(i);
  } else if (found.length === 0) c.out.nullBulk();
  else c.out.int(found[0]!);
}

function sideArg(s: string): boolean {
  if (is(s, 'LEFT')) return true;
  if (is(s, 'RIGHT')) return false;
  throw syntax();
}

/** Pops from `src` and pushes to `dst`; null (and no reply) when `src` is empty. */
function moveGeneric(c: Ctx, src: string, dst: string, fromLeft: boolean, toLeft: boolean): string | null {
  const from = c.getList(src);
  if (from === undefined) return null;
  c.getList(dst); // WRONGTYPE before anything changes
  const element = c.fx.lmove(c.db, src, dst, fromLeft, toLeft);
  // Redis's order: the push on the destination, then the pop (and deletion) of the source.
  c.notify('l', toLeft ? 'lpush' : 'rpush', dst);
  c.notify('l', fromLeft ? 'lpop' : 'rpop', src);
  if (c.ks.dbs[c.db]!.keys.get(src) === undefined) c.notify('g', 'del', src);
  c.signalReady(dst);
  return element;
}

function lmove(c: Ctx): void {
  const [, src, dst, from, to] = c.argv as [string, string, string, string, string];
  const fromLeft = sideArg(from);
  const toLeft = sideArg(to);
  const e = moveGeneric(c, src, dst, fromLeft, toLeft);
  if (e === null) c.out.nullBulk();
  else c.out.bulk(e);
}

function rpoplpush(c: Ctx): void {
  const e = moveGeneric(c, c.argv[1]!, c.argv[2]!, false, true);
  if (e === null) c.out.nullBulk();
  else c.out.bulk(e);
}

/** numkeys key... LEFT|RIGHT [COUNT n], starting at argv[first]. */
function mpopArgs(c: Ctx, first: number): { keys: string[]; left: boolean; count: number } {
  const a = c.argv;
  const numkeys = intArg(a[first]!);
  if (numkeys <= 0) fail(Err.NUMKEYS);
  const whereAt = first + 1 + numkeys;
  if (whereAt >= a.length) throw syntax();
  const left = sideArg(a[whereAt]!);
  let count = 1;
  if (whereAt + 1 < a.length) {
    if (!is(a[whereAt + 1], 'COUNT') || whereAt + 3 !== a.length) throw syntax();
    count = intArg(a[whereAt + 2]!, 'ERR count should be greater than 0');
    if (count <= 0) fail('ERR count should be greater than 0');
  }
  return { keys: a.slice(first + 1, whereAt), left, count };
}

/** Pops from the first non-empty list; false when all are empty. `single` is BLPOP's reply shape. */
function mpopServe(c: Ctx, keys: readonly string[], left: boolean, count: number, single: boolean): boolean {
  for (const key of keys) {
    const list = c.getList(key);
    if (list === undefined) continue;
    c.out.array(2);
    c.out.bulk(key);
    popInto(c, list, key, count, left, single);
    return true;
  }
  return false;
}

function lmpop(c: Ctx): void {
  const o = mpopArgs(c, 1);
  if (!mpopServe(c, o.keys, o.left, o.count, false)) c.out.nullArray();
}

/** Blocks unless served; inside MULTI a blocking command never waits, it replies null. */
function blockOrNull(c: Ctx, keys: readonly string[], timeoutMs: number): void | typeof BLOCKED {
  if (c.inExec) return c.out.nullArray();
  return c.server.block(c, keys, timeoutMs);
}

function bpop(c: Ctx, left: boolean): void | typeof BLOCKED {
  const a = c.argv;
  const timeout = timeoutArg(a[a.length - 1]!);
  const keys = a.slice(1, -1);
  if (mpopServe(c, c.servingKeys(keys), left, 1, true)) return;
  return blockOrNull(c, keys, timeout);
}

function blmpop(c: Ctx): void | typeof BLOCKED {
  // As in Redis, the timeout is checked after the other arguments.
  const o = mpopArgs(c, 2);
  const timeout = timeoutArg(c.argv[1]!);
  if (mpopServe(c, c.servingKeys(o.keys), o.left, o.count, false)) return;
  return blockOrNull(c, o.keys, timeout);
}

function blmoveGeneric(c: Ctx, src: string, dst: string, fromLeft: boolean, toLeft: boolean, timeoutText: string): void | typeof BLOCKED {
  const timeout = timeoutArg(timeoutText);
  const e = moveGeneric(c, src, dst, fromLeft, toLeft);
  if (e !== null) return c.out.bulk(e);
  return blockOrNull(c, [src], timeout);
}

const W = '@write @list';
const R = '@read @list';
export const listCommands = family('list', [
  command('lpush', -3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Prepends elements to a list.', (c) => pushGeneric(c, true, false)),
  command('rpush', -3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Appends elements to a list.', (c) => pushGeneric(c, false, false)),
  command('lpushx', -3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Prepends elements to an existing list.', (c) => pushGeneric(c, true, true)),
  command('rpushx', -3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Appends elements to an existing list.', (c) => pushGeneric(c, false, true)),
  command('lpop', -2, 'write fast', ONE_KEY, `${W} @fast`, 'Removes and returns the first elements of a list.', (c) => popGeneric(c, true)),
  command('rpop', -2, 'write fast', ONE_KEY, `${W} @fast`, 'Removes and returns the last elements of a list.', (c) => popGeneric(c, false)),
  command('llen', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the length of a list.', llen),
  command('lrange', 4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns a range of elements of a list.', lrange),
  command('lindex', 3, 'readonly', ONE_KEY, `${R} @slow`, 'Returns an element of a list by its index.', lindex),
  command('lset', 4, 'write denyoom', ONE_KEY, `${W} @slow`, 'Sets an element of a list by its index.', lset),
  command('linsert', 5, 'write denyoom', ONE_KEY, `${W} @slow`, 'Inserts an element before or after another.', linsert),
  command('lrem', 4, 'write', ONE_KEY, `${W} @slow`, 'Removes elements equal to a value.', lrem),
  command('ltrim', 4, 'write', ONE_KEY, `${W} @slow`, 'Keeps only a range of a list.', ltrim),
  command('lpos', -3, 'readonly', ONE_KEY, `${R} @slow`, 'Returns the positions of matching elements.', lpos),
  command('lmove', 5, 'write denyoom', [1, 2, 1], `${W} @slow`, 'Pops from one list and pushes to another.', lmove),
  command('rpoplpush', 3, 'write denyoom', [1, 2, 1], `${W} @slow`, 'Pops from the tail of a list and pushes to the head of another.', rpoplpush),
  command('lmpop', -4, 'write movablekeys', [0, 0, 0], `${W} @slow`, 'Pops elements from the first non-empty list.', lmpop, { keysOf: keysAfterNumkeys(1) }),
  command('blpop', -3, 'write noscript blocking', [1, -2, 1], `${W} @slow @blocking`, 'Pops the first element of the first non-empty list, or waits.', (c) => bpop(c, true)),
  command('brpop', -3, 'write noscript blocking', [1, -2, 1], `${W} @slow @blocking`, 'Pops the last element of the first non-empty list, or waits.', (c) => bpop(c, false)),
  command('blmove', 6, 'write denyoom noscript blocking', [1, 2, 1], `${W} @slow @blocking`, 'LMOVE that waits for an element.', (c) =>
    blmoveGeneric(c, c.argv[1]!, c.argv[2]!, sideArg(c.argv[3]!), sideArg(c.argv[4]!), c.argv[5]!),
  ),
  command('brpoplpush', 4, 'write denyoom noscript blocking', [1, 2, 1], `${W} @slow @blocking`, 'RPOPLPUSH that waits for an element.', (c) =>
    blmoveGeneric(c, c.argv[1]!, c.argv[2]!, false, true, c.argv[3]!),
  ),
  command('blmpop', -5, 'write blocking movablekeys', [0, 0, 0], `${W} @slow @blocking`, 'LMPOP that waits for an element.', blmpop, { keysOf: keysAfterNumkeys(2) }),
]);
