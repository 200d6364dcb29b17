// SLOWLOG and MONITOR against Debian's redis-server 7.0.15, side by side: the same commands on
// both must leave the same slow log entries (but for ids, times, durations and ports) and show
// monitors the same lines (but for timestamps and ports), including what Redis hides (admin
// commands in MONITOR; EXEC, unknown commands and refused ones in both), redacts (passwords of
// AUTH, HELLO, ACL SETUSER and CONFIG SET requirepass) and trims (arguments past 32 and bytes
// past 128). Then ioredis's and node-redis's monitor() reading Depot's feed, and the slow log's
// own trimming.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RespClient, show, type Reply } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';
import { SlowLog, trimArgs } from '../../src/cache/slowlog.js';
import { monitorLine } from '../../src/cache/monitor.js';
import { eventually } from '../helpers/wait.js';

let depot: ServerProcess;
let redis: ServerProcess;

before(async () => {
  [depot, redis] = await Promise.all([startDepot(), startRedis()]);
});

after(async () => {
  await Promise.all([depot.stop(), redis.stop()]);
});

/** One connection to each server, Depot's first. */
async function pair(): Promise<[RespClient, RespClient]> {
  return Promise.all([RespClient.open(depot.port), RespClient.open(redis.port)]);
}

/** Runs a command on both and asserts the same reply; returns it. */
async function same(clients: [RespClient, RespClient], ...args: string[]): Promise<Reply> {
  const [d, r] = await Promise.all(clients.map((c) => c.call(...args)));
  assert.equal(show(d!), show(r!), args.join(' '));
  return d!;
}

/** Waits until a client of `c`'s server is blocked (CLIENT LIST is an admin command: MONITOR hides it). */
async function untilBlocked(c: RespClient): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (text(await c.call('CLIENT', 'LIST')).includes(' flags=b ')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('no client blocked');
}

const items = (r: Reply): Reply[] => {
  assert.ok(r.t === 'array', `an array, not ${show(r)}`);
  return r.v;
};
const text = (r: Reply): string => {
  assert.ok(r.t === 'bulk' || r.t === 'int' || r.t === 'simple', `a string, not ${show(r)}`);
  return r.v;
};

/** SLOWLOG GET -1's entries without what differs between servers (ids, times, durations, ports), checked for shape. */
async function slowEntries(c: RespClient): Promise<string[]> {
  const entries = items(await c.call('SLOWLOG', 'GET', '-1'));
  const now = Math.floor(Date.now() / 1000);
  let previousId = Infinity;
  return entries.map((e) => {
    const [id, time, micros, argv, peer, name] = items(e);
    assert.ok(Number(text(id!)) < previousId, 'ids decrease, newest first');
    previousId = Number(text(id!));
    assert.ok(Math.abs(Number(text(time!)) - now) < 120, 'a Unix time in seconds');
    assert.ok(Number(text(micros!)) >= 0);
    assert.match(text(peer!), /^127\.0\.0\.1:\d+$/);
    return `${items(argv!).map(text).join(' ')} | ${text(name!)}`;
  });
}

test('the slow log keeps what Redis keeps: trimmed, redacted, each command of EXEC, a blocked command once served', async () => {
  const c = await pair();
  const b = await pair();
  await same(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await same(c, 'SLOWLOG', 'RESET');
  await same(c, 'CLIENT', 'SETNAME', 'tester');
  await same(c, 'SET', 'a b"c', 'x\ny\x01z\xff');
  await same(c, 'SET', 'big', 'a'.repeat(300));
  await same(c, 'DEL', ...Array.from({ length: 35 }, (_, i) => `k${i + 1}`));
  await same(c, 'NOSUCHCOMMAND', 'a');
  await same(c, 'GET');
  await same(c, 'MULTI');
  await same(c, 'SET', 'k', 'v');
  await same(c, 'INCR', 'n');
  await same(c, 'EXEC');
  await same(c, 'ACL', 'SETUSER', 'bob', 'on', '>secret', '~*', '+@all');
  await same(c, 'AUTH', 'wrong');
  await same(c, 'AUTH', 'bob', 'secret');
  // HELLO's reply carries the client id, which differs.
  await Promise.all(c.map((x) => x.call('HELLO', '2', 'AUTH', 'bob', 'secret', 'SETNAME', 'named')));
  await same(c, 'CONFIG', 'SET', 'masterauth', 'pw', 'tls-key-file-pass', 'kp', 'tls-client-key-file-pass', 'cp', 'masteruser', 'mu');
  await same(c, 'CONFIG', 'SET', 'requirepass', '');
  // A blocking pop: logged when it is served (after the push that served it), not when it blocked.
  // The log is off while waiting for it to block, so that the polls are not logged.
  b.forEach((x) => x.send('BLPOP', 'queue', '0'));
  await same(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
  await Promise.all(c.map(untilBlocked));
  await same(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await same(c, 'RPUSH', 'queue', 'job');
  const [servedD, servedR] = await Promise.all(b.map((x) => x.next()));
  assert.equal(show(servedD!), show(servedR!));
  assert.equal(show(servedD!), 'array[bulk:"queue", bulk:"job"]');
  // The replies are out once committed; the entry is pushed when the command runs, before.
  const [d, r] = await Promise.all(c.map(slowEntries));
  assert.deepEqual(d, r);
  assert.deepEqual(d!.slice(0, 4), [
    'BLPOP queue 0 | ',
    'RPUSH queue job | named',
    'CONFIG SET slowlog-log-slower-than 0 | named',
    'CONFIG SET requirepass (redacted) | named',
  ]);
  assert.ok(d!.includes('HELLO 2 AUTH (redacted) (redacted) SETNAME named | named'));
  assert.ok(d!.includes('CONFIG SET masterauth (redacted) tls-key-file-pass kp tls-client-key-file-pass cp masteruser (redacted) | named'));
  assert.ok(d!.includes('ACL SETUSER (redacted) (redacted) (redacted) (redacted) (redacted) | tester'));
  assert.ok(d!.includes(`SET big ${'a'.repeat(128)}... (172 more bytes) | tester`));
  assert.ok(d!.includes(`DEL ${Array.from({ length: 30 }, (_, i) => `k${i + 1}`).join(' ')} ... (5 more arguments) | tester`));
  assert.ok(!d!.some((e) => e.startsWith('EXEC') || e.startsWith('NOSUCHCOMMAND') || e.startsWith('GET ')));

  await same(c, 'SLOWLOG', 'LEN');
  assert.equal(items(await c[0].call('SLOWLOG', 'GET', '2')).length, 2);
  assert.equal(items(await c[0].call('SLOWLOG', 'GET')).length, 10);
  await same(c, 'SLOWLOG', 'GET', '-2');
  await same(c, 'SLOWLOG', 'GET', 'abc');
  await same(c, 'SLOWLOG', 'GET', '1', '2');
  await same(c, 'SLOWLOG', 'LEN', 'x');
  await same(c, 'SLOWLOG', 'NOSUCH');
  // A shorter log is trimmed at the next entry, which the CONFIG SET itself is.
  await same(c, 'CONFIG', 'SET', 'slowlog-max-len', '3');
  await same(c, 'SLOWLOG', 'LEN');
  await same(c, 'SLOWLOG', 'RESET');
  await same(c, 'SLOWLOG', 'LEN');
  // (in the order of each server's table)
  const [gd, gr] = await Promise.all(c.map((x) => x.call('CONFIG', 'GET', 'slowlog*')));
  const pairs = (r: Reply) => items(r).map(text).join(' ').split(/ (?=slowlog)/).sort();
  assert.deepEqual(pairs(gd!), pairs(gr!));
  await same(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-2');
  await same(c, 'CONFIG', 'SET', 'slowlog-max-len', '-1');
  await same(c, 'CONFIG', 'SET', 'slowlog-max-len', '1.5');
  // Off: nothing more is logged.
  await same(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-1', 'slowlog-max-len', '128');
  await same(c, 'SLOWLOG', 'RESET');
  await same(c, 'SET', 'k', 'v2');
  await same(c, 'SLOWLOG', 'LEN');
  // Restore the defaults for the tests after this one.
  await same(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  for (const x of [...c, ...b]) x.close();
});

/** Monitor lines up to the one that shows ECHO `until`, without timestamps and ports (their format checked). */
async function linesUntil(m: RespClient, until: string): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const r = await m.next();
    if (r.t !== 'simple' || !/^\d+\.\d{6} \[/.test(r.v)) {
      lines.push(show(r));
      continue;
    }
    const match = /^\d{10}\.\d{6} \[(\d+) (?:127\.0\.0\.1:\d+|(lua))\] (.*)$/.exec(r.v);
    assert.ok(match !== null, r.v);
    lines.push(`[${match[1]}${match[2] === undefined ? '' : ' lua'}] ${match[3]}`);
    if (match[3]!.toLowerCase() === `"echo" "${until}"`) return lines;
  }
}

test('MONITOR shows what Redis shows, as Redis writes it', async () => {
  const m = await pair();
  const c = await pair();
  const b = await pair();
  await same(m, 'MONITOR');
  await same(c, 'CLIENT', 'SETNAME', 'watched');
  await same(c, 'SET', 'a b"c\\', 'x\ny\r\t\x07\x08\x01z\xff');
  await same(c, 'AUTH', 'wrong');
  await same(c, 'CONFIG', 'GET', 'maxmemory');
  await Promise.all(c.map((x) => x.call('SLOWLOG', 'LEN')));
  await same(c, 'SELECT', '3');
  await same(c, 'SET', 'x', 'y');
  await same(c, 'SELECT', '0');
  await same(c, 'MULTI');
  await same(c, 'SET', 'k', 'v');
  await same(c, 'INCR', 'counter');
  await same(c, 'EXEC');
  await same(c, 'NOSUCHCOMMAND');
  await same(c, 'GET');
  b.forEach((x) => x.send('BLPOP', 'jobs', '0'));
  await Promise.all(c.map(untilBlocked));
  await same(c, 'PING');
  await same(c, 'LPUSH', 'jobs', 'j1');
  await Promise.all(b.map((x) => x.next()));
  // A script's commands, after its EVAL, as `lua`; its SELECT shows in their database only.
  await same(c, 'EVAL', "redis.call('set', KEYS[1], 'v') redis.call('select', 2) return redis.call('get', KEYS[1])", '1', 'scripted');
  await same(c, 'ECHO', 'first');
  const [d, r] = await Promise.all(m.map((x) => linesUntil(x, 'first')));
  assert.deepEqual(d, r);
  assert.deepEqual(d, [
    '[0] "CLIENT" "SETNAME" "watched"',
    '[0] "SET" "a b\\"c\\\\" "x\\ny\\r\\t\\a\\b\\x01z\\xff"',
    '[0] "AUTH" "(redacted)"',
    '[3] "SELECT" "3"',
    '[3] "SET" "x" "y"',
    '[0] "SELECT" "0"',
    '[0] "MULTI"',
    '[0] "SET" "k" "v"',
    '[0] "INCR" "counter"',
    '[0] "EXEC"',
    '[0] "BLPOP" "jobs" "0"',
    '[0] "PING"',
    '[0] "LPUSH" "jobs" "j1"',
    '[0] "EVAL" "redis.call(\'set\', KEYS[1], \'v\') redis.call(\'select\', 2) return redis.call(\'get\', KEYS[1])" "1" "scripted"',
    '[0 lua] "set" "scripted" "v"',
    '[2 lua] "select" "2"',
    '[2 lua] "get" "scripted"',
    '[0] "ECHO" "first"',
  ]);

  // The monitor's own commands: its reply, then its line; keyspace commands refused; a second
  // MONITOR answered with nothing; RESET ends the feed.
  m.forEach((x) => {
    x.send('PING');
    x.send('GET', 'x');
    x.send('MONITOR');
    x.send('ECHO', 'second');
  });
  const [dm, rm] = await Promise.all(m.map((x) => linesUntil(x, 'second')));
  assert.deepEqual(dm, rm);
  assert.deepEqual(dm, ['simple:"PONG"', '[0] "PING"', 'error:"ERR Replica can\'t interact with the keyspace"', 'bulk:"second"', '[0] "ECHO" "second"']);
  assert.match(text(await m[0].call('CLIENT', 'INFO')), / flags=O /);
  assert.match(show(await m[0].next()), /CLIENT\\" \\"INFO/, 'its own line after the reply');
  await same(m, 'RESET');
  await same(m, 'GET', 'x');
  await same(c, 'ECHO', 'unseen');
  await same(m, 'PING');
  // Inside EXEC, MONITOR is refused (a stream cannot be one of EXEC's replies).
  await same(c, 'MULTI');
  await same(c, 'MONITOR');
  assert.equal(show(await c[0].call('EXEC')), 'array[error:"ERR MONITOR isn\'t allowed for DENY BLOCKING client"]');
  for (const x of [...m, ...c, ...b]) x.close();
});

test("ioredis's and node-redis's monitor() read Depot's feed", async () => {
  const r = new Redis({ port: depot.port, host: '127.0.0.1' });
  const node = createClient({ socket: { port: depot.port, host: '127.0.0.1' } });
  await node.connect();
  const watcher = await r.monitor();
  const seen: Array<{ args: string[]; source: string; database: string }> = [];
  watcher.on('monitor', (_time: string, args: string[], source: string, database: string) => seen.push({ args, source, database }));
  const lines: string[] = [];
  const nodeWatcher = node.duplicate();
  await nodeWatcher.connect();
  await nodeWatcher.monitor((line) => lines.push(String(line)));
  const writer = new Redis({ port: depot.port, host: '127.0.0.1', db: 5 });
  await writer.set('monitored', 'value with "quotes"');
  // The writer's SELECT 5 reaches both feeds first; wait for the SET line itself on each.
  await eventually(() => seen.some((s) => s.args[0] === 'set') && lines.some((l) => l.includes('monitored')), 'the SET on both monitor feeds');
  const set = seen.find((s) => s.args[0] === 'set');
  assert.deepEqual(set?.args, ['set', 'monitored', 'value with "quotes"']);
  assert.equal(set?.database, '5');
  assert.match(set!.source, /^127\.0\.0\.1:\d+$/);
  assert.ok(lines.some((l) => / \[5 127\.0\.0\.1:\d+\] "set" "monitored" "value with \\"quotes\\""$/.test(l)), lines.join('\n'));
  writer.disconnect();
  watcher.disconnect();
  r.disconnect();
  await nodeWatcher.disconnect();
  await node.disconnect();
});

test('the slow log trims to its length and keeps at most 32 arguments of 128 bytes', () => {
  const log = new SlowLog();
  for (let i = 0; i < 1000; i++) log.push(['SET', `k${i}`], i, 1_700_000_000, '127.0.0.1:1', '', 100);
  assert.equal(log.length, 100);
  assert.deepEqual(log.newest(3).map((e) => [e.id, e.argv[1]]), [[999, 'k999'], [998, 'k998'], [997, 'k997']]);
  assert.equal(log.newest(-1).at(-1)!.id, 900);
  log.push(['PING'], 1, 1_700_000_000, '127.0.0.1:1', '', 0);
  assert.equal(log.length, 0);
  log.push(['PING'], 1, 1_700_000_000, '127.0.0.1:1', '', 5);
  assert.equal(log.newest(1)[0]!.id, 1001, 'ids go on across trims and resets');
  assert.deepEqual(trimArgs(Array.from({ length: 32 }, (_, i) => `a${i}`)).at(-1), 'a31');
  assert.deepEqual(trimArgs(Array.from({ length: 33 }, (_, i) => `a${i}`)).at(-1), '... (2 more arguments)');
  assert.deepEqual(trimArgs(['x'.repeat(128), 'y'.repeat(129)]), ['x'.repeat(128), `${'y'.repeat(128)}... (1 more bytes)`]);
  assert.equal(monitorLine(1_700_000_000_000_042, 2, '127.0.0.1:5', ['get', '\x00"\\']), '1700000000.000042 [2 127.0.0.1:5] "get" "\\x00\\"\\\\"');
});
