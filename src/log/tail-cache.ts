// The newest bytes of the active segment, in memory. Appends are encoded straight into slabs
// here; the writer hands slab regions to the disk, and readers of fresh entries get slices of
// the same slabs, so an entry's bytes exist once in memory and readers never touch the disk.
//
// A slab's memory is never rewritten once handed out: after a suffix truncation the slab is
// closed to further appends, because readers may still hold slices of the truncated entries.
// Slabs are dropped oldest first once written and over the byte limit; unwritten bytes are
// always kept (the writer still needs them).
import { assert, AssertionError } from '../util/assert.js';

interface Slab {
  buf: Buffer;
  /** Segment file position of buf[0]. */
  start: number;
  used: number;
  closed: boolean;
}

const MAX_SLABS = 1 << 16;

export class TailCache {
  private slabs: Slab[] = [];
  private bytes = 0;

  constructor(
    private readonly slabBytes: number,
    private readonly limitBytes: number,
  ) {
    assert(slabBytes > 0 && limitBytes >= 0);
  }

  /** Bytes held, written or not. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Segment position of the oldest cached byte (Infinity when empty). */
  get startPos(): number {
    return this.slabs.length > 0 ? this.slabs[0]!.start : Infinity;
  }

  /** The slab that the last `reserve` returned an offset into. */
  get current(): Buffer {
    return this.slabs[this.slabs.length - 1]!.buf;
  }

  /**
   * Room for `n` bytes at segment position `pos`, which must be the end of what is cached
   * (or the first position when the cache is empty): returns the offset in `current`.
   */
  reserve(pos: number, n: number): number {
    let last = this.slabs[this.slabs.length - 1];
    if (last !== undefined && last.start + last.used !== pos) throw new AssertionError(`cache end ${last.start + last.used} != ${pos}`);
    if (last === undefined || last.closed || last.used + n > last.buf.length) {
      assert(this.slabs.length < MAX_SLABS, 'tail cache slab count bound');
      last = { buf: Buffer.allocUnsafeSlow(Math.max(this.slabBytes, n)), start: pos, used: 0, closed: false };
      this.slabs.push(last);
    }
    const offset = last.used;
    last.used += n;
    this.bytes += n;
    return offset;
  }

  /** A view of [pos, end) if those bytes are cached. */
  slice(pos: number, end: number): Buffer | undefined {
    const slab = this.find(pos);
    if (slab === undefined || end > slab.start + slab.used) return undefined;
    return slab.buf.subarray(pos - slab.start, end - slab.start);
  }

  /** The cached bytes of [from, to) as slab views, for one vectored write. All must be cached. */
  gather(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    let pos = from;
    while (pos < to) {
      const slab = this.find(pos);
      assert(slab !== undefined, `unwritten bytes at ${pos} missing from the tail cache`);
      const end = Math.min(to, slab.start + slab.used);
      out.push(slab.buf.subarray(pos - slab.start, end - slab.start));
      pos = end;
    }
    return out;
  }

  /** Forgets bytes from `pos` on; the slab holding `pos` takes no more appends. */
  truncate(pos: number): void {
    while (this.slabs.length > 0) {
      const last = this.slabs[this.slabs.length - 1]!;
      if (last.start >= pos) {
        this.bytes -= last.used;
        this.slabs.pop();
        continue;
      }
      if (last.start + last.used > pos) {
        this.bytes -= last.start + last.used - pos;
        last.used = pos - last.start;
        last.closed = true;
      }
      break;
    }
  }

  /** Drops the oldest slabs that are fully written while more than the limit is held. */
  evict(writtenPos: number): void {
    while (this.bytes > this.limitBytes && this.slabs.length > 1) {
      const first = this.slabs[0]!;
      if (first.start + first.used > writtenPos) return;
      this.bytes -= first.used;
      this.slabs.shift();
    }
  }

  private find(pos: number): Slab | undefined {
    const slabs = this.slabs;
    let lo = 0;
    let hi = slabs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = slabs[mid]!;
      if (pos < s.start) hi = mid - 1;
      else if (pos >= s.start + s.used) lo = mid + 1;
      else return s;
    }
    return undefined;
  }
}
