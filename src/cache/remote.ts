// A connection to another Redis-protocol server, for MIGRATE: the commands sent in one write,
// one reply read per command, every step bounded by the timeout. A new connection per call
// (Redis keeps one per target for 10 seconds; MIGRATE's cost here is the transfer, not the
// handshake).
import { connect } from 'node:net';
import { Incomplete, parseReply, type Reply } from '../protocol/resp/reply-reader.js';

/** The replies read, and where it failed when fewer came than commands were sent. */
export interface RemoteResult {
  readonly replies: readonly Reply[];
  readonly failure: 'connecting' | 'writing' | 'reading' | null;
}

function encode(commands: readonly (readonly string[])[]): Buffer {
  const parts: string[] = [];
  for (const argv of commands) {
    parts.push(`*${argv.length}\r\n`);
    for (const a of argv) parts.push(`$${a.length}\r\n`, a, '\r\n');
  }
  return Buffer.from(parts.join(''), 'latin1');
}

/** Sends `commands` to host:port and reads their replies; `timeoutMs` bounds the connection and each wait for bytes. */
export function callRemote(host: string, port: number, commands: readonly (readonly string[])[], timeoutMs: number): Promise<RemoteResult> {
  // Not a port one can connect to: as Redis, whose connect to it fails only when it writes.
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return Promise.resolve({ replies: [], failure: 'writing' });
  return new Promise((resolve) => {
    const replies: Reply[] = [];
    let stage: 'connecting' | 'writing' | 'reading' = 'connecting';
    let pending: Buffer = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ host, port });
    const finish = (failure: RemoteResult['failure']) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ replies, failure });
    };
    socket.setTimeout(timeoutMs, () => finish(stage));
    // A refused connection shows in Redis as a failed write (its connect returns before the
    // refusal arrives): the same stage here, so that MIGRATE's errors read as Redis's.
    socket.on('error', (err: NodeJS.ErrnoException) => finish(stage === 'connecting' && err.code === 'ECONNREFUSED' ? 'writing' : stage));
    socket.on('close', () => finish(replies.length < commands.length ? stage : null));
    socket.on('connect', () => {
      stage = 'writing';
      socket.write(encode(commands), () => {
        if (stage === 'writing') stage = 'reading';
      });
    });
    socket.on('data', (chunk: Buffer) => {
      stage = 'reading';
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let pos = 0;
      try {
        while (replies.length < commands.length) {
          const { reply, next } = parseReply(pending, pos);
          replies.push(reply);
          pos = next;
        }
      } catch (err) {
        if (!(err instanceof Incomplete)) return finish('reading');
      }
      pending = pending.subarray(pos);
      if (replies.length === commands.length) finish(null);
    });
  });
}
