// One segment: a data file `<base>.seg` holding entries base.. and its position index
// `<base>.idx`. The active (last) segment keeps its positions in memory and its newest bytes in
// a tail cache; closed segments are read through their sealed position index.
import { join } from 'node:path';
import { assert } from '../util/assert.js';
import { DepotError, storageError } from '../util/errors.js';
import type { FileSystem } from './file-system.js';
import { indexFileName, SEGMENT_HEADER_BYTES, segmentFileName } from './format.js';
import { positionOffset } from './position-index.js';
import { PositionList } from './scan.js';
import type { TailCache } from './tail-cache.js';

export class Segment {
  /** Entries in the segment (including appended ones not yet written). */
  count = 0;
  /** Logical length of the data file: header plus every record. */
  bytes = SEGMENT_HEADER_BYTES;
  maxTimestamp = 0;
  /** Leading positions already in the position index file (written at checkpoints and seal). */
  persistedPositions = 0;
  /** In memory while the segment is active (and until it is sealed). */
  positions: PositionList | undefined;
  cache: TailCache | undefined;
  /** Read-write descriptor of the active segment, set by the writer once the file exists. */
  writeFd: number | undefined;
  private readFd: number | undefined;
  private idxFd: number | undefined;

  constructor(
    readonly dir: string,
    readonly base: number,
  ) {}

  get path(): string {
    return join(this.dir, segmentFileName(this.base));
  }

  get idxPath(): string {
    return join(this.dir, indexFileName(this.base));
  }

  get lastIndex(): number {
    return this.base + this.count - 1;
  }

  get active(): boolean {
    return this.positions !== undefined;
  }

  /** A descriptor to read the data file, opened on first use. */
  dataFd(fsys: FileSystem): number {
    if (this.writeFd !== undefined) return this.writeFd;
    if (this.readFd === undefined) this.readFd = openForRead(fsys, this.path);
    return this.readFd;
  }

  /**
   * Positions of entries k0..k1 of this segment, plus the end of entry k1 (n + 1 values for
   * n = k1 − k0 + 1 entries), from memory or from the sealed position index.
   */
  positionsOf(fsys: FileSystem, k0: number, k1: number): Uint32Array {
    assert(k0 >= 0 && k0 <= k1 && k1 < this.count, 'positions %s..%s outside %s', k0, k1, this.count);
    const n = k1 - k0 + 1;
    // The end of entry k1 is the start of k1 + 1, or the end of the data for the last entry.
    const stored = k1 + 1 < this.count ? n + 1 : n;
    const out = new Uint32Array(n + 1);
    if (this.positions !== undefined) {
      out.set(this.positions.view(k0, k0 + stored));
    } else {
      const raw = Buffer.allocUnsafe(4 * stored);
      if (this.idxFd === undefined) this.idxFd = openForRead(fsys, this.idxPath);
      if (readSync(fsys, this.idxFd, raw, positionOffset(k0), this.idxPath) !== raw.length) {
        throw new DepotError('CORRUPT_LOG', `${this.idxPath}: position index shorter than the segment`, {
          details: { file: this.idxPath, base: this.base },
        });
      }
      for (let i = 0; i < stored; i++) out[i] = raw.readUInt32LE(4 * i);
    }
    if (stored === n) out[n] = this.bytes;
    return out;
  }

  /** Drops the in-memory positions and cache once the segment is sealed. */
  close(fsys: FileSystem): void {
    this.positions = undefined;
    this.cache = undefined;
    this.closeFiles(fsys);
  }

  /** Closes every descriptor (the segment stays usable: readers reopen lazily). */
  closeFiles(fsys: FileSystem): void {
    for (const fd of [this.writeFd, this.readFd, this.idxFd]) {
      if (fd !== undefined) fsys.closeSync(fd);
    }
    this.writeFd = this.readFd = this.idxFd = undefined;
  }
}

function openForRead(fsys: FileSystem, path: string): number {
  try {
    return fsys.openSync(path, 'read');
  } catch (err) {
    throw storageError(err, `open ${path}`);
  }
}

export function readSync(fsys: FileSystem, fd: number, target: Buffer, position: number, path: string): number {
  try {
    return fsys.readSync(fd, target, position);
  } catch (err) {
    throw storageError(err, `read ${path}`);
  }
}
