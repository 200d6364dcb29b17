// Reads a byte stream that arrives in pieces (socket reads) without joining the pieces first.
// A field that lies within one piece is read where it is; one that straddles two is copied into
// a small buffer of its own. Payloads are handed out as views into the pieces, so a frame of
// many entries costs no copy of the whole frame (only the rare entry cut by a piece boundary is
// copied). Pure: it only moves bytes between Buffers.
//
// Use: `need(n)` makes the next n bytes readable at `buf[off…off+n)`, then `skip(n)` consumes
// them; `bytes(n)` takes n bytes as a Buffer of their own (a view when possible).
import { DepotError } from '../../util/errors.js';

const EMPTY = Buffer.alloc(0);

export class ByteReader {
  /** The piece being read, and the position of the next unread byte in it. */
  buf: Buffer = EMPTY;
  off = 0;
  /** Bytes consumed since the reader was made. */
  consumed = 0;
  private pieces: Buffer[] = [];
  /** Position of `buf` in `pieces` (-1 before the first piece). */
  private at = -1;
  private unread = 0;

  /** A reader over one buffer from offset `o`. */
  static of(b: Buffer, o = 0): ByteReader {
    const r = new ByteReader();
    r.push(o === 0 ? b : b.subarray(o));
    return r;
  }

  /** Bytes pushed and not yet consumed. */
  get available(): number {
    return this.unread;
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.unread += piece.length;
  }

  /** Makes the next `n` bytes contiguous at `buf[off…]`; MALFORMED_FRAME when fewer remain. */
  need(n: number): void {
    if (this.buf.length - this.off >= n) return;
    if (this.unread < n) throw new DepotError('MALFORMED_FRAME', `raft message truncated (needs ${n} bytes, ${this.unread} left)`);
    this.settle();
    if (this.buf.length - this.off >= n) return;
    // Straddles pieces: copy it out. The pieces it consumed whole are done with; the copy takes
    // the slot of the last of them, and a piece it consumed in part keeps only its rest.
    const joined = Buffer.allocUnsafe(n);
    let filled = 0;
    let j = this.at;
    let o = this.off;
    while (filled < n) {
      const p = this.pieces[j]!;
      const take = Math.min(n - filled, p.length - o);
      p.copy(joined, filled, o, o + take);
      filled += take;
      o += take;
      if (o === p.length) {
        j++;
        o = 0;
      }
    }
    if (o > 0) this.pieces[j] = this.pieces[j]!.subarray(o);
    this.at = j - 1;
    this.pieces[this.at] = joined;
    this.buf = joined;
    this.off = 0;
  }

  /** Consumes `n` bytes made readable by `need(n)`. */
  skip(n: number): void {
    this.off += n;
    this.unread -= n;
    this.consumed += n;
  }

  /** The next `n` bytes as a Buffer: a view into a piece, or a copy when they straddle pieces. */
  bytes(n: number): Buffer {
    if (this.buf.length - this.off < n) this.settle();
    if (this.buf.length - this.off >= n) {
      const view = this.buf.subarray(this.off, this.off + n);
      this.skip(n);
      return view;
    }
    this.need(n);
    const copy = this.buf;
    this.skip(n);
    return copy;
  }

  peekU16(): number {
    this.need(2);
    return this.buf.readUInt16BE(this.off);
  }

  peekU32(): number {
    this.need(4);
    return this.buf.readUInt32BE(this.off);
  }

  /** Lets go of the pieces already read (their unread views live on in what was handed out). */
  compact(): void {
    if (this.unread === 0) {
      this.pieces = [];
      this.at = -1;
      this.buf = EMPTY;
      this.off = 0;
    } else if (this.at > 0) {
      this.pieces = this.pieces.slice(this.at);
      this.at = 0;
    }
  }

  /** Moves past pieces read to their end. */
  private settle(): void {
    while (this.off >= this.buf.length && this.at + 1 < this.pieces.length) {
      this.at++;
      this.buf = this.pieces[this.at]!;
      this.off = 0;
    }
  }
}
