// The raft/ directory's small files: hard state and snapshot record round-trip, and a damaged
// file is reported as CORRUPT_LOG rather than trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HARD_STATE_FILE, readHardState, readSnapshotRecord, SNAPSHOT_FILE, writeHardState, writeSnapshotRecord } from '../../src/raft/driver/files.js';
import { isDepotError } from '../../src/util/errors.js';
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
      writeFileSync(join(tmp.dir, name), b);
    }
    await assert.rejects(readHardState(tmp.dir), (err: unknown) => isDepotError(err, 'CORRUPT_LOG'));
    await assert.rejects(readSnapshotRecord(tmp.dir), (err: unknown) => isDepotError(err, 'CORRUPT_LOG'));
  } finally {
    tmp.remove();
  }
});
