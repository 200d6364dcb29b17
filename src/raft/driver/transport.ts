// Raft traffic between nodes over TCP, framed like the native protocol. Each node dials one
// connection to each peer and sends every group's messages on it (multi-raft); it accepts the
// peers' connections for what they send. Queues are bounded: raft tolerates loss, so a full
// queue drops and reports the peer unreachable instead of buffering without limit.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { DepotError } from '../../util/errors.js';
import { encodeFrame, FrameKind } from '../../protocol/native/frame.js';
import type { ByteReader } from '../core/byte-reader.js';
import { RaftFrameReader } from './frame-reader.js';
import type { Message } from '../core/types.js';
import { decodeHello, decodeSnapshotChunk, readMessages, encodeHello, encodeMessagesFrame, encodeSnapshotChunk, RaftApi, SharedEntries, type SnapshotChunk } from './wire.js';

export interface TransportHandler {
  onMessages(group: string, messages: Message[]): void;
  onSnapshotChunk(chunk: SnapshotChunk): void;
  /** Traffic to `nodeId` was dropped (connection lost or queue full). */
  onUnreachable(nodeId: number): void;
}

export interface TransportOptions {
  nodeId: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Address ("host:port") of a peer, from configuration or membership. */
  resolve(nodeId: number): string | undefined;
  /** Bytes buffered per peer before frames are dropped. Default 64 MiB. */
  maxQueueBytes?: number;
  /** Largest frame accepted. Default 96 MiB. */
  maxFrameBytes?: number;
}

const RECONNECT_MIN_MS = 20;
const RECONNECT_MAX_MS = 1000;
/** A snapshot sender waits while more than this is buffered on the socket. */
const SNAPSHOT_HIGH_WATER = 4 << 20;

class PeerLink {
  private socket: Socket | undefined;
  private connected = false;
  /** Frames queued while connecting, each as the pieces of one write. */
  private pending: (readonly Buffer[])[] = [];
  private pendingBytes = 0;
  private backoffMs = RECONNECT_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private corked = false;

  constructor(
    private readonly t: RaftTransport,
    readonly nodeId: number,
  ) {}

  /** Queues a frame (given as its pieces); false when it was dropped, as a whole. */
  send(frame: readonly Buffer[]): boolean {
    if (this.closed) return false;
    let bytes = 0;
    for (const piece of frame) bytes += piece.length;
    if (!this.connected) {
      if (this.pendingBytes + bytes > this.t.maxQueueBytes) return false;
      this.pending.push(frame);
      this.pendingBytes += bytes;
      this.connect();
      return true;
    }
    const s = this.socket!;
    if (s.writableLength + bytes > this.t.maxQueueBytes) return false;
    if (!this.corked) {
      // Everything sent in this turn leaves in one write, unless flushed earlier.
      this.corked = true;
      s.cork();
      process.nextTick(() => this.flush());
    }
    for (const piece of frame) s.write(piece);
    return true;
  }

  /** Writes what this turn queued now. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
  }

  /** Resolves once the socket has room again (for bulk snapshot data); rejects when it breaks. */
  async drained(): Promise<void> {
    const s = this.socket;
    if (s === undefined) throw new DepotError('CONNECTION_CLOSED', `no connection to node ${this.nodeId}`);
    if (this.connected && s.writableLength < SNAPSHOT_HIGH_WATER) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        s.off('drain', ok);
        s.off('connect', ok);
        s.off('close', closed);
        if (err) reject(err);
        else resolve();
      };
      const ok = () => done();
      const closed = () => done(new DepotError('CONNECTION_CLOSED', `connection to node ${this.nodeId} closed`));
      s.once(this.connected ? 'drain' : 'connect', ok);
      s.once('close', closed);
    });
  }

  private connect(): void {
    if (this.socket !== undefined || this.timer !== undefined || this.closed) return;
    const addr = this.t.resolveAddress(this.nodeId);
    if (addr === undefined) {
      this.fail();
      return;
    }
    const s = createConnection({ host: addr.host, port: addr.port, noDelay: true });
    this.socket = s;
    s.on('connect', () => {
      this.connected = true;
      this.backoffMs = RECONNECT_MIN_MS;
      s.write(encodeFrame(FrameKind.Request, RaftApi.Hello, 0, encodeHello(this.t.nodeId)));
      const queued = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      for (const f of queued) this.send(f);
    });
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => this.fail());
  }

  private fail(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.connected = false;
    this.corked = false;
    this.pending = [];
    this.pendingBytes = 0;
    this.t.reportUnreachable(this.nodeId);
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending.length > 0) this.connect();
    }, this.backoffMs);
    this.timer.unref();
    this.backoffMs = Math.min(RECONNECT_MAX_MS, this.backoffMs * 2);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
  }
}

export class RaftTransport {
  readonly nodeId: number;
  readonly maxQueueBytes: number;
  private readonly maxFrameBytes: number;
  private readonly links = new Map<number, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private server: Server | undefined;
  private boundAddress = '';
  private shared: SharedEntries | undefined;

  private constructor(
    private readonly opts: TransportOptions,
    private readonly handler: TransportHandler,
  ) {
    this.nodeId = opts.nodeId;
    this.maxQueueBytes = opts.maxQueueBytes ?? 64 << 20;
    this.maxFrameBytes = opts.maxFrameBytes ?? 96 << 20;
  }

  static async listen(opts: TransportOptions, handler: TransportHandler): Promise<RaftTransport> {
    const t = new RaftTransport(opts, handler);
    await t.startServer();
    return t;
  }

  /** The address this node listens on ("host:port"). */
  get address(): string {
    return this.boundAddress;
  }

  private startServer(): Promise<void> {
    const server = createServer((s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new DepotError('INTERNAL', `raft transport cannot listen: ${err.message}`, { cause: err })));
      server.listen(this.opts.port, this.opts.host, () => {
        const a = server.address();
        if (a !== null && typeof a === 'object') this.boundAddress = `${this.opts.host}:${a.port}`;
        resolve();
      });
    });
  }

  private accept(s: Socket): void {
    this.inbound.add(s);
    s.setNoDelay(true);
    let peer = 0;
    const reader = new RaftFrameReader(this.maxFrameBytes, (api, body, bodyBytes) => {
      peer = this.dispatch(api, body, bodyBytes, peer);
    });
    s.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => this.inbound.delete(s));
  }

  /** Handles one inbound frame, reading its body from `body`; returns the peer id (set by the hello). */
  private dispatch(api: number, body: ByteReader, bodyBytes: number, peer: number): number {
    if (peer === 0) {
      if (api !== RaftApi.Hello) throw new DepotError('MALFORMED_FRAME', 'raft connection must start with hello');
      return decodeHello(body.bytes(bodyBytes));
    }
    if (api === RaftApi.Messages) {
      // Entry payloads stay views into the socket reads (fresh buffers, never reused). The log
      // keeps them as given; its tail cache counts each read they pin against its bound.
      const { group, messages } = readMessages(body, bodyBytes);
      this.handler.onMessages(group, messages);
    } else if (api === RaftApi.SnapshotChunk) {
      const c = decodeSnapshotChunk(body.bytes(bodyBytes));
      this.handler.onSnapshotChunk({ ...c, data: Buffer.from(c.data) });
    } else {
      throw new DepotError('UNKNOWN_REQUEST', `unknown raft api 0x${api.toString(16)}`);
    }
    return peer;
  }

  resolveAddress(nodeId: number): { host: string; port: number } | undefined {
    const a = this.opts.resolve(nodeId);
    if (a === undefined) return undefined;
    const i = a.lastIndexOf(':');
    return { host: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
  }

  reportUnreachable(nodeId: number): void {
    this.handler.onUnreachable(nodeId);
  }

  /**
   * Entries encoded in this turn: the appends a leader sends its followers in one Ready share
   * one encoding. Dropped at the end of the turn, when the corked sockets have taken the frames.
   */
  private sharedEntries(): SharedEntries {
    if (this.shared === undefined) {
      this.shared = new SharedEntries();
      process.nextTick(() => (this.shared = undefined));
    }
    return this.shared;
  }

  private link(to: number): PeerLink {
    let l = this.links.get(to);
    if (l === undefined) {
      l = new PeerLink(this, to);
      this.links.set(to, l);
    }
    return l;
  }

  /** Sends a group's messages for one peer in one frame. False when dropped. */
  send(to: number, group: string, msgs: readonly Message[]): boolean {
    if (msgs.length === 0) return true;
    const ok = this.link(to).send(encodeMessagesFrame(Buffer.from(group, 'utf8'), msgs, this.sharedEntries()));
    if (!ok) this.handler.onUnreachable(to);
    return ok;
  }

  /**
   * Writes the frames queued in this turn now instead of at its end: a leader's appends leave
   * before it spends the rest of the turn on its own log write and on applying.
   */
  flush(): void {
    for (const l of this.links.values()) l.flush();
  }

  /** Sends one snapshot chunk, waiting while the connection is congested. */
  async sendSnapshotChunk(chunk: SnapshotChunk): Promise<void> {
    const l = this.link(chunk.to);
    if (!l.send([encodeFrame(FrameKind.Request, RaftApi.SnapshotChunk, 0, encodeSnapshotChunk(chunk))])) {
      throw new DepotError('CONNECTION_CLOSED', `snapshot chunk to node ${chunk.to} dropped`);
    }
    await l.drained();
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.close();
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
