// Stream entry commands (Redis t_stream.c): XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID, and
// the helpers the other stream commands share (stream-read.ts, stream-groups.ts, stream-info.ts).
// Texts of errors and the order in which arguments are checked follow Redis 7.0.
import { LISTPACK_MAX_BYTES, type Stream } from '../machine/stream.js';
import { decrId, formatId, idMs, idSeq, incrId, INVALID_ID, MAX_ID, MIN_ID, parseId, streamId, type StreamId } from '../machine/stream-id.js';
import { intArg, is } from './args.js';
import type { Ctx } from './context.js';
import { Err, fail, syntax, wrongArity } from './reply-error.js';
import { ONE_KEY, command, family } from './spec.js';

/** An ID argument (streamParseIDOrReply, or the strict form that refuses "-" and "+"). */
export function idArg(text: string, strict: boolean, missingSeq: 0 | 'max' = 0): StreamId {
  const parsed = parseId(text, missingSeq, strict);
  if (parsed === null) fail(INVALID_ID);
  return parsed.id;
}

/**
 * A range bound (streamParseIntervalIDOrReply): "(" makes it exclusive, which moves it one ID
 * inwards; a bound that cannot move fails with `invalid`.
 */
export function boundArg(text: string, missingSeq: 0 | 'max', invalid: string): StreamId {
  const exclusive = text.length > 1 && text[0] === '(';
  const id = exclusive ? idArg(text.slice(1), true, missingSeq) : idArg(text, false, missingSeq);
  if (!exclusive) return id;
  const moved = missingSeq === 0 ? incrId(id) : decrId(id);
  if (moved === null) fail(invalid);
  return moved;
}

export const INVALID_START = 'ERR invalid start ID for the interval';
export const INVALID_END = 'ERR invalid end ID for the interval';

/** Entries as Redis replies them: an array of [id, [field, value, ...]]. */
export function replyEntries(c: Ctx, entries: ReadonlyArray<[StreamId, readonly string[]]>): void {
  c.out.array(entries.length);
  for (const [id, fields] of entries) replyEntry(c, id, fields);
}

/** One entry as Redis replies it: [id, [field, value, ...]]. */
export function replyEntry(c: Ctx, id: StreamId, fields: readonly string[]): void {
  c.out.array(2);
  c.out.bulk(formatId(id));
  c.out.array(fields.length);
  for (const f of fields) c.out.bulk(f);
}

interface TrimArgs {
  /** -1: no trimming. */
  maxLen: number;
  minId: StreamId | null;
  approx: boolean;
  limit: number;
  /** XADD: where the ID argument is (the arguments' end when none came). */
  idIndex: number;
  noMkStream: boolean;
  /** The ID given to XADD, with whether it had a sequence ("<ms>-*" has not); null for "*". */
  id: { id: StreamId; seqGiven: boolean } | null;
}

/** The options of XADD and XTRIM (streamParseAddOrTrimArgsOrReply). */
function trimArgs(c: Ctx, xadd: boolean): TrimArgs {
  const a = c.argv;
  const t: TrimArgs = { maxLen: -1, minId: null, approx: false, limit: 0, idIndex: a.length, noMkStream: false, id: null };
  let strategy = false;
  let limitGiven = false;
  let i = 2;
  for (; i < a.length; i++) {
    const more = a.length - 1 - i;
    const opt = a[i]!;
    if (xadd && opt === '*') break;
    if ((is(opt, 'MAXLEN') || is(opt, 'MINID')) && more > 0) {
      if (strategy) fail('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      const next = a[i + 1]!;
      t.approx = false;
      if (more >= 2 && next === '~') {
        t.approx = true;
        i++;
      } else if (more >= 2 && next === '=') {
        i++;
      }
      if (is(opt, 'MAXLEN')) {
        t.maxLen = intArg(a[i + 1]!);
        if (t.maxLen < 0) fail('ERR The MAXLEN argument must be >= 0.');
      } else {
        t.minId = idArg(a[i + 1]!, true);
      }
      i++;
      strategy = true;
    } else if (is(opt, 'LIMIT') && more > 0) {
      t.limit = intArg(a[i + 1]!);
      if (t.limit < 0) fail('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && is(opt, 'NOMKSTREAM')) {
      t.noMkStream = true;
    } else if (xadd) {
      const parsed = parseId(opt, 0, true, true);
      if (parsed === null) fail(INVALID_ID);
      t.id = parsed;
      break;
    } else {
      throw syntax();
    }
  }
  t.idIndex = i;
  if (t.limit !== 0 && !strategy) fail('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && !strategy) fail('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (limitGiven) {
    if (!t.approx) fail('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (t.approx) {
    // At most 100 nodes' worth of work, as Redis caps it.
    const limit = 100 * c.server.streamNodeLimits.maxEntries;
    t.limit = limit <= 0 ? 10000 : Math.min(limit, 1_000_000);
  } else {
    t.limit = 0;
  }
  return t;
}

/** Trims per `t` (when it asks for trimming and there is something to trim); returns the entries removed. */
function applyTrim(c: Ctx, key: string, s: Stream, t: TrimArgs): number {
  if (t.maxLen < 0 && t.minId === null) return 0;
  const maxLen = Math.max(t.maxLen, 0);
  if (!s.trims(maxLen, t.minId, t.approx, t.limit)) return 0;
  return c.fx.xtrim(c.db, key, maxLen, t.minId, t.approx, t.limit);
}

function xadd(c: Ctx): void {
  const a = c.argv;
  const key = a[1]!;
  const t = trimArgs(c, true);
  const fieldsAt = t.idIndex + 1;
  if (a.length - fieldsAt < 2 || (a.length - fieldsAt) % 2 === 1) throw wrongArity('xadd');
  if (t.id !== null && t.id.seqGiven && t.id.id === MIN_ID) fail('ERR The ID specified in XADD must be greater than 0-0');
  const s = c.getStream(key);
  if (s === undefined && t.noMkStream) return c.out.nullBulk();
  const last = s?.lastId ?? MIN_ID;
  if (last === MAX_ID) fail('ERR The stream has exhausted the last possible ID, unable to add more items');
  const id = nextId(last, t.id, c.now);
  if (id === null || id <= last) fail('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  const fields = a.slice(fieldsAt);
  let bytes = 0;
  for (const f of fields) bytes += f.length;
  if (bytes > LISTPACK_MAX_BYTES) fail('ERR Elements are too large to be stored');
  const stream = c.fx.xadd(c.db, key, id, fields, c.server.streamNodeLimits);
  c.out.bulk(id === lastAuto.id ? lastAuto.text : formatId(id));
  c.notify('t', 'xadd', key);
  if (applyTrim(c, key, stream, t) > 0) c.notify('t', 'xtrim', key);
  c.signalReady(key);
}

/** The last ID `*` made and its text, which XADD replies without decoding the ID again. */
const lastAuto = { id: '', text: '' };

/** The ID XADD gives the new entry (streamAppendItem), or null when "<ms>-*" has no sequence left. */
function nextId(last: StreamId, given: { id: StreamId; seqGiven: boolean } | null, now: number): StreamId | null {
  if (given === null) {
    const lastMs = idMs(last);
    // The clock moved on: <now>-0; else the last ID's sequence plus one (IDs never go back).
    // Past 2^53 in either half, incrId's exact arithmetic.
    let ms = now;
    let seq = 0;
    if (typeof lastMs !== 'number') return incrId(last);
    if (now <= lastMs) {
      const lastSeq = idSeq(last);
      if (typeof lastSeq !== 'number' || lastSeq >= Number.MAX_SAFE_INTEGER) return incrId(last);
      ms = lastMs;
      seq = lastSeq + 1;
    }
    lastAuto.id = streamId(ms, seq);
    lastAuto.text = `${ms}-${seq}`;
    return lastAuto.id;
  }
  if (given.seqGiven) return given.id;
  if (idMs(given.id) !== idMs(last)) return given.id;
  return last.slice(8) === MAX_ID.slice(8) ? null : incrId(last);
}

function xrange(c: Ctx, reverse: boolean): void {
  const a = c.argv;
  const start = boundArg(reverse ? a[3]! : a[2]!, 0, INVALID_START);
  const end = boundArg(reverse ? a[2]! : a[3]!, 'max', INVALID_END);
  let count = -1;
  for (let j = 4; j < a.length; j++) {
    if (is(a[j], 'COUNT') && a.length - j - 1 >= 1) {
      count = Math.max(0, intArg(a[j + 1]!));
      j++;
    } else {
      throw syntax();
    }
  }
  const s = c.getStream(a[1]!);
  if (s === undefined) return c.out.array(0);
  if (count === 0) return c.out.nullArray();
  replyEntries(c, s.entries(start, end, reverse, count));
}

function xlen(c: Ctx): void {
  c.out.int(c.getStream(c.argv[1]!)?.length ?? 0);
}

function xdel(c: Ctx): void {
  const key = c.argv[1]!;
  const s = c.getStream(key);
  if (s === undefined) return c.out.int(0);
  const ids = c.argv.slice(2).map((text) => idArg(text, true));
  const live = [...new Set(ids)].filter((id) => s.has(id));
  if (live.length === 0) return c.out.int(0);
  const n = c.fx.xdel(c.db, key, live);
  c.notify('t', 'xdel', key);
  c.out.int(n);
}

function xtrim(c: Ctx): void {
  const key = c.argv[1]!;
  const t = trimArgs(c, false);
  const s = c.getStream(key);
  if (s === undefined) return c.out.int(0);
  const n = applyTrim(c, key, s, t);
  if (n > 0) c.notify('t', 'xtrim', key);
  c.out.int(n);
}

function xsetid(c: Ctx): void {
  const a = c.argv;
  const key = a[1]!;
  const id = idArg(a[2]!, true);
  let entriesAdded = -1;
  let maxDeleted: StreamId | null = null;
  for (let i = 3; i < a.length; i++) {
    const more = a.length - 1 - i;
    if (is(a[i], 'ENTRIESADDED') && more > 0) {
      entriesAdded = intArg(a[i + 1]!);
      if (entriesAdded < 0) fail('ERR entries_added must be positive');
      i++;
    } else if (is(a[i], 'MAXDELETEDID') && more > 0) {
      maxDeleted = idArg(a[i + 1]!, true);
      if (id < maxDeleted) fail('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      i++;
    } else {
      throw syntax();
    }
  }
  const s = c.getStream(key);
  if (s === undefined) fail(Err.NO_SUCH_KEY);
  if (s.length > 0) {
    if (id < s.lastLiveId()!) fail('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1 && s.length > entriesAdded) fail('ERR The entries_added specified in XSETID is smaller than the target stream length');
  }
  c.fx.xsetid(c.db, key, id, entriesAdded, maxDeleted === MIN_ID ? null : maxDeleted);
  c.out.ok();
  c.notify('t', 'xsetid', key);
}

const R = '@read @stream';
const W = '@write @stream';

export const streamCommands = family('stream', [
  command('xadd', -5, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Appends an entry to a stream, creating it if needed.', xadd),
  command('xrange', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns the entries within a range of IDs.', (c) => xrange(c, false)),
  command('xrevrange', -4, 'readonly', ONE_KEY, `${R} @slow`, 'Returns the entries within a range of IDs, newest first.', (c) => xrange(c, true)),
  command('xlen', 2, 'readonly fast', ONE_KEY, `${R} @fast`, 'Returns the number of entries in a stream.', xlen),
  command('xdel', -3, 'write fast', ONE_KEY, `${W} @fast`, 'Deletes entries from a stream.', xdel),
  command('xtrim', -4, 'write', ONE_KEY, `${W} @slow`, 'Deletes the oldest entries of a stream.', xtrim),
  command('xsetid', -3, 'write denyoom fast', ONE_KEY, `${W} @fast`, 'Sets the last ID (and counters) of a stream.', xsetid),
]);
