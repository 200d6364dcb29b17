// The log's two small control files, each replaced atomically (write temp, fsync, rename):
//
// `meta` — the log's identity and logical start (32 bytes):
//   0  8    magic "DEPOTLOG"
//   8  u32  version
//   12 u32  generation   bumped by reset(); segments of another generation are garbage
//   16 u64  first index  entries below it are logically deleted (prefix truncation)
//   24 u32  reserved, 0
//   28 u32  CRC-32C of bytes [0, 28)
//
// `checkpoint` — how far the active segment is known good, so recovery scans only the rest:
//   0  8    magic "DEPOTCKP"
//   8  u32  version
//   12 u32  generation
//   16 u64  segment base
//   24 u32  count        entries of the segment covered (their positions are in its .idx)
//   28 u32  run count    term runs that follow the fixed part
//   32 u64  data bytes   segment file length up to the end of the last covered entry
//   40 u64  max timestamp of the covered entries
//   48 u64  term of the last covered entry
//   56 u32  reserved, 0
//   60 u32  CRC-32C of bytes [0, 60) and of the runs (seeded)
//   64 ...  runs: run count × (u64 start index, u64 term)
import { crc32c } from '../util/crc32c.js';
import { readU64, writeU64 } from './format.js';
import type { TermRun } from './term-runs.js';

const META_MAGIC = Buffer.from('DEPOTLOG', 'latin1');
const CHECKPOINT_MAGIC = Buffer.from('DEPOTCKP', 'latin1');
const VERSION = 1;
export const META_FILE = 'meta';
export const CHECKPOINT_FILE = 'checkpoint';

export interface Meta {
  generation: number;
  firstIndex: number;
}

export function encodeMeta(meta: Meta): Buffer {
  const b = Buffer.alloc(32);
  META_MAGIC.copy(b, 0);
  b.writeUInt32LE(VERSION, 8);
  b.writeUInt32LE(meta.generation, 12);
  writeU64(b, meta.firstIndex, 16);
  b.writeUInt32LE(crc32c(b.subarray(0, 28)), 28);
  return b;
}

export function decodeMeta(b: Buffer): Meta | undefined {
  if (b.length !== 32 || !b.subarray(0, 8).equals(META_MAGIC) || b.readUInt32LE(8) !== VERSION) return undefined;
  if (crc32c(b.subarray(0, 28)) !== b.readUInt32LE(28)) return undefined;
  return { generation: b.readUInt32LE(12), firstIndex: readU64(b, 16) };
}

export interface Checkpoint {
  generation: number;
  segmentBase: number;
  count: number;
  dataBytes: number;
  maxTimestamp: number;
  lastTerm: number;
  runs: TermRun[];
}

const CHECKPOINT_FIXED = 64;

export function encodeCheckpoint(c: Checkpoint): Buffer {
  const b = Buffer.alloc(CHECKPOINT_FIXED + 16 * c.runs.length);
  CHECKPOINT_MAGIC.copy(b, 0);
  b.writeUInt32LE(VERSION, 8);
  b.writeUInt32LE(c.generation, 12);
  writeU64(b, c.segmentBase, 16);
  b.writeUInt32LE(c.count, 24);
  b.writeUInt32LE(c.runs.length, 28);
  writeU64(b, c.dataBytes, 32);
  writeU64(b, c.maxTimestamp, 40);
  writeU64(b, c.lastTerm, 48);
  c.runs.forEach((r, i) => {
    writeU64(b, r.start, CHECKPOINT_FIXED + 16 * i);
    writeU64(b, r.term, CHECKPOINT_FIXED + 16 * i + 8);
  });
  b.writeUInt32LE(checkpointCrc(b), 60);
  return b;
}

function checkpointCrc(b: Buffer): number {
  return crc32c(b.subarray(CHECKPOINT_FIXED), crc32c(b.subarray(0, 60)));
}

export function decodeCheckpoint(b: Buffer): Checkpoint | undefined {
  if (b.length < CHECKPOINT_FIXED || !b.subarray(0, 8).equals(CHECKPOINT_MAGIC)) return undefined;
  if (b.readUInt32LE(8) !== VERSION) return undefined;
  const runCount = b.readUInt32LE(28);
  if (b.length !== CHECKPOINT_FIXED + 16 * runCount || checkpointCrc(b) !== b.readUInt32LE(60)) return undefined;
  const runs: TermRun[] = [];
  for (let i = 0; i < runCount; i++) {
    runs.push({ start: readU64(b, CHECKPOINT_FIXED + 16 * i), term: readU64(b, CHECKPOINT_FIXED + 16 * i + 8) });
  }
  return {
    generation: b.readUInt32LE(12),
    segmentBase: readU64(b, 16),
    count: b.readUInt32LE(24),
    dataBytes: readU64(b, 32),
    maxTimestamp: readU64(b, 40),
    lastTerm: readU64(b, 48),
    runs,
  };
}
