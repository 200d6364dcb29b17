// Small durable files of a group's raft/ directory: written to a temporary file, fsynced,
// renamed over the old one and the directory fsynced, so a crash leaves the old or the new
// version, never a mix. Each carries a CRC-32C so a damaged file is detected, not trusted.
import { open, rename, readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../../util/crc32c.js';
import { DepotError, storageError } from '../../util/errors.js';
import { decodeSnapshotMeta, encodeSnapshotMeta, snapshotMetaBytes } from '../core/codec.js';
import type { HardState, SnapshotMeta } from '../core/types.js';

export async function writeFileAtomic(dir: string, name: string, body: Buffer): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(body);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    await syncDir(dir);
  } catch (err) {
    throw storageError(err, `write ${join(dir, name)}`);
  }
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw storageError(err, `create ${dir}`);
  }
}

/** `body` followed by its CRC-32C. */
function sealed(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length + 4);
  body.copy(out);
  out.writeUInt32BE(crc32c(body), body.length);
  return out;
}

async function readSealed(path: string): Promise<Buffer | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storageError(err, `read ${path}`);
  }
  const body = buf.subarray(0, buf.length - 4);
  if (buf.length < 4 || crc32c(body) !== buf.readUInt32BE(buf.length - 4)) {
    throw new DepotError('CORRUPT_LOG', `${path} fails its checksum`);
  }
  return body;
}

//   hardstate := term u64 | vote u32 | commit u64 | crc32c u32
export const HARD_STATE_FILE = 'hardstate';

export async function writeHardState(dir: string, hs: HardState): Promise<void> {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(Math.floor(hs.term / 0x1_0000_0000), 0);
  b.writeUInt32BE(hs.term >>> 0, 4);
  b.writeUInt32BE(hs.vote, 8);
  b.writeUInt32BE(Math.floor(hs.commit / 0x1_0000_0000), 12);
  b.writeUInt32BE(hs.commit >>> 0, 16);
  await writeFileAtomic(dir, HARD_STATE_FILE, sealed(b));
}

export async function readHardState(dir: string): Promise<HardState | undefined> {
  const b = await readSealed(join(dir, HARD_STATE_FILE));
  if (b === undefined) return undefined;
  if (b.length !== 20) throw new DepotError('CORRUPT_LOG', `hard state of ${b.length} bytes`);
  return {
    term: b.readUInt32BE(0) * 0x1_0000_0000 + b.readUInt32BE(4),
    vote: b.readUInt32BE(8),
    commit: b.readUInt32BE(12) * 0x1_0000_0000 + b.readUInt32BE(16),
  };
}

/** The snapshot a group's state starts from, and the addresses of the members it names. */
export interface SnapshotRecord {
  meta: SnapshotMeta;
  addresses: Record<number, string>;
  /** Name of the data file in the snapshots directory ('' for the empty bootstrap state). */
  dataFile: string;
}

//   snapshot := meta (codec.ts) | addressesLength u32 | addresses JSON | dataFileLength u16 | dataFile | crc32c u32
export const SNAPSHOT_FILE = 'snapshot';

export async function writeSnapshotRecord(dir: string, r: SnapshotRecord): Promise<void> {
  const addresses = Buffer.from(JSON.stringify(r.addresses));
  const file = Buffer.from(r.dataFile);
  const b = Buffer.allocUnsafe(snapshotMetaBytes(r.meta) + 4 + addresses.length + 2 + file.length);
  let o = encodeSnapshotMeta(r.meta, b, 0);
  b.writeUInt32BE(addresses.length, o);
  addresses.copy(b, o + 4);
  o += 4 + addresses.length;
  b.writeUInt16BE(file.length, o);
  file.copy(b, o + 2);
  await writeFileAtomic(dir, SNAPSHOT_FILE, sealed(b));
}

export async function readSnapshotRecord(dir: string): Promise<SnapshotRecord | undefined> {
  const b = await readSealed(join(dir, SNAPSHOT_FILE));
  if (b === undefined) return undefined;
  try {
    const { meta, next } = decodeSnapshotMeta(b, 0);
    const alen = b.readUInt32BE(next);
    const addresses = JSON.parse(b.toString('utf8', next + 4, next + 4 + alen)) as Record<number, string>;
    const o = next + 4 + alen;
    const flen = b.readUInt16BE(o);
    return { meta, addresses, dataFile: b.toString('utf8', o + 2, o + 2 + flen) };
  } catch (err) {
    throw new DepotError('CORRUPT_LOG', `${join(dir, SNAPSHOT_FILE)} cannot be decoded`, { cause: err });
  }
}
