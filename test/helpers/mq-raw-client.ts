// A bare native-protocol connection for tests that must send exactly chosen bytes: malformed
// frames, partial frames, hand-built produce retries.
import { connect, type Socket } from 'node:net';
import { Api, PROTOCOL_VERSION } from '../../src/protocol/native/apis.js';
import { decodeError } from '../../src/protocol/native/error-body.js';
import { encodeFrame, FrameDecoder, FrameKind, type Frame } from '../../src/protocol/native/frame.js';
import { encodeHelloRequest } from '../../src/protocol/native/hello.js';
import type { DepotError } from '../../src/util/errors.js';

export class RawClient {
  private readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  private nextId = 1;

  private constructor(readonly socket: Socket) {
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    socket.on('data', (c: Buffer) => {
      for (const f of decoder.push(c)) this.frames.push({ ...f, body: Buffer.from(f.body) });
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  private notify(): void {
    this.waiters.splice(0).forEach((w) => w());
  }

  static async open(port: number, hello = true): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawClient(socket);
    if (hello) await c.request(Api.Hello, encodeHelloRequest({ version: PROTOCOL_VERSION, clientId: 'raw', username: '', password: '' }));
    return c;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Next frame received (or undefined once the connection is closed and drained). */
  async next(): Promise<Frame | undefined> {
    while (this.frames.length === 0 && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.frames.shift();
  }

  async request(api: number, body: Buffer, flags = 0): Promise<Frame> {
    const id = this.nextId++;
    this.send(encodeFrame(FrameKind.Request, api, id, body, flags));
    for (;;) {
      const f = await this.next();
      if (f === undefined) throw new Error('connection closed');
      if (f.correlationId === id && f.kind !== FrameKind.Push) return f;
    }
  }

  static error(f: Frame): DepotError {
    return decodeError(f.body);
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }
}
