// Generic key commands (Redis db.c and expire.c): deletion, expiry, renaming, copying,
// iteration and database selection. EXPIRE and friends share expireGeneric; all relative
// times become absolute PEXPIREAT effects, and a time already past becomes DEL.
import { globMatch } from '../glob.js';
import { DATABASES } from '../machine/keyspace.js';
import { lfuCounter, lfuMinutes } from '../machine/lfu.js';
import { Hash, List, MemberSet, Stream, ZSet, typeOf, type Value } from '../machine/values.js';
import { expiryMs, int32Arg, is, parseInt64 } from './args.js';
import type { Ctx } from './context.js';
import { randomSlots } from './random.js';
import { Err, fail, syntax } from './reply-error.js';
import { scanCursor, scanOptions, scanStep } from './scan.js';
import { ALL_KEYS, NO_KEYS, ONE_KEY, command, family } from './spec.js';

function del(c: Ctx): void {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) {
    const key = c.argv[i]!;
    if (c.lookup(key) !== undefined && c.fx.del(c.db, key)) {
      c.notify('g', 'del', key);
      n++;
    }
  }
  c.out.int(n);
}

/** The keys named that exist; `touch`: each found is an access (TOUCH), else not (EXISTS: Redis's LOOKUP_NOTOUCH). */
function countExisting(c: Ctx, touch: boolean): void {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) if (c.lookup(c.argv[i]!, c.db, touch) !== undefined) n++;
  c.out.int(n);
}

function exists(c: Ctx): void {
  countExisting(c, false);
}

const GT = 1;
const LT = 2;
const NX = 4;
const XX = 8;

function expireFlags(c: Ctx, from: number): number {
  let flags = 0;
  for (let i = from; i < c.argv.length; i++) {
    const o = c.argv[i]!.toUpperCase();
    if (o === 'NX') flags |= NX;
    else if (o === 'XX') flags |= XX;
    else if (o === 'GT') flags |= GT;
    else if (o === 'LT') flags |= LT;
    else fail(`ERR Unsupported option ${c.argv[i]}`);
  }
  if (flags & NX && flags & (XX | GT | LT)) fail('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (flags & GT && flags & LT) fail('ERR GT and LT options at the same time are not compatible');
  return flags;
}

/** EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT: `unitMs` 1000 or 1, `relative` adds now. */
function expireGeneric(c: Ctx, unitMs: 1 | 1000, relative: boolean): void {
  const key = c.argv[1]!;
  // Redis checks the options before the number.
  const flags = expireFlags(c, 3);
  const n = parseInt64(c.argv[2]!);
  if (n === null) fail(Err.NOT_INTEGER);
  const when = expiryMs(n, unitMs, relative ? c.now : 0);
  if (when === null) fail(`ERR invalid expire time in '${c.argv[0]!.toLowerCase()}' command`);
  if (c.lookup(key) === undefined) {
    c.out.int(0);
    return;
  }
  const current = c.ks.dbs[c.db]!.expires.get(key);
  if (flags & NX && current !== undefined) return c.out.int(0);
  if (flags & XX && current === undefined) return c.out.int(0);
  // No expiry counts as infinite: GT never beats it, LT always does.
  if (flags & GT && (current === undefined || when <= current)) return c.out.int(0);
  if (flags & LT && current !== undefined && when >= current) return c.out.int(0);
  if (when <= c.now) {
    c.fx.del(c.db, key);
    c.notify('g', 'del', key);
  } else {
    c.fx.pexpireat(c.db, key, when);
    c.notify('g', 'expire', key);
  }
  c.out.int(1);
}

function ttlGeneric(c: Ctx, ms: boolean, absolute: boolean): void {
  const key = c.argv[1]!;
  if (c.lookup(key, c.db, false) === undefined) return c.out.int(-2);
  const at = c.ks.dbs[c.db]!.expires.get(key);
  if (at === undefined) return c.out.int(-1);
  const t = absolute ? at : Math.max(0, at - c.now);
  // Seconds rounded to the nearest, for EXPIRETIME as for TTL (Redis's (ms + 500) / 1000).
  c.out.int(ms ? t : Math.floor((t + 500) / 1000));
}

function persist(c: Ctx): void {
  const key = c.argv[1]!;
  if (c.lookup(key) === undefined || !c.ks.dbs[c.db]!.expires.has(key)) return c.out.int(0);
  c.fx.persist(c.db, key);
  c.notify('g', 'persist', key);
  c.out.int(1);
}

function type(c: Ctx): void {
  const v = c.lookup(c.argv[1]!, c.db, false);
  c.out.simple(v === undefined ? 'none' : typeOf(v));
}

function renameGeneric(c: Ctx, nx: boolean): void {
  const [, src, dst] = c.argv as [string, string, string];
  if (c.lookup(src) === undefined) fail(Err.NO_SUCH_KEY);
  if (src === dst) return nx ? c.out.int(0) : c.out.ok();
  if (c.lookup(dst) !== undefined) {
    if (nx) return c.out.int(0);
  }
  c.fx.rename(c.db, src, dst);
  c.notify('g', 'rename_from', src);
  c.notify('g', 'rename_to', dst);
  c.signalReady(dst);
  if (nx) c.out.int(1);
  else c.out.ok();
}

function dbIndexArg(text: string): number {
  const n = int32Arg(text);
  if (n < 0 || n >= DATABASES) fail(Err.DB_RANGE);
  return n;
}

function copy(c: Ctx): void {
  const [, src, dst] = c.argv as [string, string, string];
  let dstDb = c.db;
  let replace = false;
  for (let i = 3; i < c.argv.length; i++) {
    if (is(c.argv[i], 'REPLACE')) replace = true;
    else if (is(c.argv[i], 'DB') && i + 1 < c.argv.length) dstDb = dbIndexArg(c.argv[++i]!);
    else throw syntax();
  }
  if (src === dst && dstDb === c.db) fail(Err.SAME_OBJECT);
  if (c.looking('read', () => c.lookup(src)) === undefined) return c.out.int(0);
  const existing = c.lookup(dst, dstDb);
  if (existing !== undefined && !replace) return c.out.int(0);
  c.fx.copy(c.db, src, dstDb, dst, replace);
  c.server.notify(dstDb, 'g', 'copy_to', dst);
  c.signalReady(dst, dstDb);
  c.out.int(1);
}

function move(c: Ctx): void {
  const key = c.argv[1]!;
  const dstDb = dbIndexArg(c.argv[2]!);
  if (dstDb === c.db) fail(Err.SAME_OBJECT);
  if (c.lookup(key) === undefined || c.lookup(key, dstDb) !== undefined) return c.out.int(0);
  c.fx.move(c.db, key, dstDb);
  c.notify('g', 'move_from', key);
  c.server.notify(dstDb, 'g', 'move_to', key);
  c.signalReady(key, dstDb);
  c.out.int(1);
}

/** Live keys of the client's database, skipping (not deleting) expired ones, as KEYS does. */
function isLive(c: Ctx, key: string): boolean {
  const at = c.ks.dbs[c.db]!.expires.get(key);
  return at === undefined || at > c.now;
}

function keys(c: Ctx): void {
  const pattern = c.argv[1]!;
  const out: string[] = [];
  for (const key of c.ks.dbs[c.db]!.keys.keys()) {
    if ((pattern === '*' || globMatch(pattern, key)) && isLive(c, key)) out.push(key);
  }
  c.out.bulkArray(out);
}

function scan(c: Ctx): void {
  const o = scanOptions(c, scanCursor(c, 1), 2, true);
  const db = c.ks.dbs[c.db]!;
  const { next, entries } = scanStep(c, o, db.keys, () => db.keys.entries(), (e) => e[0]);
  const names: string[] = [];
  for (const [key, value] of entries) {
    if (!isLive(c, key)) continue;
    if (o.type !== null && typeOf(value) !== o.type) continue;
    names.push(key);
  }
  c.out.array(2);
  c.out.bulk(String(next));
  c.out.bulkArray(names);
}

/**
 * As Redis's dbRandomKey: not a lookup (no hit or miss counted, no access); an expired key
 * picked is deleted and another one picked, until the database is empty. Where expired keys are
 * not deleted (a follower) and every key has a TTL, after 100 tries the last key picked, as Redis
 * answers on a replica (otherwise a key without one comes up in the end).
 */
function randomkey(c: Ctx): void {
  const d = c.ks.dbs[c.db]!;
  for (let attempt = 1; d.keys.size > 0; attempt++) {
    const key = d.keys.keyAt(randomSlots(c.random, d.keys, 1)[0]!);
    const at = d.expires.size === 0 ? undefined : d.expires.get(key);
    if (at === undefined || at > c.now) return c.out.bulk(key);
    if (c.deletesExpired) c.expire(c.db, key);
    else if (attempt >= 100 && d.expires.size === d.keys.size) return c.out.bulk(key);
  }
  c.out.nullBulk();
}

function dbsize(c: Ctx): void {
  c.out.int(c.ks.dbs[c.db]!.keys.size);
}

function flushArgs(c: Ctx): void {
  const mode = c.argv[1];
  if (c.argv.length > 2 || (mode !== undefined && !is(mode, 'ASYNC') && !is(mode, 'SYNC'))) throw syntax();
}

function flushdb(c: Ctx): void {
  flushArgs(c);
  c.fx.flushdb(c.db);
  c.out.ok();
}

function flushall(c: Ctx): void {
  flushArgs(c);
  c.fx.flushall();
  c.out.ok();
}

function select(c: Ctx): void {
  c.client.db = dbIndexArg(c.argv[1]!);
  c.out.ok();
}

function swapdb(c: Ctx): void {
  const a = int32Arg(c.argv[1]!, 'ERR invalid first DB index');
  const b = int32Arg(c.argv[2]!, 'ERR invalid second DB index');
  if (a < 0 || a >= DATABASES || b < 0 || b >= DATABASES) fail(Err.DB_RANGE);
  if (a !== b) {
    c.fx.swapdb(a, b);
    c.server.signalDb(a);
    c.server.signalDb(b);
  }
  c.out.ok();
}

function touch(c: Ctx): void {
  countExisting(c, true);
}

function encodingOf(v: Value, setMaxIntsetEntries: number): string {
  // Blobs are 64 bytes or more: never an integer, never embedded.
  if (typeof v === 'number') return 'raw';
  if (typeof v === 'string') {
    if (v.length <= 20 && parseInt64(v) !== null) return 'int';
    return v.length <= 44 ? 'embstr' : 'raw';
  }
  if (v instanceof List) return 'quicklist';
  if (v instanceof Hash) return v.encoding;
  if (v instanceof MemberSet) {
    // Redis caps the limit at 2^30 (intset internals).
    if (v.size > Math.min(setMaxIntsetEntries, 2 ** 30)) return 'hashtable';
    for (const m of v) if (m.length > 20 || parseInt64(m) === null) return 'hashtable';
    return 'intset';
  }
  if (v instanceof Stream) return 'stream';
  return (v as ZSet).encoding;
}

/** What Redis answers for the objects it shares between keys (OBJ_SHARED_REFCOUNT). */
const SHARED_REFCOUNT = 2_147_483_647;

/**
 * Whether Redis would hold this value as one of its shared integers (0 to 9999, kept once for
 * every key): not when maxmemory evicts by LRU or LFU, which needs an object per key.
 */
function isSharedInteger(c: Ctx, v: Value): boolean {
  if (typeof v !== 'string' || v.length > 4) return false;
  const n = parseInt64(v);
  if (n === null || n < 0n) return false;
  const { maxmemory, maxmemoryPolicy } = c.server.config.settings;
  return maxmemory === 0 || !/lru|lfu/.test(maxmemoryPolicy);
}

const POLICY_SWITCH = 'Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

/** OBJECT reads a key without counting as an access (Redis's LOOKUP_NOTOUCH). */
function objectSub(c: Ctx, reply: (v: Value, idleSeconds: number) => void): void {
  const key = c.argv[2]!;
  const idle = c.server.idleSeconds(c.db, key);
  const v = c.looking('peek', () => c.lookup(key, c.db, false));
  if (v === undefined) return c.out.nullBulk();
  reply(v, idle);
}

const objectCommands = [
  command('object|encoding', 3, 'readonly', [2, 2, 1], '@keyspace @read @slow', 'Returns the internal encoding of a value.', (c) =>
    objectSub(c, (v) => c.out.bulk(encodingOf(v, c.server.config.settings.setMaxIntsetEntries))),
  ),
  command('object|refcount', 3, 'readonly', [2, 2, 1], '@keyspace @read @slow', 'Returns the reference count of a value.', (c) =>
    objectSub(c, (v) => c.out.int(isSharedInteger(c, v) ? SHARED_REFCOUNT : 1)),
  ),
  // A missing key answers nil before the policy is looked at, as in Redis.
  command('object|idletime', 3, 'readonly', [2, 2, 1], '@keyspace @read @slow', 'Returns the seconds since a key was last accessed.', (c) =>
    objectSub(c, (_v, idle) => (c.ks.lfu !== null ? fail(`ERR An LFU maxmemory policy is selected, idle time not tracked. ${POLICY_SWITCH}`) : c.out.int(idle))),
  ),
  command('object|freq', 3, 'readonly', [2, 2, 1], '@keyspace @read @slow', 'Returns the access frequency of a key.', (c) =>
    objectSub(c, () => {
      const lfu = c.ks.lfu;
      if (lfu === null) fail(`ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${POLICY_SWITCH}`);
      const keys = c.ks.dbs[c.db]!.keys;
      c.out.int(lfuCounter(keys.accessAt(keys.find(c.argv[2]!)), lfuMinutes(Math.floor(c.now / 1000)), lfu));
    }),
  ),
];

const K = '@keyspace';
// COMMAND DOCS groups SELECT and the databases' commands as Redis does.
export const keyCommands = family('generic', [
  command('del', -2, 'write', ALL_KEYS, `${K} @write @slow`, 'Deletes keys.', del),
  command('unlink', -2, 'write fast', ALL_KEYS, `${K} @write @fast`, 'Deletes keys (the memory is freed at once here).', del),
  command('exists', -2, 'readonly fast', ALL_KEYS, `${K} @read @fast`, 'Counts the keys that exist.', exists),
  command('expire', -3, 'write fast', ONE_KEY, `${K} @write @fast`, 'Sets the expiry of a key in seconds.', (c) => expireGeneric(c, 1000, true)),
  command('pexpire', -3, 'write fast', ONE_KEY, `${K} @write @fast`, 'Sets the expiry of a key in milliseconds.', (c) => expireGeneric(c, 1, true)),
  command('expireat', -3, 'write fast', ONE_KEY, `${K} @write @fast`, 'Sets the expiry of a key to a Unix time in seconds.', (c) => expireGeneric(c, 1000, false)),
  command('pexpireat', -3, 'write fast', ONE_KEY, `${K} @write @fast`, 'Sets the expiry of a key to a Unix time in milliseconds.', (c) => expireGeneric(c, 1, false)),
  command('ttl', 2, 'readonly fast', ONE_KEY, `${K} @read @fast`, 'Returns the time to live of a key in seconds.', (c) => ttlGeneric(c, false, false)),
  command('pttl', 2, 'readonly fast', ONE_KEY, `${K} @read @fast`, 'Returns the time to live of a key in milliseconds.', (c) => ttlGeneric(c, true, false)),
  command('expiretime', 2, 'readonly fast', ONE_KEY, `${K} @read @fast`, 'Returns the expiry of a key as a Unix time in seconds.', (c) => ttlGeneric(c, false, true)),
  command('pexpiretime', 2, 'readonly fast', ONE_KEY, `${K} @read @fast`, 'Returns the expiry of a key as a Unix time in milliseconds.', (c) => ttlGeneric(c, true, true)),
  command('persist', 2, 'write fast', ONE_KEY, `${K} @write @fast`, 'Removes the expiry of a key.', persist),
  command('type', 2, 'readonly fast', ONE_KEY, `${K} @read @fast`, 'Returns the type of the value of a key.', type),
  command('rename', 3, 'write', [1, 2, 1], `${K} @write @slow`, 'Renames a key, replacing the destination.', (c) => renameGeneric(c, false)),
  command('renamenx', 3, 'write fast', [1, 2, 1], `${K} @write @fast`, 'Renames a key only when the new name is free.', (c) => renameGeneric(c, true)),
  command('copy', -3, 'write denyoom', [1, 2, 1], `${K} @write @slow`, 'Copies the value of a key to a new key.', copy),
  command('move', 3, 'write fast', ONE_KEY, `${K} @write @fast`, 'Moves a key to another database.', move),
  command('keys', 2, 'readonly', [0, 0, 0], `${K} @read @slow @dangerous`, 'Returns the keys matching a pattern.', keys),
  command('scan', -2, 'readonly', [0, 0, 0], `${K} @read @slow`, 'Iterates over the keys of the database.', scan),
  command('randomkey', 1, 'readonly', [0, 0, 0], `${K} @read @slow`, 'Returns a random key.', randomkey),
  command('dbsize', 1, 'readonly fast', [0, 0, 0], `${K} @read @fast`, 'Returns the number of keys in the database.', dbsize),
  command('flushdb', -1, 'write', NO_KEYS, `${K} @write @slow @dangerous`, 'Removes every key of the database.', flushdb),
  command('flushall', -1, 'write', NO_KEYS, `${K} @write @slow @dangerous`, 'Removes every key of every database.', flushall),
  command('select', 2, 'loading stale fast', NO_KEYS, '@connection @fast', 'Changes the database of the connection.', select),
  command('swapdb', 3, 'write fast', NO_KEYS, `${K} @write @fast @dangerous`, 'Swaps two databases.', swapdb),
  command('touch', -2, 'readonly fast', ALL_KEYS, `${K} @read @fast`, 'Counts existing keys and marks them accessed.', touch),
  command('object', -2, '', NO_KEYS, '@slow', 'Inspects the internals of values.', () => undefined, { subcommands: objectCommands }),
], { select: 'connection', dbsize: 'server', flushdb: 'server', flushall: 'server', swapdb: 'server' });
