// WATCH: clients watching keys, and the keyspace observer that marks them dirty when a watched
// key is about to change (any effect on it that Redis signals, including expiry and
// FLUSHDB/SWAPDB; not a stream's consumer groups), so that their next EXEC fails. Keys are
// tracked per database index.
//
// As in Redis 7.0, a key that had expired (but was still held) when it was watched is not a
// change when it is finally deleted, and a watched key that expires before EXEC without being
// deleted fails the EXEC all the same (`expiredSince`).
import type { Client } from './client.js';
import type { KeyspaceObserver } from './machine/keyspace.js';
import type { Db } from './machine/values.js';

function watchId(db: number, key: string): string {
  return `${db}\0${key}`;
}

export class WatchRegistry implements KeyspaceObserver {
  private readonly byDb = new Map<number, Map<string, Set<Client>>>();

  /** `expired`: the key is held but its time has passed (Redis's keyIsExpired at WATCH). */
  watch(client: Client, db: number, key: string, expired: boolean): void {
    const id = watchId(db, key);
    if (client.watched.has(id)) return;
    client.watched.set(id, expired);
    let keys = this.byDb.get(db);
    if (keys === undefined) this.byDb.set(db, (keys = new Map()));
    let clients = keys.get(key);
    if (clients === undefined) keys.set(key, (clients = new Set()));
    clients.add(client);
  }

  unwatch(client: Client): void {
    for (const id of client.watched.keys()) {
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

  /** Whether a key the client watched while it was live has expired since (EXEC then fails). */
  expiredSince(client: Client, dbs: readonly Db[], now: number): boolean {
    for (const [id, expiredAtWatch] of client.watched) {
      if (expiredAtWatch) continue;
      const sep = id.indexOf('\0');
      const at = dbs[Number(id.slice(0, sep))]!.expires.get(id.slice(sep + 1));
      if (at !== undefined && at <= now) return true;
    }
    return false;
  }

  beforeWrite(_db: Db, dbIndex: number, key: string, signalled: boolean, deleting: boolean): void {
    if (this.byDb.size === 0 || !signalled) return;
    const clients = this.byDb.get(dbIndex)?.get(key);
    if (clients === undefined) return;
    const id = watchId(dbIndex, key);
    for (const c of clients) {
      // Deleting a key that was watched already expired changes nothing the watcher saw.
      if (c.watched.get(id) === true && deleting) c.watched.set(id, false);
      else c.watchDirty = true;
    }
  }

  /** Only watched keys held before or after (SWAPDB) are changes, as in Redis's touchAllWatchedKeysInDb. */
  beforeDbWrite(db: Db, dbIndex: number, replacedWith: Db | null): void {
    const keys = this.byDb.get(dbIndex);
    if (keys === undefined) return;
    for (const [key, clients] of keys) {
      const held = db.keys.has(key);
      const comes = replacedWith !== null && replacedWith.keys.has(key);
      if (!held && !comes) continue;
      const id = watchId(dbIndex, key);
      for (const c of clients) {
        if (c.watched.get(id) === true && !comes) c.watched.set(id, false);
        else c.watchDirty = true;
      }
    }
  }
}
