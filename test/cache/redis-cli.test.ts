// redis-cli (Debian's redis-tools) against Depot: one-shot commands, scripted input, --pipe
// mass insertion, monitor, slowlog get; and the wire details clients rely on, through a raw socket: inline
// commands, RESP3 push frames, RESP2 subscriber mode, protocol errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { RespClient, encodeCommand, show } from '../helpers/cache-resp-client.js';
import { ensureRedisInstalled, startDepot, type ServerProcess } from '../helpers/cache-servers.js';
import { eventually } from '../helpers/wait.js';

const run = promisify(execFile);
let server: ServerProcess;

async function cli(args: readonly string[], input?: string): Promise<string> {
  const child = run('redis-cli', ['-p', String(server.port), ...args], { timeout: 20_000 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return (await child).stdout;
}

before(async () => {
  ensureRedisInstalled();
  server = await startDepot();
});

after(async () => {
  await server.stop();
});

test('redis-cli one-shot commands print what they print against Redis', async () => {
  assert.equal(await cli(['PING']), 'PONG\n');
  assert.equal(await cli(['SET', 'cli:k', 'hello world']), 'OK\n');
  assert.equal(await cli(['GET', 'cli:k']), 'hello world\n');
  assert.equal(await cli(['--no-raw', 'GET', 'cli:k']), '"hello world"\n');
  assert.equal(await cli(['--no-raw', 'GET', 'cli:missing']), '(nil)\n');
  assert.equal(await cli(['RPUSH', 'cli:l', 'a', 'b']), '2\n');
  assert.equal(await cli(['--no-raw', 'LRANGE', 'cli:l', '0', '-1']), '1) "a"\n2) "b"\n');
  assert.equal(await cli(['--no-raw', 'INCR', 'cli:k']), '(error) ERR value is not an integer or out of range\n');
  assert.equal(await cli(['-3', '--no-raw', 'HSET', 'cli:h', 'f', 'v']), '(integer) 1\n');
  assert.equal(await cli(['-3', '--no-raw', 'HGETALL', 'cli:h']), '1# "f" => "v"\n');
});

test('redis-cli reads a script of commands from stdin', async () => {
  const out = await cli([], 'SET cli:n 10\nINCRBY cli:n 5\nGET cli:n\nDEL cli:n\nEXISTS cli:n\n');
  assert.equal(out, 'OK\n15\n15\n1\n0\n');
});

test('redis-cli --pipe mass insertion', async () => {
  const lines: Buffer[] = [];
  for (let i = 0; i < 2000; i++) lines.push(encodeCommand(['SET', `pipe:${i}`, String(i)]));
  lines.push(encodeCommand(['SADD', 'pipe:set', 'a', 'b']));
  const out = await cli(['--pipe'], Buffer.concat(lines).toString('latin1'));
  assert.match(out, /errors: 0, replies: 2001/);
  assert.equal(await cli(['GET', 'pipe:1999']), '1999\n');
});

test('redis-cli monitor prints the commands of another client; redis-cli slowlog get prints entries', async () => {
  const monitor = spawn('redis-cli', ['-p', String(server.port), 'monitor']);
  let out = '';
  monitor.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  try {
    // A SET before the monitor is on would never show.
    await eventually(() => out.startsWith('OK\n'), 'redis-cli monitor to start');
    assert.equal(await cli(['SET', 'cli:watched', 'a "quoted" value']), 'OK\n');
    // The whole line, not the first bytes of it.
    await eventually(() => /cli:watched.*\n/.test(out), 'the SET line on the monitor');
    assert.match(out, /^OK\n\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "cli:watched" "a \\"quoted\\" value"\n/m);
  } finally {
    monitor.kill();
  }
  assert.equal(await cli(['CONFIG', 'SET', 'slowlog-log-slower-than', '0']), 'OK\n');
  await cli(['SET', 'cli:slow', 'v']);
  assert.match(await cli(['--no-raw', 'SLOWLOG', 'GET', '1']), /^1\) 1\) \(integer\) \d+\n {3}2\) \(integer\) \d+\n {3}3\) \(integer\) \d+\n {3}4\) 1\) "SET"\n {6}2\) "cli:slow"\n {6}3\) "v"\n {3}5\) "127\.0\.0\.1:\d+"\n {3}6\) ""\n$/);
  assert.equal(await cli(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000']), 'OK\n');
});

test('CLIENT REPLY OFF and SKIP drop replies; CLIENT REPLY ON is answered (as redis-server 7.0.15 answers this sequence)', async () => {
  const c = await RespClient.open(server.port);
  try {
    const sequence = [
      ['DEL', 'reply:k'], ['CLIENT', 'REPLY', 'OFF'], ['SET', 'reply:k', 'a'], ['GET', 'reply:k'], ['CLIENT', 'REPLY', 'SKIP'], ['INCR', 'reply:k'],
      ['CLIENT', 'REPLY', 'ON'], ['GET', 'reply:k'], ['CLIENT', 'REPLY', 'SKIP'], ['GET', 'reply:k'], ['ECHO', 'after skip'],
      ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['ECHO', 'end'],
    ];
    for (const args of sequence) c.send(...args);
    const got: string[] = [];
    while (got.at(-1) !== 'bulk:"end"') got.push(show(await c.next()));
    assert.deepEqual(got, ['int:"0"', 'simple:"OK"', 'bulk:"a"', 'bulk:"after skip"', 'simple:"OK"', 'bulk:"end"']);
  } finally {
    c.close();
  }
});

test('inline commands over a raw socket, including quoting', async () => {
  const c = await RespClient.open(server.port);
  try {
    c.write('PING\r\nSET inline:k "two words"\r\nGET inline:k\n');
    assert.deepEqual(await c.next(), { t: 'simple', v: 'PONG' });
    assert.deepEqual(await c.next(), { t: 'simple', v: 'OK' });
    assert.deepEqual(await c.next(), { t: 'bulk', v: 'two words' });
  } finally {
    c.close();
  }
});

test('RESP3 push frames and RESP2 subscriber mode', async () => {
  const r3 = await RespClient.open(server.port);
  const r2 = await RespClient.open(server.port);
  const pub = await RespClient.open(server.port);
  try {
    assert.equal((await r3.call('HELLO', '3')).t, 'map');
    assert.deepEqual(await r3.call('SUBSCRIBE', 'ch'), { t: 'push', v: [{ t: 'bulk', v: 'subscribe' }, { t: 'bulk', v: 'ch' }, { t: 'int', v: '1' }] });
    // RESP3 lets a subscribed connection run any command.
    assert.deepEqual(await r3.call('SET', 'push:k', 'v'), { t: 'simple', v: 'OK' });
    assert.deepEqual(await r2.call('SUBSCRIBE', 'ch'), { t: 'array', v: [{ t: 'bulk', v: 'subscribe' }, { t: 'bulk', v: 'ch' }, { t: 'int', v: '1' }] });
    assert.deepEqual(await r2.call('GET', 'push:k'), {
      t: 'error',
      v: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    });
    assert.deepEqual(await r2.call('PING'), { t: 'array', v: [{ t: 'bulk', v: 'pong' }, { t: 'bulk', v: '' }] });
    assert.deepEqual(await pub.call('PUBLISH', 'ch', 'm'), { t: 'int', v: '2' });
    assert.deepEqual(await r3.next(), { t: 'push', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'ch' }, { t: 'bulk', v: 'm' }] });
    assert.deepEqual(await r2.next(), { t: 'array', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'ch' }, { t: 'bulk', v: 'm' }] });
    assert.deepEqual(await r2.call('UNSUBSCRIBE'), { t: 'array', v: [{ t: 'bulk', v: 'unsubscribe' }, { t: 'bulk', v: 'ch' }, { t: 'int', v: '0' }] });
    assert.deepEqual(await r2.call('GET', 'push:k'), { t: 'bulk', v: 'v' });
  } finally {
    r3.close();
    r2.close();
    pub.close();
  }
});

test('protocol errors (a bad or zero-padded length) are answered and the connection closed; QUIT closes after OK', async () => {
  const c = await RespClient.open(server.port);
  c.write('*1\r\n$x\r\n');
  assert.deepEqual(await c.next(), { t: 'error', v: 'ERR Protocol error: invalid bulk length' });
  assert.deepEqual(await c.next(), { t: 'error', v: 'connection closed' });
  // Lengths with leading zeros or "-0" are refused, as Redis's string2ll refuses them.
  for (const [bytes, message] of [
    ['*01\r\n$4\r\nPING\r\n', 'invalid multibulk length'],
    ['*-0\r\n', 'invalid multibulk length'],
    ['*1\r\n$04\r\nPING\r\n', 'invalid bulk length'],
    ['*1\r\n$-0\r\n', 'invalid bulk length'],
  ]) {
    const b = await RespClient.open(server.port);
    b.write(bytes!);
    assert.deepEqual(await b.next(), { t: 'error', v: `ERR Protocol error: ${message}` });
    assert.deepEqual(await b.next(), { t: 'error', v: 'connection closed' });
  }
  const q = await RespClient.open(server.port);
  assert.deepEqual(await q.call('QUIT'), { t: 'simple', v: 'OK' });
  assert.deepEqual(await q.next(), { t: 'error', v: 'connection closed' });
});

test('a command of more than 1,048,576 arguments runs, as in Redis 7; client-query-buffer-limit bounds what its arguments hold', async () => {
  const c = await RespClient.open(server.port);
  const n = 1_100_000;
  // RPUSH key e e e ...: 2 + n arguments, written in pieces.
  c.write(`*${n + 2}\r\n$5\r\nRPUSH\r\n$9\r\ncli:many1\r\n`);
  const piece = '$1\r\ne\r\n'.repeat(10_000);
  for (let i = 0; i < n / 10_000; i++) c.write(piece);
  assert.deepEqual(await c.next(), { t: 'int', v: String(n) });
  assert.deepEqual(await c.call('DEL', 'cli:many1'), { t: 'int', v: '1' });
  assert.deepEqual(await c.call('CONFIG', 'SET', 'client-query-buffer-limit', '1mb'), { t: 'simple', v: 'OK' });
  try {
    // 40,000 one-byte arguments hold more than 1 MiB (their bytes and what each costs as a string).
    const d = await RespClient.open(server.port);
    d.write(`*100000000\r\n$5\r\nRPUSH\r\n$9\r\ncli:many2\r\n`);
    for (let i = 0; i < 4; i++) d.write(piece);
    assert.deepEqual(await d.next(), { t: 'error', v: 'ERR Protocol error: client query buffer exceeds client-query-buffer-limit' });
    assert.deepEqual(await d.next(), { t: 'error', v: 'connection closed' });
    assert.deepEqual(await c.call('EXISTS', 'cli:many2'), { t: 'int', v: '0' });
  } finally {
    await c.call('CONFIG', 'SET', 'client-query-buffer-limit', '1gb');
    c.close();
  }
});
