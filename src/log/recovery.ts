// Opening a log directory: finish interrupted operations, load closed segments from their
// sealed position indexes, and recover the active segment from the checkpoint plus a scan of
// its tail (docs/storage.md, "Recovery"). The same procedure runs after a failed write.
import { join } from 'node:path';
import { crc32c } from '../util/crc32c.js';
import { DepotError } from '../util/errors.js';
import { type FileSystem, ignoreMissing, readFileIfExists } from './file-system.js';
import { decodeSegmentHeader, parseFileName, SEGMENT_HEADER_BYTES } from './format.js';
import { CHECKPOINT_FILE, decodeCheckpoint, decodeMeta, META_FILE, type Meta } from './meta.js';
import { createSegmentFile, removeSegmentFiles, sealSegment, writeMeta } from './persist.js';
import { checkActive } from './recovery-active.js';
import { decodeRuns, decodeSealedHeader, POSITION_INDEX_HEADER_BYTES, positionOffset } from './position-index.js';
import { PositionList, scanWhole } from './scan.js';
import { Segment } from './segment.js';
import { TermRuns } from './term-runs.js';

export interface RecoverOptions {
  dir: string;
  fsys: FileSystem;
  /** First index of a log created by this call. */
  startIndex: number;
  create: boolean;
  /** 'fail': damage followed by valid records in the active segment is an error; 'truncate': cut there. */
  onCorruptTail: 'fail' | 'truncate';
  /** Open the active segment for durable writes (O_DSYNC): the `always` policy. */
  dsync: boolean;
}

export interface Recovered {
  meta: Meta;
  segments: Segment[];
  terms: TermRuns;
  /** Bytes cut from the end of the active segment (a torn or corrupt tail). */
  truncatedBytes: number;
}

export async function recover(o: RecoverOptions): Promise<Recovered> {
  await ensureDir(o);
  const names = await o.fsys.list(o.dir);
  for (const name of names) if (name.endsWith('.tmp')) await o.fsys.unlink(join(o.dir, name)).catch(ignoreMissing);
  const meta = await loadMeta(o, names);
  let segments = await openSegments(o, names, meta);
  segments = await dropBelow(o, segments, meta.firstIndex);
  const terms = new TermRuns();
  for (let i = 0; i + 1 < segments.length; i++) await loadClosed(o, segments[i]!, segments[i + 1]!.base, terms);
  let truncatedBytes = 0;
  const last = segments[segments.length - 1];
  if (last !== undefined) {
    const ckpt = decodeCheckpoint((await readFileIfExists(o.fsys, join(o.dir, CHECKPOINT_FILE))) ?? Buffer.alloc(0));
    const usable = ckpt !== undefined && ckpt.generation === meta.generation && ckpt.segmentBase === last.base ? ckpt : undefined;
    truncatedBytes = await checkActive(o, last, usable, terms);
  }
  if (last === undefined || last.lastIndex < meta.firstIndex - 1) {
    for (const s of segments) await removeSegmentFiles(o.fsys, s);
    terms.clear();
    return { meta, segments: [await freshSegment(o, meta)], terms, truncatedBytes };
  }
  const first = segments[0]!;
  if (first.base > meta.firstIndex) {
    throw corruptLog(o.dir, `entries ${meta.firstIndex}..${first.base - 1} are missing (first segment starts at ${first.base})`);
  }
  terms.dropBefore(first.base);
  return { meta, segments, terms, truncatedBytes };
}

async function ensureDir(o: RecoverOptions): Promise<void> {
  if (o.create) return o.fsys.mkdir(o.dir);
  try {
    await o.fsys.list(o.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new DepotError('STORAGE_IO', `log directory ${o.dir} does not exist`, { cause: err, details: { dir: o.dir } });
  }
}

async function loadMeta(o: RecoverOptions, names: string[]): Promise<Meta> {
  const raw = await readFileIfExists(o.fsys, join(o.dir, META_FILE));
  if (raw !== undefined) {
    const meta = decodeMeta(raw);
    if (meta === undefined) throw corruptLog(o.dir, 'the meta file is damaged');
    return meta;
  }
  if (names.some((n) => parseFileName(n)?.kind === 'seg')) throw corruptLog(o.dir, 'segments exist but the meta file is missing');
  const meta = { generation: 0, firstIndex: o.startIndex };
  await writeMeta(o.fsys, o.dir, meta);
  return meta;
}

/** Segments of the current generation with valid headers, in index order; garbage removed. */
async function openSegments(o: RecoverOptions, names: string[], meta: Meta): Promise<Segment[]> {
  const segs = new Set(names.flatMap((n) => (parseFileName(n)?.kind === 'seg' ? [parseFileName(n)!.base] : [])));
  for (const n of names) {
    const parsed = parseFileName(n);
    if (parsed?.kind === 'idx' && !segs.has(parsed.base)) await o.fsys.unlink(join(o.dir, n)).catch(ignoreMissing);
  }
  const bases = [...segs].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i < bases.length; i++) {
    const seg = new Segment(o.dir, bases[i]!);
    const fd = await o.fsys.open(seg.path, 'read');
    const head = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const n = await o.fsys.read(fd, head, 0).finally(() => o.fsys.close(fd));
    const header = n === SEGMENT_HEADER_BYTES ? decodeSegmentHeader(head) : undefined;
    if (header !== undefined && header.generation !== meta.generation) {
      await removeSegmentFiles(o.fsys, seg); // left over from before a reset
    } else if (header === undefined || header.base !== seg.base) {
      // Segment files are created header-first and synced before any entry is written, so
      // only the newest may lack a header (the creation was interrupted).
      if (i !== bases.length - 1) throw corruptLog(o.dir, `${seg.path} has a damaged header`);
      await removeSegmentFiles(o.fsys, seg);
    } else {
      out.push(seg);
    }
  }
  return out;
}

/** Deletes segments whose entries all lie below `firstIndex` (finishing a prefix truncation). */
async function dropBelow(o: RecoverOptions, segments: Segment[], firstIndex: number): Promise<Segment[]> {
  let k = 0;
  while (k + 1 < segments.length && segments[k + 1]!.base <= firstIndex) k++;
  for (const s of segments.slice(0, k)) await removeSegmentFiles(o.fsys, s);
  return segments.slice(k);
}

async function loadClosed(o: RecoverOptions, seg: Segment, nextBase: number, terms: TermRuns): Promise<void> {
  const count = nextBase - seg.base;
  const fd = await o.fsys.open(seg.path, 'read');
  const dataBytes = await o.fsys.size(fd).finally(() => o.fsys.close(fd));
  if (await loadSealedIndex(o, seg, count, dataBytes, terms)) return;
  await rebuildSealedIndex(o, seg, count, dataBytes, terms);
}

/** Loads count, size and term runs from a sealed position index; false if it is unusable. */
async function loadSealedIndex(o: RecoverOptions, seg: Segment, count: number, dataBytes: number, terms: TermRuns): Promise<boolean> {
  let fd: number;
  try {
    fd = await o.fsys.open(seg.idxPath, 'read');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const head = Buffer.alloc(POSITION_INDEX_HEADER_BYTES);
    await o.fsys.read(fd, head, 0);
    const h = decodeSealedHeader(head);
    if (h === undefined || h.base !== seg.base || h.count !== count || h.dataBytes !== dataBytes) return false;
    const runBytes = Buffer.alloc(16 * h.runCount);
    if ((await o.fsys.read(fd, runBytes, positionOffset(count))) !== runBytes.length || crc32c(runBytes) !== h.runsCrc) return false;
    const runs = decodeRuns(runBytes);
    if (runs.length === 0 || runs[0]!.start !== seg.base) return false;
    for (const r of runs) terms.extend(r.start, r.term);
    seg.count = count;
    seg.bytes = dataBytes;
    seg.maxTimestamp = h.maxTimestamp;
    return true;
  } finally {
    await o.fsys.close(fd);
  }
}

/** Rebuilds a closed segment's position index by scanning it; damage there is reported. */
async function rebuildSealedIndex(o: RecoverOptions, seg: Segment, count: number, dataBytes: number, terms: TermRuns): Promise<void> {
  const prevTerm = terms.lastTerm;
  const scan = await scanWhole(o.fsys, seg.path, seg.base, dataBytes, count, prevTerm);
  const runs = scan.runs[0]?.start === seg.base ? scan.runs : [{ start: seg.base, term: prevTerm }, ...scan.runs];
  for (const r of runs) terms.extend(r.start, r.term);
  seg.count = count;
  seg.bytes = dataBytes;
  seg.maxTimestamp = scan.maxTimestamp;
  seg.positions = scan.positions;
  await sealSegment(o.fsys, seg, runs);
  seg.positions = undefined;
}

async function freshSegment(o: RecoverOptions, meta: Meta): Promise<Segment> {
  const seg = new Segment(o.dir, meta.firstIndex);
  await o.fsys.unlink(join(o.dir, CHECKPOINT_FILE)).catch(ignoreMissing);
  const fd = await createSegmentFile(o.fsys, seg, meta.generation, o.dsync);
  seg.writeFd = fd;
  seg.positions = new PositionList();
  return seg;
}

function corruptLog(dir: string, what: string): DepotError {
  return new DepotError('CORRUPT_LOG', `log ${dir}: ${what}`, { details: { dir } });
}
