// Connections to other Redis-protocol servers, for MIGRATE: the commands sent in one write, one
// reply read per command, every step bounded by the timeout. As Redis does, a connection is kept
// per target for 10 seconds after its last use, so that a migration of many keys one MIGRATE at
// a time connects once; a kept connection that fails (the target closed it meanwhile) is
// dropped and the call tried once more on a new one, unless it timed out.
import { connect, type Socket } from 'node:net';
import { Incomplete, parseReply, type Reply } from '../protocol/resp/reply-reader.js';

/** How long a connection is kept unused (Redis's MIGRATE_SOCKET_CACHE_TTL). */
const IDLE_MS = 10_000;

export type RemoteFailure = 'connecting' | 'writing' | 'reading';

/** The replies read, and where it failed when fewer came than commands were sent. */
export interface RemoteResult {
  readonly replies: readonly Reply[];
  readonly failure: RemoteFailure | null;
}

function encode(commands: readonly (readonly string[])[]): Buffer {
  const parts: string[] = [];
  for (const argv of commands) {
    parts.push(`*${argv.length}\r\n`);
    for (const a of argv) parts.push(`$${a.length}\r\n`, a, '\r\n');
  }
  return Buffer.from(parts.join(''), 'latin1');
}

/** One open connection and what it has read that no call took yet. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  /** Why it cannot be used any more, once it cannot. */
  broken: { stage: RemoteFailure; timedOut: boolean } | null = null;
  lastUsed = 0;
  private stage: RemoteFailure = 'connecting';

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.wake?.();
    });
    // A refused connection shows in Redis as a failed write (its connect returns before the
    // refusal arrives): the same stage here, so that MIGRATE's errors read as Redis's.
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(this.stage === 'connecting' && err.code === 'ECONNREFUSED' ? 'writing' : this.stage, false));
    socket.on('close', () => this.fail(this.stage, false));
    socket.on('timeout', () => this.fail(this.stage, true));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve) => {
      const c = new Connection(connect({ host, port }));
      c.wake = () => {
        c.wake = null;
        resolve(c);
      };
      c.socket.setTimeout(timeoutMs);
      c.socket.once('connect', () => {
        c.stage = 'writing';
        c.socket.setTimeout(0);
        c.wake?.();
      });
    });
  }

  /** Sends `commands` and reads a reply to each; `timeoutMs` bounds each wait. */
  async exchange(commands: readonly (readonly string[])[], timeoutMs: number): Promise<RemoteResult> {
    const replies: Reply[] = [];
    if (this.broken !== null) return { replies, failure: this.broken.stage };
    this.stage = 'writing';
    this.socket.setTimeout(timeoutMs);
    this.socket.write(encode(commands), () => {
      if (this.stage === 'writing') this.stage = 'reading';
    });
    let pos = 0;
    while (replies.length < commands.length) {
      try {
        const { reply, next } = parseReply(this.pending, pos);
        replies.push(reply);
        pos = next;
        continue;
      } catch (err) {
        if (!(err instanceof Incomplete)) {
          this.fail('reading', false);
          break;
        }
      }
      if (this.broken !== null) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      this.stage = 'reading';
    }
    this.pending = this.pending.subarray(pos);
    this.socket.setTimeout(0);
    return { replies, failure: replies.length === commands.length ? null : this.failedStage() };
  }

  private failedStage(): RemoteFailure {
    return this.broken?.stage ?? 'reading';
  }

  fail(stage: RemoteFailure, timedOut: boolean): void {
    if (this.broken === null) this.broken = { stage, timedOut };
    this.socket.destroy();
    this.wake?.();
  }
}

/** The connections MIGRATE keeps, one per target. */
export class RemoteConnections {
  private readonly idle = new Map<string, Connection>();
  private sweeper: NodeJS.Timeout | null = null;

  /** Connections kept for the next MIGRATE (one in use meanwhile is not among them). */
  get kept(): number {
    return this.idle.size;
  }

  /** Sends `commands` to host:port and reads their replies; `timeoutMs` bounds the connection and each wait for bytes. */
  async call(host: string, port: number, commands: readonly (readonly string[])[], timeoutMs: number): Promise<RemoteResult> {
    // Not a port one can connect to: as Redis, whose connect to it fails only when it writes.
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return { replies: [], failure: 'writing' };
    const target = `${host}:${port}`;
    const kept = this.idle.get(target);
    this.idle.delete(target);
    if (kept !== undefined) {
      const result = await kept.exchange(commands, timeoutMs);
      if (result.failure === null) return this.keep(target, kept, result);
      // Redis retries once on a fresh connection, unless the kept one timed out or the target
      // has answered some of the commands already.
      if (kept.broken?.timedOut === true || result.replies.length > 0) return result;
    }
    const fresh = await Connection.open(host, port, timeoutMs);
    if (fresh.broken !== null) return { replies: [], failure: fresh.broken.stage };
    const result = await fresh.exchange(commands, timeoutMs);
    return result.failure === null ? this.keep(target, fresh, result) : result;
  }

  /** Closes every kept connection (the service stops). */
  close(): void {
    for (const c of this.idle.values()) c.fail('reading', false);
    this.idle.clear();
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private keep(target: string, c: Connection, result: RemoteResult): RemoteResult {
    c.lastUsed = Date.now();
    const other = this.idle.get(target);
    if (other !== undefined) other.fail('reading', false);
    this.idle.set(target, c);
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweep(Date.now()), 1000);
      this.sweeper.unref();
    }
    return result;
  }

  private sweep(now: number): void {
    for (const [target, c] of this.idle) {
      if (c.broken === null && now - c.lastUsed < IDLE_MS) continue;
      c.fail('reading', false);
      this.idle.delete(target);
    }
    if (this.idle.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }
}
