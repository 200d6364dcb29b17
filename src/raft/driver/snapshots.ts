// Snapshot data files of a group (raft/snapshots/<index>-<term>.snap): the state machine's
// stream as written, followed by a CRC-32C of it. Local snapshots are written from
// `StateMachine.snapshot()`; received ones arrive in chunks from the leader. Either way a file
// becomes visible only by rename, after an fsync, so a crash never leaves a partial snapshot.
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../../util/assert.js';
import { crc32c } from '../../util/crc32c.js';
import { DepotError, storageError } from '../../util/errors.js';
import type { SnapshotMeta } from '../core/types.js';
import { ensureDir, syncDir } from './files.js';

export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

export function snapshotFileName(meta: { index: number; term: number }): string {
  return `${meta.index}-${meta.term}.snap`;
}

/** Writes a snapshot file chunk by chunk; `finish` makes it visible, `abort` removes it. */
export class SnapshotWriter {
  private crc = 0;
  private bytes = 0;

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

  get written(): number {
    return this.bytes;
  }

  async write(chunk: Buffer): Promise<void> {
    this.crc = crc32c(chunk, this.crc);
    this.bytes += chunk.length;
    try {
      await this.fh.write(chunk);
    } catch (err) {
      throw storageError(err, `write snapshot ${this.name}`);
    }
  }

  async finish(): Promise<void> {
    const trailer = Buffer.alloc(4);
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

/** Streams a snapshot file's data (without its trailer) in chunks. */
export async function* readSnapshot(dir: string, name: string, chunkBytes = SNAPSHOT_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const path = join(dir, name);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw storageError(err, `open snapshot ${name}`);
  }
  try {
    const size = (await fh.stat()).size - 4;
    if (size < 0) throw new DepotError('CORRUPT_LOG', `snapshot ${name} is shorter than its trailer`);
    for (let pos = 0; pos < size; ) {
      const n = Math.min(chunkBytes, size - pos);
      const buf = Buffer.allocUnsafe(n);
      const { bytesRead } = await fh.read(buf, 0, n, pos);
      assert(bytesRead === n, `short read of snapshot ${name}`);
      pos += n;
      yield buf;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads the whole file once and checks its CRC before anyone restores from it; returns the size
 * of its data (the trailer left out).
 */
export async function verifySnapshot(dir: string, name: string): Promise<number> {
  let crc = 0;
  for await (const chunk of readSnapshot(dir, name)) crc = crc32c(chunk, crc);
  const fh = await open(join(dir, name), 'r');
  try {
    const size = (await fh.stat()).size;
    const trailer = Buffer.alloc(4);
    await fh.read(trailer, 0, 4, size - 4);
    if (trailer.readUInt32BE(0) !== crc) throw new DepotError('CORRUPT_LOG', `snapshot ${name} fails its checksum`);
    return size - 4;
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
