// Message lookup for operations: by message id (it says where the message is: log index and
// byte position), by key (the key index, then the entry to check the real key) and by store
// time (each queue's time index). Only messages still served are found: not expired, not of a
// deleted topic, not deleted from the log.
import { DepotError, isDepotError } from '../../util/errors.js';
import { hash53 } from '../../log/hash.js';
import type { StoredMessage } from '../../protocol/native/lookup.js';
import { BATCH_HEADER_BYTES, batchCount, storedRecordKeyAt, storedRecordSize } from '../../protocol/native/record-batch.js';
import { CommandType, decodeCommand } from '../machine/commands.js';
import { firstOffsetAtOrAfter, type MessageStore } from './message-store.js';
import { KEY_VALUE_SHIFT, topicSeed } from './reput.js';

/** Most messages one lookup returns. */
export const MAX_LOOKUP_MESSAGES = 1000;
/** Most record bytes one lookup returns (a response stays well under the frame limit). */
const MAX_LOOKUP_BYTES = 4 * 1024 * 1024;

interface Located {
  topic: string;
  queue: number;
  /** The message's number within its batch. */
  ordinal: number;
  position: number;
  size: number;
}

function notFound(what: string): DepotError {
  return new DepotError('MESSAGE_NOT_FOUND', `no stored message ${what}`);
}

/** The message at `position` of the Produce entry `payload`, if a record starts there. */
function locateAt(payload: Buffer, position: number): Located | undefined {
  const cmd = decodeCommand(payload);
  if (cmd.type !== CommandType.Produce) return undefined;
  let pos = cmd.batchOffset + BATCH_HEADER_BYTES;
  for (let i = 0, n = batchCount(cmd.batch); i < n && pos <= position; i++) {
    const size = storedRecordSize(payload, pos);
    if (pos === position) return { topic: cmd.topic, queue: cmd.queue, ordinal: i, position, size };
    pos += size;
  }
  return undefined;
}

/** The message number `ordinal` of the Produce entry `payload`. */
function locateOrdinal(payload: Buffer, ordinal: number): Located | undefined {
  const cmd = decodeCommand(payload);
  if (cmd.type !== CommandType.Produce || ordinal >= batchCount(cmd.batch)) return undefined;
  let pos = cmd.batchOffset + BATCH_HEADER_BYTES;
  for (let i = 0; i < ordinal; i++) pos += storedRecordSize(payload, pos);
  return { topic: cmd.topic, queue: cmd.queue, ordinal, position: pos, size: storedRecordSize(payload, pos) };
}

async function payloadOf(store: MessageStore, logIndex: number): Promise<Buffer | undefined> {
  try {
    return await store.readPayload(logIndex);
  } catch (err) {
    if (isDepotError(err, 'INDEX_COMPACTED') || isDepotError(err, 'INDEX_OUT_OF_RANGE')) return undefined;
    throw err;
  }
}

/** The served message `at` describes, with its queue offset, or undefined. */
function served(store: MessageStore, brokerGroup: number, logIndex: number, payload: Buffer, at: Located): StoredMessage | undefined {
  const q = store.queue(at.topic, at.queue);
  if (q === undefined) return undefined;
  const first = firstOffsetAtOrAfter(q, logIndex);
  const offset = first + at.ordinal;
  if (offset >= q.end) return undefined;
  const r = q.index.get(offset);
  // A duplicate batch, or a topic deleted and created again, has entries the index never held.
  if (r.logIndex !== logIndex || r.position !== at.position) return undefined;
  return { brokerGroup, topic: at.topic, queue: at.queue, offset, storeTimestamp: r.timestamp, logIndex, position: at.position, record: payload.subarray(at.position, at.position + at.size) };
}

export async function getMessage(store: MessageStore, brokerGroup: number, logIndex: number, position: number): Promise<StoredMessage> {
  const what = `at log index ${logIndex}, position ${position}`;
  const payload = await payloadOf(store, logIndex);
  const at = payload === undefined ? undefined : locateAt(payload, position);
  const m = at === undefined ? undefined : served(store, brokerGroup, logIndex, payload!, at);
  if (m === undefined) throw notFound(what);
  return m;
}

/** Messages of `topic` with `key`, newest first, at most `max`. */
export async function findByKey(store: MessageStore, brokerGroup: number, topic: string, key: string, max: number): Promise<StoredMessage[]> {
  const keyBytes = Buffer.from(key, 'utf8');
  const limit = Math.min(Math.max(1, max), MAX_LOOKUP_MESSAGES);
  // Hash collisions are filtered below: ask for a few more than wanted.
  const values = store.keys.getHash(hash53(keyBytes, topicSeed(topic)), limit + 16);
  const out: StoredMessage[] = [];
  let bytes = 0;
  for (const v of values) {
    if (out.length >= limit || bytes >= MAX_LOOKUP_BYTES) break;
    const logIndex = Math.floor(v / KEY_VALUE_SHIFT);
    const payload = await payloadOf(store, logIndex);
    const at = payload === undefined ? undefined : locateOrdinal(payload, v % KEY_VALUE_SHIFT);
    if (at === undefined || at.topic !== topic) continue;
    const k = storedRecordKeyAt(payload!, at.position);
    if (k < 0 || !payload!.subarray(k + 2, k + 2 + payload!.readUInt16BE(k)).equals(keyBytes)) continue;
    const m = served(store, brokerGroup, logIndex, payload!, at);
    if (m === undefined) continue;
    out.push(m);
    bytes += m.record.length;
  }
  return out;
}

/** Per queue of `topic` (in queue order), up to `max` messages stored at or after `timestamp`. */
export async function findByTime(store: MessageStore, brokerGroup: number, topic: string, queues: number, timestamp: number, max: number): Promise<StoredMessage[]> {
  const perQueue = Math.min(Math.max(1, max), MAX_LOOKUP_MESSAGES);
  const out: StoredMessage[] = [];
  let bytes = 0;
  for (let queue = 0; queue < queues && out.length < MAX_LOOKUP_MESSAGES && bytes < MAX_LOOKUP_BYTES; queue++) {
    if (store.queue(topic, queue) === undefined) continue;
    const from = store.offsetForTimestamp(topic, queue, timestamp);
    const r = await store.read({ topic, queue, from, tags: undefined, maxMessages: Math.min(perQueue, MAX_LOOKUP_MESSAGES - out.length), maxBytes: MAX_LOOKUP_BYTES - bytes });
    for (const run of r.runs) {
      for (let i = 0, at = 0; i < run.count; i++) {
        const record = run.records.subarray(at, at + storedRecordSize(run.records, at));
        out.push({ brokerGroup, topic, queue, offset: run.offset + i, storeTimestamp: run.storeTimestamp, logIndex: run.logIndex, position: run.position + at, record });
        at += record.length;
      }
      bytes += run.records.length;
    }
  }
  return out;
}
