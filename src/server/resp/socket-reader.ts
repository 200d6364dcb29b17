// Accepted connections that read into one shared buffer.
//
// By default Node allocates a fresh buffer for every read of a socket (64 KiB, shrunk to what
// arrived) and delivers it through the stream layer's 'data' event. Client sockets can instead
// read into the caller's buffer (`onread`), but net.Server offers no such option for the sockets
// it accepts. So the server accepts paused and re-wraps the accepted socket's handle in a Socket
// created with `onread`, as net.Server's own connection handler creates its sockets. One buffer
// serves every connection: a read's callback runs to completion before the next read starts,
// and the RESP parser copies what it keeps (protocol/resp/parser.ts). Measured on the cache's
// server: about 1 µs less CPU per request at `redis-benchmark -P 1` (docs/cache.md).
//
// This relies on Node internals that net.Server itself uses (the socket's `_handle`, and
// `_server`, through which a closing socket decrements the server's connection count, so that
// `server.close()` still completes); `adoptReading` asserts that they are there.
import { Socket, type Server } from 'node:net';
import { assert } from '../../util/assert.js';

/** Size of the shared read buffer: what one read(2) may return (libuv's default is the same). */
const READ_BUFFER_BYTES = 64 * 1024;
const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
/** Reads of up to this many bytes (a command or a few) get a view made once per length. */
const CACHED_VIEW_BYTES = 4096;
/**
 * Views of the read buffer's first n bytes, by n: the same view serves every read of that
 * length, instead of a subarray per read (an allocation, and a LoadIC and a runtime call for its
 * `buffer`: about 30 ns). At most 4,096 small objects, whatever the clients send.
 */
const views = new Array<Buffer | undefined>(CACHED_VIEW_BYTES + 1).fill(undefined);

function viewOf(n: number): Buffer {
  if (n > CACHED_VIEW_BYTES) return readBuffer.subarray(0, n);
  return (views[n] ??= readBuffer.subarray(0, n));
}

/** The fields of a Socket that net.Server sets on the sockets it accepts. */
interface AcceptedInternals {
  _handle: object | null;
  _server: Server | null;
  server: Server | null;
}

/** Called with each read's bytes: a view valid only until the callback returns. */
export type OnRead = (bytes: Buffer) => void;

/**
 * Takes over a socket `server` accepted with `pauseOnConnect` and returns a Socket over the same
 * connection whose reads go to `onRead`. The accepted socket must not be used afterwards.
 */
export function adoptReading(server: Server, accepted: Socket, onRead: OnRead): Socket {
  const old = accepted as unknown as AcceptedInternals;
  const handle = old._handle;
  assert(handle !== null && handle !== undefined && old._server === server, 'accepted socket without its handle and server');
  old._handle = null;
  old._server = null;
  old.server = null;
  const socket = new Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: readBuffer,
      callback: (n: number) => {
        onRead(viewOf(n));
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  const internals = socket as unknown as AcceptedInternals;
  internals._server = server;
  internals.server = server;
  return socket;
}
