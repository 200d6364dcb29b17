// Writes of the log's structure (as opposed to entry data): creating segment files, persisting
// position indexes, sealing a segment, the checkpoint and meta files. Each leaves the disk in a
// state that recovery accepts if the process dies half-way (docs/storage.md, "Recovery").
import { crc32c } from '../util/crc32c.js';
import { assert } from '../util/assert.js';
import { type FileSystem, ignoreMissing, writeFileAtomic } from './file-system.js';
import { encodeSegmentHeader } from './format.js';
import { CHECKPOINT_FILE, type Checkpoint, encodeCheckpoint, encodeMeta, META_FILE, type Meta } from './meta.js';
import { encodeActiveHeader, encodePositions, encodeRuns, encodeSealedHeader, positionOffset } from './position-index.js';
import type { Segment } from './segment.js';
import type { TermRun } from './term-runs.js';

/** Creates `segment`'s data file with its header, durably; returns its read-write descriptor. */
export async function createSegmentFile(fsys: FileSystem, segment: Segment, generation: number): Promise<number> {
  const fd = await fsys.open(segment.path, 'create');
  try {
    await fsys.write(fd, [encodeSegmentHeader(generation, segment.base)], 0);
    await fsys.datasync(fd);
    await fsys.syncDir(segment.dir);
  } catch (err) {
    await fsys.close(fd);
    throw err;
  }
  return fd;
}

/**
 * Writes the in-memory positions of entries [persisted, upTo) to the segment's position index
 * (creating it unsealed if needed) and syncs it.
 */
export async function persistPositions(fsys: FileSystem, segment: Segment, upTo: number): Promise<void> {
  assert(segment.positions !== undefined && upTo <= segment.positions.length);
  const fd = await openIndex(fsys, segment);
  try {
    if (upTo > segment.persistedPositions) {
      const bytes = encodePositions(segment.positions.view(), segment.persistedPositions, upTo);
      await fsys.write(fd, [bytes], positionOffset(segment.persistedPositions));
    }
    await fsys.datasync(fd);
    segment.persistedPositions = Math.max(segment.persistedPositions, upTo);
  } finally {
    await fsys.close(fd);
  }
}

async function openIndex(fsys: FileSystem, segment: Segment): Promise<number> {
  if (segment.persistedPositions > 0) return fsys.open(segment.idxPath, 'append');
  await fsys.unlink(segment.idxPath).catch(ignoreMissing);
  const fd = await fsys.open(segment.idxPath, 'create');
  await fsys.write(fd, [encodeActiveHeader(segment.base)], 0);
  return fd;
}

/**
 * Seals a segment whose data is durable: all positions, then the term runs, then the sealed
 * header, synced. Until the header lands the segment is still the last one on disk, so a
 * crash half-way makes recovery treat it as active (and ignore the unsealed index).
 */
export async function sealSegment(fsys: FileSystem, segment: Segment, runs: readonly TermRun[]): Promise<void> {
  await persistPositions(fsys, segment, segment.count);
  const runBytes = encodeRuns(runs);
  const header = encodeSealedHeader({
    base: segment.base,
    count: segment.count,
    runCount: runs.length,
    dataBytes: segment.bytes,
    maxTimestamp: segment.maxTimestamp,
    runsCrc: crc32c(runBytes),
  });
  const fd = await fsys.open(segment.idxPath, 'append');
  try {
    const runsAt = positionOffset(segment.count);
    await fsys.write(fd, [runBytes], runsAt);
    await fsys.truncate(fd, runsAt + runBytes.length);
    await fsys.datasync(fd);
    await fsys.write(fd, [header], 0);
    await fsys.datasync(fd);
  } finally {
    await fsys.close(fd);
  }
}

export async function removeSegmentFiles(fsys: FileSystem, segment: Segment): Promise<void> {
  segment.closeFiles(fsys);
  await fsys.unlink(segment.path).catch(ignoreMissing);
  await fsys.unlink(segment.idxPath).catch(ignoreMissing);
}

export function writeMeta(fsys: FileSystem, dir: string, meta: Meta): Promise<void> {
  return writeFileAtomic(fsys, dir, META_FILE, encodeMeta(meta));
}

export function writeCheckpoint(fsys: FileSystem, dir: string, checkpoint: Checkpoint): Promise<void> {
  return writeFileAtomic(fsys, dir, CHECKPOINT_FILE, encodeCheckpoint(checkpoint));
}
