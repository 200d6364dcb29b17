// RESP reply encoder. Every reply of a server is written into one shared slab (an arena): a
// connection marks where its replies begin, the command handlers append to the slab, and the
// connection takes a zero-copy view of its bytes to hand to the socket. A new slab is started
// when the current one is full. This gives one allocation per slab of replies instead of one
// per reply or per connection.
//
// Slabs are reused (ReplySlabs): a slab goes back to the pool once every view taken from it has
// been given back (`release`: written to the kernel, or dropped unsent). A fresh slab is memory
// the kernel must fault in and zero a page at a time, and until the collector frees it, external
// memory that makes V8 collect sooner: with 1 KiB GETs at -P 16 the pool halved the scavenges
// (docs/benchmarks.md, "What bounds the cache now"). A view
// whose bytes the socket layer still holds (an asynchronous write) is `abandon`ed instead: its
// slab is never reused and the collector frees it once the write is done.
//
// `resp` selects the protocol of the connection being served. RESP3 types are downgraded on
// RESP2 as Redis does: map -> flat array, set -> array, double -> bulk string, boolean ->
// integer 1/0, null -> `$-1` (or `*-1` for a null array), push -> array.
import { assert } from '../../util/assert.js';
import { writeLatin1 } from '../../util/latin1.js';
import { formatDouble } from './double.js';

/**
 * Bytes of a pooled slab. A reply that straddles the end of a slab is copied into the next
 * one: with 16 KiB of replies per connection and turn (16 1 KiB values), 64 KiB slabs copied
 * about an eighth of the bytes twice; pooled slabs cost nothing to make larger.
 */
const SLAB_BYTES = 256 * 1024;
/** Released slabs kept for reuse (4 MiB); more are left to the collector. */
const POOL_SLABS = 16;
/** Slabs retired with views still out that the pool keeps track of; past this the oldest are abandoned. */
const TRACKED_SLABS = 64;
/** Strings up to this length are copied with a JS loop, which beats a native call for short ones. */
const SHORT_STRING = 24;

export type RespVersion = 2 | 3;

const INT64_MAX = 2n ** 63n - 1n;

function clampInt64(n: bigint): bigint {
  return n > INT64_MAX ? INT64_MAX : n < -INT64_MAX - 1n ? -INT64_MAX - 1n : n;
}

/** A pooled slab and the bytes of views taken from it that have not been given back. */
interface Slab {
  readonly bytes: Buffer;
  out: number;
  /** No longer written to: it returns to the pool when `out` reaches 0. */
  retired: boolean;
  /** A view of it may still be read by someone else: never reused. */
  abandoned: boolean;
}

/**
 * The slabs of one or more ReplyWriters. Every view a writer's `take` returns must end in
 * `release` (its bytes will not be read again) or `abandon` (they may be); a view of a slab the
 * pool does not know (a grown slab, a buffer from elsewhere) is ignored by both.
 */
export class ReplySlabs {
  /** Slabs being written or with views out, by their memory. */
  private readonly live = new Map<ArrayBufferLike, Slab>();
  private readonly free: Buffer[] = [];
  private retiredLive = 0;

  acquire(): Slab {
    const slab: Slab = { bytes: this.free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES), out: 0, retired: false, abandoned: false };
    this.live.set(slab.bytes.buffer, slab);
    return slab;
  }

  /** The writer has moved on from `slab`. */
  retire(slab: Slab): void {
    assert(!slab.retired, 'reply slab retired twice');
    slab.retired = true;
    if (slab.out === 0) {
      this.recycle(slab);
      return;
    }
    if (slab.abandoned) return;
    // Views that are never given back (a path that forgets) must not pin slabs without bound.
    if (++this.retiredLive > TRACKED_SLABS) {
      for (const s of this.live.values()) {
        if (!s.retired) continue;
        this.forget(s);
        break;
      }
    }
  }

  /** `view`'s bytes will not be read again. */
  release(view: Buffer): void {
    const slab = this.live.get(view.buffer);
    if (slab === undefined) return;
    slab.out -= view.length;
    assert(slab.out >= 0, 'reply slab released more than was taken');
    if (slab.out !== 0 || !slab.retired) return;
    this.retiredLive--;
    this.recycle(slab);
  }

  /** `view`'s bytes may still be read: its slab is never reused. */
  abandon(view: Buffer): void {
    const slab = this.live.get(view.buffer);
    if (slab !== undefined) this.forget(slab);
  }

  /** Slabs in the pool (tests). */
  get pooled(): number {
    return this.free.length;
  }

  /** Slabs being written or with views out that may still come back (tests). */
  get tracked(): number {
    return this.live.size;
  }

  private recycle(slab: Slab): void {
    this.live.delete(slab.bytes.buffer);
    if (slab.abandoned) return;
    if (this.free.length < POOL_SLABS) this.free.push(slab.bytes);
  }

  private forget(slab: Slab): void {
    if (slab.abandoned) return;
    slab.abandoned = true;
    this.live.delete(slab.bytes.buffer);
    if (slab.retired) this.retiredLive--;
  }
}

export class ReplyWriter {
  resp: RespVersion = 2;
  /** The pooled slab being written; null while a slab grown for one large reply is. */
  private pooled: Slab | null;
  private slab: Buffer;
  /**
   * The slab's memory, for `take`'s views: Buffer's subarray reads `slab.buffer` each time,
   * which V8 answers in a runtime call, and reaches subarray through a LoadIC (util/latin1.ts).
   */
  private memory: ArrayBufferLike;
  private pos = 0;
  private start = 0;
  /** Segments taken so far (marks from an earlier segment cannot roll back into it). */
  private segments = 0;

  constructor(readonly slabs = new ReplySlabs()) {
    this.pooled = slabs.acquire();
    this.slab = this.pooled.bytes;
    this.memory = this.slab.buffer;
  }

  /** Starts a new segment: the bytes written until `take()` belong to one connection. */
  begin(): void {
    this.start = this.pos;
  }

  /** Bytes written since `begin()`. */
  get length(): number {
    return this.pos - this.start;
  }

  /** A position to roll back to: the segment number and the offset in it. */
  mark(): { segment: number; offset: number } {
    return { segment: this.segments, offset: this.pos - this.start };
  }

  /**
   * Drops what was written since `mark` (a reply that must not be sent: CLIENT REPLY OFF). If
   * a segment was taken in between, only what follows it can still be dropped.
   */
  rollback(mark: { segment: number; offset: number }): void {
    this.pos = this.start + (mark.segment === this.segments ? mark.offset : 0);
  }

  /** What was written since `mark` (in the same segment): a view valid until the next write. */
  since(mark: { segment: number; offset: number }): Buffer {
    if (mark.segment !== this.segments) throw new Error('reply mark from an earlier segment');
    return this.slab.subarray(this.start + mark.offset, this.pos);
  }

  /**
   * The segment written since `begin()`, as a view valid until it is given back to `slabs`
   * (release or abandon); null when empty.
   */
  take(): Buffer | null {
    if (this.pos === this.start) return null;
    const view = Buffer.from(this.memory, this.slab.byteOffset + this.start, this.pos - this.start);
    this.start = this.pos;
    this.segments++;
    if (this.pooled !== null) this.pooled.out += view.length;
    // A slab grown for one huge reply is not reused for small ones.
    else this.pos = this.start = this.slab.length;
    return view;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    const used = this.pos - this.start;
    const size = used + n;
    const old = this.slab;
    if (this.pooled !== null) this.slabs.retire(this.pooled);
    if (size <= SLAB_BYTES) {
      this.pooled = this.slabs.acquire();
      this.slab = this.pooled.bytes;
    } else {
      // Doubling: a reply larger than a slab is copied O(log size) times, not once per element.
      this.pooled = null;
      this.slab = Buffer.allocUnsafeSlow(Math.max(size, 2 * used));
    }
    this.memory = this.slab.buffer;
    old.copy(this.slab, 0, this.start, this.pos);
    this.start = 0;
    this.pos = used;
  }

  /** Appends pre-encoded RESP bytes. */
  raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.slab, this.pos);
    this.pos += bytes.length;
  }

  ok(): void {
    this.ensure(5);
    const s = this.slab;
    const p = this.pos;
    s[p] = 43; // +
    s[p + 1] = 79; // O
    s[p + 2] = 75; // K
    s[p + 3] = 13;
    s[p + 4] = 10;
    this.pos = p + 5;
  }

  simple(text: string): void {
    this.ensure(text.length + 3);
    this.slab[this.pos++] = 43;
    this.ascii(text);
    this.crlf();
  }

  /** Told of every error reply written (the cache's errorstats); `counted` as `error` was told. */
  onError: ((text: string, counted: boolean) => void) | null = null;

  /**
   * `-<text>`; CR and LF inside the text would end the reply early, so they become spaces.
   * `counted` false: an error already counted where it arose (a script's, from redis.call).
   */
  error(text: string, counted = true): void {
    const clean = text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]+/g, ' ') : text;
    this.onError?.(clean, counted);
    this.ensure(clean.length + 3);
    this.slab[this.pos++] = 45;
    this.ascii(clean);
    this.crlf();
  }

  int(n: number | bigint): void {
    this.ensure(24);
    this.slab[this.pos++] = 58; // :
    this.decimal(n);
    this.crlf();
  }

  bulk(value: string): void {
    const len = value.length;
    this.ensure(len + 16);
    this.slab[this.pos++] = 36; // $
    this.decimal(len);
    this.crlf();
    this.ascii(value);
    this.crlf();
  }

  /** Bytes `start..end` of `src` as a bulk string. */
  bulkRange(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.ensure(len + 16);
    this.slab[this.pos++] = 36;
    this.decimal(len);
    this.crlf();
    this.slab.set(src.subarray(start, end), this.pos);
    this.pos += len;
    this.crlf();
  }

  /** A null where a bulk string was expected. */
  nullBulk(): void {
    if (this.resp === 3) this.raw3(95); // _
    else this.ascii4(36, 45, 49); // $-1
  }

  /** A null where an array was expected. */
  nullArray(): void {
    if (this.resp === 3) this.raw3(95);
    else this.ascii4(42, 45, 49); // *-1
  }

  array(n: number): void {
    this.header(42, n);
  }

  /** A map of `n` pairs; the caller writes 2n elements. */
  map(n: number): void {
    if (this.resp === 3) this.header(37, n); // %
    else this.header(42, n * 2);
  }

  set(n: number): void {
    this.header(this.resp === 3 ? 126 : 42, n); // ~
  }

  push(n: number): void {
    this.header(this.resp === 3 ? 62 : 42, n); // >
  }

  double(d: number): void {
    this.doubleText(formatDouble(d));
  }

  /** A double already formatted (Redis's replies that print one their own way): a bulk string on RESP2. */
  doubleText(text: string): void {
    if (this.resp === 2) {
      this.bulk(text);
      return;
    }
    this.ensure(text.length + 3);
    this.slab[this.pos++] = 44; // ,
    this.ascii(text);
    this.crlf();
  }

  bool(b: boolean): void {
    if (this.resp === 2) {
      this.int(b ? 1 : 0);
      return;
    }
    this.ensure(4);
    this.slab[this.pos++] = 35; // #
    this.slab[this.pos++] = b ? 116 : 102;
    this.crlf();
  }

  /** Free text (INFO, CLIENT LIST): a verbatim string on RESP3, a bulk string on RESP2. */
  verbatim(text: string): void {
    if (this.resp === 2) {
      this.bulk(text);
      return;
    }
    this.ensure(text.length + 24);
    this.slab[this.pos++] = 61; // =
    this.decimal(text.length + 4);
    this.crlf();
    this.ascii('txt:');
    this.ascii(text);
    this.crlf();
  }

  /** Convenience for replies that are a list of strings. */
  bulkArray(values: readonly string[]): void {
    this.array(values.length);
    for (const v of values) this.bulk(v);
  }

  private header(type: number, n: number): void {
    this.ensure(16);
    this.slab[this.pos++] = type;
    this.decimal(n);
    this.crlf();
  }

  private raw3(type: number): void {
    this.ensure(3);
    this.slab[this.pos++] = type;
    this.crlf();
  }

  private ascii4(a: number, b: number, c: number): void {
    this.ensure(5);
    const s = this.slab;
    s[this.pos++] = a;
    s[this.pos++] = b;
    s[this.pos++] = c;
    this.crlf();
  }

  private crlf(): void {
    this.slab[this.pos++] = 13;
    this.slab[this.pos++] = 10;
  }

  /** Copies a latin1 string; space must have been ensured. */
  private ascii(text: string): void {
    const len = text.length;
    if (len <= SHORT_STRING) {
      const s = this.slab;
      let p = this.pos;
      for (let i = 0; i < len; i++) s[p++] = text.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += writeLatin1(this.slab, text, this.pos, len);
    }
  }

  private decimal(n: number | bigint): void {
    if (typeof n === 'number' && n >= 0 && n <= 0x7fffffff && Number.isInteger(n)) {
      // Counts and lengths: digits straight into the slab, without a string.
      let digits = 1;
      for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
      const s = this.slab;
      let p = this.pos + digits;
      this.pos = p;
      let x = n;
      do {
        s[--p] = 48 + (x % 10);
        x = Math.floor(x / 10);
      } while (x > 0);
      return;
    }
    // An integral double past 2^53 (an expiry time far away) as its exact digits, as Redis's
    // int64 would print them, not JS's shortest form that ends in zeros; within int64, which
    // 2^63 - 1 rounded to a double is not.
    this.ascii(typeof n === 'number' && !Number.isSafeInteger(n) && Number.isInteger(n) ? clampInt64(BigInt(n)).toString() : String(n));
  }
}
