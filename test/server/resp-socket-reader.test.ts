// adoptReading relies on Node internals (socket-reader.ts): these tests fail if a Node release
// changes them, before the cache server would misbehave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { adoptReading } from '../../src/server/resp/socket-reader.js';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  assert.ok(typeof a === 'object' && a !== null);
  return a.port;
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

test('adopted sockets read into the shared buffer, write, and are counted by the server until they close', async () => {
  const server = createServer({ pauseOnConnect: true });
  const adopted: Socket[] = [];
  server.on('connection', (accepted: Socket) => {
    const socket = adoptReading(server, accepted, (bytes) => {
      // Echo upper-cased: the view is only valid now, so the reply is built before returning.
      socket.write(Buffer.from(bytes.toString('latin1').toUpperCase(), 'latin1'));
    });
    adopted.push(socket);
  });
  const port = await listen(server);
  const clients = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const c = connect(port, '127.0.0.1');
      await once(c, 'connect');
      c.write(`hello ${i} `.repeat(20_000)); // several reads per connection
      return c;
    }),
  );
  const echoed = await Promise.all(
    clients.map(async (c, i) => {
      const want = `HELLO ${i} `.repeat(20_000).length;
      let got = '';
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer): void => {
          got += chunk.toString('latin1');
          if (got.length < want) return;
          c.off('data', onData);
          resolve();
        };
        c.on('data', onData);
      });
      return got;
    }),
  );
  echoed.forEach((text, i) => assert.equal(text, `HELLO ${i} `.repeat(20_000)));
  assert.equal(await connections(server), 3);
  assert.ok(adopted.every((s) => s.remoteAddress === '127.0.0.1'));

  // A client that leaves is no longer counted; close() completes once the others are gone.
  clients[0]!.destroy();
  await once(adopted[0]!, 'close');
  assert.equal(await connections(server), 2);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of adopted) s.destroy();
  await closed;
  for (const c of clients) c.destroy();
});
