// A whole RDB file as Redis 7.0 writes one (rdb.c's rdbSaveRio), written in pieces as records
// arrive (the keyspace's capture order, databases interleaved):
//
//   "REDIS0010" | aux fields (0xFA str key, str value)... | functions (0xF5 str code)...
//   | per run of keys of one database: 0xFE len db [0xFB len keys, len expires on its first run]
//   | per key: [0xFC u64 LE ms expiry] type key value | 0xFF | u64 LE CRC-64 of all before it
//
// A loader takes a SELECTDB wherever it comes, so a key written out of turn by copy-on-write
// just opens another run of its database. Values use rdb/value.ts's encodings.
import { Crc64 } from './crc64.js';
import { encodeLength, encodeString, OPCODE_FUNCTION2, RDB_VERSION } from './payload.js';
import { encodeValue, type RdbValue } from './value.js';

const OPCODE_AUX = 0xfa;
const OPCODE_RESIZEDB = 0xfb;
const OPCODE_EXPIRETIME_MS = 0xfc;
const OPCODE_SELECTDB = 0xfe;
const OPCODE_EOF = 0xff;

export class RdbFileWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private readonly crc = new Crc64();
  /** The database of the last key written, -1 before the first. */
  private db = -1;
  private readonly sized = new Set<number>();

  /** `aux`: the header's fields (redis-ver, ctime, ...) in order. */
  constructor(aux: readonly (readonly [string, string])[]) {
    this.push(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
    for (const [key, value] of aux) this.push(Buffer.of(OPCODE_AUX), encodeString(key), encodeString(value));
  }

  /** A function library's code (before any key, as Redis writes them). */
  library(code: string): void {
    this.push(Buffer.of(OPCODE_FUNCTION2), encodeString(code));
  }

  /**
   * A key of database `db`; `sizes` (keys and keys with an expiry) is the database's RESIZEDB
   * hint, written on its first run only.
   */
  key(db: number, sizes: () => readonly [number, number], key: string, value: RdbValue, pxat: number): void {
    if (db !== this.db) {
      this.db = db;
      this.push(Buffer.of(OPCODE_SELECTDB), encodeLength(db));
      if (!this.sized.has(db)) {
        this.sized.add(db);
        const [keys, expires] = sizes();
        this.push(Buffer.of(OPCODE_RESIZEDB), encodeLength(keys), encodeLength(expires));
      }
    }
    if (pxat > 0) {
      const at = Buffer.allocUnsafe(9);
      at[0] = OPCODE_EXPIRETIME_MS;
      at.writeBigUInt64LE(BigInt(Math.trunc(pxat)), 1);
      this.push(at);
    }
    const encoded = encodeValue(value);
    // encodeValue's first byte is the value's type, which comes before the key.
    this.push(encoded.subarray(0, 1), encodeString(key), encoded.subarray(1));
  }

  get buffered(): number {
    return this.bytes;
  }

  /** The bytes written since the last take. */
  take(): Buffer {
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    this.crc.update(out);
    return out;
  }

  /** EOF and the checksum of every byte taken before; nothing may be written after. */
  end(): Buffer {
    const pending = this.take();
    const eof = Buffer.of(OPCODE_EOF);
    this.crc.update(eof);
    const sum = Buffer.allocUnsafe(8);
    sum.writeBigUInt64LE(this.crc.value, 0);
    return Buffer.concat([pending, eof, sum]);
  }

  private push(...bufs: Buffer[]): void {
    for (const b of bufs) {
      this.parts.push(b);
      this.bytes += b.length;
    }
  }
}
