// The effect log format: what a cache group's log entries hold (docs/cache.md, "Effects").
//
// A payload is a sequence of effect records, each
//   u8 op | u8 db | fields...
// with fields as  str = u32 BE length + bytes,  num = f64 BE,  flag = u8,  strs = u32 BE count
// + that many str. Every effect is deterministic: scores and expiry times are absolute, random
// choices are resolved (SPOP is written as SREM of the chosen members).
import { assert } from '../../util/assert.js';
import { DepotError } from '../../util/errors.js';
import { readF64BE, readU32BE, writeF64BE, writeU32BE } from '../../util/bytes.js';
import { readLatin1, writeLatin1 } from '../../util/latin1.js';
import type { Stored } from './blobs.js';
import { unpackEffects } from './effect-packing.js';
import type { Keyspace } from './keyspace.js';
import type { NodeLimits, Stream } from './stream.js';
import type { StreamId } from './stream-id.js';

export const Op = {
  SET: 1,
  DEL: 2,
  PEXPIREAT: 3,
  PERSIST: 4,
  APPEND: 5,
  SETRANGE: 6,
  RENAME: 7,
  COPY: 8,
  MOVE: 9,
  SWAPDB: 10,
  FLUSHDB: 11,
  FLUSHALL: 12,
  PUSH: 13,
  POP: 14,
  LSET: 15,
  LINSERT: 16,
  LREM: 17,
  LTRIM: 18,
  LMOVE: 19,
  HSET: 20,
  HDEL: 21,
  SADD: 22,
  SREM: 23,
  SMOVE: 24,
  ZADD: 25,
  ZREM: 26,
  XADD: 27,
  XTRIM: 28,
  XDEL: 29,
  XSETID: 30,
  XGROUP_CREATE: 31,
  XGROUP_SETID: 32,
  XGROUP_DESTROY: 33,
  XCONSUMER: 34,
  XCONSUMER_DEL: 35,
  XPENDING: 36,
  XACK: 37,
  FUNCTION_LOAD: 38,
  FUNCTION_DELETE: 39,
  FUNCTION_FLUSH: 40,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/**
 * Payloads are cut from slabs of at least this size: one allocation per slab rather than a
 * doubling series per turn.
 */
const SLAB_BYTES = 256 * 1024;
/** A slab holds this many of the largest payloads seen... */
const SLAB_PAYLOADS = 4;
/** ...counting payloads up to this size (larger ones get a slab of their own each time). */
const MAX_PEAK_BYTES = 4 * 1024 * 1024;

/** Appends effect records to a growing buffer; `take()` hands out one payload. */
export class EffectEncoder {
  private buf = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private pos = 0;
  private start = 0;
  /** The largest payload taken (capped): a payload that outgrows its slab is copied, so slabs are sized from it. */
  private peak = 0;
  /** Records in the payload being built. */
  count = 0;

  get bytes(): number {
    return this.pos - this.start;
  }

  /** The payload built since the last take, or null when empty. Valid until the process drops it. */
  take(): Buffer | null {
    if (this.pos === this.start) return null;
    const out = this.buf.subarray(this.start, this.pos);
    if (out.length > this.peak) this.peak = Math.min(out.length, MAX_PEAK_BYTES);
    this.start = this.pos;
    this.count = 0;
    // Start the next payload where the largest one seen fits, rather than copy it when it grows.
    if (this.buf.length - this.pos < this.peak) this.replace(0);
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.replace(n);
  }

  /** Moves the payload being built to a new slab with room for `n` more bytes. */
  private replace(n: number): void {
    const used = this.pos - this.start;
    const next = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, SLAB_PAYLOADS * this.peak, (used + n) * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  op(op: Op, db: number): this {
    this.ensure(2);
    this.buf[this.pos++] = op;
    this.buf[this.pos++] = db;
    this.count++;
    return this;
  }

  str(s: string): this {
    const len = s.length;
    this.ensure(len + 4);
    const b = this.buf;
    let p = this.pos;
    writeU32BE(b, p, len);
    p += 4;
    if (len <= 24) {
      for (let i = 0; i < len; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos = p + writeLatin1(b, s, p, len);
    }
    return this;
  }

  /** The strings of `list` from `from` on (a command's arguments after its key, say). */
  strs(list: readonly string[], from = 0): this {
    this.ensure(4);
    writeU32BE(this.buf, this.pos, list.length - from);
    this.pos += 4;
    for (let i = from; i < list.length; i++) this.str(list[i]!);
    return this;
  }

  num(n: number): this {
    this.ensure(8);
    writeF64BE(this.buf, this.pos, n);
    this.pos += 8;
    return this;
  }

  nums(list: readonly number[]): this {
    this.ensure(4 + list.length * 8);
    writeU32BE(this.buf, this.pos, list.length);
    this.pos += 4;
    for (const n of list) this.num(n);
    return this;
  }

  u8(n: number): this {
    this.ensure(1);
    this.buf[this.pos++] = n;
    return this;
  }

  flag(b: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = b ? 1 : 0;
    return this;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DepotError('CORRUPT_LOG', 'truncated cache effect');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  flag(): boolean {
    return this.u8() !== 0;
  }
  num(): number {
    this.need(8);
    const n = readF64BE(this.buf, this.pos);
    this.pos += 8;
    return n;
  }
  str(): string {
    this.need(4);
    const len = readU32BE(this.buf, this.pos);
    this.pos += 4;
    this.need(len);
    const s = readLatin1(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  count(): number {
    this.need(4);
    const n = readU32BE(this.buf, this.pos);
    this.pos += 4;
    // Each element takes at least 4 bytes: a larger count is corruption, not a huge allocation.
    this.need(n * 4);
    return n;
  }
  strs(): string[] {
    const n = this.count();
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.str();
    return out;
  }
  nums(): number[] {
    const n = this.count();
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.num();
    return out;
  }
}

/** Applies every effect of a payload (packed or not) to `ks`; throws CORRUPT_LOG on a malformed payload. */
export function applyEffects(ks: Keyspace, payload: Buffer): void {
  const r = new Reader(unpackEffects(payload));
  while (!r.done) applyOne(ks, r);
}

function applyOne(ks: Keyspace, r: Reader): void {
  const op = r.u8();
  const db = r.u8();
  if (db >= ks.dbs.length) throw new DepotError('CORRUPT_LOG', `cache effect for database ${db}`);
  switch (op) {
    case Op.SET: return ks.set(db, r.str(), r.str(), r.num(), r.flag());
    case Op.DEL: return void ks.del(db, r.str());
    case Op.PEXPIREAT: return void ks.pexpireat(db, r.str(), r.num());
    case Op.PERSIST: return void ks.persist(db, r.str());
    case Op.APPEND: return void ks.append(db, r.str(), r.str());
    case Op.SETRANGE: return void ks.setrange(db, r.str(), r.num(), r.str());
    case Op.RENAME: return ks.rename(db, r.str(), r.str());
    case Op.COPY: return void ks.copy(db, r.str(), r.u8(), r.str(), r.flag());
    case Op.MOVE: return void ks.move(db, r.str(), r.u8());
    case Op.SWAPDB: return ks.swapdb(db, r.u8());
    case Op.FLUSHDB: return ks.flushdb(db);
    case Op.FLUSHALL: return ks.flushall();
    case Op.PUSH: return void ks.push(db, r.str(), r.strs(), r.flag());
    case Op.POP: return void ks.pop(db, r.str(), r.num(), r.flag());
    case Op.LSET: return ks.lset(db, r.str(), r.num(), r.str());
    case Op.LINSERT: return void ks.linsert(db, r.str(), r.flag(), r.str(), r.str());
    case Op.LREM: return void ks.lrem(db, r.str(), r.num(), r.str());
    case Op.LTRIM: return ks.ltrim(db, r.str(), r.num(), r.num());
    case Op.LMOVE: return void ks.lmove(db, r.str(), r.str(), r.flag(), r.flag());
    case Op.HSET: return void ks.hset(db, r.str(), r.strs());
    case Op.HDEL: return void ks.hdel(db, r.str(), r.strs());
    case Op.SADD: return void ks.sadd(db, r.str(), r.strs());
    case Op.SREM: return void ks.srem(db, r.str(), r.strs());
    case Op.SMOVE: return void ks.smove(db, r.str(), r.str(), r.str());
    case Op.ZADD: {
      const key = r.str();
      return void ks.zadd(db, key, r.nums(), r.strs());
    }
    case Op.ZREM: return void ks.zrem(db, r.str(), r.strs());
    case Op.XADD: {
      const key = r.str();
      const id = r.str();
      const fields = r.strs();
      return void ks.xadd(db, key, id, fields, { maxBytes: r.num(), maxEntries: r.num() });
    }
    case Op.XTRIM: {
      const key = r.str();
      const maxLen = r.num();
      const minId = r.flag() ? r.str() : null;
      return void ks.xtrim(db, key, maxLen, minId, r.flag(), r.num());
    }
    case Op.XDEL: return void ks.xdel(db, r.str(), r.strs());
    case Op.XSETID: {
      const key = r.str();
      const lastId = r.str();
      const added = r.num();
      return ks.xsetid(db, key, lastId, added, r.flag() ? r.str() : null);
    }
    case Op.XGROUP_CREATE: return void ks.xgroupCreate(db, r.str(), r.str(), r.str(), r.num());
    case Op.XGROUP_SETID: return ks.xgroupSetid(db, r.str(), r.str(), r.str(), r.num());
    case Op.XGROUP_DESTROY: return void ks.xgroupDestroy(db, r.str(), r.str());
    case Op.XCONSUMER: return void ks.xconsumer(db, r.str(), r.str(), r.str(), r.num());
    case Op.XCONSUMER_DEL: return void ks.xconsumerDel(db, r.str(), r.str(), r.str());
    case Op.XPENDING: {
      const key = r.str();
      const group = r.str();
      const consumer = r.str();
      const ids = r.strs();
      const time = r.num();
      return ks.xpending(db, key, group, consumer, ids, time, r.nums());
    }
    case Op.XACK: return void ks.xack(db, r.str(), r.str(), r.strs());
    case Op.FUNCTION_LOAD: return ks.functionLoad(r.str(), r.str());
    case Op.FUNCTION_DELETE: return ks.functionDelete(r.str());
    case Op.FUNCTION_FLUSH: return ks.functionFlush();
    default:
      throw new DepotError('CORRUPT_LOG', `unknown cache effect op ${op}`);
  }
}

/**
 * The leader's side of the effects: each method applies the effect to the live keyspace
 * (through the same Keyspace method that `applyEffects` calls) and, when effects are recorded,
 * appends its record to the payload being built, returning what the command needs for its reply.
 */
export class Effects {
  constructor(
    private readonly ks: Keyspace,
    /**
     * Null: effects are applied and not recorded. A group of one whose log is in memory only
     * (`appendonly no`) has nobody to read an entry, so recording one costs a write and a raft
     * turn for nothing, as Redis propagates nothing without an AOF or replicas.
     */
    readonly enc: EffectEncoder | null,
  ) {}

  /**
   * Told of each key an effect adds to a database (Redis's dbAdd, which publishes the "new"
   * keyspace event), before the effect; null while nobody listens.
   */
  onAdd: ((db: number, key: string) => void) | null = null;
  /** The key `replace` deleted, which the effect storing its new value overwrites rather than adds. */
  private replacedDb = -1;
  private replacedKey = '';

  /** Reports `key` to onAdd when the effect about to run adds it. */
  private adding(db: number, key: string): void {
    const overwrite = db === this.replacedDb && key === this.replacedKey;
    this.replacedDb = -1;
    if (this.onAdd !== null && !overwrite && !this.ks.dbs[db]!.keys.has(key)) this.onAdd(db, key);
  }

  /** Reports a destination a RENAME, COPY or MOVE adds: Redis deletes a replaced one first. */
  private added(db: number, key: string): void {
    this.replacedDb = -1;
    this.onAdd?.(db, key);
  }

  /**
   * Deletes `key` for a store of a new value in its place (SINTERSTORE, SORT STORE, ...): the
   * store, which must be the next effect, overwrites the key, as Redis's setKey does.
   */
  replace(db: number, key: string): void {
    this.ks.replacing(db, key);
    if (!this.del(db, key)) return;
    this.replacedDb = db;
    this.replacedKey = key;
  }

  set(db: number, key: string, value: string, pxat: number, keepTtl: boolean): void {
    this.adding(db, key);
    this.enc?.op(Op.SET, db).str(key).str(value).num(pxat).flag(keepTtl);
    this.ks.set(db, key, value, pxat, keepTtl);
  }
  del(db: number, key: string): boolean {
    if (!this.ks.dbs[db]!.keys.has(key)) return false;
    this.enc?.op(Op.DEL, db).str(key);
    return this.ks.del(db, key);
  }
  pexpireat(db: number, key: string, pxat: number): boolean {
    this.enc?.op(Op.PEXPIREAT, db).str(key).num(pxat);
    return this.ks.pexpireat(db, key, pxat);
  }
  persist(db: number, key: string): boolean {
    this.enc?.op(Op.PERSIST, db).str(key);
    return this.ks.persist(db, key);
  }
  append(db: number, key: string, suffix: string): number {
    this.adding(db, key);
    this.enc?.op(Op.APPEND, db).str(key).str(suffix);
    return this.ks.append(db, key, suffix);
  }
  setrange(db: number, key: string, offset: number, patch: string): number {
    this.adding(db, key);
    this.enc?.op(Op.SETRANGE, db).str(key).num(offset).str(patch);
    return this.ks.setrange(db, key, offset, patch);
  }
  rename(db: number, src: string, dst: string): void {
    this.added(db, dst);
    this.enc?.op(Op.RENAME, db).str(src).str(dst);
    this.ks.rename(db, src, dst);
  }
  copy(db: number, src: string, dstDb: number, dst: string, replace: boolean): boolean {
    this.added(dstDb, dst);
    this.enc?.op(Op.COPY, db).str(src).u8(dstDb).str(dst).flag(replace);
    return this.ks.copy(db, src, dstDb, dst, replace);
  }
  move(db: number, key: string, dstDb: number): boolean {
    this.added(dstDb, key);
    this.enc?.op(Op.MOVE, db).str(key).u8(dstDb);
    return this.ks.move(db, key, dstDb);
  }
  swapdb(a: number, b: number): void {
    this.enc?.op(Op.SWAPDB, a).u8(b);
    this.ks.swapdb(a, b);
  }
  flushdb(db: number): void {
    this.enc?.op(Op.FLUSHDB, db);
    this.ks.flushdb(db);
  }
  flushall(): void {
    this.enc?.op(Op.FLUSHALL, 0);
    this.ks.flushall();
  }
  /** Pushes `elements` from `from` on (a command line's, without copying them out). */
  push(db: number, key: string, elements: readonly string[], left: boolean, from = 0): number {
    this.adding(db, key);
    this.enc?.op(Op.PUSH, db).str(key).strs(elements, from).flag(left);
    return this.ks.push(db, key, elements, left, from);
  }
  pop(db: number, key: string, count: number, left: boolean, each: (v: Stored) => void): number {
    this.enc?.op(Op.POP, db).str(key).num(count).flag(left);
    return this.ks.pop(db, key, count, left, each);
  }
  /** A write that changed nothing: nothing to log, but WATCH and tracking see it (Keyspace.modified). */
  modified(db: number, key: string): void {
    this.ks.modified(db, key);
  }
  lset(db: number, key: string, index: number, element: string): void {
    this.enc?.op(Op.LSET, db).str(key).num(index).str(element);
    this.ks.lset(db, key, index, element);
  }
  linsert(db: number, key: string, after: boolean, pivot: string, element: string): number {
    this.enc?.op(Op.LINSERT, db).str(key).flag(after).str(pivot).str(element);
    return this.ks.linsert(db, key, after, pivot, element);
  }
  lrem(db: number, key: string, count: number, element: string): number {
    this.enc?.op(Op.LREM, db).str(key).num(count).str(element);
    return this.ks.lrem(db, key, count, element);
  }
  ltrim(db: number, key: string, start: number, stop: number): void {
    this.enc?.op(Op.LTRIM, db).str(key).num(start).num(stop);
    this.ks.ltrim(db, key, start, stop);
  }
  lmove(db: number, src: string, dst: string, fromLeft: boolean, toLeft: boolean): string {
    this.adding(db, dst);
    this.enc?.op(Op.LMOVE, db).str(src).str(dst).flag(fromLeft).flag(toLeft);
    return this.ks.lmove(db, src, dst, fromLeft, toLeft);
  }
  /** Sets the field/value pairs of `pairs` from `from` on. */
  hset(db: number, key: string, pairs: readonly string[], from = 0): number {
    this.adding(db, key);
    assert((pairs.length - from) % 2 === 0, 'HSET effect with an odd pair list');
    this.enc?.op(Op.HSET, db).str(key).strs(pairs, from);
    return this.ks.hset(db, key, pairs, from);
  }
  hdel(db: number, key: string, fields: readonly string[]): number {
    this.enc?.op(Op.HDEL, db).str(key).strs(fields);
    return this.ks.hdel(db, key, fields);
  }
  /** Adds the members of `members` from `from` on. */
  sadd(db: number, key: string, members: readonly string[], from = 0): number {
    this.adding(db, key);
    this.enc?.op(Op.SADD, db).str(key).strs(members, from);
    return this.ks.sadd(db, key, members, from);
  }
  srem(db: number, key: string, members: readonly string[]): number {
    this.enc?.op(Op.SREM, db).str(key).strs(members);
    return this.ks.srem(db, key, members);
  }
  smove(db: number, src: string, dst: string, member: string): boolean {
    this.adding(db, dst);
    this.enc?.op(Op.SMOVE, db).str(src).str(dst).str(member);
    return this.ks.smove(db, src, dst, member);
  }
  zadd(db: number, key: string, scores: readonly number[], members: readonly string[]): number {
    this.adding(db, key);
    this.enc?.op(Op.ZADD, db).str(key).nums(scores).strs(members);
    return this.ks.zadd(db, key, scores, members);
  }
  zrem(db: number, key: string, members: readonly string[]): number {
    this.enc?.op(Op.ZREM, db).str(key).strs(members);
    return this.ks.zrem(db, key, members);
  }

  xadd(db: number, key: string, id: StreamId, fields: readonly string[], limits: NodeLimits): Stream {
    this.adding(db, key);
    this.enc?.op(Op.XADD, db).str(key).str(id).strs(fields).num(limits.maxBytes).num(limits.maxEntries);
    return this.ks.xadd(db, key, id, fields, limits);
  }
  xtrim(db: number, key: string, maxLen: number, minId: StreamId | null, approx: boolean, limit: number): number {
    this.enc?.op(Op.XTRIM, db).str(key).num(maxLen).flag(minId !== null);
    if (minId !== null) this.enc?.str(minId);
    this.enc?.flag(approx).num(limit);
    return this.ks.xtrim(db, key, maxLen, minId, approx, limit);
  }
  xdel(db: number, key: string, ids: readonly StreamId[]): number {
    this.enc?.op(Op.XDEL, db).str(key).strs(ids);
    return this.ks.xdel(db, key, ids);
  }
  xsetid(db: number, key: string, lastId: StreamId, entriesAdded: number, maxDeletedId: StreamId | null): void {
    this.enc?.op(Op.XSETID, db).str(key).str(lastId).num(entriesAdded).flag(maxDeletedId !== null);
    if (maxDeletedId !== null) this.enc?.str(maxDeletedId);
    this.ks.xsetid(db, key, lastId, entriesAdded, maxDeletedId);
  }
  xgroupCreate(db: number, key: string, group: string, lastId: StreamId, entriesRead: number): boolean {
    this.adding(db, key);
    this.enc?.op(Op.XGROUP_CREATE, db).str(key).str(group).str(lastId).num(entriesRead);
    return this.ks.xgroupCreate(db, key, group, lastId, entriesRead);
  }
  xgroupSetid(db: number, key: string, group: string, lastId: StreamId, entriesRead: number): void {
    this.enc?.op(Op.XGROUP_SETID, db).str(key).str(group).str(lastId).num(entriesRead);
    this.ks.xgroupSetid(db, key, group, lastId, entriesRead);
  }
  xgroupDestroy(db: number, key: string, group: string): boolean {
    this.enc?.op(Op.XGROUP_DESTROY, db).str(key).str(group);
    return this.ks.xgroupDestroy(db, key, group);
  }
  xconsumer(db: number, key: string, group: string, name: string, time: number): boolean {
    this.enc?.op(Op.XCONSUMER, db).str(key).str(group).str(name).num(time);
    return this.ks.xconsumer(db, key, group, name, time);
  }
  xconsumerDel(db: number, key: string, group: string, name: string): number {
    this.enc?.op(Op.XCONSUMER_DEL, db).str(key).str(group).str(name);
    return this.ks.xconsumerDel(db, key, group, name);
  }
  xpending(db: number, key: string, group: string, name: string, ids: readonly StreamId[], time: number, counts: readonly number[]): void {
    this.enc?.op(Op.XPENDING, db).str(key).str(group).str(name).strs(ids).num(time).nums(counts);
    this.ks.xpending(db, key, group, name, ids, time, counts);
  }
  xack(db: number, key: string, group: string, ids: readonly StreamId[]): number {
    this.enc?.op(Op.XACK, db).str(key).str(group).strs(ids);
    return this.ks.xack(db, key, group, ids);
  }

  // Libraries belong to no database: their records carry database 0.
  functionLoad(name: string, code: string): void {
    this.enc?.op(Op.FUNCTION_LOAD, 0).str(name).str(code);
    this.ks.functionLoad(name, code);
  }
  functionDelete(name: string): void {
    this.enc?.op(Op.FUNCTION_DELETE, 0).str(name);
    this.ks.functionDelete(name);
  }
  functionFlush(): void {
    this.enc?.op(Op.FUNCTION_FLUSH, 0);
    this.ks.functionFlush();
  }
}
