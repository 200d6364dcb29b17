import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log } from '../../src/log/log.js';
import { makeEntries, tempDir } from '../helpers/log.js';

const bin = fileURLToPath(new URL('../../../bin/depot.js', import.meta.url));
const depot = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('depot start creates an empty data directory and reports no groups', () => {
  const { dir, cleanup } = tempDir('depot-cli-');
  try {
    const data = join(dir, 'data');
    assert.match(depot('start', '--data', data), /: 0 groups\n$/);
    assert.ok(existsSync(join(data, 'groups')));
  } finally {
    cleanup();
  }
});

test('depot start reports each group log: first and last index, segments, bytes', async () => {
  const { dir, cleanup } = tempDir('depot-cli-');
  try {
    const log = await Log.open({ dir: join(dir, 'groups', 'broker-1', 'log'), segmentBytes: 1024 });
    await log.append(makeEntries(1, 40, 1, 100));
    await log.truncatePrefix(9);
    await log.close();
    const out = depot('start', '--data', dir);
    assert.match(out, /1 group\n/);
    assert.match(out, /broker-1: log 9\.\.40 \(32 entries\), \d+ segments, \d+ bytes/);
    const json = JSON.parse(depot('start', '--data', dir, '--json')) as { groups: { group: string; lastIndex: number }[] };
    assert.deepEqual(json.groups.map((g) => [g.group, g.lastIndex]), [['broker-1', 40]]);
  } finally {
    cleanup();
  }
});
