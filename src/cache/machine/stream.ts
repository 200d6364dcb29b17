// A stream (Redis t_stream.c): entries with increasing IDs, each a list of field-value pairs,
// plus the consumer groups that read it (stream-group.ts).
//
// Entries live in nodes as in Redis, where each node is a listpack under a radix-tree key (the
// ID of its first entry): a node takes entries until its listpack bytes (listpack-size.ts) plus
// the new entry's would reach stream-node-max-bytes, or it holds stream-node-max-entries
// entries, deleted ones included. Deleting an entry leaves a tombstone in its node (the node goes
// when its last live entry does); trimming removes whole nodes from the front, and exact
// trimming tombstones entries of the first node it cannot remove whole. Keeping Redis's node
// boundaries makes MAXLEN ~ and MINID ~ (which only remove whole nodes) and XINFO's counts
// Redis's own, and keeps the structure a pure function of the effects applied, as replay needs.
//
// This is state-machine code: no clock, no randomness. Times come in as arguments.
import { assert } from '../../util/assert.js';
import { LP_OVERHEAD, lpInt, lpString } from './listpack-size.js';
import { byteOrder, lowerBound } from './sorted-map.js';
import { ConsumerGroup } from './stream-group.js';
import { idMs, idSeq, MAX_ID, MIN_ID, type StreamId } from './stream-id.js';

/** A listpack holds at most this many bytes (STREAM_LISTPACK_MAX_SIZE). */
export const LISTPACK_MAX_BYTES = 1 << 30;

export interface NodeLimits {
  /** stream-node-max-bytes (0: the listpack maximum). */
  readonly maxBytes: number;
  /** stream-node-max-entries (0: no limit). */
  readonly maxEntries: number;
}

export const DEFAULT_NODE_LIMITS: NodeLimits = { maxBytes: 4096, maxEntries: 100 };

/** Redis's SCG_INVALID_ENTRIES_READ: a group's read counter that is not known. */
export const UNKNOWN_READS = -1;

/** `a - b` of two unsigned 64-bit numbers, as the int64 Redis stores (delta-encoded IDs). */
function delta(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const d = (BigInt(a) - BigInt(b)) & ((1n << 64n) - 1n);
  return d >= 1n << 63n ? d - (1n << 64n) : d;
}

/**
 * An entry's fields and values packed in one latin1 string, as a listpack packs them: a first
 * character saying whether the field names are the node's first entry's (then only the values
 * follow, as Redis's SAMEFIELDS entries), each string after its length (one character below 255,
 * else 255 and four bytes). One string an entry instead of an array and its strings: a million
 * two-field entries took about 300 MB of heap as arrays.
 */
const SAME_FIELDS = 'S';
const OWN_FIELDS = 'F';

function packEntry(fields: readonly string[], same: boolean): string {
  const parts: string[] = [same ? SAME_FIELDS : OWN_FIELDS];
  for (let i = same ? 1 : 0; i < fields.length; i += same ? 2 : 1) {
    const f = fields[i]!;
    const n = f.length;
    parts.push(n < 255 ? String.fromCharCode(n) : String.fromCharCode(255, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff), f);
  }
  return parts.join('');
}

function unpackEntry(packed: string, master: readonly string[]): string[] {
  const same = packed[0] === SAME_FIELDS;
  const out: string[] = [];
  let p = 1;
  while (p < packed.length) {
    let n = packed.charCodeAt(p++);
    if (n === 255) {
      n = ((packed.charCodeAt(p) << 24) | (packed.charCodeAt(p + 1) << 16) | (packed.charCodeAt(p + 2) << 8) | packed.charCodeAt(p + 3)) >>> 0;
      p += 4;
    }
    if (same) out.push(master[out.length >> 1]!);
    out.push(packed.slice(p, p + n));
    p += n;
  }
  return out;
}

export class StreamNode {
  readonly ids: StreamId[] = [];
  /** Each entry's fields and values (packEntry; a tombstone keeps its own: its bytes stay). */
  private readonly packed: string[] = [];
  /** Indexes of tombstones, or null: most nodes have none. */
  private tombstones: Set<number> | null = null;
  live = 0;
  dead = 0;
  /** The listpack bytes of everything but the two counters (which change size past 127). */
  private fixedBytes: number;

  constructor(
    readonly master: StreamId,
    readonly masterFields: readonly string[],
  ) {
    let n = LP_OVERHEAD + lpInt(masterFields.length) + lpInt(0);
    for (const f of masterFields) n += lpString(f);
    this.fixedBytes = n;
  }

  /** What the node's listpack would take in Redis (lpBytes). */
  get bytes(): number {
    return this.fixedBytes + lpInt(this.live) + lpInt(this.dead);
  }

  get lastId(): StreamId {
    return this.ids[this.ids.length - 1]!;
  }

  append(id: StreamId, fields: readonly string[]): void {
    const pairs = fields.length / 2;
    let same = pairs === this.masterFields.length;
    for (let i = 0; same && i < pairs; i++) same = fields[i * 2] === this.masterFields[i];
    let n = lpInt(same ? 2 : 0) + lpInt(delta(idMs(id), idMs(this.master))) + lpInt(delta(idSeq(id), idSeq(this.master)));
    if (!same) n += lpInt(pairs);
    for (let i = 0; i < fields.length; i++) if (!same || i % 2 === 1) n += lpString(fields[i]!);
    n += lpInt(pairs + 3 + (same ? 0 : pairs + 1));
    this.fixedBytes += n;
    this.ids.push(id);
    this.packed.push(packEntry(fields, same));
    this.live++;
  }

  /** Entry `i`'s fields and values, alternating. */
  fieldsAt(i: number): string[] {
    return unpackEntry(this.packed[i]!, this.masterFields);
  }

  isDeleted(i: number): boolean {
    return this.tombstones !== null && this.tombstones.has(i);
  }

  /** Index of `id` among the node's entries (tombstones included), or -1. */
  indexOf(id: StreamId): number {
    const i = lowerBound(this.ids, id);
    return this.ids[i] === id ? i : -1;
  }

  /** Index of the first entry (tombstones included) with ID >= `id`. */
  lowerBound(id: StreamId): number {
    return lowerBound(this.ids, id);
  }

  /** A copy of the tombstones' indexes, or null when there are none. */
  tombstoneSet(): ReadonlySet<number> | null {
    return this.tombstones === null ? null : new Set(this.tombstones);
  }

  tombstone(i: number): void {
    assert(!this.isDeleted(i), 'stream entry deleted twice');
    (this.tombstones ??= new Set()).add(i);
    this.live--;
    this.dead++;
  }
}

export class Stream {
  /**
   * Ordered by master ID. A node goes when XDEL takes its last live entry; exact MINID trimming
   * may leave one holding only tombstones, as in Redis.
   */
  readonly nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = MIN_ID;
  /** recorded-first-entry-id: the first live entry's ID (0-0 when empty). */
  firstId: StreamId = MIN_ID;
  maxDeletedId: StreamId = MIN_ID;
  entriesAdded = 0;
  /** Consumer groups by name (listed in byte order of names, as Redis's radix tree keeps them). */
  readonly groups = new Map<string, ConsumerGroup>();
  /** Entries, tombstones included, for memory accounting. */
  slots = 0;
  /** The nodes' listpack bytes, summed. */
  listpackBytes = 0;

  /** Appends an entry; the caller checked that `id` is above `lastId`. */
  append(id: StreamId, fields: readonly string[], limits: NodeLimits): void {
    assert(id > this.lastId && fields.length > 0 && fields.length % 2 === 0, 'stream append out of order');
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let size = 0;
      for (const f of fields) size += f.length;
      const maxBytes = limits.maxBytes === 0 || limits.maxBytes > LISTPACK_MAX_BYTES ? LISTPACK_MAX_BYTES : limits.maxBytes;
      if (node.bytes + size >= maxBytes || (limits.maxEntries > 0 && node.live + node.dead >= limits.maxEntries)) node = undefined;
    }
    if (node === undefined) {
      const master = [];
      for (let i = 0; i < fields.length; i += 2) master.push(fields[i]!);
      node = new StreamNode(id, master);
      this.nodes.push(node);
      this.listpackBytes += node.bytes;
    }
    const before = node.bytes;
    node.append(id, fields);
    this.listpackBytes += node.bytes - before;
    this.slots++;
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** The node holding `id` if any: the last whose master ID is <= id. */
  private nodeIndex(id: StreamId): number {
    const nodes = this.nodes;
    let lo = 0;
    let hi = nodes.length - 1;
    if (hi < 0 || nodes[0]!.master > id) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (nodes[mid]!.master <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The fields and values of the live entry `id`. */
  get(id: StreamId): readonly string[] | undefined {
    const node = this.nodes[this.nodeIndex(id)];
    const i = node === undefined ? -1 : node.indexOf(id);
    return i < 0 || node!.isDeleted(i) ? undefined : node!.fieldsAt(i);
  }

  /** Whether `id` is a live entry (without unpacking it). */
  has(id: StreamId): boolean {
    const node = this.nodes[this.nodeIndex(id)];
    const i = node === undefined ? -1 : node.indexOf(id);
    return i >= 0 && !node!.isDeleted(i);
  }

  /** Deletes the live entry `id` (XDEL); false when there is none. Updates first and max-deleted IDs. */
  delete(id: StreamId): boolean {
    const ni = this.nodeIndex(id);
    if (ni < 0) return false;
    const node = this.nodes[ni]!;
    const i = node.indexOf(id);
    if (i < 0 || node.isDeleted(i)) return false;
    if (node.live === 1) {
      this.nodes.splice(ni, 1);
      this.slots -= node.ids.length;
      this.listpackBytes -= node.bytes;
    } else {
      const before = node.bytes;
      node.tombstone(i);
      this.listpackBytes += node.bytes - before;
    }
    this.length--;
    if (id > this.maxDeletedId) this.maxDeletedId = id;
    if (this.length === 0) this.firstId = MIN_ID;
    else if (id === this.firstId) this.firstId = this.firstLiveId() ?? MAX_ID;
    return true;
  }

  /**
   * Whether `trim` with these arguments would change anything (its first step, as streamTrim
   * takes it): a no-op is then neither run nor logged, as most XADDs with MAXLEN ~ are.
   */
  trims(maxLen: number, minId: StreamId | null, approx: boolean, limit: number): boolean {
    const node = this.nodes[0];
    if (node === undefined) return false;
    if (minId === null && this.length <= maxLen) return false;
    if (limit > 0 && node.live > limit) return false;
    if (minId === null ? this.length - node.live >= maxLen : node.lastId < minId) return true;
    if (approx) return false;
    return minId === null || this.firstId < minId;
  }

  /**
   * Removes entries from the front (streamTrim): while too long (MAXLEN, `minId` null) or below
   * `minId`, whole nodes go; then, unless `approx`, entries of the first node are tombstoned
   * one by one. `limit` (0: none) caps the entries removed. Returns how many were.
   */
  trim(maxLen: number, minId: StreamId | null, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (minId === null && this.length <= maxLen) break;
      const node = this.nodes[0]!;
      const entries = node.live;
      if (limit > 0 && deleted + entries > limit) break;
      const removeNode = minId === null ? this.length - entries >= maxLen : node.lastId < minId;
      if (removeNode) {
        this.nodes.shift();
        this.slots -= node.ids.length;
        this.listpackBytes -= node.bytes;
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      const before = node.bytes;
      for (let i = 0; i < node.ids.length; i++) {
        if (minId === null ? this.length <= maxLen : node.ids[i]! >= minId) break;
        if (node.isDeleted(i)) continue;
        node.tombstone(i);
        this.length--;
        deleted++;
      }
      this.listpackBytes += node.bytes - before;
      break;
    }
    if (this.length === 0) this.firstId = MIN_ID;
    else if (deleted > 0) this.firstId = this.firstLiveId() ?? MAX_ID;
    return deleted;
  }

  private firstLiveId(): StreamId | undefined {
    for (const node of this.nodes) for (let i = 0; i < node.ids.length; i++) if (!node.isDeleted(i)) return node.ids[i]!;
    return undefined;
  }

  /** The last live entry's ID (streamLastValidID), or undefined when empty. */
  lastLiveId(): StreamId | undefined {
    for (let n = this.nodes.length - 1; n >= 0; n--) {
      const node = this.nodes[n]!;
      for (let i = node.ids.length - 1; i >= 0; i--) if (!node.isDeleted(i)) return node.ids[i]!;
    }
    return undefined;
  }

  /**
   * The live entries with IDs in [start, end], ascending (descending when `reverse`), at most
   * `count` of them (0 or less: all).
   */
  entries(start: StreamId, end: StreamId, reverse: boolean, count: number): Array<[StreamId, readonly string[]]> {
    const out: Array<[StreamId, readonly string[]]> = [];
    if (start > end) return out;
    const full = () => count > 0 && out.length >= count;
    if (!reverse) {
      const first = Math.max(0, this.nodeIndex(start));
      let i = this.nodes[first]?.lowerBound(start) ?? 0;
      for (let ni = first; ni < this.nodes.length && !full(); ni++, i = 0) {
        const node = this.nodes[ni]!;
        for (; i < node.ids.length && !full(); i++) {
          if (node.ids[i]! > end) return out;
          if (!node.isDeleted(i)) out.push([node.ids[i]!, node.fieldsAt(i)]);
        }
      }
      return out;
    }
    for (let ni = this.nodeIndex(end); ni >= 0 && !full(); ni--) {
      const node = this.nodes[ni]!;
      // In the node holding `end`, from the last entry at or below it; in earlier ones, from their last.
      let i = node.lowerBound(end);
      if (node.ids[i] !== end) i--;
      for (; i >= 0 && !full(); i--) {
        if (node.ids[i]! < start) return out;
        if (!node.isDeleted(i)) out.push([node.ids[i]!, node.fieldsAt(i)]);
      }
    }
    return out;
  }

  /** The live entries in ID order, one at a time. */
  *live(): Generator<[StreamId, readonly string[]]> {
    for (const node of this.nodes) {
      for (let i = 0; i < node.ids.length; i++) if (!node.isDeleted(i)) yield [node.ids[i]!, node.fieldsAt(i)];
    }
  }

  /** Byte-order names, as XINFO lists groups. */
  groupNames(): string[] {
    return [...this.groups.keys()].sort(byteOrder);
  }

  /**
   * Whether a tombstone may lie in [start, end] (streamRangeHasTombstones): only the latest
   * deletion is known, so a range holding it may hold others.
   */
  rangeHasTombstones(start: StreamId, end: StreamId = MAX_ID): boolean {
    if (this.length === 0 || this.maxDeletedId === MIN_ID) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /**
   * How many entries were added up to and including `id` (streamEstimateDistanceFromFirstEverEntry),
   * or UNKNOWN_READS where deletions make it unknowable.
   */
  readsUpTo(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return UNKNOWN_READS;
    if (this.maxDeletedId === MIN_ID || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return UNKNOWN_READS;
  }

  /** A group's lag (streamReplyWithCGLag): entries not yet delivered to it, or null when unknowable. */
  lag(group: ConsumerGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (group.entriesRead !== UNKNOWN_READS && !this.rangeHasTombstones(group.lastId)) return this.entriesAdded - group.entriesRead;
    const reads = this.readsUpTo(group.lastId);
    return reads === UNKNOWN_READS ? null : this.entriesAdded - reads;
  }

  /**
   * A group's read counter (`entriesRead` before) once `id`, beyond its last ID, is delivered
   * (streamReplyWithRange).
   */
  readsAfterDelivering(entriesRead: number, id: StreamId): number {
    if (entriesRead !== UNKNOWN_READS && !this.rangeHasTombstones(id)) return entriesRead + 1;
    if (this.entriesAdded > 0) return this.readsUpTo(id);
    return entriesRead;
  }

  /** Sets the counts kept alongside the nodes and groups from them (a restored snapshot). */
  recount(): void {
    this.length = 0;
    this.slots = 0;
    this.listpackBytes = 0;
    for (const node of this.nodes) {
      this.length += node.live;
      this.slots += node.ids.length;
      this.listpackBytes += node.bytes;
    }
  }

  /** A deep copy (COPY). */
  clone(): Stream {
    const s = new Stream();
    for (const node of this.nodes) {
      const copy = new StreamNode(node.master, node.masterFields);
      for (let i = 0; i < node.ids.length; i++) {
        copy.append(node.ids[i]!, node.fieldsAt(i));
        if (node.isDeleted(i)) copy.tombstone(i);
      }
      s.nodes.push(copy);
    }
    s.listpackBytes = this.listpackBytes;
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    s.slots = this.slots;
    for (const [name, g] of this.groups) s.groups.set(name, g.clone());
    return s;
  }
}
