// Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD, ...): a FIFO per key, and the keys
// that became ready during the current command. After each command the service retries the
// blocked commands of the ready keys in arrival order, as Redis's handleClientsBlockedOnKeys.
//
// Writes make a key ready through the commands that can serve a waiter (pushes, XADD), with
// one exception this class sees itself, as a keyspace observer: any change to a key that an
// XREADGROUP waits on, so that a deleted or replaced stream ends the wait with an error, as
// Redis 7.0 ends it (the group is gone with the stream; no XADD could serve the reader).
import type { Client } from './client.js';
import type { KeyspaceObserver } from './machine/keyspace.js';
import type { Db } from './machine/values.js';

export class BlockedClients implements KeyspaceObserver {
  /** db -> key -> clients in the order they blocked. */
  private readonly queues = new Map<number, Map<string, Client[]>>();
  private ready: Array<[number, string]> = [];
  private readySet = new Set<string>();
  count = 0;

  add(client: Client, db: number, keys: readonly string[]): void {
    let byKey = this.queues.get(db);
    if (byKey === undefined) this.queues.set(db, (byKey = new Map()));
    for (const key of new Set(keys)) {
      const q = byKey.get(key);
      if (q === undefined) byKey.set(key, [client]);
      else q.push(client);
    }
    this.count++;
  }

  remove(client: Client, db: number, keys: readonly string[]): void {
    const byKey = this.queues.get(db);
    if (byKey === undefined) return;
    for (const key of new Set(keys)) {
      const q = byKey.get(key);
      if (q === undefined) continue;
      const i = q.indexOf(client);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) byKey.delete(key);
    }
    if (byKey.size === 0) this.queues.delete(db);
    this.count--;
  }

  /** Records that `key` may now serve blocked clients; cheap when nobody waits on it. */
  signal(db: number, key: string): void {
    if (this.queues.get(db)?.has(key) !== true) return;
    const id = `${db}\0${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push([db, key]);
  }

  beforeWrite(_db: Db, dbIndex: number, key: string): void {
    if (this.count === 0) return;
    const q = this.queues.get(dbIndex)?.get(key);
    if (q?.some((c) => c.blocked?.argv[0]?.toLowerCase() === 'xreadgroup') === true) this.signal(dbIndex, key);
  }

  beforeDbWrite(_db: Db, dbIndex: number): void {
    if (this.count > 0) this.signalAll(dbIndex);
  }

  /** Every key of `db` with waiters becomes ready (SWAPDB moved new data under them). */
  signalAll(db: number): void {
    const byKey = this.queues.get(db);
    if (byKey !== undefined) for (const key of byKey.keys()) this.signal(db, key);
  }

  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** Takes the ready keys recorded so far. */
  takeReady(): Array<[number, string]> {
    const r = this.ready;
    this.ready = [];
    this.readySet = new Set();
    return r;
  }

  /** The clients waiting on a key, oldest first (a copy: serving changes the queue). */
  waiters(db: number, key: string): Client[] {
    return this.queues.get(db)?.get(key)?.slice() ?? [];
  }
}
