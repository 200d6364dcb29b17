// Snapshot data files of a group (raft/snapshots/<index>-<term>.snap): the state machine's
// stream in frames, each LZ4-compressed when that makes it smaller, followed by a CRC-32C of the
// file. Local snapshots are written from `StateMachine.snapshot()`; received ones arrive in
// chunks from the leader. Either way a file becomes visible only by rename, after an fsync, so a
// crash never leaves a partial snapshot.
//
//   file    "DPSZ" | frame* | u32 BE CRC-32C of every byte before it
//   frame   u32 BE data length | u32 BE stored length | stored bytes
//           (stored length = data length: the data as it is; less: an LZ4 block of it, its
//           length prepended as lz4-napi's `compress` writes it)
//
// Why compress: a snapshot of a large keyspace is hundreds of MB written from the server's own
// process (Redis writes its AOF rewrite from a forked child, and compresses its strings with
// LZF). On a VM most of that write's cost is the kernel copying into fresh page-cache pages,
// which compression avoids for whatever compresses; LZ4 costs 0.1-0.7 ms a MB. A file without
// the magic, written before frames, is the stream as it is followed by its CRC-32C; it is still
// read.
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { compress, compressSync, uncompressSync } from 'lz4-napi';
import { assert } from '../../util/assert.js';
import { crc32c } from '../../util/crc32c.js';
import { DepotError, storageError } from '../../util/errors.js';
import type { SnapshotMeta } from '../core/types.js';
import { ensureDir, syncDir } from './files.js';

export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

const MAGIC = Buffer.from('DPSZ', 'latin1');
const FRAME_HEADER_BYTES = 8;
const TRAILER_BYTES = 4;
/** Frames are written in batches of up to this many bytes; a larger chunk compresses in the thread pool. */
const WRITE_BYTES = 1 << 20;
/** Largest frame: a longer chunk (none of the state machines' usually is) is split. */
const MAX_FRAME_BYTES = 1 << 30;

export function snapshotFileName(meta: { index: number; term: number }): string {
  return `${meta.index}-${meta.term}.snap`;
}

/** Writes a snapshot file chunk by chunk; `finish` makes it visible, `abort` removes it. */
export class SnapshotWriter {
  private crc = crc32c(MAGIC);
  /** Bytes of the stream written (before compression). */
  private bytes = 0;
  /** Frames not yet written: gathered so that a write is a thread-pool hop per MB, not per chunk. */
  private readonly staged = Buffer.allocUnsafe(WRITE_BYTES);
  private stagedBytes = MAGIC.copy(this.staged);

  private constructor(
    private readonly dir: string,
    readonly name: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(dir: string, meta: SnapshotMeta): Promise<SnapshotWriter> {
    await ensureDir(dir);
    const name = snapshotFileName(meta);
    try {
      return new SnapshotWriter(dir, name, await open(join(dir, `${name}.tmp`), 'w'));
    } catch (err) {
      throw storageError(err, `create snapshot ${name}`);
    }
  }

  /** Bytes of the stream written so far, as the state machine produced them. */
  get written(): number {
    return this.bytes;
  }

  /** Adds a chunk of the stream; it must stay as it is until the returned promise settles. */
  async write(chunk: Buffer): Promise<void> {
    for (let o = 0; o < chunk.length; o += MAX_FRAME_BYTES) await this.frame(chunk.subarray(o, o + MAX_FRAME_BYTES));
  }

  private async frame(chunk: Buffer): Promise<void> {
    // A chunk of a state machine's usual size compresses here in tens of µs, less than a hop to
    // the thread pool costs; a huge one (a long value) there, so as not to hold the event loop.
    const packed = chunk.length <= WRITE_BYTES ? compressSync(chunk) : await compress(chunk);
    const stored = packed.length < chunk.length ? packed : chunk;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32BE(chunk.length, 0);
    header.writeUInt32BE(stored.length, 4);
    this.crc = crc32c(stored, crc32c(header, this.crc));
    this.bytes += chunk.length;
    if (this.stagedBytes + FRAME_HEADER_BYTES + stored.length > WRITE_BYTES) await this.writeStaged();
    if (FRAME_HEADER_BYTES + stored.length > WRITE_BYTES) return this.writeOut([header, stored]);
    this.stagedBytes += header.copy(this.staged, this.stagedBytes);
    this.stagedBytes += stored.copy(this.staged, this.stagedBytes);
  }

  private async writeStaged(): Promise<void> {
    if (this.stagedBytes === 0) return;
    const n = this.stagedBytes;
    this.stagedBytes = 0;
    await this.writeOut([this.staged.subarray(0, n)]);
  }

  private async writeOut(buffers: Buffer[]): Promise<void> {
    try {
      await this.fh.writev(buffers);
    } catch (err) {
      throw storageError(err, `write snapshot ${this.name}`);
    }
  }

  async finish(): Promise<void> {
    await this.writeStaged();
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeUInt32BE(this.crc, 0);
    try {
      await this.fh.write(trailer);
      await this.fh.datasync();
      await this.fh.close();
      await rename(join(this.dir, `${this.name}.tmp`), join(this.dir, this.name));
      await syncDir(this.dir);
    } catch (err) {
      throw storageError(err, `finish snapshot ${this.name}`);
    }
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(join(this.dir, `${this.name}.tmp`), { force: true });
  }
}

/**
 * Sequential reads through a buffer: `next(n)` returns the file's next n bytes as a view of a
 * buffer that is never reused, so a view stays valid after later calls.
 */
class SequentialReader {
  private buf = Buffer.alloc(0);
  private at = 0;
  private pos: number;

  constructor(
    private readonly fh: FileHandle,
    private readonly name: string,
    start: number,
    /** Where the data ends (the trailer's offset). */
    private readonly end: number,
  ) {
    this.pos = start;
  }

  /** File offset of the next byte `next` returns. */
  get offset(): number {
    return this.pos - (this.buf.length - this.at);
  }

  async next(n: number): Promise<Buffer> {
    const held = this.buf.length - this.at;
    if (held < n) {
      const want = Math.min(Math.max(n, SNAPSHOT_CHUNK_BYTES), held + this.end - this.pos);
      if (want < n) throw new DepotError('CORRUPT_LOG', `snapshot ${this.name} ends inside a frame`);
      const b = Buffer.allocUnsafe(want);
      this.buf.copy(b, 0, this.at);
      const { bytesRead } = await this.fh.read(b, held, want - held, this.pos);
      assert(bytesRead === want - held, 'short read of snapshot %s', this.name);
      this.pos += want - held;
      this.buf = b;
      this.at = 0;
    }
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

interface Frame {
  readonly header: Buffer;
  readonly dataLength: number;
  readonly stored: Buffer;
}

/** The frames of a file with the magic, whose data ends at `end`. */
async function* readFrames(fh: FileHandle, name: string, end: number): AsyncGenerator<Frame> {
  const reader = new SequentialReader(fh, name, MAGIC.length, end);
  while (reader.offset < end) {
    const header = await reader.next(FRAME_HEADER_BYTES);
    const dataLength = header.readUInt32BE(0);
    const storedLength = header.readUInt32BE(4);
    if (dataLength === 0 || dataLength > MAX_FRAME_BYTES || storedLength > dataLength) {
      throw new DepotError('CORRUPT_LOG', `snapshot ${name} has a bad frame header at ${reader.offset - FRAME_HEADER_BYTES}`);
    }
    yield { header, dataLength, stored: await reader.next(storedLength) };
  }
}

/** Opens a snapshot file: its handle, whether it is framed, and where its data ends. */
async function openSnapshot(dir: string, name: string): Promise<{ fh: FileHandle; framed: boolean; end: number }> {
  let fh: FileHandle;
  try {
    fh = await open(join(dir, name), 'r');
  } catch (err) {
    throw storageError(err, `open snapshot ${name}`);
  }
  try {
    const end = (await fh.stat()).size - TRAILER_BYTES;
    if (end < 0) throw new DepotError('CORRUPT_LOG', `snapshot ${name} is shorter than its trailer`);
    const head = Buffer.alloc(MAGIC.length);
    if (end >= MAGIC.length) await fh.read(head, 0, MAGIC.length, 0);
    return { fh, framed: head.equals(MAGIC), end };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Streams a snapshot file's data (the state machine's stream) in chunks. */
export async function* readSnapshot(dir: string, name: string): AsyncGenerator<Buffer> {
  const { fh, framed, end } = await openSnapshot(dir, name);
  try {
    if (framed) {
      for await (const f of readFrames(fh, name, end)) yield f.stored.length === f.dataLength ? f.stored : unpack(f, name);
    } else {
      yield* readUnframed(fh, name, end);
    }
  } finally {
    await fh.close();
  }
}

/** The data of a file of the format before frames, in chunks. */
async function* readUnframed(fh: FileHandle, name: string, end: number): AsyncGenerator<Buffer> {
  const reader = new SequentialReader(fh, name, 0, end);
  for (let pos = 0; pos < end; pos += SNAPSHOT_CHUNK_BYTES) yield await reader.next(Math.min(SNAPSHOT_CHUNK_BYTES, end - pos));
}

function unpack(f: Frame, name: string): Buffer {
  // The block's own length is what the decompressor allocates: checked first, so that a damaged
  // one cannot ask for gigabytes.
  if (f.stored.length < 4 || f.stored.readUInt32LE(0) !== f.dataLength) throw new DepotError('CORRUPT_LOG', `snapshot ${name} has a frame whose block length is not its data length`);
  let data: Buffer;
  try {
    data = uncompressSync(f.stored);
  } catch (err) {
    throw new DepotError('CORRUPT_LOG', `snapshot ${name} has a frame that does not decompress: ${(err as Error).message}`);
  }
  if (data.length !== f.dataLength) throw new DepotError('CORRUPT_LOG', `snapshot ${name} has a frame of ${data.length} bytes where its header says ${f.dataLength}`);
  return data;
}

/**
 * Reads the whole file once and checks its CRC before anyone restores from it; returns the size
 * of its data (the state machine's stream, before compression).
 */
export async function verifySnapshot(dir: string, name: string): Promise<number> {
  const { fh, framed, end } = await openSnapshot(dir, name);
  try {
    let crc = 0;
    let size = 0;
    if (framed) {
      crc = crc32c(MAGIC);
      for await (const f of readFrames(fh, name, end)) {
        crc = crc32c(f.stored, crc32c(f.header, crc));
        size += f.dataLength;
      }
    } else {
      for await (const chunk of readUnframed(fh, name, end)) crc = crc32c(chunk, crc);
      size = end;
    }
    const trailer = Buffer.alloc(TRAILER_BYTES);
    await fh.read(trailer, 0, TRAILER_BYTES, end);
    if (trailer.readUInt32BE(0) !== crc) throw new DepotError('CORRUPT_LOG', `snapshot ${name} fails its checksum`);
    return size;
  } finally {
    await fh.close();
  }
}

export async function snapshotExists(dir: string, name: string): Promise<boolean> {
  try {
    await stat(join(dir, name));
    return true;
  } catch {
    return false;
  }
}

/** Removes every finished snapshot file but `keep`. */
export async function pruneSnapshots(dir: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.endsWith('.snap') && n !== keep) await rm(join(dir, n), { force: true });
}
