// SORT and SORT_RO (Redis's sort.c): the elements of a list, set or sorted set, ordered by
// their value or by other keys (BY pattern, `*` standing for the element, `->field` for a hash
// field), numerically or (ALPHA) as bytes, with LIMIT, GET patterns (`#`: the element itself),
// and STORE into a list. Ties in a numeric order are broken by the elements' bytes, as in Redis,
// so the result does not depend on the collection's internal order.
import { Hash, List, MemberSet, ZSet, type Value } from '../machine/values.js';
import { intArg } from './args.js';
import type { CommandSpec, Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { command, family } from './spec.js';

interface Item {
  readonly value: string;
  /** Numeric order's key, or ALPHA's BY value (null: its key is missing). */
  score: number;
  by: string | null;
}

/** strtod over the whole string, as SORT reads a number: leading blanks skipped, "" is 0; null for anything else left over, NaN or out of range. */
function sortNumber(s: string): number | null {
  if (s.length === 0) return 0;
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t[0] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const d = Number(t);
  // strtod's ERANGE: overflow, or a non-zero number that underflows.
  if (!Number.isFinite(d) || (d === 0 && /[1-9]/.test(t.replace(/[eE].*$/, '')))) return null;
  return d;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Redis's lookupKeyByPattern: `#` is the element; otherwise the first `*` is replaced by it and
 * the key read, a string, or a hash's field after `->`. Null when there is no `*`, no such key,
 * or a key of another type.
 */
function byPattern(c: Ctx, pattern: string, element: string): string | null {
  if (pattern === '#') return element;
  const star = pattern.indexOf('*');
  if (star < 0) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v: Value | undefined = c.looking('read', () => c.lookup(key));
  if (v === undefined) return null;
  if (hasField) {
    if (!(v instanceof Hash)) return null;
    const f = v.get(pattern.slice(arrow + 2));
    return f === undefined ? null : c.text(f);
  }
  return typeof v === 'string' || typeof v === 'number' ? c.text(v) : null;
}

function sort(c: Ctx, readOnly: boolean): void {
  const a = c.argv;
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let storeKey: string | null = null;
  let by: string | null = null;
  let dontSort = false;
  const gets: string[] = [];
  // Redis's test: may one of the user's selectors read a key named "*" (a pattern matching every key)?
  const fullKeyAccess = c.client.user.allSelectors.some((s) => s.canAccessKey('*', true, false));
  for (let j = 2; j < a.length; j++) {
    const left = a.length - j - 1;
    const opt = a[j]!.toLowerCase();
    if (opt === 'asc') desc = false;
    else if (opt === 'desc') desc = true;
    else if (opt === 'alpha') alpha = true;
    else if (opt === 'limit' && left >= 2) {
      limitStart = intArg(a[j + 1]!);
      limitCount = intArg(a[j + 2]!);
      j += 2;
    } else if (!readOnly && opt === 'store' && left >= 1) {
      storeKey = a[++j]!;
    } else if (opt === 'by' && left >= 1) {
      by = a[++j]!;
      // A pattern without `*` names no key per element: the elements keep their order.
      if (!by.includes('*')) dontSort = true;
      else if (!fullKeyAccess) fail('ERR BY option of SORT denied due to insufficient ACL permissions.');
    } else if (opt === 'get' && left >= 1) {
      if (!fullKeyAccess) fail('ERR GET option of SORT denied due to insufficient ACL permissions.');
      gets.push(a[++j]!);
    } else throw syntax();
  }
  // Read lookups (here and by pattern) in SORT too, a write command for its STORE, as in Redis.
  const v = c.looking('read', () => c.lookup(a[1]!));
  if (v !== undefined && !(v instanceof List) && !(v instanceof MemberSet) && !(v instanceof ZSet)) fail(Err.WRONGTYPE);
  // A set has no order of its own: left unsorted, what is stored (or what a script sees) is sorted by its bytes.
  if (dontSort && v instanceof MemberSet && (storeKey !== null || c.inScript)) {
    dontSort = false;
    alpha = true;
    by = null;
  }
  const size = v === undefined ? 0 : v instanceof List ? v.length : v.size;
  const start = Math.min(Math.max(limitStart, 0), size);
  const count = Math.min(Math.max(limitCount, -1), size);
  const end = Math.min(count < 0 ? size : start + count, size);
  let items: Item[];
  let from = start;
  let to = end;
  const item = (value: string): Item => ({ value, score: 0, by: null });
  if (v === undefined) items = [];
  else if (dontSort && (v instanceof List || v instanceof ZSet)) {
    // Their own order, in the direction asked, only the range asked for.
    const n = Math.max(0, end - start);
    const first = desc ? size - start - 1 : start;
    items = [];
    for (let i = 0; i < n; i++) {
      const at = desc ? first - i : first + i;
      items.push(item(v instanceof List ? c.text(v.at(at)) : v.fromRank(at, 1, false)[0]!.member));
    }
    from = 0;
    to = n;
  } else if (v instanceof List) items = v.toArray().map((s) => item(c.text(s)));
  else if (v instanceof MemberSet) items = [...v].map(item);
  else items = v.fromRank(0, v.size, false).map((e) => item(e.member));
  let badNumber = false;
  if (!dontSort) {
    for (const it of items) {
      const key = by === null ? it.value : byPattern(c, by, it.value);
      if (alpha) it.by = by === null ? null : key;
      else if (key !== null) {
        const d = sortNumber(key);
        if (d === null) badNumber = true;
        else it.score = d;
      }
    }
    const byAlpha = (x: Item, y: Item): number => {
      if (by === null) return compareBytes(x.value, y.value);
      if (x.by === null || y.by === null) return x.by === y.by ? 0 : x.by === null ? -1 : 1;
      return compareBytes(x.by, y.by);
    };
    const cmp = alpha ? byAlpha : (x: Item, y: Item) => (x.score > y.score ? 1 : x.score < y.score ? -1 : compareBytes(x.value, y.value));
    items.sort(desc ? (x, y) => -cmp(x, y) : cmp);
  }
  if (badNumber) fail("ERR One or more scores can't be converted into double");
  const picked = items.slice(from, Math.max(from, to));
  if (storeKey === null) {
    c.out.array(gets.length > 0 ? gets.length * picked.length : picked.length);
    for (const it of picked) {
      if (gets.length === 0) c.out.bulk(it.value);
      for (const g of gets) {
        const got = byPattern(c, g, it.value);
        if (got === null) c.out.nullBulk();
        else c.out.bulk(got);
      }
    }
    return;
  }
  const out: string[] = [];
  for (const it of picked) {
    if (gets.length === 0) out.push(it.value);
    // A missing GET is stored as an empty string.
    for (const g of gets) out.push(byPattern(c, g, it.value) ?? '');
  }
  // Not an access: the store is the one (its value keeps the old one's LFU data, Keyspace.replacing).
  const existed = c.lookup(storeKey, c.db, false) !== undefined;
  if (out.length > 0) {
    if (existed) c.fx.replace(c.db, storeKey);
    c.fx.push(c.db, storeKey, out, false);
    c.notify('l', 'sortstore', storeKey);
    c.signalReady(storeKey);
  } else if (existed && c.fx.del(c.db, storeKey)) c.notify('g', 'del', storeKey);
  c.out.int(out.length);
}

/** SORT's keys: the key, and the last STORE's (Redis's sortGetKeys, which skips LIMIT's, GET's and BY's arguments). */
function sortKeys(argv: readonly string[]): string[] {
  let store: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < argv.length) store = argv[i + 1]!;
  }
  return store === undefined ? [argv[1]!] : [argv[1]!, store];
}

export const sortCommands: CommandSpec[] = family('generic', [
  command('sort', -2, 'write denyoom movablekeys', [1, 1, 1], '@write @set @sortedset @list @slow @dangerous', 'Sorts the elements of a list, set or sorted set, or stores them sorted.', (c) => sort(c, false), { keysOf: sortKeys }),
  command('sort_ro', -2, 'readonly movablekeys', [1, 1, 1], '@read @set @sortedset @list @slow @dangerous', 'Sorts the elements of a list, set or sorted set.', (c) => sort(c, true)),
]);
