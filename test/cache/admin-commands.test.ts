// ROLE, WAIT, REPLICAOF, FAILOVER, DEBUG and MODULE against redis-server 7.0.15 side by side:
// ROLE, WAIT, REPLICAOF NO ONE and FAILOVER as a standalone master without replicas answers
// them (WAIT 1 50: 0, after 50 ms; REPLICAOF of a master refused by Depot alone); DEBUG and MODULE LOAD/LOADEX/UNLOAD refused with Redis 7's texts (its defaults,
// enable-debug-command and enable-module-command "no", are fixed in Depot and cannot be set, as
// in Redis), in a transaction and from a script too; MODULE LIST empty. SHUTDOWN's argument
// errors beside Redis, then a node of its own stopped by SHUTDOWN and by SHUTDOWN SAVE, with its
// data back after each restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespClient, show, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

test('ROLE, WAIT, REPLICAOF, FAILOVER, DEBUG and MODULE answer as redis-server does', async () => {
  const lines: string[][] = [
    ['ROLE'],
    ['ROLE', 'x'],
    ['DEBUG'],
    ['DEBUG', 'SLEEP', '0'],
    ['DEBUG', 'OBJECT', 'k'],
    ['MODULE'],
    ['MODULE', 'LIST'],
    ['MODULE', 'LOAD', '/x.so'],
    ['MODULE', 'LOADEX', '/x.so'],
    ['MODULE', 'UNLOAD', 'x'],
    ['MODULE', 'foo'],
    ['CONFIG', 'GET', 'enable-debug-command'],
    ['CONFIG', 'GET', 'enable-module-command'],
    ['CONFIG', 'SET', 'enable-debug-command', 'yes'],
    ['CONFIG', 'SET', 'enable-module-command', 'local'],
    ['CONFIG', 'SET', 'databases', '3'],
    ['COMMAND', 'INFO', 'role', 'debug'],
    ['MULTI'],
    ['DEBUG', 'SLEEP', '0'],
    ['EXEC'],
    ['EVAL', "return redis.call('role')", '0'],
    ['EVAL', "return redis.pcall('debug', 'sleep', '0')", '0'],
    ['WAIT', '0', '0'],
    ['WAIT', '1', '50'],
    ['WAIT', 'x', '0'],
    ['WAIT', '1', '-1'],
    ['WAIT', '1', '1.5'],
    ['WAIT', '1'],
    ['MULTI'],
    ['WAIT', '1', '0'],
    ['EXEC'],
    ['EVAL', "return redis.pcall('wait', '0', '0')", '0'],
    // A master without replicas; never a port that would make the reference Redis a replica.
    ['REPLICAOF', 'NO', 'ONE'],
    ['SLAVEOF', 'no', 'one'],
    ['REPLICAOF', 'NO'],
    ['REPLICAOF', '127.0.0.1', 'x'],
    ['REPLICAOF', '127.0.0.1', '65536'],
    ['SLAVEOF', '127.0.0.1', '-1'],
    ['COMMAND', 'INFO', 'replicaof', 'slaveof', 'failover'],
    ['FAILOVER'],
    ['FAILOVER', 'ABORT'],
    ['FAILOVER', 'abort', 'x'],
    ['FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE', 'TIMEOUT', '10'],
    ['FAILOVER', 'TO', '127.0.0.1'],
    ['FAILOVER', 'TO', '127.0.0.1', 'p'],
    ['FAILOVER', 'TIMEOUT', '0'],
    ['FAILOVER', 'TIMEOUT', 'x'],
    ['FAILOVER', 'TIMEOUT', '5', 'TIMEOUT', '5'],
    ['FAILOVER', 'FORCE', 'FORCE'],
    ['FAILOVER', 'FORCE'],
    ['MULTI'],
    ['FAILOVER'],
    ['EXEC'],
    ['EVAL', "return redis.pcall('replicaof', 'no', 'one')", '0'],
    ['ROLE'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test('REPLICAOF of a master is refused with a clear error: Depot replicates through its raft group', async () => {
  const c = await RespClient.open(servers.depot.port);
  try {
    const r = await c.call('REPLICAOF', '127.0.0.1', '6379');
    assert.equal(r.t, 'error');
    assert.match(String(r.v), /^ERR Depot does not replicate from a Redis master .*REPLICAOF NO ONE only$/);
    assert.equal(show(await c.call('ROLE')).split(',')[0], 'array[bulk:"master"');
  } finally {
    c.close();
  }
});

/**
 * Three connections on one server (a, b, and s subscribed to a channel), then `script`: the
 * replies, with each connection's id written as its name so that two servers compare.
 */
async function clientFilters(port: number, script: (a: RespClient, ids: Record<string, string>) => Promise<string[]>): Promise<string[]> {
  const [a, b, s] = await Promise.all([RespClient.open(port), RespClient.open(port), RespClient.open(port)]);
  try {
    const ids: Record<string, string> = {};
    for (const [name, c] of [['a', a], ['b', b], ['s', s]] as const) ids[name] = show(await c.call('CLIENT', 'ID')).replace('int:', '').replaceAll('"', '');
    await s.call('SUBSCRIBE', 'ch');
    const named = (text: string) => Object.entries(ids).reduce((t, [name, id]) => t.replace(new RegExp(`(?<=[= ])${id}(?=[ ,]|$)`, 'g'), `<${name}>`), text);
    return (await script(a, ids)).map(named);
  } finally {
    for (const c of [a, b, s]) c.close();
  }
}

test('CLIENT LIST and CLIENT KILL filter by type and id as redis-server does', async () => {
  const script = async (a: RespClient, ids: Record<string, string>) => {
    const out: string[] = [];
    const call = async (...argv: string[]) => {
      const r = await a.call(...argv);
      // The lines' other fields (addresses, ages, buffers) are each server's own.
      const text = r.t === 'bulk' || r.t === 'verbatim' ? String(r.v).split('\n').map((l) => l.split(' ')[0]).join(',') : show(r);
      out.push(`${argv.join(' ')} -> ${text}`);
    };
    await call('CLIENT', 'LIST', 'ID', ids['b']!, ids['a']!, ids['b']!, '999999');
    await call('CLIENT', 'LIST', 'TYPE', 'pubsub');
    await call('CLIENT', 'LIST', 'TYPE', 'replica');
    await call('CLIENT', 'LIST', 'TYPE', 'normal', 'ID', ids['a']!);
    await call('CLIENT', 'LIST', 'TYPE', 'bogus');
    await call('CLIENT', 'KILL', 'ID', '0');
    await call('CLIENT', 'KILL', 'ID', '-3');
    await call('CLIENT', 'KILL', 'TYPE', 'bogus');
    await call('CLIENT', 'KILL', 'TYPE', 'master');
    await call('CLIENT', 'KILL', 'TYPE', 'slave');
    // Only the subscriber goes; then b, and a itself is skipped.
    await call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await call('CLIENT', 'KILL', 'TYPE', 'normal', 'ID', ids['b']!);
    await call('CLIENT', 'KILL', 'TYPE', 'normal');
    await call('CLIENT', 'LIST', 'ID', ids['a']!, ids['b']!, ids['s']!);
    return out;
  };
  const [d, r] = [await clientFilters(servers.depot.port, script), await clientFilters(servers.redis.port, script)];
  assert.deepEqual(d, r);
});

test('COMMAND GETKEYS and GETKEYSANDFLAGS check the command, its keys, its arity and the line in Redis\'s order', async () => {
  const lines = [
    'config', 'time x', 'ping a b c', 'client list', 'xinfo stream', 'get', 'nosuch k', 'config nosuch',
    // numkeys below 1 or past the arguments: no keys at all (the destination neither), and EVAL may have none.
    'zunionstore d 0 a', 'zunionstore d x a', 'zunionstore d 2 a', 'zunion 0 a', 'lmpop 0 a left', 'blmpop 0 0 a left', 'sintercard 3 a',
    'eval x 3 a', 'eval x -1', 'fcall f 5 a', 'eval x 2 a b', 'zinterstore d 2 a b weights 1 2',
    // MIGRATE: KEYS after the options' arguments, after a key that is not empty, or last.
    'migrate h 1 "" 0 10 keys', 'migrate h 1 k 0 10 keys a', 'migrate h 1 "" 0 10 auth keys keys a', 'migrate h 1 "" 0 10 auth2 u keys keys a b', 'migrate h 1 k 0 10',
  ];
  const argv = (line: string) => (line.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"(.*)"$/, '$1'));
  const all = lines.flatMap((l) => [['COMMAND', 'GETKEYS', ...argv(l)], ['COMMAND', 'GETKEYSANDFLAGS', ...argv(l)]]);
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, all);
  assert.deepEqual(depot, redis);
});

/**
 * A COMMAND DOCS reply made comparable: summaries (Depot's own) blanked, subcommands (in the
 * order of Redis's hash table) sorted by name, and the names in `skip` left out.
 */
function docsOf(r: Reply, skip: ReadonlySet<string>): unknown {
  if (r.t !== 'map') return 'v' in r && Array.isArray(r.v) ? { t: r.t, v: r.v.map((x) => docsOf(x, skip)) } : r;
  const entries: Array<[string, unknown]> = [];
  for (let i = 0; i < r.v.length; i += 2) {
    const name = show(r.v[i]!);
    if (skip.has(JSON.parse(name.slice(name.indexOf(':') + 1)) as string)) continue;
    entries.push([name, name === 'bulk:"summary"' ? '-' : docsOf(r.v[i + 1]!, skip)]);
  }
  return entries.every(([name]) => name.includes('|')) ? entries.sort(([a], [b]) => (a < b ? -1 : 1)) : entries;
}

test("COMMAND DOCS documents every command Depot has as redis-server 7.0 does, but for the summaries", async () => {
  // Depot's own subcommand, and Redis's commands and subcommands Depot has not (docs/cache.md).
  const skip = new Set(['client|setinfo', 'script|debug']);
  const docs = async (port: number) => {
    const c = await RespClient.open(port);
    try {
      await c.call('HELLO', '3');
      return [docsOf(await c.call('COMMAND', 'DOCS'), skip), docsOf(await c.call('COMMAND', 'DOCS', 'get', 'nosuch', 'Client', 'config|get'), skip)];
    } finally {
      c.close();
    }
  };
  const [d, r] = [await docs(servers.depot.port), await docs(servers.redis.port)];
  const byName = (entries: unknown) => new Map(entries as Array<[string, unknown]>);
  const [dAll, rAll] = [byName(d[0]), byName(r[0])];
  assert.deepEqual([...dAll.keys()].sort(), [...rAll.keys()].sort());
  for (const [name, doc] of rAll) assert.deepEqual(dAll.get(name), doc, name);
  assert.deepEqual(d[1], r[1]);
});

test("RESP3's types in COMMAND INFO (key specs as a set, no subcommands as an empty set) and MEMORY MALLOC-STATS (verbatim) are redis-server's", async () => {
  const replies = async (port: number) => {
    const c = await RespClient.open(port);
    try {
      await c.call('HELLO', '3');
      // The allocators' statistics are each server's own: their type is compared.
      return [show(await c.call('COMMAND', 'INFO', 'get', 'set', 'config|get', 'nosuch')), (await c.call('MEMORY', 'MALLOC-STATS')).t];
    } finally {
      c.close();
    }
  };
  assert.deepEqual(await replies(servers.depot.port), await replies(servers.redis.port));
});

test("SHUTDOWN's argument errors are redis-server's", async () => {
  // None of these stops a server: ABORT with nothing to abort, bad flags, and inside MULTI.
  const lines = [['SHUTDOWN', 'ABORT'], ['SHUTDOWN', 'FOO'], ['SHUTDOWN', 'NOSAVE', 'SAVE'], ['SHUTDOWN', 'ABORT', 'NOW'], ['MULTI'], ['SHUTDOWN'], ['EXEC'], ['PING']];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
});

/** Resolves once process `pid` has exited; fails after `ms`. */
async function exited(pid: number, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`process ${pid} still running after ${ms} ms`);
}

test('SHUTDOWN stops the node (its connection closes unanswered); SHUTDOWN SAVE writes a snapshot first; the data is back after each restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-shutdown-'));
  const snapshots = () => readdirSync(join(dir, 'groups', 'cache-1', 'raft', 'snapshots'));
  try {
    let server = await startDepot(['--data', dir, '--fsync', 'always']);
    let c = await RespClient.open(server.port);
    await c.call('SET', 'k', 'v');
    c.send('SHUTDOWN');
    // No reply: the connection closes with the process (the helper's client reports it so).
    assert.deepEqual(await c.next(), { t: 'error', v: 'connection closed' });
    await exited(server.pid, 10_000);
    await server.stop();
    server = await startDepot(['--data', dir, '--fsync', 'always']);
    c = await RespClient.open(server.port);
    assert.deepEqual(await c.call('GET', 'k'), { t: 'bulk', v: 'v' });
    await c.call('RPUSH', 'l', 'a', 'b');
    const before = snapshots();
    c.send('SHUTDOWN', 'SAVE');
    assert.deepEqual(await c.next(), { t: 'error', v: 'connection closed' });
    await exited(server.pid, 10_000);
    await server.stop();
    assert.ok(snapshots().some((name) => !before.includes(name)), `SHUTDOWN SAVE wrote a snapshot (before: ${before.join(' ')})`);
    server = await startDepot(['--data', dir, '--fsync', 'always']);
    c = await RespClient.open(server.port);
    try {
      assert.deepEqual(await c.call('LRANGE', 'l', '0', '-1'), { t: 'array', v: [{ t: 'bulk', v: 'a' }, { t: 'bulk', v: 'b' }] });
    } finally {
      c.close();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("COMMAND INFO shows redis-server's key positions, tips and key specs for every command and subcommand Depot has", async () => {
  const infos = async (port: number) => {
    const c = await RespClient.open(port);
    try {
      const byName = new Map<string, Reply[]>();
      const walk = (info: Reply) => {
        const fields = (info as { v: Reply[] }).v;
        byName.set((fields[0] as { v: string }).v, fields);
        for (const sub of (fields[9] as { v: Reply[] }).v) walk(sub);
      };
      for (const info of ((await c.call('COMMAND')) as { v: Reply[] }).v) walk(info);
      return byName;
    } finally {
      c.close();
    }
  };
  const [depot, redis] = await Promise.all([infos(servers.depot.port), infos(servers.redis.port)]);
  let compared = 0;
  for (const [name, fields] of depot) {
    const theirs = redis.get(name);
    // CLIENT SETINFO is Redis 7.2's, which newer clients send.
    if (theirs === undefined) {
      assert.equal(name, 'client|setinfo');
      continue;
    }
    assert.deepEqual([fields[3], fields[4], fields[5], fields[7], fields[8]], [theirs[3], theirs[4], theirs[5], theirs[7], theirs[8]], `${name}'s key positions, tips and key specs`);
    compared++;
  }
  assert.ok(compared > 300, `${compared} commands compared`);
});
