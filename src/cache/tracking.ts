// Client-side caching (Redis tracking.c): CLIENT TRACKING tells a client when keys it may have
// cached change, so that it can drop them.
//
// Default mode: the keys a tracking client reads (read-only commands) are remembered with its
// id; the first write to such a key sends that client an invalidation and forgets the key (it
// is remembered again when read again). OPTIN / OPTOUT narrow what is remembered to the reads
// after CLIENT CACHING YES / not after CLIENT CACHING NO. BCAST mode remembers nothing: every
// write to a key under one of the client's prefixes (all keys without one) is sent, gathered
// per prefix until the end of the turn. NOLOOP leaves out the client's own writes. As in Redis,
// keys are tracked by name alone, whatever the database, and a flush of a database sends a
// null invalidation (everything) to every tracking client.
//
// Invalidations of the running command are sent after it (so that the writer's own come after
// its reply, as Redis orders them); those of timers (expiry, eviction) at the end of the turn.
import type { Client } from './client.js';
import type { KeyspaceObserver } from './machine/keyspace.js';
import type { Db } from './machine/values.js';

export interface TrackingOptions {
  readonly redirect: number;
  readonly bcast: boolean;
  readonly optin: boolean;
  readonly optout: boolean;
  readonly noloop: boolean;
  readonly prefixes: readonly string[];
}

/** A client's tracking state (Client.tracking; null while off). */
export interface TrackingState {
  /** The client id invalidations go to; 0: the client itself. */
  redirect: number;
  readonly bcast: boolean;
  readonly optin: boolean;
  readonly optout: boolean;
  readonly noloop: boolean;
  /** CLIENT CACHING was called for the next command (YES in OPTIN mode, NO in OPTOUT mode). */
  caching: boolean;
  /** The redirect's client went away (CLIENT TRACKINGINFO's broken_redirect). */
  brokenRedirect: boolean;
  readonly prefixes: Set<string>;
}

/** What tracking needs from the server. */
export interface TrackingHost {
  client(id: number): Client | undefined;
  /** The client whose command is running, or null (timers). */
  readonly running: Client | null;
  /** Sends `client` an invalidation of `keys` (null: everything), through its redirect if it has one. */
  invalidate(client: Client, keys: readonly string[] | null): void;
}

interface Prefix {
  readonly clients: Set<Client>;
  /** Keys written under the prefix this turn, with the first client that wrote each (NOLOOP). */
  readonly keys: Map<string, Client | null>;
}

export class Tracking implements KeyspaceObserver {
  /** Remembered keys and the ids of the clients that read them. */
  private readonly table = new Map<string, Set<number>>();
  private items = 0;
  private readonly prefixes = new Map<string, Prefix>();
  /** Invalidations waiting for the running command to end: a client, and a key or null. */
  private pending: Array<[Client, string | null]> = [];
  /** Clients with a null among the pending invalidations. */
  private readonly flushed = new Set<Client>();
  /** The clients with tracking on. */
  private readonly tracking = new Set<Client>();
  /** tracking-table-max-keys: past it the oldest remembered keys are invalidated; 0: no limit. */
  maxKeys = 1_000_000;

  constructor(private readonly host: TrackingHost) {}

  get clients(): number {
    return this.tracking.size;
  }

  get keys(): number {
    return this.table.size;
  }

  get totalItems(): number {
    return this.items;
  }

  get totalPrefixes(): number {
    return this.prefixes.size;
  }

  /**
   * CLIENT TRACKING ON: an error text, or null once on. Turning it on again keeps the client's
   * prefixes and adds the new ones; its mode (BCAST or not, OPTIN or OPTOUT) cannot change.
   */
  enable(client: Client, o: TrackingOptions): string | null {
    const current = client.tracking;
    if (!o.bcast && o.prefixes.length > 0) return 'ERR PREFIX option requires BCAST mode to be enabled';
    if (current !== null && current.bcast !== o.bcast) {
      return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
    }
    if (o.bcast && (o.optin || o.optout)) return 'ERR OPTIN and OPTOUT are not compatible with BCAST';
    if (o.optin && o.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
    if (current !== null && ((o.optin && current.optout) || (o.optout && current.optin))) {
      return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
    }
    if (o.bcast) {
      const error = prefixCollision(current?.prefixes ?? new Set(), o.prefixes);
      if (error !== null) return error;
    }
    this.tracking.add(client);
    const prefixes = current?.prefixes ?? new Set<string>();
    client.tracking = { redirect: o.redirect, bcast: o.bcast, optin: o.optin, optout: o.optout, noloop: o.noloop, caching: false, brokenRedirect: false, prefixes };
    if (o.bcast) for (const p of o.prefixes.length === 0 ? [''] : o.prefixes) this.subscribe(client, p);
    return null;
  }

  /** CLIENT TRACKING OFF, RESET, or the connection closed. Its remembered keys stay until written, as in Redis. */
  disable(client: Client): void {
    const t = client.tracking;
    if (t === null) return;
    for (const p of t.prefixes) {
      const entry = this.prefixes.get(p)!;
      entry.clients.delete(client);
      if (entry.clients.size === 0) this.prefixes.delete(p);
    }
    client.tracking = null;
    this.tracking.delete(client);
  }

  private subscribe(client: Client, prefix: string): void {
    let entry = this.prefixes.get(prefix);
    if (entry === undefined) {
      entry = { clients: new Set(), keys: new Map() };
      this.prefixes.set(prefix, entry);
    }
    entry.clients.add(client);
    client.tracking!.prefixes.add(prefix);
  }

  /** After a read-only command of a tracking client: remembers the keys it read. */
  remember(client: Client, keys: readonly string[]): void {
    const t = client.tracking!;
    if (t.bcast || (t.optin && !t.caching) || (t.optout && t.caching)) return;
    for (const key of keys) {
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      if (!ids.has(client.id)) {
        ids.add(client.id);
        this.items++;
      }
    }
    if (this.maxKeys > 0 && this.table.size > this.maxKeys) {
      for (const key of this.table.keys()) {
        if (this.table.size <= this.maxKeys) break;
        this.invalidateKey(key, null);
      }
    }
  }

  beforeWrite(_db: Db, _dbIndex: number, key: string, signalled: boolean): void {
    if (!signalled) return;
    if (this.prefixes.size > 0) {
      const writer = this.host.running;
      for (const [p, entry] of this.prefixes) if (key.startsWith(p) && !entry.keys.has(key)) entry.keys.set(key, writer);
    }
    if (this.table.size > 0) this.invalidateKey(key, this.host.running);
  }

  beforeDbWrite(): void {
    for (const client of this.tracking) {
      // One null per client and command: FLUSHALL empties every database.
      if (this.flushed.has(client)) continue;
      this.flushed.add(client);
      this.pending.push([client, null]);
    }
  }

  private invalidateKey(key: string, writer: Client | null): void {
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    this.items -= ids.size;
    for (const id of ids) {
      const target = this.host.client(id);
      // A client that turned tracking off, or on again in BCAST mode, is not told.
      if (target === undefined || target.tracking === null || target.tracking.bcast) continue;
      if (target.tracking.noloop && target === writer) continue;
      this.pending.push([target, key]);
    }
  }

  /** Sends what the command (or timer) that just ran invalidated. */
  flush(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    this.flushed.clear();
    for (const [client, key] of pending) if (client.tracking !== null) this.host.invalidate(client, key === null ? null : [key]);
  }

  /** End of the turn: each BCAST client gets the keys written under each of its prefixes. */
  broadcast(): void {
    this.flush();
    for (const entry of this.prefixes.values()) {
      if (entry.keys.size === 0) continue;
      for (const client of entry.clients) {
        const keys: string[] = [];
        for (const [key, writer] of entry.keys) if (!(client.tracking!.noloop && writer === client)) keys.push(key);
        if (keys.length > 0) this.host.invalidate(client, keys);
      }
      entry.keys.clear();
    }
  }
}

/** Redis's check: no two prefixes of a client may be one a prefix of the other. */
function prefixCollision(existing: ReadonlySet<string>, added: readonly string[]): string | null {
  const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < added.length; i++) {
    for (const e of existing) {
      if (overlap(e, added[i]!)) return `ERR Prefix '${added[i]}' overlaps with an existing prefix '${e}'. Prefixes for a single client must not overlap.`;
    }
    for (let j = i + 1; j < added.length; j++) {
      if (overlap(added[i]!, added[j]!)) return `ERR Prefix '${added[i]}' overlaps with another provided prefix '${added[j]}'. Prefixes for a single client must not overlap.`;
    }
  }
  return null;
}
