// InstallSnapshot between nodes: the leader streams its snapshot file in chunks and then sends
// the core's Snap message on the same connection; the follower writes the chunks to a file
// and lets the Snap message through only once that file is complete.
import { snapshotFileName, readSnapshot, SnapshotWriter } from './snapshots.js';
import type { SnapshotChunk } from './wire.js';
import type { SnapshotMeta } from '../core/types.js';

export interface ChunkSink {
  sendSnapshotChunk(chunk: SnapshotChunk): Promise<void>;
}

/** Streams the snapshot file `name` to `to`; resolves when every chunk is handed to the socket. */
export async function streamSnapshot(
  sink: ChunkSink,
  dir: string,
  name: string,
  head: { group: string; from: number; to: number; term: number; meta: SnapshotMeta },
): Promise<void> {
  let offset = 0;
  for await (const data of readSnapshot(dir, name)) {
    await sink.sendSnapshotChunk({ ...head, offset, last: false, data });
    offset += data.length;
  }
  await sink.sendSnapshotChunk({ ...head, offset, last: true, data: Buffer.alloc(0) });
}

/** Receives one snapshot at a time; a chunk out of order aborts the transfer (the leader retries). */
export class SnapshotReceiver {
  private writer: SnapshotWriter | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The last snapshot received completely, by file name. */
  complete: string | undefined;

  constructor(private readonly dir: string) {}

  accept(c: SnapshotChunk): void {
    this.chain = this.chain.then(() => this.write(c)).catch(() => this.abort());
  }

  private async write(c: SnapshotChunk): Promise<void> {
    const name = snapshotFileName(c.meta);
    if (c.offset === 0) {
      await this.abort();
      this.writer = await SnapshotWriter.create(this.dir, c.meta);
    }
    const w = this.writer;
    if (w === undefined || w.name !== name || w.written !== c.offset) {
      await this.abort();
      return;
    }
    if (c.data.length > 0) await w.write(c.data);
    if (c.last) {
      this.writer = undefined;
      await w.finish();
      this.complete = name;
    }
  }

  private async abort(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    if (w !== undefined) await w.abort();
  }

  /** Waits for the chunks received so far to be written; true when `meta`'s file is complete. */
  async ready(meta: SnapshotMeta): Promise<boolean> {
    await this.chain;
    return this.complete === snapshotFileName(meta);
  }
}
