// Snapshot data files (raft/driver/snapshots.ts): the stream comes back as written whether its
// frames compressed or not, the file is smaller than the stream when it compresses, a file of
// the format before frames is still read, and a damaged file is refused with CORRUPT_LOG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSnapshot, SnapshotWriter, verifySnapshot } from '../../src/raft/driver/snapshots.js';
import type { SnapshotMeta } from '../../src/raft/core/types.js';
import { crc32c } from '../../src/util/crc32c.js';
import { isDepotError } from '../../src/util/errors.js';
import { tempDir } from './helpers/cluster.js';

const meta: SnapshotMeta = { index: 12, term: 3, conf: { voters: [1], learners: [] } };

async function writeFile(dir: string, chunks: readonly Buffer[]): Promise<string> {
  const w = await SnapshotWriter.create(dir, meta);
  for (const c of chunks) await w.write(c);
  await w.finish();
  assert.equal(w.written, chunks.reduce((n, c) => n + c.length, 0));
  return w.name;
}

async function readAll(dir: string, name: string): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of readSnapshot(dir, name)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

test('snapshot files: compressible and incompressible chunks read back as written', async () => {
  const tmp = tempDir('raft-snap-');
  try {
    const chunks = [Buffer.alloc(64 * 1024, 'x'), randomBytes(64 * 1024), Buffer.from('{"a":1}'), randomBytes(3), Buffer.alloc(300_000, 'ab')];
    const name = await writeFile(tmp.dir, chunks);
    const stream = Buffer.concat(chunks);
    assert.equal(await verifySnapshot(tmp.dir, name), stream.length);
    assert.deepEqual(await readAll(tmp.dir, name), stream);
    // The two repetitive chunks shrink to almost nothing; the random ones are stored as they are.
    const size = statSync(join(tmp.dir, name)).size;
    assert.ok(size < 64 * 1024 + 3 + 7 + 4_000, `file of ${size} bytes`);
    assert.ok(size > 64 * 1024, `file of ${size} bytes`);
  } finally {
    tmp.remove();
  }
});

test('snapshot files: a file of the format before frames (the stream, then its CRC) is still read', async () => {
  const tmp = tempDir('raft-snap-');
  try {
    const stream = Buffer.concat([Buffer.from('DPKS'), randomBytes(700_000)]);
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(crc32c(stream), 0);
    writeFileSync(join(tmp.dir, '5-1.snap'), Buffer.concat([stream, trailer]));
    assert.equal(await verifySnapshot(tmp.dir, '5-1.snap'), stream.length);
    assert.deepEqual(await readAll(tmp.dir, '5-1.snap'), stream);
  } finally {
    tmp.remove();
  }
});

test('snapshot files: a flipped byte, a truncated file or a bad frame header is CORRUPT_LOG', async () => {
  const tmp = tempDir('raft-snap-');
  try {
    const name = await writeFile(tmp.dir, [Buffer.alloc(100_000, 'q'), randomBytes(5_000)]);
    const path = join(tmp.dir, name);
    const good = readFileSync(path);
    const corrupt = (err: unknown) => isDepotError(err, 'CORRUPT_LOG');
    const damaged: Buffer[] = [];
    const flipped = Buffer.from(good);
    flipped[good.length - 100] = flipped[good.length - 100]! ^ 0x01;
    damaged.push(flipped);
    damaged.push(good.subarray(0, good.length - 50));
    const header = Buffer.from(good);
    header.writeUInt32BE(0xffffffff, 4 + 4); // the first frame's stored length
    damaged.push(header);
    for (const bytes of damaged) {
      writeFileSync(path, bytes);
      await assert.rejects(verifySnapshot(tmp.dir, name), corrupt);
    }
    // A frame whose LZ4 block is damaged, with the CRC made to match: decompressing refuses it.
    const block = Buffer.from(good);
    block.writeUInt32LE(100_001, 4 + 8); // the block's own length prefix, after magic and frame header
    const body = block.subarray(0, block.length - 4);
    block.writeUInt32BE(crc32c(body), block.length - 4);
    writeFileSync(path, block);
    await verifySnapshot(tmp.dir, name);
    await assert.rejects(readAll(tmp.dir, name), corrupt);
  } finally {
    tmp.remove();
  }
});
