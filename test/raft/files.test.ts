// The raft/ directory's small files: hard state and snapshot record round-trip, and a damaged
// file is reported as CORRUPT_LOG rather than trusted. The hard state is written in place over
// two slots: the newest valid one is read, a torn newest slot falls back to the one before, the
// first format is still read, and writes need no free space once the file exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HARD_STATE_FILE, readHardState, readSnapshotRecord, SNAPSHOT_FILE, writeHardState, writeSnapshotRecord } from '../../src/raft/driver/files.js';
import { crc32c } from '../../src/util/crc32c.js';
import { isDepotError } from '../../src/util/errors.js';
import { mountTmpfs } from '../log/mounts.js';
import { tempDir } from './helpers/cluster.js';

test('hard state and snapshot record round-trip and detect damage', async () => {
  const tmp = tempDir('raft-files-');
  try {
    assert.equal(await readHardState(tmp.dir), undefined);
    const hs = { term: 2 ** 40 + 3, vote: 7, commit: 2 ** 33 };
    await writeHardState(tmp.dir, hs);
    assert.deepEqual(await readHardState(tmp.dir), hs);
    const rec = { meta: { index: 9, term: 2, conf: { voters: [1, 2, 3], learners: [4] } }, addresses: { 1: '127.0.0.1:1' }, dataFile: '9-2.snap' };
    await writeSnapshotRecord(tmp.dir, rec);
    assert.deepEqual(await readSnapshotRecord(tmp.dir), rec);
    for (const name of [HARD_STATE_FILE, SNAPSHOT_FILE]) {
      const b = readFileSync(join(tmp.dir, name));
      b[1] = b[1]! ^ 0xff;
      if (name === HARD_STATE_FILE) b[33] = b[33]! ^ 0xff; // both of its slots
      writeFileSync(join(tmp.dir, name), b);
    }
    await assert.rejects(readHardState(tmp.dir), (err: unknown) => isDepotError(err, 'CORRUPT_LOG'));
    await assert.rejects(readSnapshotRecord(tmp.dir), (err: unknown) => isDepotError(err, 'CORRUPT_LOG'));
  } finally {
    tmp.remove();
  }
});

test('hard state: the newest slot wins, a torn one falls back to the state before, the file never grows', async () => {
  const tmp = tempDir('raft-files-');
  try {
    const path = join(tmp.dir, HARD_STATE_FILE);
    const states = [1, 2, 3, 4, 5].map((term) => ({ term, vote: term % 3, commit: term * 10 }));
    for (const hs of states) {
      await writeHardState(tmp.dir, hs);
      assert.deepEqual(await readHardState(tmp.dir), hs);
      assert.equal(statSync(path).size, 64);
    }
    // Five writes: seq 5 is in slot 1, seq 4 in slot 0. Tear slot 1 (a crash mid-write).
    const b = readFileSync(path);
    b[40] = b[40]! ^ 0x55;
    writeFileSync(path, b);
    assert.deepEqual(await readHardState(tmp.dir), states[3]);
    // The next write takes the torn slot's place; the one before stays readable.
    const next = { term: 6, vote: 1, commit: 60 };
    await writeHardState(tmp.dir, next);
    assert.deepEqual(await readHardState(tmp.dir), next);
    assert.deepEqual(readFileSync(path).subarray(0, 32), b.subarray(0, 32), 'the slot holding the state before was not touched');
  } finally {
    tmp.remove();
  }
});

test('hard state of the first format (one sealed copy) is read, and replaced at the next write', async () => {
  const tmp = tempDir('raft-files-');
  try {
    const body = Buffer.alloc(20);
    body.writeUInt32BE(1, 0);
    body.writeUInt32BE(5, 4); // term 2^32 + 5
    body.writeUInt32BE(3, 8);
    body.writeUInt32BE(42, 16);
    const sealed = Buffer.alloc(24);
    body.copy(sealed);
    sealed.writeUInt32BE(crc32c(body), 20);
    writeFileSync(join(tmp.dir, HARD_STATE_FILE), sealed);
    assert.deepEqual(await readHardState(tmp.dir), { term: 2 ** 32 + 5, vote: 3, commit: 42 });
    await writeHardState(tmp.dir, { term: 2 ** 32 + 6, vote: 0, commit: 42 });
    assert.equal(statSync(join(tmp.dir, HARD_STATE_FILE)).size, 64);
    assert.deepEqual(await readHardState(tmp.dir), { term: 2 ** 32 + 6, vote: 0, commit: 42 });
  } finally {
    tmp.remove();
  }
});

test('hard state is written on a full disk once the file exists (a vote or a new term needs no room)', async (t) => {
  const m = mountTmpfs(1 << 20);
  if (typeof m === 'string') return t.skip(m);
  try {
    const dir = join(m.dir, 'raft');
    mkdirSync(dir);
    await writeHardState(dir, { term: 1, vote: 0, commit: 1 });
    assert.throws(() => writeFileSync(join(m.dir, 'filler'), Buffer.alloc(2 << 20)), /ENOSPC/);
    for (let term = 2; term < 6; term++) await writeHardState(dir, { term, vote: 1, commit: 1 });
    assert.deepEqual(await readHardState(dir), { term: 5, vote: 1, commit: 1 });
  } finally {
    m.release();
  }
});
