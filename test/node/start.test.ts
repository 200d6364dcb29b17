// `depot start` as a user runs it: a real process on free loopback ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { depotBin, depotNodeFlags, startDepot } from '../helpers/depot-process.js';

test('a node serves /health and /metrics and stops cleanly on SIGTERM', async () => {
  const node = await startDepot();
  try {
    const base = `http://127.0.0.1:${node.ports['http']}`;
    const health = (await (await fetch(`${base}/health`)).json()) as { ok: boolean; groups: Array<{ id: string; isLeader: boolean }> };
    assert.equal(health.ok, true);
    assert.deepEqual(health.groups.map((g) => [g.id, g.isLeader]).sort(), [['broker-1', true], ['broker-2', true], ['cache-1', true], ['controller-1', true]]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^depot_raft_is_leader\{group="broker-1"\} 1$/m);
    assert.match(metrics, /^depot_native_connections 0$/m);
    assert.match(metrics, /^depot_process_resident_memory_bytes \d+/m);
    assert.equal(await node.stop(), 0);
  } finally {
    await node.kill();
    node.cleanup();
  }
});

test('a second node on the same data directory is refused while the first runs', async () => {
  const first = await startDepot();
  try {
    await assert.rejects(startDepot({ dataDir: first.dataDir }), /data directory .* is in use by process \d+/);
    await first.kill();
    // A killed holder does not keep the directory locked.
    const second = await startDepot({ dataDir: first.dataDir });
    try {
      assert.equal(await second.stop(), 0);
    } finally {
      await second.kill();
    }
  } finally {
    await first.kill();
    first.cleanup();
  }
});

test('invalid configuration is reported clearly and the process exits non-zero', () => {
  const r = spawnSync(process.execPath, [depotBin, 'start', '--port', 'abc', '--appendfsync', 'never'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--appendfsync.*never.*(invalid|choices)/i);
  const r2 = spawnSync(process.execPath, [depotBin, 'start', '--port', 'abc'], { encoding: 'utf8', env: { ...process.env, DEPOT_HTTP_PORT: 'x' } });
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /invalid configuration/);
  assert.match(r2.stderr, /DEPOT_HTTP_PORT=x: expected an integer/);
  assert.match(r2.stderr, /--port abc: expected an integer/);
});

test('bin/depot.js runs as an executable, with the node flags of its first line', () => {
  // What `npm start` and an installed `depot` run: the kernel reads the #! line, env -S splits it.
  const r = spawnSync(depotBin, ['start', '--port', 'abc'], { encoding: 'utf8' });
  assert.equal(r.error, undefined);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--port abc: expected an integer/);
  assert.ok(depotNodeFlags.includes('--max-semi-space-size=64'), `flags: ${depotNodeFlags.join(' ')}`);
});
