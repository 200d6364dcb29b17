// Recovery of the active (last) segment: trust the checkpoint's positions after checking the
// last entry they cover, scan every record after it, and cut a torn or corrupt tail. Damage
// followed by valid records is not a torn write: it is reported unless told to truncate.
import { DepotError } from '../util/errors.js';
import { checkRecord, recordIndex, recordTerm, SEGMENT_HEADER_BYTES } from './format.js';
import type { Checkpoint } from './meta.js';
import { positionOffset } from './position-index.js';
import type { RecoverOptions } from './recovery.js';
import { PositionList, scanRecords, validRecordAfter } from './scan.js';
import type { Segment } from './segment.js';
import type { TermRuns } from './term-runs.js';

/** Loads `seg` as the active segment; returns the bytes cut from its end. */
export async function checkActive(o: RecoverOptions, seg: Segment, ckpt: Checkpoint | undefined, terms: TermRuns): Promise<number> {
  const fd = await o.fsys.open(seg.path, 'append', o.dsync);
  try {
    const size = await o.fsys.size(fd);
    const trusted = ckpt !== undefined && ckpt.dataBytes <= size ? await checkpointPositions(o, seg, fd, ckpt) : undefined;
    const positions = trusted ?? new PositionList();
    const start = trusted !== undefined ? ckpt!.dataBytes : SEGMENT_HEADER_BYTES;
    if (trusted !== undefined) for (const r of ckpt!.runs) terms.extend(r.start, r.term);
    const scan = await scanRecords(o.fsys, fd, size, start, seg.base + positions.length, terms.lastTerm);
    for (const r of scan.runs) terms.extend(r.start, r.term);
    const v = scan.positions.view();
    for (let i = 0; i < v.length; i++) positions.push(v[i]!);
    seg.count = positions.length;
    seg.bytes = scan.end;
    seg.maxTimestamp = Math.max(trusted !== undefined ? ckpt!.maxTimestamp : 0, scan.maxTimestamp);
    seg.positions = positions;
    seg.persistedPositions = trusted !== undefined ? ckpt!.count : 0;
    if (scan.end < size) await cutTail(o, seg, fd, size);
    seg.writeFd = fd;
    return size - scan.end;
  } catch (err) {
    await o.fsys.close(fd);
    throw err;
  }
}

/** The checkpoint's positions if its last covered entry is where and what it says; else undefined. */
async function checkpointPositions(o: RecoverOptions, seg: Segment, fd: number, ckpt: Checkpoint): Promise<PositionList | undefined> {
  if (ckpt.count === 0) return ckpt.dataBytes === SEGMENT_HEADER_BYTES ? new PositionList() : undefined;
  const raw = Buffer.alloc(4 * ckpt.count);
  let idx: number;
  try {
    idx = await o.fsys.open(seg.idxPath, 'read');
  } catch {
    return undefined;
  }
  const n = await o.fsys.read(idx, raw, positionOffset(0)).finally(() => o.fsys.close(idx));
  if (n !== raw.length) return undefined;
  const values = new Uint32Array(ckpt.count);
  for (let i = 0; i < ckpt.count; i++) values[i] = raw.readUInt32LE(4 * i);
  const lastPos = values[ckpt.count - 1]!;
  if (lastPos < SEGMENT_HEADER_BYTES || lastPos >= ckpt.dataBytes) return undefined;
  const rec = Buffer.alloc(ckpt.dataBytes - lastPos);
  if ((await o.fsys.read(fd, rec, lastPos)) !== rec.length) return undefined;
  if (checkRecord(rec, 0, rec.length) !== rec.length) return undefined;
  if (recordIndex(rec, 0) !== seg.base + ckpt.count - 1 || recordTerm(rec, 0) !== ckpt.lastTerm) return undefined;
  return PositionList.from(values);
}

async function cutTail(o: RecoverOptions, seg: Segment, fd: number, size: number): Promise<void> {
  if (o.onCorruptTail === 'fail' && (await validRecordAfter(o.fsys, fd, size, seg.bytes, seg.lastIndex))) {
    throw new DepotError(
      'CORRUPT_LOG',
      `${seg.path}: entry ${seg.lastIndex + 1} at byte ${seg.bytes} is damaged and valid entries follow it; ` +
        `this is not a torn write (open with onCorruptTail: 'truncate' to cut the log there)`,
      { details: { file: seg.path, index: seg.lastIndex + 1, position: seg.bytes } },
    );
  }
  await o.fsys.truncate(fd, seg.bytes);
  await o.fsys.datasync(fd);
}
