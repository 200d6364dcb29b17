// Consumer group commands (Redis t_stream.c): XGROUP and its subcommands, XACK, XPENDING,
// XCLAIM and XAUTOCLAIM. Reads of a group's pending entries by time compare with this
// execution's clock; what they change is logged with that time, so replay needs no clock.
import { Stream, UNKNOWN_READS } from '../machine/stream.js';
import type { ConsumerGroup } from '../machine/stream-group.js';
import { MAX_ID, MIN_ID, formatId, parseId, type StreamId } from '../machine/stream-id.js';
import type { Value } from '../machine/values.js';
import { intArg, is } from './args.js';
import type { Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { command, family } from './spec.js';
import { boundArg, idArg, INVALID_END, INVALID_START, replyEntry } from './streams.js';

const KEY2 = [2, 2, 1] as const;

function subcommandError(c: Ctx): never {
  fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]}'. Try XGROUP HELP.`);
}

/**
 * What every XGROUP subcommand checks first (xgroupCommand): options from the sixth argument,
 * the key's type, the key's existence unless MKSTREAM, and the group's existence for SETID,
 * CREATECONSUMER and DELCONSUMER.
 */
function xgroupPrelude(c: Ctx, sub: 'create' | 'setid' | 'destroy' | 'createconsumer' | 'delconsumer'): { s: Stream | undefined; g: ConsumerGroup | undefined; entriesRead: number } {
  const a = c.argv;
  let mkstream = false;
  let entriesRead = UNKNOWN_READS;
  for (let i = 5; i < a.length; ) {
    if (sub === 'create' && is(a[i], 'MKSTREAM')) {
      mkstream = true;
      i++;
    } else if ((sub === 'create' || sub === 'setid') && is(a[i], 'ENTRIESREAD') && i + 1 < a.length) {
      entriesRead = intArg(a[i + 1]!);
      if (entriesRead < 0 && entriesRead !== UNKNOWN_READS) fail('ERR value for ENTRIESREAD must be positive or -1');
      i += 2;
    } else {
      subcommandError(c);
    }
  }
  const s = c.getStream(a[2]!);
  const g = s?.groups.get(a[3]!);
  if (!mkstream) {
    if (s === undefined) {
      fail('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
    }
    if (g === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
      fail(`NOGROUP No such consumer group '${a[3]}' for key name '${a[2]}'`);
    }
  }
  return { s, g, entriesRead };
}

function xgroupCreate(c: Ctx): void {
  const a = c.argv;
  const { s, entriesRead } = xgroupPrelude(c, 'create');
  if (a.length > 8) subcommandError(c);
  const key = a[2]!;
  const id = a[4] === '$' ? (s?.lastId ?? MIN_ID) : idArg(a[4]!, true);
  if (s?.groups.has(a[3]!)) fail('BUSYGROUP Consumer Group name already exists');
  c.fx.xgroupCreate(c.db, key, a[3]!, id, entriesRead);
  c.out.ok();
  c.notify('t', 'xgroup-create', key);
}

function xgroupSetid(c: Ctx): void {
  const a = c.argv;
  const { s, entriesRead } = xgroupPrelude(c, 'setid');
  if (a.length !== 5 && a.length !== 7) subcommandError(c);
  const id = a[4] === '$' ? s!.lastId : idArg(a[4]!, false);
  c.fx.xgroupSetid(c.db, a[2]!, a[3]!, id, entriesRead);
  c.out.ok();
  c.notify('t', 'xgroup-setid', a[2]!);
}

function xgroupDestroy(c: Ctx): void {
  const key = c.argv[2]!;
  const { g } = xgroupPrelude(c, 'destroy');
  if (g === undefined) return c.out.int(0);
  c.fx.xgroupDestroy(c.db, key, c.argv[3]!);
  c.out.int(1);
  c.notify('t', 'xgroup-destroy', key);
  // Readers blocked on the group get their error now (stream-read.ts).
  c.signalReady(key);
}

function xgroupCreateConsumer(c: Ctx): void {
  const [, , key, group, name] = c.argv as [string, string, string, string, string];
  const { g } = xgroupPrelude(c, 'createconsumer');
  if (g!.consumers.has(name)) return c.out.int(0);
  c.fx.xconsumer(c.db, key, group, name, c.now);
  c.out.int(1);
  c.notify('t', 'xgroup-createconsumer', key);
}

function xgroupDelConsumer(c: Ctx): void {
  const [, , key, group, name] = c.argv as [string, string, string, string, string];
  const { g } = xgroupPrelude(c, 'delconsumer');
  if (!g!.consumers.has(name)) return c.out.int(0);
  c.out.int(c.fx.xconsumerDel(c.db, key, group, name));
  c.notify('t', 'xgroup-delconsumer', key);
}

/** The value at `key` as XPENDING, XCLAIM and XAUTOCLAIM look it up: a read lookup, in the write ones too, as in Redis. */
function lookupRead(c: Ctx, key: string): Value | undefined {
  return c.looking('read', () => c.lookup(key));
}

/** The group `group` of `v`, the value looked up (or the error XACK's siblings give). */
function groupOrFail(v: Value | undefined, group: string, message: string): { s: Stream; g: ConsumerGroup } {
  if (v !== undefined && !(v instanceof Stream)) fail(Err.WRONGTYPE);
  const g = v?.groups.get(group);
  if (v === undefined || g === undefined) fail(message);
  return { s: v, g };
}

function xack(c: Ctx): void {
  const [, key, group] = c.argv as [string, string, string];
  const s = c.looking('read', () => c.getStream(key));
  const g = s?.groups.get(group);
  if (g === undefined) return c.out.int(0);
  const ids = c.argv.slice(3).map((text) => idArg(text, true));
  const pending = [...new Set(ids)].filter((id) => g.pel.has(id));
  if (pending.length === 0) return c.out.int(0);
  c.out.int(c.fx.xack(c.db, key, group, pending));
}

function xpending(c: Ctx): void {
  const a = c.argv;
  const [, key, group] = a as [string, string, string];
  if (a.length !== 3 && (a.length < 6 || a.length > 9)) throw syntax();
  let start = MIN_ID;
  let end = MAX_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (a.length >= 6) {
    let at = 3;
    if (is(a[3], 'IDLE')) {
      minIdle = intArg(a[4]!);
      if (a.length < 8) throw syntax();
      at += 2;
    }
    count = Math.max(0, intArg(a[at + 2]!));
    start = boundArg(a[at]!, 0, INVALID_START);
    end = boundArg(a[at + 1]!, 'max', INVALID_END);
    if (at + 3 < a.length) consumerName = a[at + 3]!;
  }
  const { g } = groupOrFail(lookupRead(c, key), group, `NOGROUP No such key '${key}' or consumer group '${group}'`);
  if (a.length === 3) return pendingSummary(c, g);
  let pel = g.pel;
  if (consumerName !== null) {
    const consumer = g.consumers.get(consumerName);
    if (consumer === undefined) return c.out.array(0);
    pel = consumer.pel;
  }
  const rows: Array<[StreamId, string, number, number]> = [];
  pel.forEachFrom(start, (id, nack) => {
    if (count === 0 || id > end) return false;
    if (minIdle > 0 && c.now - nack.deliveryTime < minIdle) return true;
    rows.push([id, nack.consumer.name, Math.max(0, c.now - nack.deliveryTime), nack.deliveryCount]);
    count--;
    return true;
  });
  c.out.array(rows.length);
  for (const [id, name, idle, deliveries] of rows) {
    c.out.array(4);
    c.out.bulk(formatId(id));
    c.out.bulk(name);
    c.out.int(idle);
    c.out.int(deliveries);
  }
}

function pendingSummary(c: Ctx, g: ConsumerGroup): void {
  c.out.array(4);
  c.out.int(g.pel.size);
  if (g.pel.size === 0) {
    c.out.nullBulk();
    c.out.nullBulk();
    c.out.nullArray();
    return;
  }
  c.out.bulk(formatId(g.pel.firstKey()!));
  c.out.bulk(formatId(g.pel.lastKey()!));
  const owners = g.consumerNames().filter((name) => g.consumers.get(name)!.pel.size > 0);
  c.out.array(owners.length);
  for (const name of owners) {
    c.out.array(2);
    c.out.bulk(name);
    c.out.bulk(String(g.consumers.get(name)!.pel.size));
  }
}

/**
 * Marks `ids` pending for `consumer`, delivered at `time`; the consumer is looked up (seen now)
 * or created, with its event, only when something is claimed, as in Redis.
 */
function claimFor(c: Ctx, key: string, group: string, consumer: string, ids: StreamId[], time: number, counts: number[]): void {
  if (ids.length === 0) return;
  if (c.fx.xconsumer(c.db, key, group, consumer, c.now)) c.notify('t', 'xgroup-createconsumer', key);
  c.fx.xpending(c.db, key, group, consumer, ids, time, counts);
}

function xclaim(c: Ctx): void {
  const a = c.argv;
  const [, key, group, name] = a as [string, string, string, string];
  const { s, g } = groupOrFail(lookupRead(c, key), group, `NOGROUP No such key '${key}' or consumer group '${group}'`);
  const minIdle = Math.max(0, intArg(a[4]!, 'ERR Invalid min-idle-time argument for XCLAIM'));
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < a.length; j++) {
    const parsed = parseId(a[j]!, 0, true);
    if (parsed === null) break;
    ids.push(parsed.id);
  }
  const now = c.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId = MIN_ID;
  for (; j < a.length; j++) {
    const more = a.length - 1 - j;
    const opt = a[j]!;
    if (is(opt, 'FORCE')) force = true;
    else if (is(opt, 'JUSTID')) justId = true;
    else if (is(opt, 'IDLE') && more > 0) deliveryTime = now - intArg(a[++j]!, 'ERR Invalid IDLE option argument for XCLAIM');
    else if (is(opt, 'TIME') && more > 0) deliveryTime = intArg(a[++j]!, 'ERR Invalid TIME option argument for XCLAIM');
    else if (is(opt, 'RETRYCOUNT') && more > 0) retryCount = intArg(a[++j]!, 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    else if (is(opt, 'LASTID') && more > 0) lastId = idArg(a[++j]!, true);
    else fail(`ERR Unrecognized XCLAIM option '${opt}'`);
  }
  if (lastId > g.lastId) c.fx.xgroupSetid(c.db, key, group, lastId, g.entriesRead);
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;

  // Claims run one ID after another, as in Redis: an ID given twice is claimed twice (and
  // counted twice), and the second sees what the first did.
  interface Claim { owner: string | null; time: number; count: number }
  const state = new Map<StreamId, Claim | null>();
  const gone: StreamId[] = [];
  const replied: StreamId[] = [];
  for (const id of ids) {
    const known = state.get(id);
    let claim: Claim | undefined;
    if (known !== undefined) claim = known ?? undefined;
    else {
      const nack = g.pel.get(id);
      if (nack !== undefined) claim = { owner: nack.consumer.name, time: nack.deliveryTime, count: nack.deliveryCount };
    }
    if (!s.has(id)) {
      if (claim !== undefined) {
        gone.push(id);
        state.set(id, null);
      }
      continue;
    }
    if (claim === undefined && force) claim = { owner: null, time: now, count: 1 };
    if (claim === undefined) continue;
    if (claim.owner !== null && minIdle > 0 && now - claim.time < minIdle) continue;
    state.set(id, { owner: name, time: deliveryTime, count: retryCount >= 0 ? retryCount : justId ? claim.count : claim.count + 1 });
    replied.push(id);
  }
  if (gone.length > 0) c.fx.xack(c.db, key, group, gone);
  const claimed: StreamId[] = [];
  const counts: number[] = [];
  for (const [id, claim] of state) {
    if (claim === null) continue;
    claimed.push(id);
    counts.push(claim.count);
  }
  claimFor(c, key, group, name, claimed, deliveryTime, counts);
  c.out.array(replied.length);
  for (const id of replied) {
    if (justId) c.out.bulk(formatId(id));
    else replyEntry(c, id, s.get(id)!);
  }
}

function xautoclaim(c: Ctx): void {
  const a = c.argv;
  const [, key, group, name] = a as [string, string, string, string];
  // Looked up before the arguments are read, as Redis does (a missing key is missed even then).
  const found = lookupRead(c, key);
  const minIdle = Math.max(0, intArg(a[4]!, 'ERR Invalid min-idle-time argument for XAUTOCLAIM'));
  const start = boundArg(a[5]!, 0, INVALID_START);
  let count = 100;
  let justId = false;
  for (let j = 6; j < a.length; j++) {
    const more = a.length - 1 - j;
    if (is(a[j], 'COUNT') && more > 0) {
      // getRangeLongFromObjectOrReply(1, LONG_MAX / 16).
      const n = intArg(a[j + 1]!, 'ERR COUNT must be > 0');
      if (n < 1 || n > 576460752303423487) fail('ERR COUNT must be > 0');
      count = n;
      j++;
    } else if (is(a[j], 'JUSTID')) {
      justId = true;
    } else {
      throw syntax();
    }
  }
  const { s, g } = groupOrFail(found, group, `NOGROUP No such key '${key}' or consumer group '${group}'`);
  const now = c.now;
  let attempts = count * 10;
  const claimed: StreamId[] = [];
  const counts: number[] = [];
  const deleted: StreamId[] = [];
  let next = MIN_ID;
  let done = true;
  g.pel.forEachFrom(start, (id, nack) => {
    if (attempts === 0 || count === 0) {
      next = id;
      done = false;
      return false;
    }
    attempts--;
    if (!s.has(id)) {
      deleted.push(id);
      count--;
      return true;
    }
    if (minIdle > 0 && now - nack.deliveryTime < minIdle) return true;
    claimed.push(id);
    counts.push(justId ? nack.deliveryCount : nack.deliveryCount + 1);
    count--;
    return true;
  });
  if (done) next = MIN_ID;
  if (deleted.length > 0) c.fx.xack(c.db, key, group, deleted);
  claimFor(c, key, group, name, claimed, now, counts);
  c.out.array(3);
  c.out.bulk(formatId(next));
  c.out.array(claimed.length);
  for (const id of claimed) {
    if (justId) c.out.bulk(formatId(id));
    else replyEntry(c, id, s.get(id)!);
  }
  c.out.array(deleted.length);
  for (const id of deleted) c.out.bulk(formatId(id));
}

const W = '@write @stream';

const xgroupSubcommands = [
  command('xgroup|create', -5, 'write denyoom', KEY2, `${W} @slow`, 'Creates a consumer group.', xgroupCreate),
  command('xgroup|setid', -5, 'write', KEY2, `${W} @slow`, "Sets a consumer group's last delivered ID.", xgroupSetid),
  command('xgroup|destroy', 4, 'write', KEY2, `${W} @slow`, 'Destroys a consumer group.', xgroupDestroy),
  command('xgroup|createconsumer', 5, 'write denyoom', KEY2, `${W} @slow`, 'Creates a consumer in a consumer group.', xgroupCreateConsumer),
  command('xgroup|delconsumer', 5, 'write', KEY2, `${W} @slow`, 'Deletes a consumer from a consumer group.', xgroupDelConsumer),
];

export const streamGroupCommands = family('stream', [
  command('xgroup', -2, '', [0, 0, 0], '@slow', 'Manages consumer groups.', () => undefined, { subcommands: xgroupSubcommands }),
  command('xack', -4, 'write fast', [1, 1, 1], `${W} @fast`, 'Acknowledges pending entries of a consumer group.', xack),
  command('xpending', -3, 'readonly', [1, 1, 1], '@read @stream @slow', "Lists a consumer group's pending entries.", xpending),
  command('xclaim', -6, 'write fast', [1, 1, 1], `${W} @fast`, 'Takes over pending entries for another consumer.', xclaim),
  command('xautoclaim', -6, 'write fast', [1, 1, 1], `${W} @fast`, 'Takes over pending entries idle long enough, scanning from an ID.', xautoclaim),
]);

