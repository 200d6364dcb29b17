// Wire-level differential test: random byte streams built from pieces of RESP (commands whole
// and cut anywhere, inline lines with quotes and escapes, empty lines, malformed headers and
// lengths, QUIT) are written to Depot and to Debian's redis-server 7.0.15 in random chunks, the
// write side is closed, and everything each server sends back before it closes the connection
// must be the same bytes. So a protocol error is answered with the same message after the same
// replies, and what follows it is ignored the same way. WIRE_DIFF_RUNS raises the number of
// streams (default 100); WIRE_DIFF_SEED picks them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { depotAndRedis } from '../helpers/cache-servers.js';
import { cutAt } from '../helpers/chunks.js';

const servers = depotAndRedis();

const bulk = (s: string) => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
const command = (...args: string[]) => `*${args.length}\r\n${args.map(bulk).join('')}`;

/** Replies that depend only on the stream: no ids, times, or server details. */
const valid = fc.constantFrom(
  command('PING'),
  command('PING', 'hi'),
  command('ECHO', 'a\r\nb'),
  command('ECHO', ''),
  command('SET', 'wire:k', '41'),
  command('GET', 'wire:k'),
  command('INCR', 'wire:k'),
  command('APPEND', 'wire:k', 'x'),
  command('DEL', 'wire:k'),
  command('RPUSH', 'wire:l', 'a', 'b'),
  command('LRANGE', 'wire:l', '0', '-1'),
  command('NOSUCH', 'x'),
  command('GET'),
  command('get', 'wire:k'),
  command('MULTI'),
  command('EXEC'),
  command('DISCARD'),
  command('CLIENT', 'REPLY', 'OFF'),
  command('CLIENT', 'REPLY', 'ON'),
  command('CLIENT', 'REPLY', 'SKIP'),
  command('CLIENT', 'REPLY', 'MAYBE'),
  command('SUBSCRIBE', 'wire:ch'),
  command('UNSUBSCRIBE'),
  command('PSUBSCRIBE', 'wire:*'),
  command('RESET'),
  command('SELECT', '1'),
  command('SELECT', '0'),
  command('DBSIZE'),
  command('WATCH', 'wire:k'),
  command('QUIT', 'now'),
);

const inline = fc.constantFrom(
  'PING\r\n',
  'PING\n',
  'ping hello\r\n',
  'ECHO "a b"\r\n',
  "ECHO 'x\\ny'\r\n",
  'ECHO "\\x41\\x4a\\n\\t"\r\n',
  'ECHO "\\xZZ"\r\n',
  'ECHO "unbalanced\r\n',
  "ECHO 'unbalanced\r\n",
  'ECHO "a"b\r\n',
  'ECHO a"b"\r\n',
  'SET wire:k "two words"\r\n',
  'GET wire:k\r\n',
  '""\r\n',
  '\r\n',
  '\n',
  '   \r\n',
  ' PING \r\n',
  '\tPING\t\r\n',
  'NOSUCH a b\r\n',
  '$3\r\n',
  ':1\r\n',
);

const malformed = fc.constantFrom(
  '*x\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*-5\r\n',
  '*01\r\n',
  '*1048577\r\n',
  '*3000000000\r\n',
  '*1\r\n$x\r\n',
  '*1\r\n$-1\r\n',
  '*1\r\n$04\r\nPING\r\n',
  '*1\r\n$536870913\r\n',
  '*2\r\n$4\r\nECHO\r\n:5\r\n',
  '*1\r\n+PING\r\n',
  '*1\r\n$3\r\nPINGG\r\n',
  '*1\r\n$4\r\nPINGxx',
  '*2\r\n$4\r\nECHO\r\n$1\r\nab\r\n',
  '*1 \r\n',
  '* 1\r\n',
  '*1\n$4\nPING\n',
  '*\r\n',
  '*1\r\n$\r\n',
  '*2\r\n$4\r\nECHO\r\n$100\r\nabc',
  '*3\r\n$3\r\nSET\r\n',
);

const piece = fc.oneof({ weight: 5, arbitrary: valid }, { weight: 4, arbitrary: inline }, { weight: 1, arbitrary: malformed }, { weight: 1, arbitrary: fc.constant('QUIT\r\n') });

/** Writes `chunks` one by one, closes the write side, and returns all bytes until the server closes. */
function exchange(port: number, chunks: readonly Buffer[]): Promise<{ bytes: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    // A server that keeps the connection after the client's FIN is a difference in itself.
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ bytes: Buffer.concat(got).toString('latin1'), closed: false });
    }, 5000);
    socket.on('data', (d) => got.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server that closed after a protocol error may reset what it did not read.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(got).toString('latin1'), closed: true });
    });
    socket.once('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        // Let the server read each chunk on its own sometimes: a piece cut at any byte.
        await new Promise((r) => setImmediate(r));
      }
      if (!socket.destroyed) socket.end();
    });
  });
}

/**
 * A HELLO that a cut stream spells by chance (a bulk swallowing bytes up to "hello") answers
 * the connection's id, which is the one thing the two servers number differently.
 */
function withoutIds(bytes: string): string {
  return bytes.replace(/\$2\r\nid\r\n:\d+\r\n/g, '$2\r\nid\r\n:?\r\n');
}

test('random byte streams of whole, cut and malformed commands get the same bytes back from Depot and redis-server', async () => {
  const runs = Number(process.env['WIRE_DIFF_RUNS'] ?? '100');
  let lastDifference = '';
  const property = fc.assert(
    fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), async (pieces, at) => {
      const bytes = Buffer.from(pieces.join(''), 'latin1');
      const chunks = cutAt(bytes, at.map((f) => Math.floor(f * bytes.length)));
      const [d, r] = await Promise.all([exchange(servers.depot.port, chunks), exchange(servers.redis.port, chunks)]);
      if (d.closed !== r.closed || withoutIds(d.bytes) !== withoutIds(r.bytes)) {
        lastDifference = `sent ${JSON.stringify(chunks.map((c) => c.toString('latin1')))}\n  depot: ${JSON.stringify(d.bytes)}${d.closed ? '' : ' (still open)'}\n  redis: ${JSON.stringify(r.bytes)}${r.closed ? '' : ' (still open)'}`;
        assert.fail(lastDifference);
      }
    }),
    { numRuns: runs, seed: Number(process.env['WIRE_DIFF_SEED'] ?? '20261124') },
  );
  // fast-check reports the shrunk counterexample; the bytes each server sent are ours.
  await property.catch((err: Error) => assert.fail(`${err.message}\n${lastDifference}`));
});

/** Streams on which the two servers once differed, each compared as the random ones are. */
const CURATED: readonly string[] = [
  'QUIT\r\nECHO "unbalanced\r\n*1\r\n$4\r\nPING\r\n',
  '*1\n$4\nPING\n*1\r\n$4\r\nPING\r\n',
  '*1\r\n+PING',
  '*1048577\r\n*1\r\n$4\r\nPING\r\n',
  '*2147483648\r\n',
  `${command('CLIENT', 'REPLY', 'SKIP')}\r\n${command('PING')}`,
  `${command('CLIENT', 'REPLY', 'SKIP')}*0\r\n${command('PING')}`,
  `${command('CLIENT', 'REPLY', 'SKIP')}${command('CLIENT', 'REPLY', 'SKIP')}PING\r\nPING\r\n`,
  `${command('CLIENT', 'REPLY', 'OFF')}${command('CLIENT', 'REPLY', 'SKIP')}PING\r\nPING\r\n`,
  `${command('CLIENT', 'REPLY', 'OFF')}${command('SUBSCRIBE', 'wire:ch')}PING\r\n*x\r\n`,
  `${command('CLIENT', 'REPLY', 'SKIP')}${command('RESET')}PING\r\n`,
  `${command('CLIENT', 'REPLY', 'OFF')}${command('RESET')}PING\r\n`,
  `${command('MULTI')}${command('CLIENT', 'REPLY', 'OFF')}PING\r\n${command('EXEC')}PING\r\n`,
  `${command('PSUBSCRIBE', 'wire:*')}${command('EXEC')}*x\r\n`,
  'EXEC x\r\nMULTI\r\nSET wire:k 1\r\nEXEC x\r\nEXEC\r\n',
  `HELLO 3\r\n${command('CLIENT', 'REPLY', 'OFF')}${command('SUBSCRIBE', 'wire:ch')}${command('PUBLISH', 'wire:ch', 'm')}${command('CLIENT', 'REPLY', 'ON')}`,
];

test('curated byte streams get the same bytes back from Depot and redis-server', async () => {
  for (const stream of CURATED) {
    const chunks = [Buffer.from(stream, 'latin1')];
    const [d, r] = await Promise.all([exchange(servers.depot.port, chunks), exchange(servers.redis.port, chunks)]);
    assert.equal(d.closed, r.closed, JSON.stringify(stream));
    assert.equal(withoutIds(d.bytes), withoutIds(r.bytes), JSON.stringify(stream));
  }
});
