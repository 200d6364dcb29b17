// A raw RESP2/RESP3 client for the cache tests: sends commands as multibulk arrays and parses
// replies into tagged values, so tests can compare replies exactly (type and bytes), which
// ioredis and node-redis hide by converting them.
import { connect, type Socket } from 'node:net';
import { Incomplete, parseReply, type Reply } from '../../src/protocol/resp/reply-reader.js';

export type { Reply };

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

/**
 * Each command line and its reply, as two servers answer it in turn on one connection each
 * (Depot and redis-server side by side): `line -> reply` strings to compare whole.
 */
export async function sideBySide(depotPort: number, redisPort: number, lines: readonly (readonly string[])[]): Promise<{ depot: string[]; redis: string[] }> {
  const [d, r] = await Promise.all([RespClient.open(depotPort), RespClient.open(redisPort)]);
  try {
    const out = { depot: [] as string[], redis: [] as string[] };
    for (const line of lines) {
      out.depot.push(`${line.join(' ')} -> ${show(await d.call(...line))}`);
      out.redis.push(`${line.join(' ')} -> ${show(await r.call(...line))}`);
    }
    return out;
  } finally {
    d.close();
    r.close();
  }
}

/**
 * The keyspace events (`__keyevent@<db>__:<event> <key>`) that `script` makes a server publish,
 * in order: a fresh database with every event class on, and a PING to mark the end.
 */
export async function keyEvents(port: number, script: (c: RespClient) => Promise<void>): Promise<string[]> {
  const c = await RespClient.open(port);
  const s = await RespClient.open(port);
  try {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await s.call('PSUBSCRIBE', '__keyevent*__:*');
    await script(c);
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    s.send('PING');
    const seen: string[] = [];
    for (;;) {
      const m = await s.next();
      const [kind, , channel, message] = (m as { v: Array<{ v: string }> }).v;
      if (kind!.v === 'pong') return seen;
      if (kind!.v === 'pmessage') seen.push(`${channel!.v} ${message!.v}`);
    }
  } finally {
    c.close();
    s.close();
  }
}
