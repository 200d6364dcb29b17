// The keyspace and the deterministic mutations ("effects") that change it. Every change to
// the data goes through one of these methods, on the leader (right after a command resolved
// its effects), on followers and during recovery (decoded from the log): one code path.
//
// The methods trust their arguments: type checks, argument validation, time and randomness
// are the command layer's job on the leader, which only emits effects that apply cleanly.
// Each method returns what the leader needs for its reply (counts, popped elements).
import { assert } from '../../util/assert.js';
import { BlobStore, type Stored } from './blobs.js';
import { lfuMinutes, lfuNew, lfuTouch, type LfuParams } from './lfu.js';
import { DEFAULT_PACK_LIMITS, type PackLimits } from './hash.js';
import { DEFAULT_ZSET_LIMITS, type ZSetLimits } from './zset.js';
import { Libraries } from './libraries.js';
import { entryBytes, EXPIRE_BYTES, hashBytes, LIST_ELEMENT_BYTES, setBytes, streamBytes, zsetBytes } from './memory.js';
import { Db, Hash, List, MemberSet, Stream, ZSet, type RSet, type Value } from './values.js';
import type { NodeLimits } from './stream.js';
import { ConsumerGroup } from './stream-group.js';
import type { StreamId } from './stream-id.js';

export const DATABASES = 16;

// Empty collections, created at module level so that a collection write allocates no closure.
const newList = (): List => new List();
const newHash = (hashSeed: number): Hash => new Hash(hashSeed);
const newSet = (hashSeed: number): RSet => new MemberSet(hashSeed);
const newZSet = (hashSeed: number): ZSet => new ZSet(hashSeed);
const newStream = (): Stream => new Stream();

/** Told about every key about to change (WATCH, blocked clients, keyspace snapshots). */
export interface KeyspaceObserver {
  /**
   * `signalled` is Redis's signalModifiedKey, which WATCH and client tracking follow: false for
   * a change of a stream's consumer groups or of its last ID alone, which Redis does not signal.
   */
  beforeWrite(db: Db, dbIndex: number, key: string, signalled: boolean, deleting: boolean): void;
  /**
   * A whole database is about to be emptied (`replacedWith` null) or swapped for
   * `replacedWith` (SWAPDB).
   */
  beforeDbWrite(db: Db, dbIndex: number, replacedWith: Db | null): void;
}

export class Keyspace {
  readonly dbs: Db[];
  /** Mutations applied since start. */
  changes = 0;
  /** `changes` when the last snapshot captured the keyspace (INFO's rdb_changes_since_last_save). */
  changesAtSnapshot = 0;
  /**
   * The access time (s) given to keys written from now on: set by the command layer before it
   * executes, so that this state machine reads no clock. Keys written while replaying the log
   * get 0 (no access since start).
   */
  accessClock = 0;
  /**
   * Set while an LFU eviction policy is chosen: access fields then hold Redis's LFU data
   * (lfu.ts), and a write counts as an access to the key, drawing on `accessRandom`.
   */
  lfu: LfuParams | null = null;
  /** When a hash is packed (hash.ts): hash-max-listpack-entries and -value. */
  hashLimits: PackLimits = DEFAULT_PACK_LIMITS;
  /** When a sorted set is packed (zset.ts): zset-max-listpack-entries and -value. */
  zsetLimits: ZSetLimits = DEFAULT_ZSET_LIMITS;
  /** Uniform in [0, 1), drawn by the command layer for each execution (LFU increments). */
  private accessRandom = 0;
  /**
   * Under an LFU policy, the keys (db + '\0' + key) the command layer looked up in this
   * execution, each lookup counted as an access as Redis's lookups are: a write to one of them
   * is part of that access, not another one (a write to a key not looked up counts, as Redis's
   * setKey looks it up).
   */
  readonly lookedUp = new Set<string>();
  /**
   * Under an LFU policy, the access field of the key a store is replacing (deleted just before):
   * the new value keeps it, as Redis's dbOverwrite keeps the old value's LFU data.
   */
  private inherited: { db: number; key: string; field: number } | null = null;
  /**
   * Where long string values, hash values and list elements live (blobs.ts). Every value this
   * keyspace drops is released to it; a restored snapshot comes with its own store.
   */
  blobs = new BlobStore();
  /** The function libraries (FUNCTION LOAD): not in any database, so FLUSHALL keeps them, as in Redis. */
  readonly libraries = new Libraries();
  /** How a hash that is a table stores a value. */
  private readonly storeValue = (v: string): Stored => this.blobs.store(v);
  private readonly observers: KeyspaceObserver[] = [];

  /** `hashSeed` seeds the hash tables (dict.ts): an input, so that this machine draws no random numbers. */
  constructor(readonly hashSeed: number) {
    this.dbs = Array.from({ length: DATABASES }, () => new Db(hashSeed));
  }

  observe(o: KeyspaceObserver): () => void {
    this.observers.push(o);
    return () => {
      const i = this.observers.indexOf(o);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /** `deleting`: the write removes the key (WATCH tells a deletion from other changes). */
  private touch(dbIndex: number, key: string, signalled = true, deleting = false): Db {
    const db = this.dbs[dbIndex]!;
    for (const o of this.observers) o.beforeWrite(db, dbIndex, key, signalled, deleting);
    this.changes++;
    return db;
  }

  /**
   * A write that changed nothing (Redis's signalModifiedKey after an LTRIM that kept every
   * element): the observers see it (WATCH, tracking); no change is counted.
   */
  modified(dbIndex: number, key: string): void {
    const db = this.dbs[dbIndex]!;
    for (const o of this.observers) o.beforeWrite(db, dbIndex, key, true, false);
  }

  private touchDb(dbIndex: number, replacedWith: Db | null): void {
    const db = this.dbs[dbIndex]!;
    for (const o of this.observers) o.beforeDbWrite(db, dbIndex, replacedWith);
    this.changes++;
  }

  /**
   * What the data set costs, as maxmemory counts it: the keys on the JS heap (memory.ts) plus
   * the blocks of long values.
   */
  datasetBytes(): number {
    let n = this.blobs.usedBytes;
    for (const db of this.dbs) n += db.bytes;
    return n;
  }

  /** The collection at `key`, created empty when missing (the command layer checked its type). */
  private collectionFor<T extends List | Hash | RSet | ZSet | Stream>(
    dbIndex: number,
    key: string,
    kind: abstract new (...args: never[]) => T,
    create: (hashSeed: number) => T,
    signalled = true,
  ): T {
    // Creating the key is signalled whatever the change (XGROUP CREATE ... MKSTREAM, as Redis's dbAdd).
    const db = this.touch(dbIndex, key, signalled || this.dbs[dbIndex]!.keys.find(key) < 0);
    const slot = db.keys.find(key);
    if (slot < 0) {
      const created = create(this.hashSeed);
      db.keys.set(key, created, this.fresh(dbIndex, key));
      db.bytes += entryBytes(key, created);
      return created;
    }
    db.keys.setAccessAt(slot, this.writtenAt(dbIndex, key, db.keys.accessAt(slot)));
    const value = db.keys.valueAt(slot);
    // A constant message: this runs for every collection write.
    assert(value instanceof kind, 'collection effect on a key of another type');
    return value;
  }

  /** Frees what `value` holds in the blob store; the value must not be read afterwards. */
  private dispose(value: Value): void {
    if (typeof value === 'number') this.blobs.release(value);
    else if (this.blobs.count === 0) return;
    else if (value instanceof Hash) for (const v of value.values()) this.blobs.release(v);
    else if (value instanceof List) for (let i = 0; i < value.length; i++) this.blobs.release(value.at(i));
  }

  /** A deep copy (COPY). */
  private clone(v: Value): Value {
    if (typeof v === 'string' || typeof v === 'number') return this.blobs.dup(v);
    if (v instanceof List) return new List(v.toArray().map((x) => this.blobs.dup(x)));
    if (v instanceof Hash) {
      const h = new Hash(v.seed);
      for (const [f, x] of v) h.set(f, this.blobs.text(x), this.hashLimits, this.storeValue);
      return h;
    }
    if (v instanceof MemberSet) return new MemberSet(v.seed, v);
    if (v instanceof Stream) return v.clone();
    const z = new ZSet(v.seed);
    for (const [m, s] of v) z.add(m, s, this.zsetLimits);
    return z;
  }

  /** The access field of a key accessed now whose field was `old` (`r` as `accessRandom`). */
  accessed(old: number, r: number): number {
    return this.lfu === null ? this.accessClock : lfuTouch(old, lfuMinutes(this.accessClock), r, this.lfu);
  }

  /** The command layer begins an execution under an LFU policy; `random` is its draw for increments. */
  beginExecution(random: number): void {
    this.accessRandom = random;
    if (this.lookedUp.size > 0) this.lookedUp.clear();
    this.inherited = null;
  }

  /** A store is about to replace `key` (it deletes it first): see `inherited`. */
  replacing(dbIndex: number, key: string): void {
    if (this.lfu === null) return;
    const keys = this.dbs[dbIndex]!.keys;
    const slot = keys.find(key);
    this.inherited = slot < 0 ? null : { db: dbIndex, key, field: keys.accessAt(slot) };
  }

  /** The access field of `key` created now: a new key's, or what a store inherits plus its own access (Redis's setKey looks the key up). */
  private fresh(dbIndex: number, key: string): number {
    if (this.lfu === null) return this.accessClock;
    const inherited = this.inherited;
    if (inherited !== null) {
      this.inherited = null;
      if (inherited.db === dbIndex && inherited.key === key) return this.accessed(inherited.field, this.accessRandom);
    }
    return lfuNew(lfuMinutes(this.accessClock));
  }

  /** The access field of an existing `key` (field `old`) written now. */
  private writtenAt(dbIndex: number, key: string, old: number): number {
    if (this.lfu === null) return this.accessClock;
    return this.lookedUp.has(`${dbIndex}\0${key}`) ? old : this.accessed(old, this.accessRandom);
  }

  /** The access field of `key` written now: an access if it exists, a new key's otherwise. */
  private written(dbIndex: number, key: string): number {
    if (this.lfu === null) return this.accessClock;
    const keys = this.dbs[dbIndex]!.keys;
    const slot = keys.find(key);
    return slot < 0 ? this.fresh(dbIndex, key) : this.writtenAt(dbIndex, key, keys.accessAt(slot));
  }

  /** Stores `value` at `key` in database `dbIndex`, releasing the value it replaces. */
  private put(dbIndex: number, key: string, value: Value, at: number = this.written(dbIndex, key)): void {
    const db = this.dbs[dbIndex]!;
    const old = db.keys.set(key, value, at);
    db.bytes += entryBytes(key, value);
    if (old === undefined) return;
    db.bytes -= entryBytes(key, old);
    this.dispose(old);
  }

  private setExpiry(db: Db, key: string, pxat: number): void {
    if (db.expires.set(key, pxat) === undefined) db.bytes += EXPIRE_BYTES;
  }

  private clearExpiry(db: Db, key: string): void {
    if (db.expires.size > 0 && db.expires.delete(key)) db.bytes -= EXPIRE_BYTES;
  }

  /** Removes `key` (holding `value`) and its expiry without releasing the value (which moves elsewhere). */
  private detach(db: Db, key: string, value: Value): void {
    db.keys.delete(key);
    db.bytes -= entryBytes(key, value);
    this.clearExpiry(db, key);
  }

  // ---- keys and strings ----

  /** `pxat` 0 = no expiry; `keepTtl` keeps an existing one (SET KEEPTTL, INCR, SETRANGE). */
  set(dbIndex: number, key: string, value: string, pxat: number, keepTtl: boolean): void {
    const db = this.touch(dbIndex, key);
    this.put(dbIndex, key, this.blobs.store(value));
    if (keepTtl) return;
    if (pxat > 0) this.setExpiry(db, key, pxat);
    else this.clearExpiry(db, key);
  }

  del(dbIndex: number, key: string): boolean {
    const db = this.dbs[dbIndex]!;
    const slot = db.keys.find(key);
    if (slot < 0) return false;
    this.touch(dbIndex, key, true, true);
    const value = db.keys.valueAt(slot);
    this.dispose(value);
    this.detach(db, key, value);
    return true;
  }

  pexpireat(dbIndex: number, key: string, pxat: number): boolean {
    const db = this.dbs[dbIndex]!;
    if (!db.keys.has(key)) return false;
    this.setExpiry(this.touch(dbIndex, key), key, pxat);
    return true;
  }

  persist(dbIndex: number, key: string): boolean {
    const db = this.dbs[dbIndex]!;
    if (!db.expires.has(key)) return false;
    this.clearExpiry(this.touch(dbIndex, key), key);
    return true;
  }

  append(dbIndex: number, key: string, suffix: string): number {
    const db = this.touch(dbIndex, key);
    const old = db.keys.get(key);
    assert(old === undefined || typeof old === 'string' || typeof old === 'number', 'APPEND to a non-string');
    const next = old === undefined ? suffix : this.blobs.text(old) + suffix;
    this.put(dbIndex, key, this.blobs.store(next));
    return next.length;
  }

  setrange(dbIndex: number, key: string, offset: number, patch: string): number {
    const db = this.touch(dbIndex, key);
    const stored = db.keys.get(key) ?? '';
    assert(typeof stored === 'string' || typeof stored === 'number', 'SETRANGE on a non-string');
    const old = this.blobs.text(stored);
    const padded = old.length < offset ? old + '\0'.repeat(offset - old.length) : old;
    const next = padded.slice(0, offset) + patch + padded.slice(offset + patch.length);
    this.put(dbIndex, key, this.blobs.store(next));
    return next.length;
  }

  /** RENAME: the value and its expiry move; an existing destination is replaced. */
  rename(dbIndex: number, src: string, dst: string): void {
    const db = this.dbs[dbIndex]!;
    const slot = db.keys.find(src);
    assert(slot >= 0, 'RENAME of a missing key');
    const value = db.keys.valueAt(slot);
    const at = db.keys.accessAt(slot);
    const pxat = db.expires.get(src);
    this.touch(dbIndex, src, true, true);
    this.detach(db, src, value);
    this.touch(dbIndex, dst);
    this.put(dbIndex, dst, value, at);
    if (pxat !== undefined) this.setExpiry(db, dst, pxat);
    else this.clearExpiry(db, dst);
  }

  copy(dbIndex: number, src: string, dstDb: number, dst: string, replace: boolean): boolean {
    const from = this.dbs[dbIndex]!;
    const value = from.keys.get(src);
    const to = this.dbs[dstDb]!;
    if (value === undefined || (!replace && to.keys.has(dst))) return false;
    const pxat = from.expires.get(src);
    this.touch(dstDb, dst);
    // A new object in Redis: a new key's access data, whatever the destination held.
    this.put(dstDb, dst, this.clone(value), this.fresh(dstDb, dst));
    if (pxat !== undefined) this.setExpiry(to, dst, pxat);
    else this.clearExpiry(to, dst);
    return true;
  }

  move(dbIndex: number, key: string, dstDb: number): boolean {
    const from = this.dbs[dbIndex]!;
    const to = this.dbs[dstDb]!;
    const slot = from.keys.find(key);
    if (slot < 0 || to.keys.has(key)) return false;
    const value = from.keys.valueAt(slot);
    const at = from.keys.accessAt(slot);
    const pxat = from.expires.get(key);
    this.touch(dbIndex, key, true, true);
    this.detach(from, key, value);
    this.touch(dstDb, key);
    this.put(dstDb, key, value, at);
    if (pxat !== undefined) this.setExpiry(to, key, pxat);
    return true;
  }

  swapdb(a: number, b: number): void {
    this.touchDb(a, this.dbs[b]!);
    this.touchDb(b, this.dbs[a]!);
    const t = this.dbs[a]!;
    this.dbs[a] = this.dbs[b]!;
    this.dbs[b] = t;
  }

  /** Replaces the database object: a snapshot in progress keeps reading the old one. */
  flushdb(dbIndex: number): void {
    this.touchDb(dbIndex, null);
    const old = this.dbs[dbIndex]!;
    this.dbs[dbIndex] = new Db(this.hashSeed);
    if (this.blobs.count > 0) for (const v of old.keys.values()) this.dispose(v);
  }

  flushall(): void {
    for (let i = 0; i < DATABASES; i++) this.flushdb(i);
  }

  /** Sets a key's access field (RESTORE's IDLETIME and FREQ): local to this node and never logged, as every access. */
  setAccess(dbIndex: number, key: string, field: number): void {
    const keys = this.dbs[dbIndex]!.keys;
    const slot = keys.find(key);
    if (slot >= 0) keys.setAccessAt(slot, field);
  }

  // ---- function libraries ----

  /** Adds or replaces a library (FUNCTION LOAD [REPLACE], FUNCTION RESTORE). */
  functionLoad(name: string, code: string): void {
    this.libraries.set(name, code);
    this.changes++;
  }

  functionDelete(name: string): void {
    this.libraries.delete(name);
    this.changes++;
  }

  functionFlush(): void {
    this.libraries.clear();
    this.changes++;
  }

  // ---- lists ----

  private listFor(dbIndex: number, key: string): List {
    return this.collectionFor(dbIndex, key, List, newList);
  }

  /**
   * As `changed`, for a collection that may be packed (a hash, a set, a sorted set), whose
   * bytes are not its size times a figure: it counted `before` and counts `after` (memory.ts).
   */
  private recounted(dbIndex: number, key: string, c: Hash | RSet | ZSet, before: number, after: number): void {
    const db = this.dbs[dbIndex]!;
    db.bytes += after - before;
    if (c.size > 0) return;
    db.keys.delete(key);
    db.bytes -= entryBytes(key, c);
    this.clearExpiry(db, key);
  }

  /** After a list changed, whose length was `before`: counts the difference, drops it when empty. */
  private changed(dbIndex: number, key: string, c: List, before: number): void {
    const db = this.dbs[dbIndex]!;
    const n = c.length;
    db.bytes += (n - before) * LIST_ELEMENT_BYTES;
    if (n > 0) return;
    db.keys.delete(key);
    db.bytes -= entryBytes(key, c);
    this.clearExpiry(db, key);
  }

  /** Pushes `elements` from `from` on. */
  push(dbIndex: number, key: string, elements: readonly string[], left: boolean, from = 0): number {
    const list = this.listFor(dbIndex, key);
    const before = list.length;
    const blobs = this.blobs;
    if (left) for (let i = from; i < elements.length; i++) list.pushFront(blobs.store(elements[i]!));
    else for (let i = from; i < elements.length; i++) list.pushBack(blobs.store(elements[i]!));
    this.changed(dbIndex, key, list, before);
    return list.length;
  }

  /**
   * Pops up to `count` elements; each is shown to `each` (the leader's reply) before it is freed,
   * as stored: a long one is copied from the blob store, not made a JS string. The number popped.
   */
  pop(dbIndex: number, key: string, count: number, left: boolean, each?: (v: Stored) => void): number {
    const list = this.listFor(dbIndex, key);
    const before = list.length;
    const n = Math.min(count, before);
    for (let i = 0; i < n; i++) {
      const v = left ? list.popFront() : list.popBack();
      each?.(v);
      this.blobs.release(v);
    }
    this.changed(dbIndex, key, list, before);
    return n;
  }

  lset(dbIndex: number, key: string, index: number, element: string): void {
    const list = this.listFor(dbIndex, key);
    this.blobs.release(list.at(index));
    list.setAt(index, this.blobs.store(element));
  }

  /** Inserts next to the first `pivot`; the new length, or -1 when the pivot is absent. */
  linsert(dbIndex: number, key: string, after: boolean, pivot: string, element: string): number {
    const list = this.listFor(dbIndex, key);
    let at = 0;
    while (at < list.length && !this.blobs.equals(list.at(at), pivot)) at++;
    if (at === list.length) return -1;
    const items = list.toArray();
    items.splice(after ? at + 1 : at, 0, this.blobs.store(element));
    list.replace(items);
    this.changed(dbIndex, key, list, items.length - 1);
    return list.length;
  }

  /** LREM semantics: count > 0 from the head, < 0 from the tail, 0 all. */
  lrem(dbIndex: number, key: string, count: number, element: string): number {
    const list = this.listFor(dbIndex, key);
    const items = list.toArray();
    const before = items.length;
    const limit = count === 0 ? Infinity : Math.abs(count);
    let removed = 0;
    const keep: Stored[] = [];
    const drop = (v: Stored): boolean => {
      if (removed >= limit || !this.blobs.equals(v, element)) return false;
      this.blobs.release(v);
      removed++;
      return true;
    };
    if (count >= 0) {
      for (const v of items) if (!drop(v)) keep.push(v);
    } else {
      for (let i = items.length - 1; i >= 0; i--) if (!drop(items[i]!)) keep.push(items[i]!);
      keep.reverse();
    }
    if (removed > 0) list.replace(keep);
    this.changed(dbIndex, key, list, before);
    return removed;
  }

  /**
   * Keeps elements `start` to `stop` (normalised; start > stop keeps none) by popping the others
   * from both ends: O(elements removed), as in Redis, so that LPUSH + LTRIM on a capped list
   * does not copy the list each time.
   */
  ltrim(dbIndex: number, key: string, start: number, stop: number): void {
    const list = this.listFor(dbIndex, key);
    const before = list.length;
    const tail = start > stop ? before : before - 1 - stop;
    for (let n = 0; n < tail; n++) this.blobs.release(list.popBack());
    for (let n = Math.min(start, list.length); n > 0; n--) this.blobs.release(list.popFront());
    this.changed(dbIndex, key, list, before);
  }

  /** The element moves as stored: a blob changes lists without a copy. */
  lmove(dbIndex: number, src: string, dst: string, fromLeft: boolean, toLeft: boolean): string {
    const from = this.listFor(dbIndex, src);
    assert(from.length > 0, 'LMOVE from an empty list');
    const v = fromLeft ? from.popFront() : from.popBack();
    this.changed(dbIndex, src, from, from.length + 1);
    const to = this.listFor(dbIndex, dst);
    if (toLeft) to.pushFront(v);
    else to.pushBack(v);
    this.changed(dbIndex, dst, to, to.length - 1);
    return this.blobs.text(v);
  }

  // ---- hashes ----

  private hashFor(dbIndex: number, key: string): Hash {
    return this.collectionFor<Hash>(dbIndex, key, Hash, newHash);
  }

  /** Sets field/value pairs (flat, from `from` on); the number of fields that were new. */
  hset(dbIndex: number, key: string, pairs: readonly string[], from = 0): number {
    const h = this.hashFor(dbIndex, key);
    const before = hashBytes(h);
    // One lookup per field: what it replaces says whether the field was new.
    let added = 0;
    for (let i = from; i < pairs.length; i += 2) {
      const old = h.set(pairs[i]!, pairs[i + 1]!, this.hashLimits, this.storeValue);
      if (old === undefined) added++;
      else this.blobs.release(old);
    }
    this.recounted(dbIndex, key, h, before, hashBytes(h));
    return added;
  }

  hdel(dbIndex: number, key: string, fields: readonly string[]): number {
    const h = this.hashFor(dbIndex, key);
    const before = hashBytes(h);
    let removed = 0;
    for (const f of fields) {
      const old = h.remove(f);
      if (old === undefined) continue;
      this.blobs.release(old);
      removed++;
    }
    this.recounted(dbIndex, key, h, before, hashBytes(h));
    return removed;
  }

  // ---- sets ----

  private setFor(dbIndex: number, key: string): RSet {
    return this.collectionFor<RSet>(dbIndex, key, MemberSet, newSet);
  }

  /** Adds `members` from `from` on; the number that were new. */
  sadd(dbIndex: number, key: string, members: readonly string[], from = 0): number {
    const s = this.setFor(dbIndex, key);
    const size = s.size;
    const before = setBytes(s);
    for (let i = from; i < members.length; i++) s.add(members[i]!);
    this.recounted(dbIndex, key, s, before, setBytes(s));
    return s.size - size;
  }

  srem(dbIndex: number, key: string, members: readonly string[]): number {
    const s = this.setFor(dbIndex, key);
    const before = setBytes(s);
    let removed = 0;
    for (const m of members) if (s.delete(m)) removed++;
    this.recounted(dbIndex, key, s, before, setBytes(s));
    return removed;
  }

  smove(dbIndex: number, src: string, dst: string, member: string): boolean {
    if (this.srem(dbIndex, src, [member]) === 0) return false;
    this.sadd(dbIndex, dst, [member]);
    return true;
  }

  // ---- sorted sets ----

  private zsetFor(dbIndex: number, key: string): ZSet {
    return this.collectionFor(dbIndex, key, ZSet, newZSet);
  }

  /** Sets absolute scores; the number of members that were new. */
  zadd(dbIndex: number, key: string, scores: readonly number[], members: readonly string[]): number {
    assert(scores.length === members.length, 'ZADD effect with unpaired scores');
    const z = this.zsetFor(dbIndex, key);
    const before = zsetBytes(z);
    let added = 0;
    for (let i = 0; i < members.length; i++) if (z.add(members[i]!, scores[i]!, this.zsetLimits)) added++;
    this.recounted(dbIndex, key, z, before, zsetBytes(z));
    return added;
  }

  zrem(dbIndex: number, key: string, members: readonly string[]): number {
    const z = this.zsetFor(dbIndex, key);
    const before = zsetBytes(z);
    let removed = 0;
    for (const m of members) if (z.remove(m)) removed++;
    this.recounted(dbIndex, key, z, before, zsetBytes(z));
    return removed;
  }

  // ---- streams ----
  // A stream stays when it empties (Redis keeps empty streams: their IDs and groups matter).

  /**
   * Runs `change` on the stream at `key` (created when missing) and counts its change of size;
   * `signalled` false for what Redis does not signal (consumer groups, XSETID).
   */
  private withStream<T>(dbIndex: number, key: string, change: (s: Stream) => T, signalled = true): T {
    const s = this.collectionFor(dbIndex, key, Stream, newStream, signalled);
    const before = streamBytes(s);
    const out = change(s);
    this.dbs[dbIndex]!.bytes += streamBytes(s) - before;
    return out;
  }

  /** The group `name` of the stream at `key`, which the command layer found. */
  private groupOf(s: Stream, name: string): ConsumerGroup {
    const g = s.groups.get(name);
    assert(g !== undefined, 'stream effect on a missing consumer group');
    return g;
  }

  /** Appends an entry (the stream keeps `fields`); returns the stream. No closure: this runs for every XADD. */
  xadd(dbIndex: number, key: string, id: StreamId, fields: readonly string[], limits: NodeLimits): Stream {
    const s = this.collectionFor(dbIndex, key, Stream, newStream);
    const before = streamBytes(s);
    s.append(id, fields, limits);
    this.dbs[dbIndex]!.bytes += streamBytes(s) - before;
    return s;
  }

  /** Trims as Stream.trim; `minId` null trims by length. Returns the entries removed. */
  xtrim(dbIndex: number, key: string, maxLen: number, minId: StreamId | null, approx: boolean, limit: number): number {
    return this.withStream(dbIndex, key, (s) => s.trim(maxLen, minId, approx, limit));
  }

  xdel(dbIndex: number, key: string, ids: readonly StreamId[]): number {
    return this.withStream(dbIndex, key, (s) => {
      let n = 0;
      for (const id of ids) if (s.delete(id)) n++;
      return n;
    });
  }

  /** XSETID: `entriesAdded` -1 and `maxDeletedId` 0-0 leave those unchanged. */
  xsetid(dbIndex: number, key: string, lastId: StreamId, entriesAdded: number, maxDeletedId: StreamId | null): void {
    this.withStream(dbIndex, key, (s) => {
      s.lastId = lastId;
      if (entriesAdded >= 0) s.entriesAdded = entriesAdded;
      if (maxDeletedId !== null) s.maxDeletedId = maxDeletedId;
    }, false);
  }

  /** Creates a consumer group (and the stream, for MKSTREAM); false when it exists. */
  xgroupCreate(dbIndex: number, key: string, group: string, lastId: StreamId, entriesRead: number): boolean {
    return this.withStream(dbIndex, key, (s) => {
      if (s.groups.has(group)) return false;
      s.groups.set(group, new ConsumerGroup(lastId, entriesRead));
      return true;
    }, false);
  }

  xgroupSetid(dbIndex: number, key: string, group: string, lastId: StreamId, entriesRead: number): void {
    this.withStream(dbIndex, key, (s) => {
      const g = this.groupOf(s, group);
      g.lastId = lastId;
      g.entriesRead = entriesRead;
    }, false);
  }

  xgroupDestroy(dbIndex: number, key: string, group: string): boolean {
    return this.withStream(dbIndex, key, (s) => s.groups.delete(group), false);
  }

  /** Creates consumer `name` seen at `time`, or marks it seen then; true when created. */
  xconsumer(dbIndex: number, key: string, group: string, name: string, time: number): boolean {
    return this.withStream(dbIndex, key, (s) => {
      const g = this.groupOf(s, group);
      const existing = g.consumers.get(name);
      if (existing !== undefined) {
        existing.seenTime = time;
        return false;
      }
      g.consumer(name, time);
      return true;
    }, false);
  }

  /** Deletes a consumer with its pending entries; returns how many it had. */
  xconsumerDel(dbIndex: number, key: string, group: string, name: string): number {
    return this.withStream(dbIndex, key, (s) => this.groupOf(s, group).deleteConsumer(name), false);
  }

  /**
   * Makes `ids` pending for consumer `name` (created, seen at `time`, when missing), delivered
   * at `time` with the given delivery counts (XREADGROUP, XCLAIM, XAUTOCLAIM).
   */
  xpending(dbIndex: number, key: string, group: string, name: string, ids: readonly StreamId[], time: number, counts: readonly number[]): void {
    assert(ids.length === counts.length, 'pending effect with unpaired counts');
    this.withStream(dbIndex, key, (s) => {
      const g = this.groupOf(s, group);
      const consumer = g.consumer(name, time);
      for (let i = 0; i < ids.length; i++) g.setPending(ids[i]!, consumer, time, counts[i]!);
    }, false);
  }

  /** Removes `ids` from a group's PEL (XACK, and claims of deleted entries); returns how many were pending. */
  xack(dbIndex: number, key: string, group: string, ids: readonly StreamId[]): number {
    return this.withStream(dbIndex, key, (s) => {
      const g = this.groupOf(s, group);
      let n = 0;
      for (const id of ids) if (g.ack(id)) n++;
      return n;
    }, false);
  }

  /**
   * Replaces the whole state (restore from a snapshot) with databases whose long values are in
   * `blobs`, and the function libraries. The old store goes with the old databases (a snapshot in progress keeps both).
   */
  load(dbs: Db[], blobs: BlobStore, libraries: ReadonlyMap<string, string>): void {
    assert(dbs.length === DATABASES, 'snapshot with a wrong database count');
    this.libraries.replace(libraries);
    for (let i = 0; i < DATABASES; i++) this.touchDb(i, dbs[i]!);
    for (let i = 0; i < DATABASES; i++) this.dbs[i] = dbs[i]!;
    this.blobs = blobs;
    for (const db of dbs) db.bytes = recount(db);
  }
}

/** A database's bytes counted afresh (a restored snapshot; the tests' check of the running count). */
export function recount(db: Db): number {
  let n = db.expires.size * EXPIRE_BYTES;
  for (const [key, value] of db.keys) n += entryBytes(key, value);
  return n;
}

export type { Value };
