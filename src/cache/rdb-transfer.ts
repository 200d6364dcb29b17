// Sending an RDB file to a client that asked with SYNC or PSYNC (redis-cli --rdb), framed as
// Redis's diskless transfer: "$EOF:<40 random characters>\r\n", the file, the same 40
// characters. The file streams from a capture of the keyspace, a chunk a turn, each sent once
// the client has taken the one before (socket backpressure): a slow reader holds a capture
// open, not the event loop or the file in memory.
import { randomBytes } from 'node:crypto';

export interface RdbTarget {
  /** Queues bytes for the client, after everything queued before. */
  send(bytes: Buffer): void;
  /** Resolves once the client's socket wants more. */
  drained(): Promise<void>;
  /** The client disconnected. */
  readonly gone: boolean;
  /** The file is sent: close after it. */
  done(): void;
  /** The file cannot be completed: `error` is sent when nothing else was, else the connection drops. */
  failed(error: string, sentAny: boolean): void;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A reader that takes nothing for this long is dropped, as Redis drops a replica after
 * repl-timeout (60 s by default): its capture would otherwise stay open, buffering for it every
 * key written before the walk reaches it.
 */
const STALL_MS = 60_000;

/** Whether `target` wanted more within STALL_MS. */
function drainedWithin(target: RdbTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), STALL_MS);
    void target.drained().then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Streams `file` to `target` after `preamble` (PSYNC's +FULLRESYNC line, or nothing). */
export async function sendRdbFile(target: RdbTarget, file: AsyncIterable<Buffer>, preamble: string): Promise<void> {
  const mark = randomBytes(20).toString('hex');
  let sentAny = false;
  try {
    for await (const chunk of file) {
      if (target.gone) return;
      if (!sentAny) {
        // After the first chunk: a capture that cannot start is answered with an error instead.
        target.send(Buffer.from(`${preamble}$EOF:${mark}\r\n`, 'latin1'));
        sentAny = true;
      }
      // Copied: a chunk is valid only until the next is taken.
      target.send(Buffer.from(chunk));
      await nextTurn();
      if (!(await drainedWithin(target))) throw new Error(`the client took nothing for ${STALL_MS / 1000} seconds`);
    }
  } catch (err) {
    if (!target.gone) target.failed(`ERR the RDB file could not be completed: ${err instanceof Error ? err.message : String(err)}`, sentAny);
    return;
  }
  if (target.gone) return;
  target.send(Buffer.from(mark, 'latin1'));
  target.done();
}
