// A whole RDB file as Redis 7.0 writes one (rdb.c's rdbSaveRio), written in pieces as records
// arrive (the keyspace's capture order, databases interleaved):
//
//   "REDIS0010" | aux fields (0xFA str key, str value)... | functions (0xF5 str code)...
//   | per run of keys of one database: 0xFE len db [0xFB len keys, len expires on its first run]
//   | per key: [0xFC u64 LE ms expiry] type key value | 0xFF | u64 LE CRC-64 of all before it
//
// A loader takes a SELECTDB wherever it comes, so a key written out of turn by copy-on-write
// just opens another run of its database. Values use rdb/value.ts's encodings; a large
// collection is written element by element (`open`), and the keys written meanwhile follow it.
import { assert } from '../../util/assert.js';
import { Crc64 } from './crc64.js';
import { encodeLength, encodeString, OPCODE_FUNCTION2, RDB_VERSION } from './payload.js';
import { encodeValue, type RdbValue } from './value.js';

const OPCODE_AUX = 0xfa;
const OPCODE_RESIZEDB = 0xfb;
const OPCODE_EXPIRETIME_MS = 0xfc;
const OPCODE_SELECTDB = 0xfe;
const OPCODE_EOF = 0xff;

/** A run of the file's bytes: its main sequence, or the records kept aside while one is open. */
class Lane {
  parts: Buffer[] = [];
  bytes = 0;
  /** The database of the last key written here, -1 before the first. */
  db = -1;

  push(...bufs: Buffer[]): void {
    for (const b of bufs) {
      this.parts.push(b);
      this.bytes += b.length;
    }
  }
}

export class RdbFileWriter {
  private main = new Lane();
  /** Records written while one is open (`open`), which follow it. */
  private aside: Lane | null = null;
  private readonly crc = new Crc64();
  private readonly sized = new Set<number>();

  /** `aux`: the header's fields (redis-ver, ctime, ...) in order. */
  constructor(aux: readonly (readonly [string, string])[]) {
    this.main.push(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
    for (const [key, value] of aux) this.main.push(Buffer.of(OPCODE_AUX), encodeString(key), encodeString(value));
  }

  /** A function library's code (before any key, as Redis writes them). */
  library(code: string): void {
    this.main.push(Buffer.of(OPCODE_FUNCTION2), encodeString(code));
  }

  /**
   * A key of database `db`; `sizes` (keys and keys with an expiry) is the database's RESIZEDB
   * hint, written on its first run only.
   */
  key(db: number, sizes: () => readonly [number, number], key: string, value: RdbValue, pxat: number): void {
    const lane = this.aside ?? this.main;
    const encoded = encodeValue(value);
    // encodeValue's first byte is the value's type, which comes before the key.
    this.head(lane, db, sizes, key, encoded[0]!, pxat);
    lane.push(encoded.subarray(1));
  }

  /**
   * Starts a key whose value is written in pieces: `type` (value.ts's PIECEWISE_TYPE), then
   * its `length`, `element`s, `score`s and `bytes` until `close`. Keys written meanwhile are
   * kept aside and follow it.
   */
  open(db: number, sizes: () => readonly [number, number], key: string, type: number, pxat: number): void {
    assert(this.aside === null, 'an RDB record is already open');
    this.head(this.main, db, sizes, key, type, pxat);
    this.aside = new Lane();
  }

  get opened(): boolean {
    return this.aside !== null;
  }

  /** A collection's length, in RDB's length encoding. */
  length(n: number): void {
    this.main.push(encodeLength(n));
  }

  /** A string of the open key's value. */
  element(s: string): void {
    this.main.push(encodeString(s));
  }

  /** A sorted set member's score, as a binary double. */
  score(x: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(x, 0);
    this.main.push(b);
  }

  /** Bytes of the open key's value encoded elsewhere (a stream's pieces). */
  bytes(b: Buffer): void {
    this.main.push(b);
  }

  close(): void {
    const aside = this.aside!;
    this.aside = null;
    this.main.push(...aside.parts);
    if (aside.db >= 0) this.main.db = aside.db;
  }

  private head(lane: Lane, db: number, sizes: () => readonly [number, number], key: string, type: number, pxat: number): void {
    if (db !== lane.db) {
      lane.db = db;
      lane.push(Buffer.of(OPCODE_SELECTDB), encodeLength(db));
      if (!this.sized.has(db)) {
        this.sized.add(db);
        const [keys, expires] = sizes();
        lane.push(Buffer.of(OPCODE_RESIZEDB), encodeLength(keys), encodeLength(expires));
      }
    }
    if (pxat > 0) {
      const at = Buffer.allocUnsafe(9);
      at[0] = OPCODE_EXPIRETIME_MS;
      at.writeBigUInt64LE(BigInt(Math.trunc(pxat)), 1);
      lane.push(at);
    }
    lane.push(Buffer.of(type), encodeString(key));
  }

  /** Bytes of the main sequence not taken yet. */
  get buffered(): number {
    return this.main.bytes;
  }

  /** The main sequence's bytes written since the last take. */
  take(): Buffer {
    const lane = this.main;
    const out = lane.parts.length === 1 ? lane.parts[0]! : Buffer.concat(lane.parts, lane.bytes);
    lane.parts = [];
    lane.bytes = 0;
    this.crc.update(out);
    return out;
  }

  /** EOF and the checksum of every byte taken before; nothing may be written after. */
  end(): Buffer {
    assert(this.aside === null, 'an RDB record is still open');
    const pending = this.take();
    const eof = Buffer.of(OPCODE_EOF);
    this.crc.update(eof);
    const sum = Buffer.allocUnsafe(8);
    sum.writeBigUInt64LE(this.crc.value, 0);
    return Buffer.concat([pending, eof, sum]);
  }
}
