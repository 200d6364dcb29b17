// Small durable files of a group's raft/ directory: written to a temporary file, fsynced,
// renamed over the old one and the directory fsynced, so a crash leaves the old or the new
// version, never a mix; the hard state, once created, is written in place instead (below).
// Each carries a CRC-32C so a damaged file is detected, not trusted.
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

/** The file's bytes, or undefined when there is no file. */
async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storageError(err, `read ${path}`);
  }
}

/** The body of a sealed file's bytes (`sealed`), checked against its CRC-32C. */
function unseal(buf: Buffer, path: string): Buffer {
  const body = buf.subarray(0, buf.length - 4);
  if (buf.length < 4 || crc32c(body) !== buf.readUInt32BE(buf.length - 4)) {
    throw new DepotError('CORRUPT_LOG', `${path} fails its checksum`);
  }
  return body;
}

async function readSealed(path: string): Promise<Buffer | undefined> {
  const buf = await readIfExists(path);
  return buf === undefined ? undefined : unseal(buf, path);
}

//   hardstate := slot slot
//   slot      := seq u64 | term u64 | vote u32 | commit u64 | crc32c u32          (32 bytes)
// A new term or vote is written over the older slot in place and fdatasync'd: the file never
// grows after it is created, so a group on a full disk can still record a vote or a new term
// (creating a temporary file would need room). A write torn by a crash spoils only its slot,
// and the other one, the state before it, is read instead: the vote or term it lost was never
// sent, since raft sends only what is durable. Files of the first format (one sealed
// term | vote | commit, 24 bytes) are read, and replaced by a whole new file at the next write.
export const HARD_STATE_FILE = 'hardstate';
const SLOT_BYTES = 32;
const OLD_HARD_STATE_BYTES = 24;

interface Slot {
  seq: number;
  hs: HardState;
}

function encodeSlot(seq: number, hs: HardState): Buffer {
  const b = Buffer.alloc(SLOT_BYTES);
  b.writeBigUInt64BE(BigInt(seq), 0);
  b.writeBigUInt64BE(BigInt(hs.term), 8);
  b.writeUInt32BE(hs.vote, 16);
  b.writeBigUInt64BE(BigInt(hs.commit), 20);
  b.writeUInt32BE(crc32c(b.subarray(0, 28)), 28);
  return b;
}

/** The slot at `offset`, or undefined when its checksum fails (torn, or never written). */
function decodeSlot(b: Buffer, offset: number): Slot | undefined {
  const s = b.subarray(offset, offset + SLOT_BYTES);
  if (crc32c(s.subarray(0, 28)) !== s.readUInt32BE(28)) return undefined;
  return { seq: Number(s.readBigUInt64BE(0)), hs: { term: Number(s.readBigUInt64BE(8)), vote: s.readUInt32BE(16), commit: Number(s.readBigUInt64BE(20)) } };
}

/** The newest valid slot of the file, the file's size, or undefined when there is no file. */
async function readHardStateFile(path: string): Promise<{ latest: Slot; size: number } | undefined> {
  const b = await readIfExists(path);
  if (b === undefined) return undefined;
  if (b.length === OLD_HARD_STATE_BYTES) {
    const old = unseal(b, path);
    return { latest: { seq: 0, hs: { term: Number(old.readBigUInt64BE(0)), vote: old.readUInt32BE(8), commit: Number(old.readBigUInt64BE(12)) } }, size: b.length };
  }
  if (b.length !== 2 * SLOT_BYTES) throw new DepotError('CORRUPT_LOG', `${path} has ${b.length} bytes`);
  const [a, c] = [decodeSlot(b, 0), decodeSlot(b, SLOT_BYTES)];
  const latest = a === undefined ? c : c === undefined || a.seq > c.seq ? a : c;
  if (latest === undefined) throw new DepotError('CORRUPT_LOG', `${path}: neither copy passes its checksum`);
  return { latest, size: b.length };
}

export async function writeHardState(dir: string, hs: HardState): Promise<void> {
  const path = join(dir, HARD_STATE_FILE);
  const current = await readHardStateFile(path);
  if (current === undefined || current.size !== 2 * SLOT_BYTES) {
    // The one write that needs room: the file is created whole. Slot seq % 2 holds seq, so the
    // first (seq 1) is the second slot and the next write goes to the first, still empty.
    await writeFileAtomic(dir, HARD_STATE_FILE, Buffer.concat([Buffer.alloc(SLOT_BYTES), encodeSlot(1, hs)]));
    return;
  }
  const seq = current.latest.seq + 1;
  try {
    const fh = await open(path, 'r+');
    try {
      await fh.write(encodeSlot(seq, hs), 0, SLOT_BYTES, (seq % 2) * SLOT_BYTES);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw storageError(err, `write ${path}`);
  }
}

export async function readHardState(dir: string): Promise<HardState | undefined> {
  return (await readHardStateFile(join(dir, HARD_STATE_FILE)))?.latest.hs;
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
