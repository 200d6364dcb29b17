// What a group sends is trimmed without losing anything the receiver needs: a leader's appends
// without entries wait for a turn and yield to an append with entries for the same follower;
// a follower's acknowledgements in one batch fold into the highest, and nothing else does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { message, MessageType, type Entry, type Message } from '../../src/raft/core/types.js';
import { coalesceAcks, CommitNews } from '../../src/raft/driver/outgoing.js';

const entry = (index: number): Entry => ({ index, term: 2, timestamp: 0, type: 2, payload: Buffer.from('x') });
const app = (to: number, index: number, commit: number, entries: Entry[] = []): Message =>
  message({ type: MessageType.App, from: 1, to, term: 2, index, logTerm: 2, commit, entries });
const ack = (index: number, fields: Partial<Message> = {}): Message =>
  message({ type: MessageType.AppResp, from: 2, to: 1, term: 2, index, ...fields });

test('appends without entries are held, the latest per follower, until taken', () => {
  const news = new CommitNews();
  const hb = message({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2 });
  assert.deepEqual(news.filter([app(2, 10, 9), hb, app(3, 10, 9)]), [hb]);
  assert.deepEqual(news.filter([app(2, 10, 10)]), []);
  assert.equal(news.size, 2);
  assert.deepEqual(news.take(), [app(2, 10, 10), app(3, 10, 9)]);
  assert.equal(news.size, 0);
  assert.deepEqual(news.take(), []);
});

test('an append with entries goes at once and supersedes what is held for its follower only', () => {
  const news = new CommitNews();
  news.filter([app(2, 10, 10), app(3, 10, 10)]);
  const next = app(2, 10, 10, [entry(11), entry(12)]);
  assert.deepEqual(news.filter([next]), [next]);
  assert.deepEqual(news.take(), [app(3, 10, 10)]);
});

test('acknowledgements of appends fold into the highest', () => {
  assert.deepEqual(coalesceAcks([ack(5), ack(9), ack(7)]), [ack(9)]);
  assert.deepEqual(coalesceAcks([ack(5)]), [ack(5)]);
});

test('batches holding anything but acknowledgements of one term are left alone', () => {
  const mixed = [
    [ack(5), ack(9, { reject: true, rejectHint: 4 })],
    [ack(5), ack(9, { term: 3 })],
    [ack(5), message({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: 2 })],
  ];
  for (const list of mixed) assert.deepEqual(coalesceAcks(list), list);
});
