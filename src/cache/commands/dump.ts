// DUMP and RESTORE (Redis's cluster.c): a key's value as a payload in Redis's format, and a key
// made from one, so that data moves between redis-server and Depot either way. The value codec
// is rdb/value.ts; RESTORE logs what it makes as the effects of the writes that would make it.
import type { Ctx } from './context.js';
import { intArg, is } from './args.js';
import { fail, syntax } from './reply-error.js';
import { command, family, ONE_KEY } from './spec.js';
import { rdbValue } from '../machine/rdb-export.js';
import type { Stream } from '../machine/values.js';
import { openPayload, sealPayload } from '../rdb/payload.js';
import type { RdbStream } from '../rdb/stream.js';
import { decodeValue, encodeValue, type RdbValue } from '../rdb/value.js';

/** A stream's writes: its entries, its counters (which make it when it has no entries), its groups, consumers and pending entries. */
function createStream(c: Ctx, key: string, s: RdbStream): void {
  for (const [id, pairs] of s.entries) c.fx.xadd(c.db, key, id, pairs, c.server.streamNodeLimits);
  c.fx.xsetid(c.db, key, s.lastId, s.entriesAdded, s.maxDeletedId);
  const stream = c.lookup(key, c.db, false) as Stream;
  for (const g of s.groups) {
    // A payload of the first version has no read counter: estimated as Redis does on load.
    c.fx.xgroupCreate(c.db, key, g.name, g.lastId, g.entriesRead ?? stream.readsUpTo(g.lastId));
    for (const consumer of g.consumers) c.fx.xconsumer(c.db, key, g.name, consumer.name, consumer.seenTime);
    for (const p of g.pending) c.fx.xpending(c.db, key, g.name, p.consumer, [p.id], p.deliveryTime, [p.deliveryCount]);
  }
}

function dump(c: Ctx): void {
  const v = c.lookup(c.argv[1]!);
  if (v === undefined) return c.out.nullBulk();
  c.out.bulk(sealPayload(encodeValue(rdbValue(v, (s) => c.text(s)))).toString('latin1'));
}

/** The writes that make `value` at `key` (a key that does not exist now). */
function create(c: Ctx, key: string, value: RdbValue): void {
  switch (value.type) {
    case 'string':
      return c.fx.set(c.db, key, value.value, 0, false);
    case 'list':
      return void c.fx.push(c.db, key, value.items, false);
    case 'set':
      return void c.fx.sadd(c.db, key, value.members);
    case 'hash':
      return void c.fx.hset(c.db, key, value.pairs);
    case 'zset':
      return void c.fx.zadd(c.db, key, value.scores, value.members);
    case 'stream':
      return createStream(c, key, value);
  }
}

function restore(c: Ctx): void {
  const [, key, ttlText, payload] = c.argv as [string, string, string, string];
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < c.argv.length; j++) {
    const more = j + 1 < c.argv.length;
    if (is(c.argv[j], 'REPLACE')) {
      replace = true;
    } else if (is(c.argv[j], 'ABSTTL')) {
      absttl = true;
    } else if (is(c.argv[j], 'IDLETIME') && more && freq === -1) {
      idle = intArg(c.argv[++j]!);
      if (idle < 0) fail('ERR Invalid IDLETIME value, must be >= 0');
    } else if (is(c.argv[j], 'FREQ') && more && idle === -1) {
      freq = intArg(c.argv[++j]!);
      if (freq < 0 || freq > 255) fail('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else {
      throw syntax();
    }
  }
  if (!replace && c.lookup(key, c.db, false) !== undefined) fail('BUSYKEY Target key name already exists.');
  const ttl = intArg(ttlText);
  if (ttl < 0) fail('ERR Invalid TTL value, must be >= 0');
  const data = openPayload(Buffer.from(payload, 'latin1'));
  if (data === null) fail('ERR DUMP payload version or checksum are wrong');
  const value = decodeValue(data);
  if (value === null) fail('ERR Bad data format');
  const deleted = replace && c.fx.del(c.db, key);
  const at = ttl > 0 && !absttl ? ttl + c.now : ttl;
  if (at > 0 && at <= c.now) {
    // Already expired: nothing is made, and a key REPLACE removed stays removed.
    if (deleted) c.notify('g', 'del', key);
    return c.out.ok();
  }
  create(c, key, value);
  if (at > 0) c.fx.pexpireat(c.db, key, at);
  c.server.setAccess(c.db, key, idle < 0 ? null : idle, freq < 0 ? null : freq);
  c.signalReady(key);
  c.notify('g', 'restore', key);
  c.out.ok();
}

export const dumpCommands = [
  ...family('generic', [
    command('dump', 2, 'readonly', ONE_KEY, '@keyspace @read @slow', "Returns a serialized payload of a key's value.", dump),
    command('restore', -4, 'write denyoom', ONE_KEY, '@keyspace @write @slow @dangerous', 'Creates a key from a DUMP payload.', restore),
  ]),
  // What a Redis cluster's MIGRATE sends; without cluster mode it is RESTORE, as in Redis.
  ...family('server', [
    command('restore-asking', -4, 'write denyoom asking', ONE_KEY, '@keyspace @write @slow @dangerous', 'RESTORE as sent by a migrating cluster node.', restore),
  ]),
];
