// A stream in Redis's RDB encoding (RDB_TYPE_STREAM_LISTPACKS and _2, rdb.c): its radix-tree
// nodes, each a master ID and a listpack of entries (t_stream.c's layout, below), then the
// stream's counters and its consumer groups with their pending entries and consumers.
//
// A node's listpack: the master entry (count, deleted, the master's field count and field names,
// then 0), then each entry as flags (1 deleted, 2 same fields as the master), the ID's two parts
// as differences from the master ID, the fields (values only with flag 2, else a count and
// field/value pairs), and lp-count, the number of elements the entry took.
import { assert } from '../../util/assert.js';
import type { StreamId } from '../machine/stream-id.js';
import { ListpackWriter, readListpack } from './packed.js';
import { encodeBytes, encodeLength, encodeString, RdbReader } from './payload.js';

export interface RdbStream {
  readonly type: 'stream';
  /** The live entries, in ID order: the ID and its field/value pairs; `length` of them. */
  readonly entries: Iterable<readonly [StreamId, readonly string[]]>;
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: number;
  readonly groups: readonly RdbGroup[];
}

export interface RdbGroup {
  readonly name: string;
  readonly lastId: StreamId;
  /** -1: unknown (Redis's SCG_INVALID_ENTRIES_READ); null: not in the payload (the first version), to be estimated. */
  readonly entriesRead: number | null;
  /** The group's pending entries in ID order, each with its owner; `pendingCount` of them. */
  readonly pending: Iterable<RdbPending>;
  readonly pendingCount: number;
  readonly consumers: readonly RdbConsumer[];
}

export interface RdbPending {
  readonly id: StreamId;
  readonly consumer: string;
  readonly deliveryTime: number;
  readonly deliveryCount: number;
}

export interface RdbConsumer {
  readonly name: string;
  readonly seenTime: number;
  /** The IDs of the pending entries it owns, in ID order; `ownedCount` of them. */
  readonly owned: Iterable<StreamId>;
  readonly ownedCount: number;
}

export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** Entries per node DUMP writes (stream-node-max-entries' default). */
const NODE_ENTRIES = 100;
/** Pending entries or owned IDs per piece `encodeStream` yields (a PEL may be millions long). */
const PEL_PIECE = 1024;
const U64 = 1n << 64n;

function idParts(id: StreamId): [bigint, bigint] {
  const b = Buffer.from(id, 'latin1');
  return [b.readBigUInt64BE(0), b.readBigUInt64BE(8)];
}

function makeId(ms: bigint, seq: bigint): StreamId {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt.asUintN(64, ms), 0);
  b.writeBigUInt64BE(BigInt.asUintN(64, seq), 8);
  return b.toString('latin1');
}

function u64Length(n: bigint): Buffer {
  return n < 0x1_0000_0000n ? encodeLength(Number(n)) : Buffer.concat([Buffer.of(0x81), bigBE(n)]);
}

function bigBE(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

function msTime(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(Math.trunc(ms)));
  return b;
}

/**
 * RDB_TYPE_STREAM_LISTPACKS_2 without its type byte, a piece at a time (an RDB file writes a
 * long stream in steps): the node count, each node (NODE_ENTRIES entries), then the counters and
 * the groups.
 */
export function* encodeStream(s: RdbStream): Generator<Buffer> {
  yield encodeLength(Math.ceil(s.length / NODE_ENTRIES));
  let node: Array<readonly [StreamId, readonly string[]]> = [];
  let seen = 0;
  for (const entry of s.entries) {
    node.push(entry);
    if (node.length < NODE_ENTRIES) continue;
    seen += node.length;
    yield encodeNode(node);
    node = [];
  }
  if (node.length > 0) {
    seen += node.length;
    yield encodeNode(node);
  }
  assert(seen === s.length, 'stream of %s entries yielded %s', s.length, seen);
  const parts: Buffer[] = [];
  const id = (x: StreamId) => idParts(x).map(u64Length);
  parts.push(encodeLength(s.length), ...id(s.lastId), ...id(s.firstId), ...id(s.maxDeletedId), u64Length(BigInt(s.entriesAdded)));
  parts.push(encodeLength(s.groups.length));
  for (const g of s.groups) {
    parts.push(encodeString(g.name), ...id(g.lastId), u64Length(BigInt.asUintN(64, BigInt(g.entriesRead ?? -1))));
    parts.push(encodeLength(g.pendingCount));
    let written = 0;
    for (const p of g.pending) {
      parts.push(Buffer.from(p.id, 'latin1'), msTime(p.deliveryTime), encodeLength(p.deliveryCount));
      if (++written % PEL_PIECE === 0) yield take(parts);
    }
    assert(written === g.pendingCount, 'group of %s pending entries yielded %s', g.pendingCount, written);
    parts.push(encodeLength(g.consumers.length));
    for (const c of g.consumers) {
      parts.push(encodeString(c.name), msTime(c.seenTime), encodeLength(c.ownedCount));
      let owned = 0;
      for (const x of c.owned) {
        parts.push(Buffer.from(x, 'latin1'));
        if (++owned % PEL_PIECE === 0) yield take(parts);
      }
      assert(owned === c.ownedCount, 'consumer of %s pending entries yielded %s', c.ownedCount, owned);
    }
  }
  yield Buffer.concat(parts);
}

/** The parts gathered so far as one buffer; `parts` is emptied. */
function take(parts: Buffer[]): Buffer {
  const piece = Buffer.concat(parts);
  parts.length = 0;
  return piece;
}

/** One radix-tree node: its master ID (the first entry's) and its listpack. */
function encodeNode(entries: ReadonlyArray<readonly [StreamId, readonly string[]]>): Buffer {
  const [masterId, masterPairs] = entries[0]!;
  const lp = new ListpackWriter();
  lp.int(entries.length);
  lp.int(0);
  lp.int(masterPairs.length / 2);
  for (let i = 0; i < masterPairs.length; i += 2) lp.str(masterPairs[i]!);
  lp.int(0);
  for (const [id, pairs] of entries) {
    const same = sameFields(pairs, masterPairs);
    lp.int(same ? FLAG_SAMEFIELDS : 0);
    lp.int(idDelta(id, masterId, 0));
    lp.int(idDelta(id, masterId, 8));
    if (same) {
      for (let i = 1; i < pairs.length; i += 2) lp.str(pairs[i]!);
      lp.int(pairs.length / 2 + 3);
    } else {
      lp.int(pairs.length / 2);
      for (const x of pairs) lp.str(x);
      lp.int(pairs.length + 4);
    }
  }
  return Buffer.concat([encodeString(masterId), encodeBytes(lp.finish())]);
}

/** Whether an entry's field names are the master entry's (t_stream.c's SAMEFIELDS). */
function sameFields(pairs: readonly string[], master: readonly string[]): boolean {
  if (pairs.length !== master.length) return false;
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] !== master[i]) return false;
  return true;
}

/** The 64-bit half at byte `at` of an ID (0: ms, 8: seq) as a number when it is below 2^53. */
function idHalf(id: StreamId, at: number): number | null {
  const hi = (id.charCodeAt(at) << 24) | (id.charCodeAt(at + 1) << 16) | (id.charCodeAt(at + 2) << 8) | id.charCodeAt(at + 3);
  if (hi >>> 21 !== 0) return null;
  const lo = ((id.charCodeAt(at + 4) << 24) | (id.charCodeAt(at + 5) << 16) | (id.charCodeAt(at + 6) << 8) | id.charCodeAt(at + 7)) >>> 0;
  return hi * 2 ** 32 + lo;
}

/** An ID half minus the master ID's, wrapped to a signed 64-bit value as t_stream.c stores it. */
function idDelta(id: StreamId, master: StreamId, at: number): number | bigint {
  const a = idHalf(id, at);
  const b = idHalf(master, at);
  if (a !== null && b !== null) return a - b;
  const [x, y] = [idParts(id), idParts(master)];
  const i = at === 0 ? 0 : 1;
  return BigInt.asIntN(64, x[i]! - y[i]!);
}

/** A stream of either version after its type byte, or null when malformed or inconsistent. */
export function decodeStream(r: RdbReader, version2: boolean): RdbStream | null {
  const nodes = r.count();
  if (nodes === null) return null;
  const entries: Array<readonly [StreamId, readonly string[]]> = [];
  for (let n = 0; n < nodes; n++) {
    const masterId = r.string();
    const blob = r.string();
    if (masterId === null || blob === null || masterId.length !== 16) return null;
    const elements = readListpack(Buffer.from(blob, 'latin1'));
    if (elements === null || !readNode(masterId, elements, entries)) return null;
  }
  for (let i = 1; i < entries.length; i++) if (entries[i]![0] <= entries[i - 1]![0]) return null;
  if (r.count() === null) return null;
  const lastId = readId(r);
  if (lastId === null || (entries.length > 0 && lastId < entries[entries.length - 1]![0])) return null;
  let firstId = entries.length > 0 ? entries[0]![0] : makeId(0n, 0n);
  let maxDeletedId = makeId(0n, 0n);
  let entriesAdded = entries.length;
  if (version2) {
    const first = readId(r);
    const maxDeleted = readId(r);
    const added = r.count64();
    if (first === null || maxDeleted === null || added === null) return null;
    [firstId, maxDeletedId, entriesAdded] = [first, maxDeleted, Number(added)];
  }
  const groupCount = r.count();
  if (groupCount === null) return null;
  const groups: RdbGroup[] = [];
  for (let g = 0; g < groupCount; g++) {
    const group = readGroup(r, version2);
    if (group === null) return null;
    groups.push(group);
  }
  return { type: 'stream', entries, length: entries.length, lastId, firstId, maxDeletedId, entriesAdded, groups };
}

/** Appends a node's live entries; false when its listpack is not a stream node. */
function readNode(masterId: StreamId, el: readonly string[], out: Array<readonly [StreamId, readonly string[]]>): boolean {
  const int = (i: number): bigint | null => (i < el.length && /^-?\d+$/.test(el[i]!) ? BigInt(el[i]!) : null);
  const count = int(0);
  const deleted = int(1);
  const nf = int(2);
  if (count === null || deleted === null || nf === null || nf < 0n || count + deleted === 0n) return false;
  const fields = el.slice(3, 3 + Number(nf));
  let i = 3 + Number(nf);
  if (fields.length !== Number(nf) || int(i++) !== 0n) return false;
  const [mms, mseq] = idParts(masterId);
  for (let e = 0n; e < count + deleted; e++) {
    const flags = int(i);
    const msDiff = int(i + 1);
    const seqDiff = int(i + 2);
    if (flags === null || msDiff === null || seqDiff === null) return false;
    i += 3;
    let pairs: string[];
    if ((flags & BigInt(FLAG_SAMEFIELDS)) !== 0n) {
      const values = el.slice(i, i + fields.length);
      if (values.length !== fields.length) return false;
      pairs = fields.flatMap((f, k) => [f, values[k]!]);
      i += fields.length;
    } else {
      const n = int(i++);
      if (n === null || n < 0n || i + 2 * Number(n) > el.length) return false;
      pairs = el.slice(i, i + 2 * Number(n));
      i += 2 * Number(n);
    }
    if (int(i++) === null) return false;
    if ((flags & BigInt(FLAG_DELETED)) === 0n) out.push([makeId((mms + msDiff) % U64, (mseq + seqDiff) % U64), pairs]);
  }
  return i === el.length;
}

/** IDs are 16-byte big-endian latin1 strings: string order is ID order. */
function byIdOrder(a: StreamId, b: StreamId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function readId(r: RdbReader): StreamId | null {
  const ms = r.count64();
  const seq = r.count64();
  return ms === null || seq === null ? null : makeId(ms, seq);
}

function readRawId(r: RdbReader): StreamId | null {
  return r.bytes(16)?.toString('latin1') ?? null;
}

function readGroup(r: RdbReader, version2: boolean): RdbGroup | null {
  const name = r.string();
  const lastId = readId(r);
  if (name === null || lastId === null) return null;
  let entriesRead: number | null = null;
  if (version2) {
    const read = r.count64();
    if (read === null) return null;
    entriesRead = read === U64 - 1n ? -1 : Number(read);
  }
  const pelCount = r.count();
  if (pelCount === null) return null;
  const pel = new Map<StreamId, { deliveryTime: number; deliveryCount: number; consumer: string | null }>();
  for (let i = 0; i < pelCount; i++) {
    const id = readRawId(r);
    const time = r.bytes(8);
    const count = r.count();
    if (id === null || time === null || count === null || pel.has(id)) return null;
    pel.set(id, { deliveryTime: Number(time.readBigInt64LE(0)), deliveryCount: count, consumer: null });
  }
  const consumerCount = r.count();
  if (consumerCount === null) return null;
  const consumers: RdbConsumer[] = [];
  for (let c = 0; c < consumerCount; c++) {
    const cname = r.string();
    const seen = r.bytes(8);
    const ownedCount = r.count();
    if (cname === null || seen === null || ownedCount === null) return null;
    const owned: StreamId[] = [];
    for (let i = 0; i < ownedCount; i++) {
      const id = readRawId(r);
      const nack = id === null ? undefined : pel.get(id);
      // Each pending entry belongs to exactly one consumer, as Redis checks.
      if (id === null || nack === undefined || nack.consumer !== null) return null;
      nack.consumer = cname;
      owned.push(id);
    }
    owned.sort(byIdOrder);
    consumers.push({ name: cname, seenTime: Number(seen.readBigInt64LE(0)), owned, ownedCount });
  }
  const pending: RdbPending[] = [];
  for (const [id, p] of [...pel].sort(([a], [b]) => byIdOrder(a, b))) {
    if (p.consumer === null) return null;
    pending.push({ id, consumer: p.consumer, deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount });
  }
  return { name, lastId, entriesRead, pending, pendingCount: pending.length, consumers };
}
