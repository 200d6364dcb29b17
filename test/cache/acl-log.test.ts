// ACL LOG against redis-server 7.0.15: the same refusals on both (a command, a key, a channel by
// PUBLISH and again by SUBSCRIBE, a failed AUTH and HELLO AUTH, a key refused to a script's
// call), then the log compared entry by entry, newest first: count, reason, context, object,
// username, and the client-info's command and user (its ids, addresses and ages differ).
// ACL DRYRUN, which asks the same questions without running the command, after it. Then read
// and write key patterns (%R~, %W~) with COMMAND GETKEYSANDFLAGS, through DRYRUN and for real;
// ACL SAVE and LOAD with an aclfile both servers read and write; selectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespClient, show, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

/** The log as lines: the fields compared, and client-info cut to its command and user. */
async function aclLog(port: number): Promise<string[]> {
  const admin = await RespClient.open(port);
  try {
    await admin.call('ACL', 'SETUSER', 'u', 'on', 'nopass', '~a*', '&x*', '+get', '+publish', '+subscribe', '+eval', '+auth', '+hello');
    await admin.call('ACL', 'LOG', 'RESET');
    const u = await RespClient.open(port);
    try {
      await u.call('AUTH', 'u', 'any');
      await u.call('GET', 'b');
      await u.call('SET', 'a', '1');
      await u.call('GET', 'b');
      await u.call('PUBLISH', 'y', 'm');
      await u.call('EVAL', "return redis.pcall('get', 'zz')", '0');
      await u.call('AUTH', 'nobody', 'wrong');
      await u.call('HELLO', '2', 'AUTH', 'u2', 'bad');
      await u.call('SUBSCRIBE', 'y');
    } finally {
      u.close();
    }
    const log = (await admin.call('ACL', 'LOG')) as { v: Array<{ v: Reply[] }> };
    return log.v.map((entry) => {
      const f = entry.v.map((x) => (x as { v: string }).v);
      const info = /cmd=(\S+) user=(\S+)/.exec(f[13]!);
      assert.ok(Number(f[11]) >= 0 && Number(f[11]) < 60, `age-seconds ${f[11]}`);
      return `${f[0]}=${f[1]} ${f[2]}=${f[3]} ${f[4]}=${f[5]} ${f[6]}=${f[7]} ${f[8]}=${f[9]} ${f[10]} ${f[12]} cmd=${info?.[1]} user=${info?.[2]}`;
    });
  } finally {
    await admin.call('ACL', 'DELUSER', 'u');
    admin.close();
  }
}

test('ACL LOG records refusals as redis-server does', async () => {
  const [d, r] = await Promise.all([aclLog(servers.depot.port), aclLog(servers.redis.port)]);
  assert.deepEqual(d, r);
  assert.equal(d.length, 6, d.join('\n'));
  assert.ok(d.some((l) => l.startsWith('count=2 reason=key context=toplevel object=b username=u')), d.join('\n'));
  assert.ok(d.some((l) => l.includes('reason=key context=lua object=zz')), d.join('\n'));
  const { depot: dl, redis: rl } = await sideBySide(servers.depot.port, servers.redis.port, [
    ['ACL', 'LOG', '0'],
    ['ACL', 'LOG', '-1'],
    ['ACL', 'LOG', 'x'],
    ['ACL', 'LOG', '1', '2'],
    ['ACL', 'LOG', 'RESET'],
    ['ACL', 'LOG'],
    ['CONFIG', 'GET', 'acllog-max-len'],
    ['CONFIG', 'SET', 'acllog-max-len', '-1'],
  ]);
  assert.deepEqual(dl, rl);
});

/**
 * A reply's command rules made comparable across servers: the leading categories in order; then
 * the single commands, which Redis lists in its hash table's order, sorted; less those naming a
 * command Depot does not have (REPLICAOF, ...; `known` is Depot's COMMAND LIST).
 */
function rulesOf(text: string, known: ReadonlySet<string>): string {
  const tokens = text.split(' ');
  const categories = tokens.filter((t, i) => /^[+-]@/.test(t) && tokens.slice(0, i).every((u) => /^[+-]@/.test(u)));
  const rest = tokens.slice(categories.length).filter((t) => /^[+-]@/.test(t) || known.has(t.slice(1).split('|')[0]!));
  return [...categories, ...rest.sort()].join(' ');
}

test("ACL SETUSER's rule errors, ACL CAT and GENPASS, and the command rules LIST and GETUSER describe, as on redis-server 7.0", async () => {
  const [d, r] = await Promise.all([RespClient.open(servers.depot.port), RespClient.open(servers.redis.port)]);
  try {
    const list = await d.call('COMMAND', 'LIST');
    const known = new Set((list as { v: Reply[] }).v.map((x) => (x as { v: string }).v));
    // Commands text inside replies (GETUSER's map, LIST's lines) normalized by rulesOf.
    const norm = (reply: Reply): string =>
      show(reply).replace(/(-@all|\+@all)( [^"\]\)(]*)?/g, (m) => rulesOf(m, known));
    const users: string[][] = [
      ['on', '>pw', '~foo*', '&ch*', '+get', '+set', '-@dangerous'],
      ['on', 'nopass', 'allkeys', 'allchannels', '+@all', '-flushall', '+client|list'],
      ['off', '%R~r*', '%W~w*', '%RW~rw*', 'resetchannels', '+@read', '-@hash', '+hget'],
      ['+client', '-client|kill', '+@pubsub', '-subscribe'],
      ['+@all', '-@all', '+get', '+@read', '-@read'],
      ['+client|kill', '+client|list', '-client'],
      ['+@all', '-@write', '+set', '(+@string -get ~k* &c)'],
      ['+select|0', '+select|1', '+SELECT|Db', '+select|db', '+get'],
      ['+@all', '-select', '+select|0', '+debug|x'],
      ['allcommands', '-@dangerous', '+flushdb'],
      ['+@hyperloglog', '+@geo', '-geoadd', '+@list', '-@blocking'],
    ];
    const lines: string[][] = [];
    users.forEach((rules, i) => lines.push(['ACL', 'SETUSER', `r${i}`, ...rules], ['ACL', 'GETUSER', `r${i}`]));
    lines.push(['ACL', 'LIST'], ['ACL', 'DRYRUN', 'r7', 'select', '0'], ['ACL', 'DRYRUN', 'r7', 'select', 'DB'], ['ACL', 'DRYRUN', 'r7', 'select', '2'], ['ACL', 'DRYRUN', 'r8', 'select', '0']);
    for (const bad of [
      ['+get|x|y'], ['+config|get|x'], ['+acl|'], ['+acl|nosuch'], ['-get|x'], ['!x'], ['!' + 'f'.repeat(64)], ['%~x'], ['%R'], ['%RW'], ['%RWx'], ['%RR~a'],
      ['allchannels', '&x'], ['&*', '&x'], ['&a b'], ['(+get ~x) more'], ['(+get', '(+set', '~x'], ['(+get', '~x', '(+set'], ['+@ALL', '+GET', '+Config|Get'],
    ]) {
      lines.push(['ACL', 'SETUSER', 'bad', ...bad], ['ACL', 'GETUSER', 'bad'], ['ACL', 'DELUSER', 'bad']);
    }
    lines.push(['ACL', 'SETUSER', 'a b'], ['ACL', 'SETUSER', 'a\tb'], ['ACL', 'SETUSER', 'a\0b'], ['ACL', 'CAT', 'read', 'write'], ['ACL', 'GENPASS', '8', '8'], ['ACL', 'CAT', 'nosuch']);
    for (const line of lines) assert.equal(norm(await d.call(...line)), norm(await r.call(...line)), line.join(' '));
    // ACL CAT lists a container in the category too (CLIENT, CONFIG, ... are @slow).
    const cat = async (c: RespClient, name: string) => new Set(((await c.call('ACL', 'CAT', name)) as { v: Reply[] }).v.map((x) => (x as { v: string }).v));
    for (const name of ['slow', 'connection', 'admin', 'pubsub']) {
      const [dc, rc] = [await cat(d, name), await cat(r, name)];
      for (const cmd of rc) if (known.has(cmd) && !cmd.endsWith('|help')) assert.ok(dc.has(cmd), `ACL CAT ${name}: ${cmd}`);
    }
    assert.ok((await cat(d, 'slow')).has('client'));
    for (const c of [d, r]) await c.call('ACL', 'DELUSER', ...users.map((_, i) => `r${i}`));
  } finally {
    d.close();
    r.close();
  }
});

test('a user refused every command still runs AUTH, HELLO and RESET, as in Redis', async () => {
  for (const port of [servers.depot.port, servers.redis.port]) {
    const c = await RespClient.open(port);
    try {
      await c.call('ACL', 'SETUSER', 'none', 'on', 'nopass', '-@all');
      assert.deepEqual(await c.call('AUTH', 'none', 'x'), { t: 'simple', v: 'OK' });
      assert.equal((await c.call('HELLO', '2')).t, 'array', `HELLO on ${port}`);
      assert.equal((await c.call('PING')).t, 'error');
      assert.deepEqual(await c.call('RESET'), { t: 'simple', v: 'RESET' });
      await c.call('ACL', 'DELUSER', 'none');
    } finally {
      c.close();
    }
  }
});

test('ACL DRYRUN answers as redis-server does', async () => {
  const lines = [
    ['ACL', 'SETUSER', 'alice', 'on', '>p', '~app:*', '&news*', '+get', '+set', '+publish', '+subscribe', '+psubscribe', '+config|get', '+xadd'],
    ['ACL', 'SETUSER', 'bob', 'on', 'nopass', 'allkeys', 'allchannels', '+@all', '-flushall'],
    ...[
      ['get', 'app:1'], ['get', 'other'], ['set', 'app:1', 'v'], ['del', 'app:1'], ['mget', 'app:1', 'other'],
      ['publish', 'news1', 'hi'], ['publish', 'sports', 'hi'], ['subscribe', 'news1', 'sports'],
      ['psubscribe', 'news*'], ['psubscribe', 'news1*'], ['config', 'get', 'maxmemory'], ['config', 'set', 'maxmemory', '1'],
      ['config', 'foo'], ['config'], ['get'], ['nosuchcmd'], ['GET', 'app:1'], ['xadd', 'app:s', '*', 'a', 'b'], ['xadd', 'other', '*', 'a', 'b'],
    ].map((line) => ['ACL', 'DRYRUN', 'alice', ...line]),
    ['ACL', 'DRYRUN', 'bob', 'flushall'],
    ['ACL', 'DRYRUN', 'bob', 'flushdb'],
    ['ACL', 'DRYRUN', 'nobody', 'get', 'x'],
    ['ACL', 'DRYRUN', 'alice'],
    ['ACL', 'DELUSER', 'alice', 'bob'],
  ];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
});

test('read and write key patterns (%R~, %W~) follow how each command uses each key, and COMMAND GETKEYSANDFLAGS tells it, as on redis-server', async () => {
  // The users' patterns as GETUSER and LIST show them, the rules refused, then ACL DRYRUN for
  // commands reading, writing, both, or neither (EXISTS, TYPE) with keys of each kind, commands
  // whose keys are used differently (LMOVE, COPY, SUNIONSTORE, SORT STORE, GEORADIUS STORE,
  // PFMERGE), and those whose use depends on their arguments (SET GET, BITFIELD, SORT BY).
  const lines = [
    ['acl', 'setuser', 'u1', 'on', '>p', '%R~r*', '%W~w*', '~rw*', '%RW~both*', '+@all'],
    ['acl', 'getuser', 'u1'],
    ['acl', 'list'],
    ['acl', 'setuser', 'u2', 'on', 'allkeys', '%R~x'],
    ['acl', 'setuser', 'u2', 'on', '%X~x'],
    ['acl', 'setuser', 'u2', 'on', '%RR~x'],
    ['acl', 'setuser', 'u2', 'on', '%R~x', '%W~x'],
    ['acl', 'getuser', 'u2'],
    ['acl', 'setuser', 'u3', 'on', '~*', '%R~x'],
    ['acl', 'setuser', 'u4', 'on', '%R~a', '%R~a', '%W~a', '~b'],
    ['acl', 'getuser', 'u4'],
    ['acl', 'dryrun', 'u1', 'get', 'r1'],
    ['acl', 'dryrun', 'u1', 'get', 'w1'],
    ['acl', 'dryrun', 'u1', 'set', 'w1', 'v'],
    ['acl', 'dryrun', 'u1', 'set', 'r1', 'v'],
    ['acl', 'dryrun', 'u1', 'set', 'w1', 'v', 'get'],
    ['acl', 'dryrun', 'u1', 'set', 'rw1', 'v', 'get'],
    ['acl', 'dryrun', 'u1', 'incr', 'w1'],
    ['acl', 'dryrun', 'u1', 'del', 'w1'],
    ['acl', 'dryrun', 'u1', 'del', 'r1'],
    ['acl', 'dryrun', 'u1', 'exists', 'r1'],
    ['acl', 'dryrun', 'u1', 'exists', 'zzz'],
    ['acl', 'dryrun', 'u1', 'lmove', 'r1', 'w1', 'left', 'right'],
    ['acl', 'dryrun', 'u1', 'lmove', 'rw1', 'w1', 'left', 'right'],
    ['acl', 'dryrun', 'u1', 'copy', 'r1', 'w1'],
    ['acl', 'dryrun', 'u1', 'copy', 'w1', 'r1'],
    ['acl', 'dryrun', 'u1', 'sunionstore', 'w1', 'r1', 'r2'],
    ['acl', 'dryrun', 'u1', 'sunionstore', 'w1', 'r1', 'w2'],
    ['acl', 'dryrun', 'u1', 'sort', 'r1', 'store', 'w1'],
    ['acl', 'dryrun', 'u1', 'sort', 'r1', 'store', 'r2'],
    ['acl', 'dryrun', 'u1', 'sort', 'r1', 'by', 'nosort'],
    ['acl', 'dryrun', 'u1', 'sort', 'r1', 'by', 'x*'],
    ['acl', 'dryrun', 'u1', 'bitfield', 'r1', 'get', 'u8', '0'],
    ['acl', 'dryrun', 'u1', 'bitfield', 'r1', 'incrby', 'u8', '0', '1'],
    ['acl', 'dryrun', 'u1', 'bitfield', 'rw1', 'incrby', 'u8', '0', '1'],
    ['acl', 'dryrun', 'u1', 'xread', 'streams', 'r1', '0'],
    ['acl', 'dryrun', 'u1', 'xreadgroup', 'group', 'g', 'c', 'streams', 'r1', '>'],
    ['acl', 'dryrun', 'u1', 'xreadgroup', 'group', 'g', 'c', 'streams', 'rw1', '>'],
    ['acl', 'dryrun', 'u1', 'eval', 'return 1', '1', 'r1'],
    ['acl', 'dryrun', 'u1', 'eval_ro', 'return 1', '1', 'r1'],
    ['acl', 'dryrun', 'u1', 'fcall', 'f', '1', 'r1'],
    ['acl', 'dryrun', 'u1', 'fcall_ro', 'f', '1', 'r1'],
    ['acl', 'dryrun', 'u1', 'georadius', 'r1', '0', '0', '1', 'km', 'store', 'w1'],
    ['acl', 'dryrun', 'u1', 'georadius', 'r1', '0', '0', '1', 'km', 'store', 'r2'],
    ['acl', 'dryrun', 'u1', 'migrate', '127.0.0.1', '1', 'rw1', '0', '100'],
    ['acl', 'dryrun', 'u1', 'migrate', '127.0.0.1', '1', 'r1', '0', '100'],
    ['acl', 'dryrun', 'u1', 'pfmerge', 'w1', 'r1'],
    ['acl', 'dryrun', 'u1', 'pfmerge', 'rw1', 'r1'],
    ['acl', 'dryrun', 'u1', 'rename', 'rw1', 'w1'],
    ['acl', 'dryrun', 'u1', 'object', 'encoding', 'r1'],
    ['acl', 'dryrun', 'u1', 'type', 'w1'],
    ['acl', 'dryrun', 'u1', 'touch', 'w1'],
    ['acl', 'dryrun', 'u1', 'both1', 'x'],
    ['acl', 'dryrun', 'u1', 'get', 'both1'],
    ['acl', 'dryrun', 'u1', 'zunionstore', 'w1', '2', 'r1', 'r2'],
    ['acl', 'dryrun', 'u1', 'blmpop', '0', '2', 'rw1', 'r1', 'left'],
    ['acl', 'dryrun', 'u1', 'xadd', 'w1', '*', 'a', 'b'],
    ['acl', 'dryrun', 'u1', 'xadd', 'r1', '*', 'a', 'b'],
    ['acl', 'dryrun', 'u1', 'xrange', 'r1', '-', '+'],
    ['command', 'getkeysandflags', 'set', 'a', 'b'],
    ['command', 'getkeysandflags', 'set', 'a', 'b', 'get'],
    ['command', 'getkeysandflags', 'lmove', 'a', 'b', 'left', 'right'],
    ['command', 'getkeysandflags', 'sort', 'a', 'by', 'x', 'store', 'b'],
    ['command', 'getkeysandflags', 'bitfield', 'a', 'get', 'u8', '0', 'overflow', 'sat'],
    ['command', 'getkeysandflags', 'bitfield', 'a', 'set', 'u8', '0', '1'],
    ['command', 'getkeysandflags', 'migrate', 'h', '1', '', '0', '10', 'keys', 'a', 'b'],
    ['command', 'getkeysandflags', 'xreadgroup', 'group', 'g', 'c', 'count', '1', 'streams', 'a', 'b', '>', '>'],
    ['command', 'getkeysandflags', 'zunionstore', 'd', '2', 'a', 'b', 'weights', '1', '2'],
    ['command', 'getkeysandflags', 'eval', 'x', '2', 'a', 'b', 'c'],
    ['command', 'getkeysandflags', 'georadius', 'a', '0', '0', '1', 'km', 'store', 'b', 'storedist', 'c'],
    ['command', 'getkeysandflags', 'get'],
    ['command', 'getkeysandflags', 'ping'],
    ['command', 'getkeysandflags', 'del', 'a', 'b', 'c'],
    // A user without key patterns, described without any.
    ['ACL', 'SETUSER', 'u5', 'on', 'nopass', '+ping'],
    ['ACL', 'LIST'],
    ['ACL', 'DELUSER', 'u1', 'u2', 'u3', 'u4', 'u5'],
  ];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
});

test('a read-only key pattern refuses a write through the real command, and a write-only one a read', async () => {
  const c = await RespClient.open(servers.depot.port);
  const admin = await RespClient.open(servers.depot.port);
  try {
    await admin.call('ACL', 'SETUSER', 'ro', 'on', '>pw', '%R~r:*', '%W~w:*', '+@all');
    await admin.call('SET', 'r:1', 'v');
    assert.equal((await c.call('AUTH', 'ro', 'pw')).t, 'simple');
    assert.deepEqual(await c.call('GET', 'r:1'), { t: 'bulk', v: 'v' });
    assert.deepEqual(await c.call('SET', 'r:1', 'x'), { t: 'error', v: 'NOPERM this user has no permissions to access one of the keys used as arguments' });
    assert.deepEqual(await c.call('SET', 'w:1', 'x'), { t: 'simple', v: 'OK' });
    assert.deepEqual(await c.call('GET', 'w:1'), { t: 'error', v: 'NOPERM this user has no permissions to access one of the keys used as arguments' });
    assert.deepEqual(await c.call('INCR', 'w:2'), { t: 'error', v: 'NOPERM this user has no permissions to access one of the keys used as arguments' });
    assert.deepEqual(await c.call('COPY', 'r:1', 'w:3'), { t: 'int', v: '1' });
    assert.equal(await admin.call('GET', 'r:1').then((r) => (r as { v: string }).v), 'v');
  } finally {
    await admin.call('ACL', 'DELUSER', 'ro');
    c.close();
    admin.close();
  }
});

test('ACL SAVE and LOAD with an aclfile, beside redis-server reading and writing the same file; the users come back after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-aclfile-'));
  const file = join(dir, 'users.acl');
  writeFileSync(file, 'user default on nopass ~* &* +@all\nuser alice on >pw ~a* +get\n');
  let depot: ServerProcess | undefined;
  let redis: ServerProcess | undefined;
  try {
    [depot, redis] = await Promise.all([startDepot(['--aclfile', file]), startRedis(['--aclfile', file])]);
    const lines: string[][] = [
      ['ACL', 'LIST'],
      ['CONFIG', 'GET', 'aclfile'],
      ['CONFIG', 'SET', 'aclfile', '/elsewhere'],
      ['ACL', 'SETUSER', 'bob', 'on', '>pw2', '%R~b*', '+@read'],
      ['ACL', 'SAVE'],
      ['ACL', 'LOAD'],
      ['ACL', 'LIST'],
      ['ACL', 'USERS'],
      ['ACL', 'LOAD', 'x'],
      ['ACL', 'SAVE', 'x'],
    ];
    const { depot: d, redis: r } = await sideBySide(depot.port, redis.port, lines);
    assert.deepEqual(d, r);
    // What each wrote, read back: the same file.
    const saved = readFileSync(file, 'latin1');
    assert.match(saved, /^user alice on #[0-9a-f]{64} ~a\* resetchannels -@all \+get\nuser bob on #[0-9a-f]{64} %R~b\* resetchannels -@all \+@read\nuser default on nopass ~\* &\* \+@all\n$/);
    // Files with errors: the same texts, nothing changed.
    for (const text of ['usr x on', 'user', 'user a on >p +nosuch +get -nocmd', 'user a on badrule worse', 'user a on\nuser a off', '  \n user b on ~x +get  \n', 'user b on #abc', 'user c on resetkeys ~a* allkeys ~b']) {
      writeFileSync(file, `${text}\n`);
      const { depot: dl, redis: rl } = await sideBySide(depot.port, redis.port, [['ACL', 'LOAD'], ['ACL', 'LIST']]);
      assert.deepEqual(dl, rl, text);
    }
    // A signed-in user's connection is closed when ACL LOAD replaces the users (the default user's stays).
    writeFileSync(file, saved);
    const alice = await RespClient.open(depot.port);
    const admin = await RespClient.open(depot.port);
    try {
      await admin.call('ACL', 'LOAD');
      assert.deepEqual(await alice.call('AUTH', 'alice', 'pw'), { t: 'simple', v: 'OK' });
      assert.deepEqual(await admin.call('ACL', 'LOAD'), { t: 'simple', v: 'OK' });
      assert.deepEqual(await alice.call('GET', 'a1'), { t: 'error', v: 'connection closed' });
      assert.deepEqual(await admin.call('PING'), { t: 'simple', v: 'PONG' });
    } finally {
      alice.close();
      admin.close();
    }
    // The users are the file's after a restart; a file that does not load stops the start.
    await depot.stop();
    depot = await startDepot(['--aclfile', file]);
    const c = await RespClient.open(depot.port);
    try {
      assert.deepEqual(await c.call('AUTH', 'bob', 'pw2'), { t: 'simple', v: 'OK' });
    } finally {
      c.close();
    }
    await depot.stop();
    depot = undefined;
    writeFileSync(file, 'user a on +nosuch\n');
    await assert.rejects(startDepot(['--aclfile', file]), /did not load: .*Unknown command or category name in ACL/);
  } finally {
    await depot?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("selectors: a command runs when one of the user's rule sets allows all of it, refusals and descriptions as on redis-server", async () => {
  // Selectors written as one argument and over several, unclosed and refused ones, GETUSER and
  // LIST, clearselectors and reset (which also sets sanitize-payload), and DRYRUN's answers:
  // the refusal Redis reports when every selector refuses (a key or channel before the
  // command, the later argument of two).
  const lines = [
    ['acl', 'setuser', 's1', 'on', 'nopass', '+get', '~a*', '(+set ~b*)', '(%R~c* +@read &ch*)'],
    ['acl', 'list'],
    ['acl', 'getuser', 's1'],
    ['acl', 'setuser', 's2', 'on', '(+get', '~x)'],
    ['acl', 'getuser', 's2'],
    ['acl', 'setuser', 's3', 'on', '(+get', '~x'],
    ['acl', 'setuser', 's3', 'on', '(on)'],
    ['acl', 'setuser', 's3', 'on', '(>pw)'],
    ['acl', 'setuser', 's3', 'on', '()'],
    ['acl', 'getuser', 's3'],
    ['acl', 'setuser', 's1', 'clearselectors'],
    ['acl', 'list'],
    ['acl', 'setuser', 's4', 'on', 'nopass', '+@all', '~a*', '(+@all ~b* &x)'],
    ['acl', 'dryrun', 's4', 'get', 'a1'],
    ['acl', 'dryrun', 's4', 'get', 'b1'],
    ['acl', 'dryrun', 's4', 'set', 'b1', 'v'],
    ['acl', 'dryrun', 's4', 'publish', 'x', 'm'],
    ['acl', 'dryrun', 's4', 'publish', 'y', 'm'],
    ['acl', 'dryrun', 's4', 'mget', 'a1', 'b1'],
    ['acl', 'dryrun', 's4', 'mget', 'b1', 'a1'],
    ['acl', 'dryrun', 's4', 'subscribe', 'x', 'y'],
    ['acl', 'setuser', 's5', 'on', 'nopass', '+get', '~a*', '(+set ~b*)'],
    ['acl', 'dryrun', 's5', 'get', 'b1'],
    ['acl', 'dryrun', 's5', 'set', 'a1', 'v'],
    ['acl', 'dryrun', 's5', 'set', 'c1', 'v'],
    ['acl', 'dryrun', 's5', 'del', 'a1'],
    ['acl', 'dryrun', 's5', 'hset', 'a1', 'f', 'v'],
    ['acl', 'setuser', 's5', 'reset'],
    ['acl', 'list'],
    ['acl', 'setuser', 's6', 'on', 'nopass', '&ch1', '&ch2', '+@all'],
    ['acl', 'list'],
    ['acl', 'getuser', 's6'],
    ['acl', 'deluser', 's1', 's2', 's3', 's4', 's5', 's6'],
    ['acl', 'setuser', 'z', 'on', 'nopass', 'sanitize-payload', '+get'],
    ['acl', 'getuser', 'z'],
    ['acl', 'setuser', 'z', 'skip-sanitize-payload'],
    ['acl', 'list'],
    ['acl', 'getuser', 'z'],
    ['acl', 'setuser', 'z', 'reset'],
    ['acl', 'getuser', 'z'],
    ['acl', 'deluser', 'z'],
  ];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot, redis);
});

test("a selector's keys and channels work through the real commands", async () => {
  const admin = await RespClient.open(servers.depot.port);
  const c = await RespClient.open(servers.depot.port);
  try {
    await admin.call('ACL', 'SETUSER', 'sel', 'on', '>pw', '+get', '~a*', '(+set +publish +subscribe ~b* &news)');
    assert.deepEqual(await c.call('AUTH', 'sel', 'pw'), { t: 'simple', v: 'OK' });
    assert.deepEqual(await c.call('SET', 'b1', 'v'), { t: 'simple', v: 'OK' });
    assert.deepEqual(await c.call('SET', 'a1', 'v'), { t: 'error', v: 'NOPERM this user has no permissions to access one of the keys used as arguments' });
    // The root allows GET but not b1, the selector b1 but not GET: the key is what is reported.
    assert.deepEqual(await c.call('GET', 'b1'), { t: 'error', v: 'NOPERM this user has no permissions to access one of the keys used as arguments' });
    assert.deepEqual(await c.call('DEL', 'b1'), { t: 'error', v: "NOPERM this user has no permissions to run the 'del' command" });
    assert.deepEqual(await c.call('PUBLISH', 'news', 'm'), { t: 'int', v: '0' });
    assert.deepEqual(await c.call('PUBLISH', 'sports', 'm'), { t: 'error', v: 'NOPERM this user has no permissions to access one of the channels used as arguments' });
    const log = (await admin.call('ACL', 'LOG', '1')) as { v: Array<{ v: Reply[] }> };
    const entry = log.v[0]!.v.map((x) => (x as { v: string }).v);
    assert.deepEqual([entry[3], entry[7]], ['channel', 'sports']);
  } finally {
    await admin.call('ACL', 'DELUSER', 'sel');
    c.close();
    admin.close();
  }
});
