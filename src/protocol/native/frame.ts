// Native protocol framing, shared by client↔server traffic and node↔node (raft) traffic.
//
//   offset  size  field
//   0       4     length         u32 BE: bytes after this field (header rest + body)
//   4       1     kind           FrameKind
//   5       1     flags          reserved bits, 0 unless an API says otherwise
//   6       2     api            u16 BE: the request/push type (see docs/protocol.md)
//   8       4     correlationId  u32 BE: chosen by the requester, echoed by the response
//   12      ...   body           API-specific
//
// A frame is decoded without copying when it lies within one socket chunk.
import { DepotError } from '../../util/errors.js';

export const FRAME_HEADER_BYTES = 12;
/** Bytes of the header after the length field: the smallest legal `length`. */
const MIN_LENGTH = FRAME_HEADER_BYTES - 4;

export const FrameKind = {
  Request: 0,
  Response: 1,
  /** Unsolicited server→client frame (deliveries, notifications). correlationId names the subscription. */
  Push: 2,
  /** A response carrying an error body instead of the API's response body. */
  Error: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface Frame {
  kind: FrameKind;
  flags: number;
  api: number;
  correlationId: number;
  /** A view into the received bytes; copy it if it must outlive the socket chunk. */
  body: Buffer;
}

export function encodeFrameHeader(
  target: Buffer,
  offset: number,
  kind: FrameKind,
  flags: number,
  api: number,
  correlationId: number,
  bodyLength: number,
): void {
  target.writeUInt32BE(MIN_LENGTH + bodyLength, offset);
  target.writeUInt8(kind, offset + 4);
  target.writeUInt8(flags, offset + 5);
  target.writeUInt16BE(api, offset + 6);
  target.writeUInt32BE(correlationId >>> 0, offset + 8);
}

/** One buffer holding header and body. Prefer writing header + body with writev on hot paths. */
export function encodeFrame(kind: FrameKind, api: number, correlationId: number, body: Buffer, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  encodeFrameHeader(out, 0, kind, flags, api, correlationId, body.length);
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function isFrameKind(n: number): n is FrameKind {
  return n >= FrameKind.Request && n <= FrameKind.Error;
}

/**
 * The frame's body with one byte in front, without a copy when possible: FrameDecoder keeps each
 * body right after its 12 header bytes in memory, and the header's last byte (the correlation
 * id's, already decoded into the Frame) is overwritten with `prefix`. A frame whose header is not
 * found in front of its body gets a copy. (The server stores a Produce request this way: the
 * request body behind a one-byte command type is the broker's log command.)
 */
export function prefixedBody(f: Frame, prefix: number): Buffer {
  const b = f.body;
  if (b.byteOffset >= FRAME_HEADER_BYTES) {
    const h = Buffer.from(b.buffer, b.byteOffset - FRAME_HEADER_BYTES, FRAME_HEADER_BYTES);
    if (h.readUInt32BE(0) === MIN_LENGTH + b.length && h[4] === f.kind && h[5] === f.flags && h.readUInt16BE(6) === f.api && h.readUInt32BE(8) === f.correlationId >>> 0) {
      h[FRAME_HEADER_BYTES - 1] = prefix;
      return Buffer.from(b.buffer, b.byteOffset - 1, b.length + 1);
    }
  }
  const out = Buffer.allocUnsafe(b.length + 1);
  out[0] = prefix;
  b.copy(out, 1);
  return out;
}

/**
 * Splits a byte stream into frames. Feed socket chunks with `push`; complete frames are
 * returned in order, each body right after its header in the same memory (see `prefixedBody`). Throws DepotError MALFORMED_FRAME or FRAME_TOO_LARGE on bad input,
 * after which the stream is unusable (the connection must be closed).
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes buffered towards an incomplete frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Frame[] {
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // Concatenate once the awaited frame is complete, not on every chunk of a large frame.
      if (this.pendingBytes < this.awaitedBytes()) return [];
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const frames: Frame[] = [];
    let pos = 0;
    while (buf.length - pos >= 4) {
      const length = buf.readUInt32BE(pos);
      if (length < MIN_LENGTH) {
        throw new DepotError('MALFORMED_FRAME', `frame length ${length} is below the header size ${MIN_LENGTH}`);
      }
      if (length + 4 > this.maxFrameBytes) {
        throw new DepotError('FRAME_TOO_LARGE', `frame of ${length + 4} bytes exceeds the limit of ${this.maxFrameBytes}`);
      }
      if (buf.length - pos < 4 + length) break;
      const kind = buf.readUInt8(pos + 4);
      if (!isFrameKind(kind)) throw new DepotError('MALFORMED_FRAME', `unknown frame kind ${kind}`);
      frames.push({
        kind,
        flags: buf.readUInt8(pos + 5),
        api: buf.readUInt16BE(pos + 6),
        correlationId: buf.readUInt32BE(pos + 8),
        body: buf.subarray(pos + FRAME_HEADER_BYTES, pos + 4 + length),
      });
      pos += 4 + length;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
    return frames;
  }

  /** Total bytes of the frame being buffered, or 4 while its length is not known yet. */
  private awaitedBytes(): number {
    if (this.pendingBytes < 4) return 4;
    const head = this.pending[0]!.length >= 4 ? this.pending[0]! : Buffer.concat(this.pending).subarray(0, 4);
    return 4 + head.readUInt32BE(0);
  }
}
