// The client's link to a Depot server: one TCP connection, the Hello handshake, requests matched
// to responses by correlation id, server pushes, and reconnection with exponential back-off
// (over the listed servers in turn). Requests made while disconnected wait for the next link.
import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { DepotError } from '../util/errors.js';
import { Api, PROTOCOL_VERSION } from '../protocol/native/apis.js';
import { decodeError } from '../protocol/native/error-body.js';
import { encodeFrameHeader, FrameDecoder, FrameKind, FRAME_HEADER_BYTES, type Frame } from '../protocol/native/frame.js';
import { decodeHelloResponse, encodeHelloRequest } from '../protocol/native/hello.js';

export interface ConnectionOptions {
  servers: string[];
  clientId: string;
  username?: string;
  password?: string;
  /** A request not answered within this many ms fails with TIMEOUT (long polls add their wait). */
  requestTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Back-off between reconnection attempts: from min, doubling, up to max. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

interface PendingRequest {
  resolve: (reply: Reply) => void;
  reject: (err: DepotError) => void;
  timer: NodeJS.Timeout;
}

export type PushHandler = (api: number, correlationId: number, body: Buffer, flags: number) => void;

/** A response body with its frame's flags (an API may mark the body's layout there). */
export interface Reply {
  body: Buffer;
  flags: number;
}

export interface RequestOptions {
  /** Added to the request timeout (long polls). */
  extraTimeoutMs?: number;
  /** Called with the correlation id once it is chosen, before the request is written. */
  onSent?: (correlationId: number) => void;
  /** Frame flags of the request (0 unless the API defines some). */
  flags?: number;
}

/** Events: 'connected' (after every successful handshake, including reconnects), 'disconnected'. */
export class Connection extends EventEmitter {
  private socket: Socket | undefined;
  private ready: Promise<void>;
  private readyResolve!: () => void;
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly pushHandlers = new Map<number, PushHandler>();
  private closed = false;
  private corked = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: ConnectionOptions) {
    super();
    this.ready = this.newReady();
  }

  private newReady(): Promise<void> {
    return new Promise((resolve) => (this.readyResolve = resolve));
  }

  /** Connects to the first reachable server; rejects if none answers in the first round. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    if (options.servers.length === 0) throw new DepotError('INVALID_CONFIG', 'no servers given');
    const c = new Connection(options);
    let last: unknown;
    for (const server of options.servers) {
      try {
        await c.link(server);
        return c;
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof DepotError ? last : new DepotError('CONNECTION_CLOSED', `no server reachable: ${String(last)}`, { cause: last });
  }

  private link(server: string): Promise<void> {
    const { host, port } = parseAddress(server);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      const decoder = new FrameDecoder(this.options.maxFrameBytes ?? 64 * 1024 * 1024);
      let handshaken = false;
      socket.once('connect', () => {
        this.socket = socket;
        const body = encodeHelloRequest({ version: PROTOCOL_VERSION, clientId: this.options.clientId, username: this.options.username ?? '', password: this.options.password ?? '' });
        this.write(FrameKind.Request, Api.Hello, 0, [body]);
      });
      socket.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = decoder.push(chunk);
        } catch (err) {
          socket.destroy(err as Error);
          return;
        }
        for (const f of frames) {
          if (!handshaken) {
            if (f.kind === FrameKind.Error) {
              reject(decodeError(f.body));
              socket.destroy();
              return;
            }
            decodeHelloResponse(f.body);
            handshaken = true;
            this.attempt = 0;
            resolve();
            this.readyResolve();
            this.emit('connected');
            continue;
          }
          this.onFrame(f);
        }
      });
      socket.on('error', (err) => {
        if (!handshaken) reject(new DepotError('CONNECTION_CLOSED', `cannot connect to ${server}: ${err.message}`, { cause: err }));
      });
      socket.on('close', () => {
        if (this.socket === socket) this.lost();
        if (!handshaken) reject(new DepotError('CONNECTION_CLOSED', `connection to ${server} closed during the handshake`));
      });
    });
  }

  private onFrame(f: Frame): void {
    if (f.kind === FrameKind.Push) {
      try {
        this.pushHandlers.get(f.api)?.(f.api, f.correlationId, own(f.body), f.flags);
      } catch (err) {
        // A push we cannot decode means the stream is not what we think: start a new connection.
        this.socket?.destroy(err as Error);
      }
      return;
    }
    const p = this.pending.get(f.correlationId);
    if (p === undefined) return;
    this.pending.delete(f.correlationId);
    clearTimeout(p.timer);
    if (f.kind === FrameKind.Error) p.reject(decodeError(f.body));
    else p.resolve({ body: own(f.body), flags: f.flags });
  }

  private lost(): void {
    this.socket = undefined;
    this.ready = this.newReady();
    const err = new DepotError('CONNECTION_CLOSED', 'connection to the server was lost');
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    if (this.closed) return;
    this.emit('disconnected');
    this.reconnect();
  }

  private reconnect(): void {
    if (this.retryTimer !== undefined) return;
    const min = this.options.reconnectMinMs ?? 50;
    const max = this.options.reconnectMaxMs ?? 5000;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    const server = this.options.servers[this.attempt % this.options.servers.length]!;
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.link(server).catch(() => {
        if (!this.closed && this.socket === undefined) this.reconnect();
      });
    }, delay).unref();
  }

  onPush(api: number, handler: PushHandler): void {
    this.pushHandlers.set(api, handler);
  }

  /** Sends a request (body given as parts, written without concatenation) and awaits its response. */
  async request(api: number, parts: Buffer[], extraTimeoutMs = 0, onSent?: (correlationId: number) => void): Promise<Buffer> {
    return (await this.requestReply(api, parts, { extraTimeoutMs, onSent })).body;
  }

  /** `request`, with frame flags on the request and the response's flags returned with its body. */
  async requestReply(api: number, parts: Buffer[], o: RequestOptions = {}): Promise<Reply> {
    if (this.socket === undefined && !this.closed) await this.waitReady(this.options.requestTimeoutMs ?? 30_000);
    if (this.closed) throw new DepotError('CANCELLED', 'the client is closed');
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DepotError('TIMEOUT', `request ${api} timed out`));
      }, (this.options.requestTimeoutMs ?? 30_000) + (o.extraTimeoutMs ?? 0));
      this.pending.set(id, { resolve, reject, timer });
      o.onSent?.(id);
      this.write(FrameKind.Request, api, id, parts, o.flags ?? 0);
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DepotError('CONNECTION_CLOSED', 'not connected to any server')), timeoutMs);
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private write(kind: FrameKind, api: number, id: number, parts: Buffer[], flags = 0): void {
    const socket = this.socket;
    if (socket === undefined) return;
    let len = 0;
    for (const p of parts) len += p.length;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    encodeFrameHeader(header, 0, kind, flags, api, id, len);
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(header);
    for (const p of parts) if (p.length > 0) socket.write(p);
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  close(): void {
    this.closed = true;
    // Requests waiting for a connection wake up and fail at once (CANCELLED).
    this.readyResolve();
    clearTimeout(this.retryTimer);
    this.socket?.end();
    this.socket?.destroy();
  }
}

/**
 * A frame body the caller may keep: bodies outlive the socket chunk in user code (consumed
 * messages are views into their delivery). Socket chunks are never reused, so a view is safe
 * to keep; it is copied only when it would pin a chunk much larger than itself (a small frame
 * of a large read), and a large frame assembled from several reads is kept as it is.
 */
function own(body: Buffer): Buffer {
  return body.buffer.byteLength > 2 * body.length + 4096 ? Buffer.from(body) : body;
}

export function parseAddress(server: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(server);
  if (m === null) throw new DepotError('INVALID_CONFIG', `server '${server}' is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}
