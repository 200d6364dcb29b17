// One RESP client connection: socket in (read into a shared buffer, socket-reader.ts), parser,
// the client's commands run in order through the cache service (a read of a few commands at
// the end of the turn, with those of the other connections read in the same pass), replies
// out. Replies are queued with the batch they depend on and written once it has committed
// (CacheService decides when); adjacent replies are merged into one buffer and several buffers
// go out in one corked write, so a pipelined burst costs one syscall. A blocked client (BLPOP)
// keeps its later commands until it is resumed.
import type { Socket } from 'node:net';
import { RequestParser, RespProtocolError, type ParserLimits } from '../../protocol/resp/parser.js';
import type { Client, ClientSink } from '../../cache/client.js';
import type { CacheService } from '../../cache/service.js';
import { Scratch } from '../../util/scratch.js';

/** Stop reading from a client whose unsent replies exceed this (it is not reading). */
const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;
/**
 * A read that leaves at most this many commands to run leaves them for the end of the turn, to
 * run with those of the other connections read meanwhile (CacheService.runLater); a longer
 * pipeline runs at once, so that a burst is not held as parsed commands.
 */
const LATER_COMMANDS = 64;

export class RespConnection implements ClientSink {
  private readonly parser: RequestParser;
  private client: Client | null = null;
  /** Commands parsed but not yet run (the client was blocked, or a batch is being run). */
  private readonly backlog = new Scratch<string[]>();
  private next = 0;
  /**
   * Replies not yet written, from `pendingHead` on: their bytes, and the batch each waits for.
   * Kept from turn to turn: at -P 1 a connection has one reply a turn, and a fresh array and
   * entry object for it were a fifth of what a request allocated.
   */
  private readonly views = new Scratch<Buffer>();
  private readonly seqs: number[] = [];
  private pendingHead = 0;
  private pendingBytes = 0;
  private ended = false;
  /** When (whole seconds) the output first went past its soft limit without a break since; 0 when under it. */
  private softLimitSince = 0;
  private processing = false;
  /** A protocol error the parser met after the commands in the backlog: the client's last words. */
  private protocolErrorText: string | null = null;
  /** Bytes read while the client is blocked, unparsed (Redis's query buffer meanwhile). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private holding = false;
  readonly remoteAddress: string;
  readonly localAddress: string;

  constructor(
    private readonly socket: Socket,
    private readonly service: CacheService,
    limits: ParserLimits,
  ) {
    this.parser = new RequestParser(limits);
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.localAddress = `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
  }

  /** Registers with the service and starts reading; false when the server is full. */
  start(): boolean {
    const socket = this.socket;
    socket.setNoDelay(true);
    const keepalive = this.service.settings.tcpKeepaliveSeconds;
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    this.client = this.service.connect(this);
    if (this.client === null) {
      socket.end('-ERR max number of clients reached\r\n');
      return false;
    }
    socket.on('drain', () => {
      if (!this.ended) socket.resume();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      if (this.client !== null) this.service.disconnect(this.client);
    });
    return true;
  }

  get outputBytes(): number {
    return this.socket.writableLength + this.pendingBytes;
  }

  get queryBufferBytes(): number {
    return this.parser.bufferedBytes + this.heldBytes;
  }

  /** Bytes read from the socket: a view into the shared read buffer, valid during the call. */
  received(chunk: Buffer): void {
    const stats = this.service.stats;
    stats.netInputBytes += chunk.length;
    stats.readsProcessed++;
    // A client receiving an RDB file (SYNC) is not listened to, as Redis ignores a replica.
    if (this.ended || this.client === null || this.client.closing || this.client.replica) return;
    // Past a protocol error nothing more is a command; reading goes on so that a close is seen.
    if (this.protocolErrorText !== null) return;
    if (this.holding) {
      this.held.push(Buffer.from(chunk));
      this.heldBytes += chunk.length;
      this.checkQueryBuffer();
      return;
    }
    this.consume(chunk, false);
  }

  /**
   * Parses `chunk` into the backlog and runs or schedules what it completes: a few commands at
   * the end of the turn (`now` false), or at once.
   */
  private consume(chunk: Buffer, now: boolean): void {
    try {
      this.parser.feed(chunk, this.backlog);
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      // Answered only when the commands before it have run, as Redis parses one command at a
      // time: after a QUIT, or while the client stays blocked, it is never reached.
      this.protocolErrorText = err.message;
      this.process();
      return;
    }
    if (!this.checkQueryBuffer()) return;
    const parsed = this.backlog.length - this.next;
    if (parsed === 0) return;
    if (parsed <= LATER_COMMANDS && !now) this.service.runLater(this.client!);
    else this.process();
  }

  /** False, after closing the connection, when the client's unrun bytes pass client-query-buffer-limit. */
  private checkQueryBuffer(): boolean {
    if (this.queryBufferBytes <= this.service.settings.clientQueryBufferLimit) return true;
    this.protocolError('client query buffer exceeds client-query-buffer-limit');
    return false;
  }

  /**
   * The client is no longer blocked: the bytes held meanwhile are parsed and run, a chunk at a
   * time, until they run out or the client blocks again (the rest stays held).
   */
  private unhold(): void {
    this.holding = false;
    const held = this.held;
    let i = 0;
    for (; i < held.length && !this.holding && !this.ended && !this.client!.closing && this.protocolErrorText === null; i++) {
      this.heldBytes -= held[i]!.length;
      this.consume(held[i]!, true);
    }
    this.held = held.slice(i);
  }

  run(): void {
    if (!this.ended && this.next < this.backlog.length) this.process();
  }

  unrun(out: Scratch<string[]>): void {
    for (let i = this.next; i < this.backlog.length; i++) out.push(this.backlog.at(i));
  }

  /** Runs backlog commands until it is empty, or the client blocks or closes. */
  private process(): void {
    const client = this.client!;
    if (this.processing) return;
    this.processing = true;
    try {
      this.next = this.service.executeMany(client, this.backlog, this.next);
    } finally {
      this.processing = false;
    }
    if (this.next >= this.backlog.length) {
      this.backlog.clear();
      this.next = 0;
      const error = this.protocolErrorText;
      if (error !== null && client.blocked === null && !client.closing) {
        this.protocolErrorText = null;
        this.protocolError(error);
      }
    }
    // Blocked (BLPOP, CLIENT PAUSE): later commands wait, parsed or held as bytes, until it is
    // resumed. The socket goes on reading, so that a client that closes is dropped from the
    // waiters (Redis frees it) instead of being served, and what it would have popped lost.
    if (client.blocked !== null) this.holding = true;
    if (client.closing) this.close();
  }

  /** Replies the error after the replies of the commands before it, then closes. */
  private protocolError(message: string): void {
    this.service.replyAndClose(this.client!, `ERR Protocol error: ${message}`);
  }

  send(bytes: Buffer, seq: number): void {
    const n = this.views.length;
    if (n > this.pendingHead) {
      const v = this.views.at(n - 1);
      if (this.seqs[n - 1] === seq && v.buffer === bytes.buffer && v.byteOffset + v.length === bytes.byteOffset) {
        this.views.set(n - 1, Buffer.from(v.buffer, v.byteOffset, v.length + bytes.length));
        this.pendingBytes += bytes.length;
        return;
      }
    }
    this.seqs[n] = seq;
    this.views.push(bytes);
    this.pendingBytes += bytes.length;
  }

  flush(committedSeq: number): boolean {
    const views = this.views;
    let i = this.pendingHead;
    if (this.ended) {
      this.dropPending();
      return false;
    }
    let end = i;
    while (end < views.length && this.seqs[end]! <= committedSeq) end++;
    if (end > i) {
      const socket = this.socket;
      const stats = this.service.stats;
      stats.writesProcessed++;
      if (end - i > 1) socket.cork();
      for (; i < end; i++) {
        const v = views.at(i);
        this.pendingBytes -= v.length;
        stats.netOutputBytes += v.length;
        socket.write(v);
      }
      if (end - this.pendingHead > 1) socket.uncork();
      // Nothing left in the socket's queue: every write went to the kernel at once, and the
      // views' bytes will not be read again, so their slabs may be reused. Otherwise the socket
      // layer still holds some of them (the kernel's buffer is full).
      const slabs = this.service.replySlabs;
      const written = socket.writableLength === 0;
      for (let j = this.pendingHead; j < end; j++) {
        if (written) slabs.release(views.at(j));
        else slabs.abandon(views.at(j));
      }
      this.pendingHead = end;
      if (end === views.length) {
        views.clear();
        this.pendingHead = 0;
      }
      this.checkOutput();
    }
    if (this.client?.closing === true && this.views.length === 0) this.endSocket();
    return this.views.length > this.pendingHead;
  }

  /** Drops the replies not written: their bytes will never be read. */
  private dropPending(): void {
    const slabs = this.service.replySlabs;
    for (let j = this.pendingHead; j < this.views.length; j++) slabs.release(this.views.at(j));
    this.views.clear();
    this.pendingHead = 0;
    this.pendingBytes = 0;
  }

  /**
   * After a write: a client past its class's client-output-buffer-limit is disconnected, as in
   * Redis; below that, reading pauses while the client is more than OUTPUT_HIGH_WATER behind.
   */
  private checkOutput(): void {
    const queued = this.outputBytes;
    if (queued === 0) {
      this.softLimitSince = 0;
      return;
    }
    if (this.overOutputLimit(queued)) {
      this.ended = true;
      this.socket.destroy();
      return;
    }
    if (queued > OUTPUT_HIGH_WATER) this.socket.pause();
  }

  /**
   * Redis's checkClientOutputBufferLimits: the hard limit at once, the soft limit once it has
   * been passed without a break for more than its seconds (whole seconds, as Redis's clock).
   * Subscribers are the pubsub class, every other client the normal one.
   */
  private overOutputLimit(queued: number): boolean {
    const subscriber = (this.client?.subscriptions ?? 0) > 0;
    const [hard, soft, seconds] = this.service.settings.clientOutputBufferLimits[subscriber ? 'pubsub' : 'normal'];
    if (hard > 0n && queued >= Number(hard)) return true;
    if (soft === 0n || queued < Number(soft)) {
      this.softLimitSince = 0;
      return false;
    }
    const now = Math.floor(Date.now() / 1000);
    if (this.softLimitSince === 0) {
      this.softLimitSince = now;
      return false;
    }
    return now - this.softLimitSince > Number(seconds);
  }

  resume(): void {
    setImmediate(() => {
      if (this.ended) return;
      this.process();
      if (this.client?.blocked === null) this.unhold();
    });
  }

  drained(): Promise<void> {
    const socket = this.socket;
    if (this.ended || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  close(): void {
    const client = this.client;
    if (client !== null) client.closing = true;
    if (this.views.length === 0) this.endSocket();
  }

  abort(): void {
    const client = this.client;
    if (client !== null) client.closing = true;
    this.dropPending();
    this.ended = true;
    this.socket.destroy();
  }

  private endSocket(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
  }
}
