// The node file system under the log: a write of many buffers (a batch of large records is two
// buffers per record), on the thread pool or on the calling thread, spans several writev calls
// and must land whole, in order, at its position.
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

test('a write on the calling thread of thousands of buffers lands whole and in order at its position', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const path = join(dir, 'f');
  const fd = await nodeFileSystem.open(path, 'create');
  try {
    nodeFileSystem.writeSync(fd, [Buffer.from('head')], 0);
    const buffers = Array.from({ length: 5000 }, (_, i) => Buffer.alloc(i % 7, 97 + (i % 26)));
    nodeFileSystem.writeSync(fd, buffers, 4);
    // A record's header and a large payload: one pwritev (several when the kernel writes less).
    const record = [Buffer.alloc(32, 1), Buffer.alloc(3 << 20, 2)];
    const at = 4 + buffers.reduce((n, b) => n + b.length, 0);
    nodeFileSystem.writeSync(fd, record, at);
    const expected = Buffer.concat([Buffer.from('head'), ...buffers, ...record]);
    assert.equal(nodeFileSystem.sizeSync(fd), expected.length);
    assert.deepEqual(readFileSync(path), expected);
  } finally {
    await nodeFileSystem.close(fd);
  }
});
