// CONFIG SET appendfsync at run time on a real server process (`depot start`): the value shows
// in CONFIG GET and INFO, the cache log's write descriptor gains or loses O_DSYNC (read from
// /proc), bad values get redis-server 7's error text, switches under concurrent writes lose
// nothing, and writes acknowledged after switching a server started with `--appendfsync no` to
// `always` come back after SIGKILL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { RespClient, show } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'depot-appendfsync-'));
const args = ['--data', dir, '--fsync', 'no'];
let server: ServerProcess;
let client: RespClient;

before(async () => {
  server = await startDepot(args);
  client = await RespClient.open(server.port);
});

after(async () => {
  client.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** O_DSYNC of every descriptor the server holds open read-write on a segment of its cache log. */
function cacheLogWriteDsync(pid: number): boolean[] {
  const out: boolean[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed since the listing
    }
    if (!target.includes(`${sep}cache-1${sep}log${sep}`) || !target.endsWith('.seg')) continue;
    const flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    if ((flags & 3) === constants.O_RDWR) out.push((flags & constants.O_DSYNC) !== 0);
  }
  return out;
}

async function text(c: RespClient, ...argv: string[]): Promise<string> {
  return show(await c.call(...argv));
}

describe('CONFIG SET appendfsync on a server started with --appendfsync no', () => {
  test('always, no and everysec round trip through CONFIG GET and INFO persistence, and switch the log', async () => {
    assert.equal(await text(client, 'CONFIG', 'GET', 'appendfsync'), show({ t: 'array', v: [{ t: 'bulk', v: 'appendfsync' }, { t: 'bulk', v: 'no' }] }));
    assert.deepEqual(cacheLogWriteDsync(server.pid), [false]);
    for (const [given, policy] of [['always', 'always'], ['no', 'no'], ['EverySec', 'everysec'], ['ALWAYS', 'always']] as const) {
      assert.deepEqual(await client.call('CONFIG', 'SET', 'appendfsync', given), { t: 'simple', v: 'OK' });
      assert.deepEqual(await client.call('CONFIG', 'GET', 'appendfsync'), { t: 'array', v: [{ t: 'bulk', v: 'appendfsync' }, { t: 'bulk', v: policy }] });
      const info = await client.call('INFO', 'persistence');
      assert.ok(info.t === 'bulk' && info.v.includes(`\r\naof_fsync:${policy}\r\n`), show(info));
      // A write answered after the switch went through the switched log.
      assert.deepEqual(await client.call('SET', `after:${given}`, policy), { t: 'simple', v: 'OK' });
      assert.deepEqual(cacheLogWriteDsync(server.pid), [policy === 'always'], `write descriptor after ${given}`);
    }
  });

  test('bad values get the same error as redis-server 7 and change nothing', async () => {
    const redis = await startRedis();
    const reference = await RespClient.open(redis.port);
    try {
      const before = await text(client, 'CONFIG', 'GET', 'appendfsync');
      for (const bad of ['sometimes', '', 'always ', 'everysecond']) {
        const want = await reference.call('CONFIG', 'SET', 'appendfsync', bad);
        assert.equal(want.t, 'error');
        assert.deepEqual(await client.call('CONFIG', 'SET', 'appendfsync', bad), want, `CONFIG SET appendfsync '${bad}'`);
      }
      assert.equal(await text(client, 'CONFIG', 'GET', 'appendfsync'), before);
    } finally {
      reference.close();
      await redis.stop();
    }
  });

  test('switches under concurrent writes; writes acknowledged after switching to always survive SIGKILL', async () => {
    // Four connections increment while a fifth switches the policy back and forth.
    const writers = await Promise.all(Array.from({ length: 4 }, () => RespClient.open(server.port)));
    let acknowledged = 0;
    let switching = true;
    const writing = writers.map(async (w) => {
      while (switching) {
        const r = await w.call('INCR', 'toggled');
        assert.equal(r.t, 'int', show(r));
        acknowledged++;
      }
    });
    for (let i = 0; i < 30; i++) {
      assert.deepEqual(await client.call('CONFIG', 'SET', 'appendfsync', ['always', 'no', 'everysec'][i % 3]!), { t: 'simple', v: 'OK' });
      await new Promise((r) => setTimeout(r, 2));
    }
    switching = false;
    await Promise.all(writing);
    for (const w of writers) w.close();
    assert.deepEqual(await client.call('CONFIG', 'SET', 'appendfsync', 'no'), { t: 'simple', v: 'OK' });
    for (let i = 0; i < 100; i++) client.send('SET', `before:${i}`, `v${i}`);
    for (let i = 0; i < 100; i++) assert.deepEqual(await client.next(), { t: 'simple', v: 'OK' });
    assert.deepEqual(await client.call('CONFIG', 'SET', 'appendfsync', 'always'), { t: 'simple', v: 'OK' });
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 200; i++) client.send('SET', `always:${i}`, i % 50 === 0 ? big : `v${i}`);
    for (let i = 0; i < 200; i++) client.send('INCR', 'counter');
    for (let i = 0; i < 400; i++) assert.notEqual((await client.next()).t, 'error');
    client.close();
    await server.kill();
    server = await startDepot(args);
    client = await RespClient.open(server.port);
    for (let i = 0; i < 200; i++) client.send('GET', `always:${i}`);
    for (let i = 0; i < 200; i++) assert.deepEqual(await client.next(), { t: 'bulk', v: i % 50 === 0 ? big : `v${i}` }, `always:${i}`);
    assert.deepEqual(await client.call('GET', 'counter'), { t: 'bulk', v: '200' });
    assert.deepEqual(await client.call('GET', 'before:99'), { t: 'bulk', v: 'v99' });
    assert.deepEqual(await client.call('GET', 'toggled'), { t: 'bulk', v: String(acknowledged) });
    // CONFIG SET is not persisted (no CONFIG REWRITE): the restarted node runs its configuration.
    assert.deepEqual(await client.call('CONFIG', 'GET', 'appendfsync'), { t: 'array', v: [{ t: 'bulk', v: 'appendfsync' }, { t: 'bulk', v: 'no' }] });
    assert.deepEqual(cacheLogWriteDsync(server.pid), [false]);
  });
});
