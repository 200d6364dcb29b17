// Writes of the log's structure (as opposed to entry data): creating segment files, persisting
// position indexes, sealing a segment, the checkpoint and meta files. Each leaves the disk in a
// state that recovery accepts if the process dies half-way (docs/storage.md, "Recovery").
import { crc32c } from '../util/crc32c.js';
import { assert } from '../util/assert.js';
import { type FileSystem, ignoreMissing, writeFileAtomic } from './file-system.js';
import { join } from 'node:path';
import { encodeSegmentHeader, parseFileName } from './format.js';
import { CHECKPOINT_FILE, type Checkpoint, encodeCheckpoint, encodeMeta, META_FILE, type Meta } from './meta.js';
import { encodeActiveHeader, encodePositions, encodeRuns, encodeSealedHeader, positionOffset } from './position-index.js';
import type { Segment } from './segment.js';
import type { TermRun } from './term-runs.js';

/** Creates `segment`'s data file with its header, durably; returns its read-write descriptor. */
export async function createSegmentFile(fsys: FileSystem, segment: Segment, generation: number, dsync: boolean): Promise<number> {
  const fd = await fsys.open(segment.path, 'create', dsync);
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
 * Writes the in-memory positions of entries [segment.persistedPositions, upTo) to the
 * segment's position index (creating it unsealed if needed) and syncs it. The bytes are taken
 * before the first await; the caller records the new persisted count if still current.
 */
export async function persistPositions(fsys: FileSystem, segment: Segment, upTo: number): Promise<void> {
  assert(segment.positions !== undefined && upTo <= segment.positions.length);
  const from = segment.persistedPositions;
  const bytes = upTo > from ? encodePositions(segment.positions.view(), from, upTo) : undefined;
  const fd = await openIndex(fsys, segment, from);
  try {
    if (bytes !== undefined) await fsys.write(fd, [bytes], positionOffset(from));
    await fsys.datasync(fd);
  } finally {
    await fsys.close(fd);
  }
}

async function openIndex(fsys: FileSystem, segment: Segment, persisted: number): Promise<number> {
  if (persisted > 0) return fsys.open(segment.idxPath, 'append');
  await fsys.unlink(segment.idxPath).catch(ignoreMissing);
  const fd = await fsys.open(segment.idxPath, 'create');
  try {
    await fsys.write(fd, [encodeActiveHeader(segment.base)], 0);
  } catch (err) {
    await fsys.close(fd);
    throw err;
  }
  return fd;
}

/**
 * Seals a segment whose data is durable: all positions, then the term runs, then the sealed
 * header, synced. Until the header lands the segment is still the last one on disk, so a
 * crash half-way makes recovery treat it as active (and ignore the unsealed index).
 */
export async function sealSegment(fsys: FileSystem, segment: Segment, runs: readonly TermRun[]): Promise<void> {
  await persistPositions(fsys, segment, segment.count);
  segment.persistedPositions = segment.count;
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

/**
 * Removes the files of every segment whose base is above `base`, newest first, so that a
 * crash part-way leaves a contiguous prefix. Listing the directory (rather than trusting the
 * logical state) also catches segments that an earlier, superseded operation left behind.
 */
export async function removeSegmentsAbove(fsys: FileSystem, dir: string, base: number): Promise<void> {
  const doomed = (await fsys.list(dir))
    .map((name) => ({ name, parsed: parseFileName(name) }))
    .filter((f) => f.parsed !== undefined && f.parsed.base > base)
    .sort((a, b) => b.parsed!.base - a.parsed!.base || (a.parsed!.kind === 'seg' ? -1 : 1));
  for (const f of doomed) await fsys.unlink(join(dir, f.name)).catch(ignoreMissing);
  await fsys.syncDir(dir);
}

/** Cuts the files back to byte `pos` of `segment`: that segment is truncated, every later one removed. */
export async function cutFilesTo(fsys: FileSystem, dir: string, segment: Segment, pos: number): Promise<void> {
  await removeSegmentsAbove(fsys, dir, segment.base);
  const fd = await openIfExists(fsys, segment.path);
  if (fd === undefined) return;
  try {
    await fsys.truncate(fd, pos);
    await fsys.datasync(fd);
  } finally {
    await fsys.close(fd);
  }
}

/**
 * Reopens the open write descriptors of `segments` with or without O_DSYNC (Linux cannot change
 * that flag on an open file): the old descriptor closes once the new one is in place.
 */
export async function reopenForWrite(fsys: FileSystem, segments: readonly Segment[], dsync: boolean): Promise<void> {
  for (const seg of segments) {
    if (seg.writeFd === undefined) continue;
    const fd = await fsys.open(seg.path, 'append', dsync);
    const old = seg.writeFd;
    seg.writeFd = fd;
    await fsys.close(old);
  }
}

/** Opens an existing segment file for appending; undefined when it does not exist. */
export async function openIfExists(fsys: FileSystem, path: string, dsync = false): Promise<number | undefined> {
  try {
    return await fsys.open(path, 'append', dsync);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function writeMeta(fsys: FileSystem, dir: string, meta: Meta): Promise<void> {
  return writeFileAtomic(fsys, dir, META_FILE, encodeMeta(meta));
}

export function writeCheckpoint(fsys: FileSystem, dir: string, checkpoint: Checkpoint): Promise<void> {
  return writeFileAtomic(fsys, dir, CHECKPOINT_FILE, encodeCheckpoint(checkpoint));
}
