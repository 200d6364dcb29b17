// The checkpoint of a broker group's queue indexes: which log index they cover and, for every
// queue, its offset index state and the first offset it serves (retention moves it). One file
// for all queues, replaced atomically, so 10,000 queues cost one write per checkpoint and no
// file per queue (docs/storage.md, "Queue indexes"). Little-endian like the rest of storage.
//
//   0   8  magic "DEPOTQCK"
//   8   u32 version (1)
//   12  u32 number of queues n
//   16  u64 covered log index: every Produce and DropTopic entry up to here is in the indexes
//   24  n × queue: u16 topic length | topic (UTF-8) | u32 queue | u64 start offset |
//                 64-byte offset index state (docs/storage.md, offset index `checkpoint`)
//   …   u32 CRC-32C of every byte before it
import { crc32c } from '../../util/crc32c.js';
import { DepotError } from '../../util/errors.js';
import { OFFSET_INDEX_STATE_BYTES } from '../../log/offset-index.js';

const MAGIC = Buffer.from('DEPOTQCK', 'latin1');
const VERSION = 1;
const HEADER = 24;
const TWO_32 = 0x1_0000_0000;

export interface QueueCheckpoint {
  topic: string;
  queue: number;
  start: number;
  /** The offset index's encoded state (OffsetIndex.captureState). */
  state: Buffer;
}

export interface StoreCheckpoint {
  covered: number;
  queues: QueueCheckpoint[];
}

export function encodeStoreCheckpoint(c: StoreCheckpoint): Buffer {
  let bytes = HEADER + 4;
  for (const q of c.queues) bytes += 2 + Buffer.byteLength(q.topic) + 4 + 8 + OFFSET_INDEX_STATE_BYTES;
  const b = Buffer.alloc(bytes);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(VERSION, 8);
  b.writeUInt32LE(c.queues.length, 12);
  writeU64(b, c.covered, 16);
  let at = HEADER;
  for (const q of c.queues) {
    const n = b.write(q.topic, at + 2, 'utf8');
    b.writeUInt16LE(n, at);
    at += 2 + n;
    b.writeUInt32LE(q.queue, at);
    writeU64(b, q.start, at + 4);
    q.state.copy(b, at + 12);
    at += 12 + OFFSET_INDEX_STATE_BYTES;
  }
  b.writeUInt32LE(crc32c(b.subarray(0, at)), at);
  return b;
}

/** The checkpoint in `b`; a store that was never checkpointed (no file) is empty. */
export function decodeStoreCheckpoint(b: Buffer | undefined, file: string): StoreCheckpoint {
  if (b === undefined) return { covered: 0, queues: [] };
  const damaged = (why: string) => new DepotError('CORRUPT_LOG', `queue index checkpoint ${file} is damaged (${why})`, { details: { file } });
  if (b.length < HEADER + 4 || !b.subarray(0, 8).equals(MAGIC)) throw damaged('bad header');
  if (b.readUInt32LE(8) !== VERSION) throw damaged(`version ${b.readUInt32LE(8)}`);
  if (crc32c(b.subarray(0, b.length - 4)) !== b.readUInt32LE(b.length - 4)) throw damaged('checksum');
  const n = b.readUInt32LE(12);
  const covered = readU64(b, 16);
  const queues: QueueCheckpoint[] = [];
  let at = HEADER;
  for (let i = 0; i < n; i++) {
    const len = b.readUInt16LE(at);
    if (at + 2 + len + 12 + OFFSET_INDEX_STATE_BYTES > b.length - 4) throw damaged('truncated');
    const topic = b.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    queues.push({ topic, queue: b.readUInt32LE(at), start: readU64(b, at + 4), state: Buffer.from(b.subarray(at + 12, at + 12 + OFFSET_INDEX_STATE_BYTES)) });
    at += 12 + OFFSET_INDEX_STATE_BYTES;
  }
  if (at !== b.length - 4) throw damaged('trailing bytes');
  return { covered, queues };
}

function writeU64(b: Buffer, v: number, at: number): void {
  b.writeUInt32LE(v % TWO_32, at);
  b.writeUInt32LE(Math.floor(v / TWO_32), at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * TWO_32;
}
