// A raw RESP2/RESP3 client for the cache tests: sends commands as multibulk arrays and parses
// replies into tagged values, so tests can compare replies exactly (type and bytes), which
// ioredis and node-redis hide by converting them.
import { connect, type Socket } from 'node:net';

export type Reply =
  | { t: 'simple'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: string }
  | { t: 'bulk'; v: string }
  | { t: 'null' }
  | { t: 'array'; v: Reply[] }
  | { t: 'map'; v: Reply[] }
  | { t: 'set'; v: Reply[] }
  | { t: 'push'; v: Reply[] }
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'verbatim'; v: string };

class Incomplete extends Error {}

/** Parses one reply at `pos`; throws Incomplete when more bytes are needed. */
export function parseReply(buf: Buffer, pos: number): { reply: Reply; next: number } {
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) throw new Incomplete();
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, nl);
  const after = nl + 2;
  const blob = (len: number): { text: string; next: number } => {
    if (buf.length < after + len + 2) throw new Incomplete();
    return { text: buf.toString('latin1', after, after + len), next: after + len + 2 };
  };
  const aggregate = (t: 'array' | 'map' | 'set' | 'push', n: number): { reply: Reply; next: number } => {
    const items: Reply[] = [];
    let p = after;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, p);
      items.push(r.reply);
      p = r.next;
    }
    return { reply: { t, v: items }, next: p };
  };
  switch (type) {
    case '+': return { reply: { t: 'simple', v: line }, next: after };
    case '-': return { reply: { t: 'error', v: line }, next: after };
    case ':': return { reply: { t: 'int', v: line }, next: after };
    case ',': return { reply: { t: 'double', v: line }, next: after };
    case '#': return { reply: { t: 'bool', v: line === 't' }, next: after };
    case '_': return { reply: { t: 'null' }, next: after };
    case '$': {
      const n = Number(line);
      if (n < 0) return { reply: { t: 'null' }, next: after };
      const b = blob(n);
      return { reply: { t: 'bulk', v: b.text }, next: b.next };
    }
    case '=': {
      const b = blob(Number(line));
      return { reply: { t: 'verbatim', v: b.text.slice(4) }, next: b.next };
    }
    case '*': {
      const n = Number(line);
      return n < 0 ? { reply: { t: 'null' }, next: after } : aggregate('array', n);
    }
    case '%': return aggregate('map', Number(line) * 2);
    case '~': return aggregate('set', Number(line));
    case '>': return aggregate('push', Number(line));
    default: throw new Error(`unexpected RESP type byte '${type}'`);
  }
}

export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''), 'latin1');
}

/** One connection; replies (and push frames) arrive in order in `replies`. */
export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly queue: Reply[] = [];
  private waiters: Array<(r: Reply) => void> = [];
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    socket.on('close', () => {
      this.closedError = new Error('connection closed');
      for (const w of this.waiters.splice(0)) w({ t: 'error', v: 'connection closed' });
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new RespClient(s)));
      s.once('error', reject);
    });
  }

  private drain(): void {
    let pos = 0;
    for (;;) {
      if (pos >= this.buf.length) break;
      try {
        const r = parseReply(this.buf, pos);
        pos = r.next;
        const w = this.waiters.shift();
        if (w !== undefined) w(r.reply);
        else this.queue.push(r.reply);
      } catch (err) {
        if (err instanceof Incomplete) break;
        throw err;
      }
    }
    this.buf = this.buf.subarray(pos);
  }

  /** The next reply or push frame. */
  next(): Promise<Reply> {
    const r = this.queue.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.closedError !== null) return Promise.resolve({ t: 'error', v: 'connection closed' });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  send(...args: string[]): void {
    this.socket.write(encodeCommand(args));
  }

  async call(...args: string[]): Promise<Reply> {
    this.send(...args);
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A compact text form of a reply, for readable assertions and diffs. */
export function show(r: Reply): string {
  switch (r.t) {
    case 'null': return 'nil';
    case 'bool': return `#${r.v}`;
    case 'array':
    case 'map':
    case 'set':
    case 'push': return `${r.t}[${r.v.map(show).join(', ')}]`;
    default: return `${r.t}:${JSON.stringify(r.v)}`;
  }
}
