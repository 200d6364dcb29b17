// The node file system under the log: a write of many buffers (a batch of large records is two
// buffers per record), on the thread pool or on the calling thread, spans several writev calls
// and must land whole, in order, at its position.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem } from '../../src/log/file-system.js';
import { tempDir } from '../helpers/log.js';

/** Sizes 0..6: empty buffers are skipped, the rest vary so an off-by-one shows in the bytes. */
const manyBuffers = Array.from({ length: 5000 }, (_, i) => Buffer.alloc(i % 7, 97 + (i % 26)));

/** Runs `write` on a new file, then checks that the file holds `expected`, no more. */
async function writesExactly(t: TestContext, write: (fd: number) => Promise<void> | void, expected: Buffer): Promise<void> {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const path = join(dir, 'f');
  const fd = await nodeFileSystem.open(path, 'create');
  try {
    await write(fd);
    assert.equal(await nodeFileSystem.size(fd), expected.length);
    assert.deepEqual(readFileSync(path), expected);
  } finally {
    await nodeFileSystem.close(fd);
  }
}

test('a write of thousands of buffers lands whole and in order at its position', async (t) => {
  const expected = Buffer.concat([Buffer.from('head'), ...manyBuffers]);
  await writesExactly(
    t,
    async (fd) => {
      await nodeFileSystem.write(fd, [Buffer.from('head')], 0);
      await nodeFileSystem.write(fd, manyBuffers, 4);
    },
    expected,
  );
});

test('a write on the calling thread of thousands of buffers lands whole and in order at its position', async (t) => {
  // A record's header and a large payload: one pwritev (several when the kernel writes less).
  const record = [Buffer.alloc(32, 1), Buffer.alloc(3 << 20, 2)];
  const expected = Buffer.concat([Buffer.from('head'), ...manyBuffers, ...record]);
  await writesExactly(
    t,
    (fd) => {
      nodeFileSystem.writeSync(fd, [Buffer.from('head')], 0);
      nodeFileSystem.writeSync(fd, manyBuffers, 4);
      nodeFileSystem.writeSync(fd, record, expected.length - record[0]!.length - record[1]!.length);
    },
    expected,
  );
});
