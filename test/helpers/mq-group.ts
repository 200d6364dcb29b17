// A single-replica Group for the queue engine's tests and fixture server, until the raft driver
// lands: proposals are appended with one write and (with a directory) one fdatasync per group
// commit — everything proposed while the previous write was in flight goes in the next — then
// applied in order: the contract of src/raft/group.ts with a quorum of one.
// With a directory the log survives a crash: torn tails are cut at the first bad CRC on open.
//
// Record: length u32 (bytes after it) | crc u32 (CRC-32C of the rest) | index f64 | timestamp f64 |
//         type u8 | payload
import { openSync, readFileSync, closeSync, ftruncateSync, existsSync, mkdirSync, read, writev, fdatasync } from 'node:fs';
import { join } from 'node:path';
import type { Entry, Group, GroupStatus, Proposal, StateMachine } from '../../src/raft/group.js';
import { EntryType } from '../../src/raft/group.js';
import { crc32c } from '../../src/util/crc32c.js';
import { DepotError } from '../../src/util/errors.js';
import type { LogReader } from '../../src/broker/store/log-reader.js';

const HEAD = 4 + 4 + 8 + 8 + 1;

interface Pending {
  entry: Entry;
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
}

export class QueueTestGroup<R> implements Group<R>, LogReader {
  private fd: number | undefined;
  private filePos = 0;
  private positions: number[] = [0];
  private readonly payloads: Buffer[] | undefined;
  private lastIndex = 0;
  private lastTimestamp = 0;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private flushing = false;
  private idle: Array<() => void> = [];
  private closed = false;

  private constructor(readonly id: string, private readonly sm: StateMachine<R>, dir: string | undefined, private readonly clock: () => number) {
    if (dir === undefined) {
      this.payloads = [Buffer.alloc(0)];
      return;
    }
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const file = join(dir, 'log');
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
  }

  /** Opens (and with a directory, recovers and replays) a group running `sm`. */
  static open<R>(id: string, sm: StateMachine<R>, dir?: string, clock: () => number = Date.now): QueueTestGroup<R> {
    const g = new QueueTestGroup(id, sm, dir, clock);
    if (dir !== undefined) g.recover(join(dir, 'log'));
    return g;
  }

  private recover(file: string): void {
    const data = readFileSync(file);
    let pos = 0;
    while (pos + HEAD <= data.length) {
      const len = data.readUInt32BE(pos);
      if (len < HEAD - 4 || pos + 4 + len > data.length) break;
      if (crc32c(data.subarray(pos + 8, pos + 4 + len)) !== data.readUInt32BE(pos + 4)) break;
      const entry: Entry = {
        index: data.readDoubleBE(pos + 8),
        term: 1,
        timestamp: data.readDoubleBE(pos + 16),
        type: data.readUInt8(pos + 24),
        payload: Buffer.from(data.subarray(pos + HEAD, pos + 4 + len)),
      };
      if (entry.index !== this.lastIndex + 1) break;
      this.positions.push(pos);
      this.lastIndex = entry.index;
      this.lastTimestamp = entry.timestamp;
      try {
        this.sm.apply(entry);
      } catch {
        // A command rejected by apply is still applied (it changed nothing), as on first run.
      }
      pos += 4 + len;
    }
    this.filePos = pos;
    if (pos < data.length) ftruncateSync(this.fd!, pos);
  }

  status(): GroupStatus {
    return { id: this.id, isLeader: true, leaderAddress: undefined, term: 1, commitIndex: this.lastIndex, appliedIndex: this.lastIndex };
  }

  propose(payload: Buffer): Proposal<R> {
    if (this.closed) throw new DepotError('SHUTTING_DOWN', `group ${this.id} is closed`);
    const index = ++this.lastIndex;
    this.lastTimestamp = Math.max(this.lastTimestamp, this.clock());
    const entry: Entry = { index, term: 1, timestamp: this.lastTimestamp, type: EntryType.Command, payload };
    let resolve!: (r: unknown) => void;
    let reject!: (e: unknown) => void;
    const applied = new Promise<R>((res, rej) => {
      resolve = res as (r: unknown) => void;
      reject = rej;
    });
    this.pending.push({ entry, resolve, reject });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return { index, applied };
  }

  /** Appends what was proposed since the last write with one write and one fdatasync, then applies it in order. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.flushing || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (this.fd === undefined) {
      for (const p of batch) this.payloads!.push(p.entry.payload);
      this.applyAll(batch);
      return;
    }
    const bufs: Buffer[] = [];
    let at = this.filePos;
    for (const p of batch) {
      const head = Buffer.allocUnsafe(HEAD);
      head.writeUInt32BE(HEAD - 4 + p.entry.payload.length, 0);
      head.writeDoubleBE(p.entry.index, 8);
      head.writeDoubleBE(p.entry.timestamp, 16);
      head.writeUInt8(p.entry.type, 24);
      head.writeUInt32BE(crc32c(p.entry.payload, crc32c(head.subarray(8))), 4);
      this.positions.push(at);
      at += head.length + p.entry.payload.length;
      bufs.push(head, p.entry.payload);
    }
    this.flushing = true;
    const fd = this.fd;
    writeAll(fd, bufs, this.filePos, (err) => {
      if (err !== null) throw err;
      fdatasync(fd, (err2) => {
        if (err2 !== null) throw err2;
        this.filePos = at;
        this.flushing = false;
        this.applyAll(batch);
        if (this.pending.length > 0) this.flush();
        else this.idle.splice(0).forEach((f) => f());
      });
    });
  }

  private applyAll(batch: Pending[]): void {
    for (const p of batch) {
      try {
        p.resolve(this.sm.apply(p.entry));
      } catch (err) {
        p.reject(err);
      }
    }
  }

  read<T>(fn: () => T): Promise<T> {
    return new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    }));
  }

  onLeadershipChange(listener: (isLeader: boolean) => void): () => void {
    queueMicrotask(() => listener(true));
    return () => undefined;
  }

  async readPayload(index: number): Promise<Buffer> {
    if (index < 1 || index > this.lastIndex) throw new DepotError('INDEX_OUT_OF_RANGE', `no entry ${index}`);
    if (this.payloads !== undefined) return this.payloads[index]!;
    const pos = this.positions[index]!;
    const head = await readAt(this.fd!, Buffer.allocUnsafe(4), pos);
    return readAt(this.fd!, Buffer.allocUnsafe(head.readUInt32BE(0) - (HEAD - 4)), pos + HEAD);
  }

  /** Stops taking proposals, waits for what was proposed to be written and applied, closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    while (this.flushing || this.pending.length > 0) await new Promise<void>((r) => this.idle.push(r));
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function readAt(fd: number, into: Buffer, position: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    read(fd, into, 0, into.length, position, (err, n) => (err !== null ? reject(err) : n === into.length ? resolve(into) : reject(new Error(`short read at ${position}`)))),
  );
}

/** writev, continued until every byte is written (writev may write less than asked). */
function writeAll(fd: number, bufs: Buffer[], position: number, done: (err: NodeJS.ErrnoException | null) => void): void {
  // Linux caps one writev at 1024 buffers (IOV_MAX).
  const chunk = bufs.slice(0, 1024);
  const total = chunk.reduce((n, b) => n + b.length, 0);
  writev(fd, chunk, position, (err, written) => {
    if (err !== null) return done(err);
    const rest = bufs.slice(chunk.length);
    if (written < total) {
      let skip = written;
      while (skip >= chunk[0]!.length) skip -= chunk.shift()!.length;
      chunk[0] = chunk[0]!.subarray(skip);
      rest.unshift(...chunk);
    }
    if (rest.length === 0) return done(null);
    writeAll(fd, rest, position + written, done);
  });
}
