// The newest entries of the active segment, in memory. An appended entry is kept as it came
// (its payload buffer is not copied) with its 32-byte record header, encoded into small header
// slabs; readers of fresh entries get the entry itself, so an entry's bytes exist once in
// memory and readers never touch the disk. Appenders must not modify a payload once appended
// (raft's proposals already promise this).
//
// The writer hands the records to the disk in one vectored write. Small records are copied,
// header and payload, into one reusable write buffer first: a group commit of a thousand 1 KiB
// entries is then a single buffer instead of two thousand, which would exceed IOV_MAX and,
// under O_DSYNC, cost one device flush per writev call. Large payloads go as they are.
//
// Memory is counted by the buffers held: a payload that is a view into a larger buffer (a
// socket read shared with other frames) counts that whole buffer, once however many entries
// share it, so the limit bounds real memory. Entries are dropped oldest first once written and
// over the limit; unwritten ones are always kept (the writer still needs them).
import { assert } from '../util/assert.js';
import { encodeRecordHeader, type LogEntry, RECORD_HEADER_BYTES } from './format.js';

interface Cached {
  /** Segment file position of the record. */
  readonly pos: number;
  /** The record's encoded header: `slab[at, at + 32)` (no view per record: less garbage). */
  readonly slab: Buffer;
  readonly at: number;
  readonly entry: LogEntry;
}

/** Record headers per header slab. */
const HEADERS_PER_SLAB = 2048;
/** Bound on entries held (a limit of bytes alone would let tiny entries pile up). */
const MAX_ENTRIES = 1 << 22;
/** Records with payloads up to this size are copied into the write buffer by `gather`. */
const COPY_MAX_PAYLOAD = 4096;
/** Largest write buffer; a write's small records beyond it go as header and payload. */
const WRITE_BUFFER_MAX_BYTES = 4 << 20;

export class TailCache {
  private records: Cached[] = [];
  private head = 0;
  private bytes = 0;
  /** Payload buffers held, with the number of cached entries using each. */
  private readonly buffers = new Map<ArrayBufferLike, number>();
  private slab = Buffer.alloc(0);
  private slabUsed = 0;
  /** Reused by every `gather`: the log has one write of a segment in flight at a time. */
  private writeBuffer = Buffer.alloc(0);

  constructor(private readonly limitBytes: number) {
    assert(limitBytes >= 0);
  }

  /** Bytes held, written or not. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Segment position of the oldest cached record (Infinity when empty). */
  get startPos(): number {
    return this.head < this.records.length ? this.records[this.head]!.pos : Infinity;
  }

  /** Segment position where the cached records end (the next record's position). */
  private get endPos(): number {
    if (this.head === this.records.length) return -1;
    const last = this.records[this.records.length - 1]!;
    return last.pos + RECORD_HEADER_BYTES + last.entry.payload.length;
  }

  /**
   * Caches `entry`'s record at segment position `pos`, which must be the end of what is cached
   * (or any position when the cache is empty). Returns the record's size in bytes.
   */
  add(pos: number, entry: LogEntry): number {
    const end = this.endPos;
    assert(end === -1 || end === pos, 'cache end %s != %s', end, pos);
    assert(this.records.length - this.head < MAX_ENTRIES, 'tail cache entry count bound');
    if (this.slabUsed + RECORD_HEADER_BYTES > this.slab.length) {
      this.slab = Buffer.allocUnsafe(RECORD_HEADER_BYTES * HEADERS_PER_SLAB);
      this.slabUsed = 0;
    }
    const slab = this.slab;
    const at = this.slabUsed;
    this.slabUsed += RECORD_HEADER_BYTES;
    const stored = { index: entry.index, term: entry.term, timestamp: entry.timestamp, type: entry.type, payload: entry.payload };
    encodeRecordHeader(slab, at, stored);
    this.records.push({ pos, slab, at, entry: stored });
    this.hold(stored.payload);
    return RECORD_HEADER_BYTES + stored.payload.length;
  }

  /** The entry whose record starts at `pos`, if cached. */
  entry(pos: number): LogEntry | undefined {
    const k = this.find(pos);
    return k === -1 ? undefined : this.records[k]!.entry;
  }

  /**
   * The bytes of every record in [from, to), for one vectored write: runs of small records
   * copied into the write buffer, large payloads as they came. All must be cached. The buffers
   * are valid until the next call.
   */
  gather(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    let k = this.find(from);
    assert(k !== -1, 'unwritten record at %s missing from the tail cache', from);
    // Sized at the first small record (a write of large payloads needs none).
    let buf: Buffer | undefined;
    let room = 0;
    let used = 0;
    let runStart = 0;
    let pos = from;
    for (; pos < to; k++) {
      const r = this.records[k];
      assert(r !== undefined && r.pos === pos, 'unwritten record at %s missing from the tail cache', pos);
      const payload = r.entry.payload;
      if (buf === undefined && payload.length <= COPY_MAX_PAYLOAD) {
        room = Math.min(to - pos, WRITE_BUFFER_MAX_BYTES);
        if (this.writeBuffer.length < room) this.writeBuffer = Buffer.allocUnsafe(room);
        buf = this.writeBuffer;
      }
      if (buf !== undefined && payload.length <= COPY_MAX_PAYLOAD && used + RECORD_HEADER_BYTES + payload.length <= room) {
        r.slab.copy(buf, used, r.at, r.at + RECORD_HEADER_BYTES);
        buf.set(payload, used + RECORD_HEADER_BYTES);
        used += RECORD_HEADER_BYTES + payload.length;
      } else {
        if (used > runStart) out.push(buf!.subarray(runStart, used));
        runStart = used;
        out.push(r.slab.subarray(r.at, r.at + RECORD_HEADER_BYTES));
        if (payload.length > 0) out.push(payload);
      }
      pos += RECORD_HEADER_BYTES + payload.length;
    }
    if (used > runStart) out.push(buf!.subarray(runStart, used));
    assert(pos === to, 'write of %s..%s ends inside a record', from, to);
    return out;
  }

  /** Forgets the records from `pos` on (a suffix truncation). */
  truncate(pos: number): void {
    while (this.records.length > this.head && this.records[this.records.length - 1]!.pos >= pos) {
      this.release(this.records.pop()!);
    }
  }

  /** Drops the oldest records that are fully written while more than the limit is held. */
  evict(writtenPos: number): void {
    while (this.bytes > this.limitBytes && this.head < this.records.length) {
      const r = this.records[this.head]!;
      if (r.pos + RECORD_HEADER_BYTES + r.entry.payload.length > writtenPos) break;
      this.records[this.head++] = undefined as unknown as Cached;
      this.release(r);
    }
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  private hold(payload: Buffer): void {
    const n = this.buffers.get(payload.buffer) ?? 0;
    if (n === 0) this.bytes += payload.buffer.byteLength;
    this.buffers.set(payload.buffer, n + 1);
    this.bytes += RECORD_HEADER_BYTES;
  }

  private release(r: Cached): void {
    const buf = r.entry.payload.buffer;
    const n = this.buffers.get(buf)!;
    if (n === 1) {
      this.buffers.delete(buf);
      this.bytes -= buf.byteLength;
    } else {
      this.buffers.set(buf, n - 1);
    }
    this.bytes -= RECORD_HEADER_BYTES;
  }

  /** Index in `records` of the record at exactly `pos`, or -1. */
  private find(pos: number): number {
    let lo = this.head;
    let hi = this.records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.records[mid]!.pos;
      if (p === pos) return mid;
      if (p < pos) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
