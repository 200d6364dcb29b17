// Splits a raft connection's byte stream into native-protocol frames (src/protocol/native/
// frame.ts) without joining socket reads: a frame's body is handed over as a ByteReader over the
// reads it spans, so an append of a megabyte arriving in 64 KiB reads is decoded where it lies,
// its entries' payloads being views into those reads (core/byte-reader.ts).
import { DepotError } from '../../util/errors.js';
import { FRAME_HEADER_BYTES, isFrameKind } from '../../protocol/native/frame.js';
import { ByteReader } from '../core/byte-reader.js';

/** Bytes of a frame header after its length field: the smallest legal length. */
const MIN_LENGTH = FRAME_HEADER_BYTES - 4;

/** Called per complete frame; must consume exactly `bodyBytes` from `body`. */
export type FrameHandler = (api: number, body: ByteReader, bodyBytes: number) => void;

export class RaftFrameReader {
  private readonly r = new ByteReader();

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: FrameHandler,
  ) {}

  /** Feeds one socket read. Throws DepotError on a malformed stream (close the connection). */
  push(chunk: Buffer): void {
    const r = this.r;
    r.push(chunk);
    while (r.available >= 4) {
      const length = r.peekU32();
      if (length < MIN_LENGTH) throw new DepotError('MALFORMED_FRAME', `frame length ${length} is below the header size ${MIN_LENGTH}`);
      if (length + 4 > this.maxFrameBytes) throw new DepotError('FRAME_TOO_LARGE', `frame of ${length + 4} bytes exceeds the limit of ${this.maxFrameBytes}`);
      if (r.available < 4 + length) break;
      r.need(FRAME_HEADER_BYTES);
      const kind = r.buf.readUInt8(r.off + 4);
      const api = r.buf.readUInt16BE(r.off + 6);
      r.skip(FRAME_HEADER_BYTES);
      if (!isFrameKind(kind)) throw new DepotError('MALFORMED_FRAME', `unknown frame kind ${kind}`);
      const bodyBytes = length - MIN_LENGTH;
      const end = r.consumed + bodyBytes;
      this.onFrame(api, r, bodyBytes);
      if (r.consumed !== end) throw new DepotError('MALFORMED_FRAME', `raft frame 0x${api.toString(16)} body not read exactly`);
    }
    r.compact();
  }
}
