// WATCH: clients watching keys, and the keyspace observer that marks them dirty when a watched
// key is about to change (any effect on it that Redis signals, including expiry and
// FLUSHDB/SWAPDB; not a stream's consumer groups), so that their next EXEC fails. Keys are
// tracked per database index.
import type { Client } from './client.js';
import type { KeyspaceObserver } from './machine/keyspace.js';
import type { Db } from './machine/values.js';

export class WatchRegistry implements KeyspaceObserver {
  private readonly byDb = new Map<number, Map<string, Set<Client>>>();

  watch(client: Client, db: number, key: string): void {
    const id = `${db}\0${key}`;
    if (client.watched.has(id)) return;
    client.watched.add(id);
    let keys = this.byDb.get(db);
    if (keys === undefined) this.byDb.set(db, (keys = new Map()));
    let clients = keys.get(key);
    if (clients === undefined) keys.set(key, (clients = new Set()));
    clients.add(client);
  }

  unwatch(client: Client): void {
    for (const id of client.watched) {
      const sep = id.indexOf('\0');
      const db = Number(id.slice(0, sep));
      const key = id.slice(sep + 1);
      const keys = this.byDb.get(db);
      const clients = keys?.get(key);
      clients?.delete(client);
      if (clients?.size === 0) keys!.delete(key);
      if (keys?.size === 0) this.byDb.delete(db);
    }
    client.watched.clear();
    client.watchDirty = false;
  }

  beforeWrite(_db: Db, dbIndex: number, key: string, signalled: boolean): void {
    if (this.byDb.size === 0 || !signalled) return;
    const clients = this.byDb.get(dbIndex)?.get(key);
    if (clients !== undefined) for (const c of clients) c.watchDirty = true;
  }

  beforeDbWrite(_db: Db, dbIndex: number): void {
    const keys = this.byDb.get(dbIndex);
    if (keys === undefined) return;
    for (const clients of keys.values()) for (const c of clients) c.watchDirty = true;
  }
}
