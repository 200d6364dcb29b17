// A segment's position index, `<base>.idx`: where each entry starts in `<base>.seg`, so that
// finding an entry is arithmetic (4 bytes per entry at 64 + 4 × (index − base)).
//
//   0  8    magic "DEPOTIDX"
//   8  u32  version
//   12 u32  sealed       1 once the segment is closed; 0 while it is active
//   16 u64  base index
//   24 u32  count        entries in the segment (sealed only)
//   28 u32  run count    term runs after the positions (sealed only)
//   32 u64  data bytes   length of the segment file (sealed only)
//   40 u64  max timestamp of the segment's entries (sealed only)
//   48 u32  CRC-32C of the term runs
//   52 u32  reserved, 0
//   56 u32  reserved, 0
//   60 u32  CRC-32C of bytes [0, 60)
//   64 ...  positions: u32 byte offset of each entry in the segment file
//   ...     term runs (sealed only): run count × (u64 start index, u64 term)
//
// While a segment is active its positions are in memory and reach the file only at
// checkpoints (see meta.ts); the header is written when the segment is sealed. Positions are
// verified whenever they are used (the record found there must carry the expected index), so
// the index can be trusted without reading it whole, and rebuilt from the segment if wrong.
import { crc32c } from '../util/crc32c.js';
import { readU64, writeU64 } from './format.js';
import type { TermRun } from './term-runs.js';

export const POSITION_INDEX_HEADER_BYTES = 64;
const MAGIC = Buffer.from('DEPOTIDX', 'latin1');
const VERSION = 1;

export interface SealedHeader {
  base: number;
  count: number;
  runCount: number;
  dataBytes: number;
  maxTimestamp: number;
  runsCrc: number;
}

export function positionOffset(k: number): number {
  return POSITION_INDEX_HEADER_BYTES + 4 * k;
}

export function encodeSealedHeader(h: SealedHeader): Buffer {
  const b = Buffer.alloc(POSITION_INDEX_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(VERSION, 8);
  b.writeUInt32LE(1, 12);
  writeU64(b, h.base, 16);
  b.writeUInt32LE(h.count, 24);
  b.writeUInt32LE(h.runCount, 28);
  writeU64(b, h.dataBytes, 32);
  writeU64(b, h.maxTimestamp, 40);
  b.writeUInt32LE(h.runsCrc, 48);
  b.writeUInt32LE(crc32c(b.subarray(0, 60)), 60);
  return b;
}

/** An unsealed header: marks the file as the positions of an active segment. */
export function encodeActiveHeader(base: number): Buffer {
  const b = Buffer.alloc(POSITION_INDEX_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(VERSION, 8);
  writeU64(b, base, 16);
  b.writeUInt32LE(crc32c(b.subarray(0, 60)), 60);
  return b;
}

export function decodeSealedHeader(b: Buffer): SealedHeader | undefined {
  if (b.length < POSITION_INDEX_HEADER_BYTES || !b.subarray(0, 8).equals(MAGIC)) return undefined;
  if (b.readUInt32LE(8) !== VERSION || b.readUInt32LE(12) !== 1) return undefined;
  if (crc32c(b.subarray(0, 60)) !== b.readUInt32LE(60)) return undefined;
  return {
    base: readU64(b, 16),
    count: b.readUInt32LE(24),
    runCount: b.readUInt32LE(28),
    dataBytes: readU64(b, 32),
    maxTimestamp: readU64(b, 40),
    runsCrc: b.readUInt32LE(48),
  };
}

export function encodePositions(positions: Uint32Array, from: number, to: number): Buffer {
  const b = Buffer.allocUnsafe(4 * (to - from));
  for (let i = from; i < to; i++) b.writeUInt32LE(positions[i]!, 4 * (i - from));
  return b;
}

export function encodeRuns(runs: readonly TermRun[]): Buffer {
  const b = Buffer.alloc(16 * runs.length);
  runs.forEach((r, i) => {
    writeU64(b, r.start, 16 * i);
    writeU64(b, r.term, 16 * i + 8);
  });
  return b;
}

export function decodeRuns(b: Buffer): TermRun[] {
  const runs: TermRun[] = [];
  for (let off = 0; off + 16 <= b.length; off += 16) runs.push({ start: readU64(b, off), term: readU64(b, off + 8) });
  return runs;
}
