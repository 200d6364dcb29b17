// The node file system under the log: a write of many buffers (a batch of large records is two
// buffers per record) spans several writev calls and must land whole, in order, at its position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem } from '../../src/log/file-system.js';
import { tempDir } from '../helpers/log.js';

test('a write of thousands of buffers lands whole and in order at its position', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const path = join(dir, 'f');
  const fd = await nodeFileSystem.open(path, 'create');
  try {
    await nodeFileSystem.write(fd, [Buffer.from('head')], 0);
    // Sizes 0..6: empty buffers are skipped, the rest vary so an off-by-one shows in the bytes.
    const buffers = Array.from({ length: 5000 }, (_, i) => Buffer.alloc(i % 7, 97 + (i % 26)));
    await nodeFileSystem.write(fd, buffers, 4);
    const expected = Buffer.concat([Buffer.from('head'), ...buffers]);
    assert.equal(await nodeFileSystem.size(fd), expected.length);
    assert.deepEqual(readFileSync(path), expected);
  } finally {
    await nodeFileSystem.close(fd);
  }
});
