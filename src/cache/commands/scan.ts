// SCAN, HSCAN, SSCAN and ZSCAN cursors.
//
// Redis's stateless reverse-binary cursor walks its own hash table's buckets. Here the tables'
// iterators survive concurrent inserts and deletes (deleted entries are skipped, new ones may
// be visited; Dict and MemberSet say how they treat a rebuild), so a cursor names a live
// iterator kept by the server: everything present for the whole scan is returned at least
// once, and once unless the table was rebuilt under it. Cursors are bounded in number
// (least recently used first out); an unknown cursor starts the scan again from the beginning,
// which can repeat elements but never loses one, as SCAN's contract allows.
import { globMatch } from '../glob.js';
import { intArg, is } from './args.js';
import type { Ctx } from './context.js';
import { fail, syntax } from './reply-error.js';

const MAX_CURSORS = 4096;
/** Entries examined per call at most, whatever COUNT says: bounds the time of one call. */
const MAX_WORK = 100_000;

export class CursorRegistry {
  private readonly live = new Map<number, { source: object; it: Iterator<unknown> }>();
  private next = 1;

  /** The iterator of `cursor` over `source`, or a fresh one. */
  open<T>(cursor: number, source: object, fresh: () => Iterator<T>): Iterator<T> {
    const found = this.live.get(cursor);
    if (found !== undefined && found.source === source) {
      this.live.delete(cursor);
      return found.it as Iterator<T>;
    }
    return fresh();
  }

  /** Parks an unfinished iterator and returns its cursor number. */
  park(source: object, it: Iterator<unknown>): number {
    if (this.live.size >= MAX_CURSORS) this.live.delete(this.live.keys().next().value!);
    const id = this.next;
    this.next = this.next >= Number.MAX_SAFE_INTEGER ? 1 : this.next + 1;
    this.live.set(id, { source, it });
    return id;
  }

  get size(): number {
    return this.live.size;
  }
}

export interface ScanOptions {
  readonly cursor: number;
  readonly match: string | null;
  readonly count: number;
  readonly type: string | null;
}

const MAX_CURSOR = 2n ** 64n - 1n;

/**
 * The cursor at argv[at], read as Redis reads it (strtoul): digits with an optional sign, at
 * most 2^64-1 in magnitude. A negative one wraps around in Redis; here it names no parked
 * iterator, so the scan starts again. Checked before the key is looked up, as in Redis.
 */
export function scanCursor(c: Ctx, at: number): number {
  const text = c.argv[at]!;
  if (!/^[+-]?[0-9]+$/.test(text) || (text.length > 19 && BigInt(text.replace('-', '')) > MAX_CURSOR)) fail('ERR invalid cursor');
  return Number(text);
}

/**
 * Parses `[MATCH p] [COUNT n] [TYPE t]` from argv[first] on. HSCAN, SSCAN and ZSCAN parse them
 * only once the key is found and of the right type: a missing key answers an empty scan
 * whatever the options say, as in Redis.
 */
export function scanOptions(c: Ctx, cursor: number, first: number, allowType: boolean): ScanOptions {
  const a = c.argv;
  let match: string | null = null;
  let count = 10;
  let type: string | null = null;
  for (let i = first; i < a.length; i += 2) {
    if (i + 1 >= a.length) throw syntax();
    if (is(a[i], 'MATCH')) match = a[i + 1]!;
    else if (is(a[i], 'COUNT')) {
      count = intArg(a[i + 1]!);
      if (count < 1) throw syntax();
    } else if (allowType && is(a[i], 'TYPE')) type = a[i + 1]!.toLowerCase();
    else throw syntax();
  }
  if (match === '*') match = null;
  return { cursor, match, count, type };
}

/** The reply to a scan of a key that does not exist: cursor 0, nothing. */
export function emptyScan(c: Ctx): void {
  c.out.array(2);
  c.out.bulk('0');
  c.out.array(0);
}

/**
 * Advances a scan over `source`: examines up to COUNT entries and returns those MATCH allows,
 * with the cursor to continue from (0 when the scan is complete).
 */
export function scanStep<T>(c: Ctx, o: ScanOptions, source: object, fresh: () => Iterator<T>, nameOf: (entry: T) => string): { next: number; entries: T[] } {
  const registry = c.server.cursors;
  const it = o.cursor === 0 ? fresh() : registry.open(o.cursor, source, fresh);
  const entries: T[] = [];
  let done = false;
  const budget = Math.min(o.count, MAX_WORK);
  for (let examined = 0; examined < budget; examined++) {
    const r = it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    if (o.match === null || globMatch(o.match, nameOf(r.value))) entries.push(r.value);
  }
  return { next: done ? 0 : registry.park(source, it), entries };
}
