// The newest entries of the active segment, in memory, already encoded as the bytes the writer
// hands to the disk. A small entry (payload up to COPY_MAX_PAYLOAD) is copied once, with its
// 32-byte header, into a record slab: the record is one contiguous range, its CRC one native
// call, and consecutive records of a slab reach the disk as one iovec (a thousand 1 KiB entries
// are a handful of buffers, one writev, not two thousand). A larger entry keeps its payload
// buffer as it came (no copy) and only its header goes to the slab. Readers of fresh entries
// get the cached entry (its payload a view of the slab, or the appended buffer itself), so
// readers never touch the disk. Appenders must not modify a payload once appended (raft's
// proposals already promise this).
//
// Memory is counted by the buffers held: a slab once, and a payload that is a view into a
// larger buffer (a socket read shared with other frames) counts that whole buffer, once however
// many entries share it, so the limit bounds real memory. Entries are dropped oldest first
// once written and over the limit; unwritten ones are always kept (the writer still needs them).
import { assert, AssertionError } from '../util/assert.js';
import { encodeRecord, type LogEntry, RECORD_HEADER_BYTES } from './format.js';

interface Cached {
  /** Segment file position of the record. */
  readonly pos: number;
  /** The record's bytes in a slab, [at, at + size): the header, followed by the payload when `copied`. */
  readonly slab: Buffer;
  readonly at: number;
  readonly size: number;
  readonly copied: boolean;
  readonly entry: LogEntry;
}

/** Payloads up to this size are copied into the record slabs. */
const COPY_MAX_PAYLOAD = 4096;
/** Slab size: an eighth of the cache's limit, within these bounds (a slab fits any copied record). */
const MAX_SLAB_BYTES = 256 * 1024;
const MIN_SLAB_BYTES = 2 * (RECORD_HEADER_BYTES + COPY_MAX_PAYLOAD);
/** Bound on entries held (a limit of bytes alone would let tiny entries pile up). */
const MAX_ENTRIES = 1 << 22;

export class TailCache {
  private records: Cached[] = [];
  private head = 0;
  private bytes = 0;
  /** Buffers held (slabs and payloads), with the number of cached entries using each. */
  private readonly buffers = new Map<ArrayBufferLike, number>();
  private slab = Buffer.alloc(0);
  private slabUsed = 0;
  private readonly slabBytes: number;

  constructor(private readonly limitBytes: number) {
    assert(limitBytes >= 0);
    this.slabBytes = Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, Math.floor(limitBytes / 8)));
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
    if (end !== -1 && end !== pos) throw new AssertionError(`cache end ${end} != ${pos}`);
    assert(this.records.length - this.head < MAX_ENTRIES, 'tail cache entry count bound');
    const len = entry.payload.length;
    const copied = len <= COPY_MAX_PAYLOAD;
    const need = RECORD_HEADER_BYTES + (copied ? len : 0);
    if (this.slabUsed + need > this.slab.length) {
      this.slab = Buffer.allocUnsafe(this.slabBytes);
      this.slabUsed = 0;
    }
    const slab = this.slab;
    const at = this.slabUsed;
    const size = encodeRecord(slab, at, entry, copied);
    this.slabUsed += size;
    const payload = copied ? slab.subarray(at + RECORD_HEADER_BYTES, at + size) : entry.payload;
    const stored = { index: entry.index, term: entry.term, timestamp: entry.timestamp, type: entry.type, payload };
    this.records.push({ pos, slab, at, size, copied, entry: stored });
    this.hold(slab);
    if (!copied) this.hold(payload);
    return RECORD_HEADER_BYTES + len;
  }

  /** The entry whose record starts at `pos`, if cached. */
  entry(pos: number): LogEntry | undefined {
    const k = this.find(pos);
    return k === -1 ? undefined : this.records[k]!.entry;
  }

  /**
   * The bytes of every record in [from, to), for one vectored write: consecutive records of a
   * slab as one buffer, separate payloads as they came. All must be cached.
   */
  gather(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    let k = this.find(from);
    assert(k !== -1, `unwritten record at ${from} missing from the tail cache`);
    // The slab range being extended: [runStart, runEnd) of runSlab.
    let runSlab: Buffer | undefined;
    let runStart = 0;
    let runEnd = 0;
    const endRun = () => {
      if (runSlab !== undefined) out.push(runSlab.subarray(runStart, runEnd));
      runSlab = undefined;
    };
    let pos = from;
    for (; pos < to; k++) {
      const r = this.records[k];
      assert(r !== undefined && r.pos === pos, `unwritten record at ${pos} missing from the tail cache`);
      if (r.slab === runSlab && r.at === runEnd) {
        runEnd += r.size;
      } else {
        endRun();
        runSlab = r.slab;
        runStart = r.at;
        runEnd = r.at + r.size;
      }
      if (!r.copied && r.entry.payload.length > 0) {
        endRun();
        out.push(r.entry.payload);
      }
      pos += RECORD_HEADER_BYTES + r.entry.payload.length;
    }
    endRun();
    assert(pos === to, `write of ${from}..${to} ends inside a record`);
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

  private hold(buf: Buffer): void {
    const n = this.buffers.get(buf.buffer) ?? 0;
    if (n === 0) this.bytes += buf.buffer.byteLength;
    this.buffers.set(buf.buffer, n + 1);
  }

  private release(r: Cached): void {
    this.releaseBuffer(r.slab.buffer);
    if (!r.copied) this.releaseBuffer(r.entry.payload.buffer);
  }

  private releaseBuffer(buf: ArrayBufferLike): void {
    const n = this.buffers.get(buf)!;
    if (n === 1) {
      this.buffers.delete(buf);
      this.bytes -= buf.byteLength;
    } else {
      this.buffers.set(buf, n - 1);
    }
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
