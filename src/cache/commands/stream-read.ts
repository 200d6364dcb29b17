// XREAD and XREADGROUP (Redis t_stream.c xreadCommand): entries after an ID, from one or more
// streams, optionally waiting for them (BLOCK); with a group, new entries (">") are delivered to
// a consumer and become pending, or the consumer's own pending entries are read again.
//
// A blocked read is run again whenever XADD (or XGROUP DESTROY) signals one of its keys. So that
// the retry reads what Redis would serve, blocking rewrites the arguments first: "$" becomes the
// ID it stood for, and without a COUNT the read is capped at 1000 entries, as Redis caps a
// blocked read.
import { MAX_ID, MIN_ID, formatId, incrId, type StreamId } from '../machine/stream-id.js';
import { Stream } from '../machine/values.js';
import { intArg, is } from './args.js';
import { BLOCKED, type Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { idArg, replyEntries, replyEntry } from './streams.js';
import { command, family } from './spec.js';
import type { ConsumerGroup } from '../machine/stream-group.js';

/** What a blocked read serves at most without COUNT (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_COUNT = 1000;

interface ReadArgs {
  /** -1: no BLOCK. */
  timeout: number;
  count: number;
  /** Index of COUNT's value, or -1. */
  countAt: number;
  streamsAt: number;
  keys: string[];
  group: string | null;
  consumer: string;
  noack: boolean;
}

function readArgs(c: Ctx, withGroup: boolean): ReadArgs {
  const a = c.argv;
  const r: ReadArgs = { timeout: -1, count: 0, countAt: -1, streamsAt: 0, keys: [], group: null, consumer: '', noack: false };
  for (let i = 1; i < a.length; i++) {
    const more = a.length - i - 1;
    const o = a[i]!;
    if (is(o, 'BLOCK') && more > 0) {
      if (c.inScript) fail(`ERR ${a[0]} command is not allowed with BLOCK option from scripts`);
      i++;
      r.timeout = intArg(a[i]!, 'ERR timeout is not an integer or out of range');
      if (r.timeout < 0) fail(Err.TIMEOUT_NEGATIVE);
    } else if (is(o, 'COUNT') && more > 0) {
      i++;
      r.count = Math.max(0, intArg(a[i]!));
      r.countAt = i;
    } else if (is(o, 'STREAMS') && more > 0) {
      r.streamsAt = i + 1;
      const n = a.length - r.streamsAt;
      if (n % 2 !== 0) fail("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      r.keys = a.slice(r.streamsAt, r.streamsAt + n / 2);
      break;
    } else if (is(o, 'GROUP') && more >= 2) {
      if (!withGroup) fail('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      r.group = a[i + 1]!;
      r.consumer = a[i + 2]!;
      i += 2;
    } else if (is(o, 'NOACK')) {
      if (!withGroup) fail('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      r.noack = true;
    } else {
      throw syntax();
    }
  }
  if (r.streamsAt === 0) throw syntax();
  if (withGroup && r.group === null) fail('ERR Missing GROUP option for XREADGROUP');
  return r;
}

/** One stream to read: after `after`. */
interface Source {
  key: string;
  stream: Stream | undefined;
  group: ConsumerGroup | undefined;
  /** A group read of the consumer's pending entries (an ID, not ">"). */
  history: boolean;
  after: StreamId;
}

function xread(c: Ctx, withGroup: boolean): void | typeof BLOCKED {
  const a = c.argv;
  const r = readArgs(c, withGroup);
  // A retry of a blocked read: the client waits on these keys since the first run.
  const retry = c.client.blocked !== null;
  const sources: Source[] = [];
  for (let i = 0; i < r.keys.length; i++) {
    const key = r.keys[i]!;
    if (c.readyKey !== null && key !== c.readyKey) continue;
    const text = a[r.streamsAt + r.keys.length + i]!;
    let stream: Stream | undefined;
    if (retry) {
      // A blocked XREAD waits through a key's deletion or change of type; a group reader ends
      // its wait with an error, its group being gone (blocking.ts signals it).
      const v = c.lookup(key);
      stream = v instanceof Stream ? v : undefined;
      if (stream === undefined && r.group !== null) fail('UNBLOCKED the stream key no longer exists');
    } else {
      // A read lookup in XREADGROUP (a write command) too, as in Redis.
      stream = c.looking('read', () => c.getStream(key));
    }
    let group: ConsumerGroup | undefined;
    if (r.group !== null) {
      group = stream?.groups.get(r.group);
      if (group === undefined) {
        if (retry) fail('NOGROUP the consumer group this client was blocked on no longer exists');
        fail(`NOGROUP No such key '${key}' or consumer group '${r.group}' in XREADGROUP with GROUP option`);
      }
    }
    let after: StreamId;
    if (text === '$') {
      if (withGroup) {
        fail('ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.');
      }
      after = stream?.lastId ?? MIN_ID;
    } else if (text === '>') {
      if (!withGroup) fail('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      after = MAX_ID;
    } else {
      after = idArg(text, true);
    }
    sources.push({ key, stream, group, history: group !== undefined && after !== MAX_ID, after });
  }
  // Redis looks each key up again to serve it: counted twice, a missing one publishes keymiss twice.
  if (!retry) for (const src of sources) c.looking('read', () => c.lookup(src.key));

  const served = sources.filter((src) => servable(src, retry));
  if (served.length > 0) {
    if (c.client.resp === 3) c.out.map(served.length);
    else c.out.array(served.length);
    for (const src of served) {
      if (c.client.resp !== 3) c.out.array(2);
      c.out.bulk(src.key);
      if (src.group === undefined) replyNew(c, src.stream!, src.after, r.count);
      else serveGroup(c, src, r);
    }
    return;
  }
  if (r.timeout === -1 || c.inExec) return c.out.nullArray();
  if (!retry) c.argv = blockedArgs(a, r, sources);
  return c.server.block(c, r.keys, r.timeout);
}

/**
 * Whether `src` has something to reply now; a group's new entries resolve `after` to its last
 * ID. Served again once blocked, Redis 7.0 compares the stream's last ID, not its last entry's:
 * entries added and trimmed away at once still end the wait, with nothing to read.
 */
function servable(src: Source, blocked: boolean): boolean {
  const s = src.stream;
  if (s === undefined) return false;
  if (src.history) return true; // always answered, if only with nothing
  const top = blocked ? s.lastId : s.length === 0 ? null : s.lastLiveId()!;
  const g = src.group;
  if (top === null || top <= (g?.lastId ?? src.after)) return false;
  if (g !== undefined) src.after = g.lastId;
  return true;
}

/** Entries after `after`, at most `count` (0: all). */
function replyNew(c: Ctx, s: Stream, after: StreamId, count: number): void {
  const start = incrId(after);
  replyEntries(c, start === null ? [] : s.entries(start, MAX_ID, false, count));
}

/**
 * A group read: new entries are delivered (pending for the consumer unless NOACK, the group's
 * last ID and read counter moved on); history reads the consumer's pending entries from `after`
 * (exclusive) on, delivering them again ([id, nil] for entries deleted meanwhile).
 */
function serveGroup(c: Ctx, src: Source, r: ReadArgs): void {
  const s = src.stream!;
  const g = src.group!;
  const name = r.group!;
  const created = c.fx.xconsumer(c.db, src.key, name, r.consumer, c.now);
  if (created) c.notify('t', 'xgroup-createconsumer', src.key);
  const consumer = g.consumers.get(r.consumer)!;
  if (src.history) return serveHistory(c, src, r);
  const start = incrId(src.after);
  const found = start === null ? [] : s.entries(start, MAX_ID, false, r.count);
  c.out.array(found.length);
  let lastId = g.lastId;
  let reads = g.entriesRead;
  for (const [id, fields] of found) {
    replyEntry(c, id, fields);
    if (id > lastId) {
      reads = s.readsAfterDelivering(reads, id);
      lastId = id;
    }
  }
  if (found.length === 0) return;
  if (!r.noack) {
    const ids = found.map(([id]) => id);
    c.fx.xpending(c.db, src.key, name, consumer.name, ids, c.now, ids.map(() => 1));
  }
  if (lastId !== g.lastId || reads !== g.entriesRead) c.fx.xgroupSetid(c.db, src.key, name, lastId, reads);
}

function serveHistory(c: Ctx, src: Source, r: ReadArgs): void {
  const s = src.stream!;
  const consumer = src.group!.consumers.get(r.consumer)!;
  const listed: StreamId[] = [];
  // Pending entries above the ID given, as for new entries.
  const start = incrId(src.after);
  if (start !== null) consumer.pel.forEachFrom(start, (id) => listed.push(id) !== r.count);
  c.out.array(listed.length);
  const again: StreamId[] = [];
  const counts: number[] = [];
  for (const id of listed) {
    const fields = s.get(id);
    if (fields === undefined) {
      c.out.array(2);
      c.out.bulk(formatId(id));
      c.out.nullArray();
      continue;
    }
    replyEntry(c, id, fields);
    again.push(id);
    counts.push(consumer.pel.get(id)!.deliveryCount + 1);
  }
  if (again.length > 0) c.fx.xpending(c.db, src.key, r.group!, consumer.name, again, c.now, counts);
}

/** The arguments a blocked read is retried with: "$" resolved, a COUNT for Redis's cap. */
function blockedArgs(a: readonly string[], r: ReadArgs, sources: readonly Source[]): string[] {
  const out = a.slice();
  for (let i = 0; i < sources.length; i++) {
    const at = r.streamsAt + sources.length + i;
    if (out[at] === '$') out[at] = formatId(sources[i]!.after);
  }
  if (r.count > 0) return out;
  if (r.countAt >= 0) {
    out[r.countAt] = String(BLOCKED_COUNT);
    return out;
  }
  return [out[0]!, 'COUNT', String(BLOCKED_COUNT), ...out.slice(1)];
}

/** XREAD's and XREADGROUP's keys: the first half of what follows STREAMS. */
function streamsKeys(argv: readonly string[]): string[] {
  for (let i = 1; i < argv.length; i++) {
    if (!is(argv[i], 'STREAMS')) continue;
    const rest = argv.length - i - 1;
    return argv.slice(i + 1, i + 1 + Math.floor(rest / 2));
  }
  return [];
}

export const streamReadCommands = family('stream', [
  command('xread', -4, 'readonly blocking movablekeys', [0, 0, 0], '@read @stream @slow @blocking', 'Reads entries after given IDs from streams, or waits for them.', (c) => xread(c, false), { keysOf: streamsKeys }),
  command('xreadgroup', -7, 'write blocking movablekeys', [0, 0, 0], '@write @stream @slow @blocking', 'Reads entries for a consumer of a group, or waits for them.', (c) => xread(c, true), { keysOf: streamsKeys }),
]);
