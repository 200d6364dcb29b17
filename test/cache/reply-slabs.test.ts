// Reply slabs are reused once their views are written (protocol/resp/writer.ts). Through the
// real server: clients that read at once get every byte right while slabs go round, and a
// client that stops reading, whose replies the socket layer holds, gets its replies intact
// after the others have written many slabs' worth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { startDepot } from '../helpers/cache-servers.js';
import { RespClient, encodeCommand } from '../helpers/cache-resp-client.js';
import { Incomplete, parseReply } from '../../src/protocol/resp/reply-reader.js';

const KEYS = 300;

/** A distinct value per key, 1,000 to 3,000 bytes, so that a reply from the wrong bytes shows. */
function valueOf(i: number): string {
  const body = `${i}:${'abcdefghijklmnopqrstuvwxyz'.slice(i % 26)}`;
  return `<${body.repeat(Math.ceil((1000 + (i * 7) % 2000) / body.length))}>`;
}

function getPipeline(keys: readonly number[]): Buffer {
  return Buffer.concat(keys.map((k) => encodeCommand(['GET', `k:${k}`])));
}

test('replies stay intact while reply slabs are reused, for clients that read and one that does not', async () => {
  const depot = await startDepot(['--appendonly', 'no']);
  try {
    const seed = await RespClient.open(depot.port);
    for (let i = 0; i < KEYS; i++) seed.send('SET', `k:${i}`, valueOf(i));
    for (let i = 0; i < KEYS; i++) assert.deepEqual(await seed.next(), { t: 'simple', v: 'OK' });
    seed.close();

    // The slow client: 300 pipelines of 20 GETs (about 12 MB of replies), sent a millisecond
    // apart so that each is read, run and answered on its own, from the shared slabs (one
    // pipeline of them all would be answered in one large reply outside the pool); not read
    // until the others are done. Its socket's queue fills, so most of its replies are held by
    // the socket layer while the slabs they are in would otherwise be reused.
    const slowKeys = Array.from({ length: 6000 }, (_, j) => (j * 37) % KEYS);
    const slow = connect({ port: depot.port, host: '127.0.0.1' });
    await once(slow, 'connect');
    const chunks: Buffer[] = [];
    slow.on('data', (c: Buffer) => chunks.push(c));
    slow.pause();
    for (let j = 0; j < slowKeys.length; j += 20) {
      slow.write(getPipeline(slowKeys.slice(j, j + 20)));
      await new Promise((r) => setTimeout(r, 1));
    }

    const fast = await Promise.all(Array.from({ length: 8 }, () => RespClient.open(depot.port)));
    await Promise.all(
      fast.map(async (c, n) => {
        for (let round = 0; round < 100; round++) {
          const keys = Array.from({ length: 40 }, (_, j) => (n * 101 + round * 13 + j * 7) % KEYS);
          c.write(getPipeline(keys));
          for (const k of keys) assert.deepEqual(await c.next(), { t: 'bulk', v: valueOf(k) }, `fast client ${n}, round ${round}, key ${k}`);
        }
      }),
    );
    for (const c of fast) c.close();

    slow.resume();
    const replies: string[] = [];
    let buffered = Buffer.alloc(0);
    while (replies.length < slowKeys.length) {
      if (chunks.length === 0) await once(slow, 'data');
      buffered = Buffer.concat([buffered, ...chunks.splice(0)]);
      let pos = 0;
      for (;;) {
        try {
          const r = parseReply(buffered, pos);
          assert.equal(r.reply.t, 'bulk');
          replies.push(String(r.reply.v));
          pos = r.next;
        } catch (err) {
          if (err instanceof Incomplete) break;
          throw err;
        }
      }
      buffered = buffered.subarray(pos);
    }
    slow.destroy();
    slowKeys.forEach((k, j) => assert.equal(replies[j], valueOf(k), `slow client's reply ${j} (key ${k})`));
  } finally {
    await depot.stop();
  }
});
