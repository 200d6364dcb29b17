// One client connection: framing, the Hello handshake, request dispatch with a bounded number
// of requests in flight, coalesced writes and server pushes. Bad input gets an Error frame and,
// when the byte stream can no longer be trusted, the connection is closed; it never throws out.
import type { Socket } from 'node:net';
import { DepotError, isDepotError } from '../../util/errors.js';
import { Api, apiName, PROTOCOL_VERSION } from '../../protocol/native/apis.js';
import { DELIVERY_RUNS } from '../../protocol/native/consume.js';
import { encodeError } from '../../protocol/native/error-body.js';
import { encodeFrameHeader, FrameDecoder, FrameKind, FRAME_HEADER_BYTES, type Frame } from '../../protocol/native/frame.js';
import { decodeHelloRequest, encodeHelloResponse } from '../../protocol/native/hello.js';
import { encodeAssignment } from '../../protocol/native/membership.js';
import type { MemberSink } from '../../broker/groups/member.js';
import { deliveryReply, handlerFor, type Reply, type Session } from './handlers.js';
import type { Logger } from '../../util/logger.js';
import type { QueueServices } from './services.js';

/** Counters shared by every connection of a server. */
export interface ServerCounters {
  connectionsOpened: number;
  connectionsOpen: number;
  /** Requests answered, by api name. */
  requests: Map<string, number>;
  /** Error responses, by error code. */
  errors: Map<string, number>;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Requests in flight before the connection stops reading (backpressure on the client). */
  maxInFlight: number;
  serverId: string;
  /** Returns true when the credentials may connect; absent: everyone may. */
  authenticate?: (username: string, password: string) => boolean;
}

/** Bytes queued on a socket beyond which deliveries wait for it to drain. */
const MAX_PUSH_BUFFER_BYTES = 8 * 1024 * 1024;

interface ConnectionSink extends MemberSink {
  subscriptionId: number;
  /** Frame flags of the Subscribe request: the Delivery layout its member asked for. */
  subscriptionFlags: number;
}

export class Connection implements Session {
  private readonly decoder: FrameDecoder;
  private inFlight = 0;
  private paused = false;
  private corked = false;
  private closing = false;
  private helloDone = false;
  clientId = '';
  private readonly members = new Map<string, ConnectionSink>();
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    private readonly services: QueueServices,
    private readonly options: ConnectionOptions,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
    private readonly counters: ServerCounters,
  ) {
    counters.connectionsOpened++;
    counters.connectionsOpen++;
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.warn({ err: err.message, client: this.clientId }, 'connection error'));
    socket.on('close', () => this.closed());
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(0, 0, err);
      return;
    }
    for (const f of frames) {
      if (this.closing) return;
      this.onFrame(f);
    }
  }

  private onFrame(f: Frame): void {
    if (f.kind !== FrameKind.Request) {
      this.fail(f.api, f.correlationId, new DepotError('MALFORMED_FRAME', `a client sends requests only, got frame kind ${f.kind}`));
      return;
    }
    if (!this.helloDone) {
      this.hello(f);
      return;
    }
    let handler;
    try {
      handler = handlerFor(f.api);
    } catch (err) {
      this.sendError(f.api, f.correlationId, err);
      return;
    }
    this.inFlight++;
    if (this.inFlight >= this.options.maxInFlight && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    let result: Reply | Promise<Reply>;
    try {
      result = handler(this.services, this, f.body, f);
    } catch (err) {
      this.done(f.api, f.correlationId, err, undefined);
      return;
    }
    if (result instanceof Promise) result.then((body) => this.done(f.api, f.correlationId, undefined, body), (err: unknown) => this.done(f.api, f.correlationId, err, undefined));
    else this.done(f.api, f.correlationId, undefined, result);
  }

  private hello(f: Frame): void {
    try {
      if (f.api !== Api.Hello) throw new DepotError('BAD_REQUEST', `the first request must be Hello, got ${apiName(f.api)}`);
      const req = decodeHelloRequest(f.body);
      if (req.version !== PROTOCOL_VERSION) {
        throw new DepotError('UNSUPPORTED_VERSION', `protocol version ${req.version} is not supported; this server speaks ${PROTOCOL_VERSION}`, { details: { supported: PROTOCOL_VERSION } });
      }
      if (this.options.authenticate !== undefined && !this.options.authenticate(req.username, req.password)) {
        throw new DepotError('UNAUTHORIZED', `bad credentials for user '${req.username}'`);
      }
      this.clientId = req.clientId;
      this.helloDone = true;
      this.send(FrameKind.Response, Api.Hello, f.correlationId, encodeHelloResponse({ version: PROTOCOL_VERSION, serverId: this.options.serverId, maxFrameBytes: this.options.maxFrameBytes }));
    } catch (err) {
      this.fail(f.api, f.correlationId, err);
    }
  }

  private done(api: number, correlationId: number, err: unknown, body: Reply | undefined): void {
    this.inFlight--;
    const name = apiName(api);
    this.counters.requests.set(name, (this.counters.requests.get(name) ?? 0) + 1);
    if (!this.socket.destroyed) {
      if (body === undefined) this.sendError(api, correlationId, err);
      else if (Buffer.isBuffer(body)) this.send(FrameKind.Response, api, correlationId, body);
      else this.send(FrameKind.Response, api, correlationId, body.parts, body.flags);
    }
    if (this.paused && this.inFlight < this.options.maxInFlight / 2 && !this.closing) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.inFlight === 0) this.drainWaiters.splice(0).forEach((w) => w());
  }

  private sendError(api: number, correlationId: number, err: unknown): void {
    const e = toDepotError(err);
    this.counters.errors.set(e.code, (this.counters.errors.get(e.code) ?? 0) + 1);
    if (e.code === 'INTERNAL') this.log.error({ err: String((err as Error)?.stack ?? err), api: apiName(api), client: this.clientId }, 'request failed');
    this.send(FrameKind.Error, api, correlationId, encodeError(e));
  }

  /** Answers with an error, then closes: used when the stream or the session cannot continue. */
  private fail(api: number, correlationId: number, err: unknown): void {
    this.sendError(api, correlationId, err);
    this.log.warn({ client: this.clientId, err: toDepotError(err).message }, 'closing connection after a protocol error');
    this.closing = true;
    this.socket.end();
  }

  /** Writes the header and the body's parts as they are; writes of one event-loop turn go out together. */
  private send(kind: FrameKind, api: number, correlationId: number, body: Buffer | readonly Buffer[], flags = 0): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    let length = 0;
    if (Buffer.isBuffer(body)) length = body.length;
    else for (const p of body) length += p.length;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    encodeFrameHeader(header, 0, kind, flags, api, correlationId, length);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(header);
    if (Buffer.isBuffer(body)) {
      if (body.length > 0) this.socket.write(body);
    } else {
      for (const p of body) if (p.length > 0) this.socket.write(p);
    }
  }

  memberSink(correlationId: number, brokerGroup: number): MemberSink {
    const sink: ConnectionSink = {
      subscriptionId: 0,
      subscriptionFlags: 0,
      assignment: (a) => this.send(FrameKind.Push, Api.Assignment, correlationId, encodeAssignment(a)),
      deliver: (topic, runs, scanned) => {
        const body = deliveryReply({ brokerGroup, topic, runs, scanned }, sink.subscriptionFlags);
        if (Buffer.isBuffer(body)) this.send(FrameKind.Push, Api.Deliver, sink.subscriptionId, body);
        else this.send(FrameKind.Push, Api.Deliver, sink.subscriptionId, body.parts, body.flags);
        return this.socket.writableLength < MAX_PUSH_BUFFER_BYTES;
      },
      whenWritable: (resume) => {
        if (this.socket.destroyed) return;
        this.socket.once('drain', resume);
      },
    };
    return sink;
  }

  own(memberId: string, sink: MemberSink): void {
    this.members.set(memberId, sink as ConnectionSink);
  }

  disown(memberId: string): void {
    this.members.delete(memberId);
  }

  subscription(memberId: string, correlationId: number, runs: boolean): void {
    const sink = this.members.get(memberId);
    if (sink === undefined) throw new DepotError('NOT_GROUP_MEMBER', `member '${memberId}' did not join on this connection`);
    sink.subscriptionId = correlationId;
    sink.subscriptionFlags = runs ? DELIVERY_RUNS : 0;
  }

  private closed(): void {
    for (const memberId of this.members.keys()) {
      try {
        this.services.memberParts(memberId).coordinator.leave(memberId);
      } catch (err) {
        if (!isDepotError(err, 'NOT_GROUP_MEMBER')) throw err;
      }
    }
    this.members.clear();
    this.counters.connectionsOpen--;
    this.onClose(this);
  }

  /** Graceful close: stop reading, answer what is in flight (up to `timeoutMs`), then end. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.socket.pause();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.socket.end();
    // Read (and ignore) what still comes, so the client's end of the stream is seen; a client
    // that never closes its side must not hold the server open for more than a second.
    this.socket.resume();
    const kill = setTimeout(() => this.socket.destroy(), 1000);
    this.socket.once('close', () => clearTimeout(kill));
  }
}

function toDepotError(err: unknown): DepotError {
  if (err instanceof DepotError) return err;
  return new DepotError('INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}
