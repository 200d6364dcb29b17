// Bad input from clients: clear typed errors, the connection closed when the byte stream can
// no longer be trusted, the server never crashes and nothing stored is lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueServer, type QueueServerProcess } from '../helpers/mq-server.js';
import { RawClient } from '../helpers/mq-raw-client.js';
import { Depot, isDepotError } from '../../src/client/index.js';
import { Api } from '../../src/protocol/native/apis.js';
import { encodeFrame, FrameKind } from '../../src/protocol/native/frame.js';
import { encodeProduceHead } from '../../src/protocol/native/produce.js';
import { encodeBatch } from '../../src/protocol/native/record-batch.js';

let server: QueueServerProcess;
let depot: Depot;

before(async () => {
  server = await startQueueServer();
  depot = await Depot.connect({ servers: [server.address] });
  await depot.admin.createTopic('t', { queues: 2, maxMessageBytes: 1024 });
});

after(async () => {
  await depot.close();
  await server.stop();
  server.cleanup();
});

test('garbage bytes get MALFORMED_FRAME and a closed connection; the server goes on', async () => {
  const raw = await RawClient.open(server.port, false);
  raw.send(Buffer.from([0, 0, 0, 2, 9, 9]));
  const f = await raw.next();
  assert.equal(f?.kind, FrameKind.Error);
  assert.equal(RawClient.error(f!).code, 'MALFORMED_FRAME');
  await raw.waitClosed();
  assert.equal((await depot.admin.listTopics()).length, 1);
});

test('a frame above the limit gets FRAME_TOO_LARGE and a closed connection', async () => {
  const raw = await RawClient.open(server.port);
  const head = Buffer.alloc(12);
  head.writeUInt32BE(512 * 1024 * 1024);
  raw.send(head);
  const f = await raw.next();
  assert.equal(RawClient.error(f!).code, 'FRAME_TOO_LARGE');
  await raw.waitClosed();
});

test('a request before Hello, an unknown api and a wrong version are typed errors', async () => {
  const noHello = await RawClient.open(server.port, false);
  assert.equal(RawClient.error(await noHello.request(Api.ListTopics, Buffer.alloc(0))).code, 'BAD_REQUEST');
  await noHello.waitClosed();
  const raw = await RawClient.open(server.port);
  const unknown = await raw.request(999, Buffer.alloc(0));
  assert.equal(RawClient.error(unknown).code, 'UNKNOWN_REQUEST');
  const truncated = await raw.request(Api.DescribeTopic, Buffer.from([0, 9, 1]));
  assert.equal(RawClient.error(truncated).code, 'MALFORMED_FRAME');
  raw.close();
  const old = await RawClient.open(server.port, false);
  const body = Buffer.from([0, 99, 0, 0, 0, 0, 0, 0]);
  assert.equal(RawClient.error(await old.request(Api.Hello, body)).code, 'UNSUPPORTED_VERSION');
});

test('unknown topics, unknown queues, oversized and corrupt messages are refused with their codes', async () => {
  const p = depot.producer();
  await assert.rejects(p.send('nope', { body: 'x' }), (e) => isDepotError(e, 'TOPIC_NOT_FOUND'));
  await assert.rejects(p.send('t', { body: 'x', queue: 5 }), (e) => isDepotError(e, 'QUEUE_NOT_FOUND'));
  await assert.rejects(p.send('t', { body: Buffer.alloc(2000) }), (e) => isDepotError(e, 'MESSAGE_TOO_LARGE'));
  const c = depot.consumer({ group: 'g', topic: 'nope' });
  await assert.rejects(c.start(), (e) => isDepotError(e, 'TOPIC_NOT_FOUND'));
  await c.close();
  const raw = await RawClient.open(server.port);
  const batch = encodeBatch([{ body: 'hello' }], 1);
  batch[batch.length - 1] ^= 1;
  const f = await raw.request(Api.Produce, Buffer.concat([encodeProduceHead({ topic: 't', queue: 0, producerId: 0, baseSequence: 0 }), batch]));
  assert.equal(RawClient.error(f).code, 'CRC_MISMATCH');
  raw.close();
  // The producer still works after its refused sends.
  const ok = await p.send('t', { body: 'fine', queue: 0 });
  assert.equal(ok.queue, 0);
});

test('a client that disconnects mid-batch stores nothing partial, and the rest is intact', async () => {
  const before = (await depot.admin.describeTopic('t')).queues[1]!.endOffset;
  const raw = await RawClient.open(server.port);
  const body = Buffer.concat([encodeProduceHead({ topic: 't', queue: 1, producerId: 0, baseSequence: 0 }), encodeBatch([{ body: 'a' }, { body: 'b' }], 1)]);
  const frame = encodeFrame(FrameKind.Request, Api.Produce, 1, body);
  raw.send(frame.subarray(0, frame.length - 3));
  await new Promise((r) => setTimeout(r, 50));
  raw.close();
  const p = depot.producer();
  await p.send('t', { body: 'after', queue: 1 });
  assert.equal((await depot.admin.describeTopic('t')).queues[1]!.endOffset, before + 1);
});
