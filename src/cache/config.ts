// CONFIG GET/SET parameters. Parameters that Depot acts on are typed and validated; Redis
// tuning parameters that do not apply here (encoding thresholds, lazy freeing, rehashing...)
// are accepted and remembered so that scripts and clients that set them keep working.
import { globMatch } from './glob.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface Settings {
  requirepass: string;
  appendfsync: FsyncPolicy;
  timeoutSeconds: number;
  maxclients: number;
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  hz: number;
  maxmemory: number;
  tcpKeepaliveSeconds: number;
}

interface Param {
  get(): string;
  /** Applies a value; returns an error text when it is refused. */
  set?(value: string): string | null;
}

/** Redis parameters accepted without effect, with their Redis 7.0 defaults. */
const TUNING: Record<string, string> = {
  'hash-max-listpack-entries': '128',
  'hash-max-listpack-value': '64',
  'hash-max-ziplist-entries': '128',
  'hash-max-ziplist-value': '64',
  'list-max-listpack-size': '-2',
  'list-max-ziplist-size': '-2',
  'list-compress-depth': '0',
  'set-max-intset-entries': '512',
  'zset-max-listpack-entries': '128',
  'zset-max-listpack-value': '64',
  'zset-max-ziplist-entries': '128',
  'zset-max-ziplist-value': '64',
  'activerehashing': 'yes',
  'lazyfree-lazy-eviction': 'no',
  'lazyfree-lazy-expire': 'no',
  'lazyfree-lazy-server-del': 'no',
  'lazyfree-lazy-user-del': 'no',
  'lazyfree-lazy-user-flush': 'no',
  'slowlog-log-slower-than': '10000',
  'slowlog-max-len': '128',
  'latency-monitor-threshold': '0',
  'latency-tracking': 'yes',
  'lua-time-limit': '5000',
  'busy-reply-threshold': '5000',
  'active-expire-effort': '1',
  'maxmemory-samples': '5',
  'loglevel': 'notice',
  'stream-node-max-bytes': '4096',
  'stream-node-max-entries': '100',
  'hll-sparse-max-bytes': '3000',
  'activedefrag': 'no',
  'save': '3600 1 300 100 60 10000',
  'stop-writes-on-bgsave-error': 'yes',
  'rdbcompression': 'yes',
  'rdbchecksum': 'yes',
  'appendonly': 'yes',
  'auto-aof-rewrite-percentage': '100',
  'auto-aof-rewrite-min-size': '67108864',
  'no-appendfsync-on-rewrite': 'no',
  'aof-use-rdb-preamble': 'yes',
  'repl-diskless-sync': 'yes',
  'io-threads': '1',
  'io-threads-do-reads': 'no',
  'client-output-buffer-limit': 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
  'tracking-table-max-keys': '1000000',
  'acl-pubsub-default': 'resetchannels',
  'cluster-enabled': 'no',
  'replica-read-only': 'yes',
  'protected-mode': 'no',
  'enable-debug-command': 'no',
};

const FSYNC: readonly string[] = ['always', 'everysec', 'no'];

function intSetter(apply: (n: number) => void, min: number): (v: string) => string | null {
  return (v) => {
    const n = parseMemoryOrInt(v);
    if (n === null) return "argument couldn't be parsed into an integer";
    if (n < min) return 'argument must be between ' + min + ' and 9223372036854775807 inclusive';
    apply(n);
    return null;
  };
}

/** Redis accepts memory sizes such as 100mb or 1gb where it takes integers. */
function parseMemoryOrInt(v: string): number | null {
  const m = /^(-?[0-9]+)(k|kb|m|mb|g|gb)?$/i.exec(v);
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' ? 1000 : unit === 'kb' ? 1024 : unit === 'm' ? 1e6 : unit === 'mb' ? 1024 ** 2 : unit === 'g' ? 1e9 : unit === 'gb' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

export interface ConfigHooks {
  requirepass(password: string): void;
  /** Applies notify-keyspace-events; returns an error text, or null. */
  notifyKeyspaceEvents(flags: string): string | null;
  /** The canonical text of the current notify-keyspace-events flags. */
  notifyKeyspaceEventsText(): string;
  /** Changes the journal's fsync policy; returns an error text when persistence cannot. */
  appendfsync(policy: FsyncPolicy): string | null;
}

export class ConfigStore {
  private readonly params = new Map<string, Param>();
  private readonly tuning = new Map<string, string>(Object.entries(TUNING));

  constructor(
    readonly settings: Settings,
    readonly fixed: Readonly<Record<string, string>>,
    hooks: ConfigHooks,
  ) {
    const s = settings;
    this.params.set('requirepass', {
      get: () => s.requirepass,
      set: (v) => {
        s.requirepass = v;
        hooks.requirepass(v);
        return null;
      },
    });
    this.params.set('notify-keyspace-events', {
      get: () => hooks.notifyKeyspaceEventsText(),
      set: (v) => hooks.notifyKeyspaceEvents(v),
    });
    this.params.set('appendfsync', {
      get: () => s.appendfsync,
      set: (v) => {
        const p = v.toLowerCase();
        if (!FSYNC.includes(p)) return 'argument(s) must be one of the following: everysec, always, no';
        const err = hooks.appendfsync(p as FsyncPolicy);
        if (err === null) s.appendfsync = p as FsyncPolicy;
        return err;
      },
    });
    this.params.set('timeout', { get: () => String(s.timeoutSeconds), set: intSetter((n) => (s.timeoutSeconds = n), 0) });
    this.params.set('maxclients', { get: () => String(s.maxclients), set: intSetter((n) => (s.maxclients = n), 1) });
    this.params.set('proto-max-bulk-len', { get: () => String(s.protoMaxBulkLen), set: intSetter((n) => (s.protoMaxBulkLen = n), 1024 * 1024) });
    this.params.set('client-query-buffer-limit', { get: () => String(s.clientQueryBufferLimit), set: intSetter((n) => (s.clientQueryBufferLimit = n), 1024 * 1024) });
    this.params.set('hz', { get: () => String(s.hz), set: intSetter((n) => (s.hz = Math.min(500, Math.max(1, n))), 0) });
    this.params.set('maxmemory', { get: () => String(s.maxmemory), set: intSetter((n) => (s.maxmemory = n), 0) });
    this.params.set('maxmemory-policy', {
      get: () => 'noeviction',
      set: (v) => (v.toLowerCase() === 'noeviction' ? null : 'Depot does not evict keys: only noeviction is supported'),
    });
    this.params.set('tcp-keepalive', { get: () => String(s.tcpKeepaliveSeconds), set: intSetter((n) => (s.tcpKeepaliveSeconds = n), 0) });
    for (const [name, value] of Object.entries(fixed)) this.params.set(name, { get: () => value });
  }

  /** CONFIG GET: name/value pairs of every parameter matching any of the patterns. */
  get(patterns: readonly string[]): Array<[string, string]> {
    const out = new Map<string, string>();
    const all = [...this.params.keys(), ...this.tuning.keys()];
    for (const p of patterns) {
      const lower = p.toLowerCase();
      for (const name of all) {
        if (out.has(name) || !globMatch(lower, name, true)) continue;
        out.set(name, this.params.get(name)?.get() ?? this.tuning.get(name)!);
      }
    }
    return [...out];
  }

  /**
   * CONFIG SET of several pairs, all or nothing: every name is checked before any value is
   * applied. Returns an error text (without the ERR prefix) or null.
   */
  set(pairs: ReadonlyArray<[string, string]>): string | null {
    const seen = new Set<string>();
    for (const [rawName] of pairs) {
      const name = rawName.toLowerCase();
      if (seen.has(name)) return `Duplicate parameter - ${rawName}`;
      seen.add(name);
      const p = this.params.get(name);
      if ((p === undefined && !this.tuning.has(name)) || (p !== undefined && p.set === undefined)) {
        return `Unknown option or number of arguments for CONFIG SET - '${rawName}'`;
      }
    }
    for (const [rawName, value] of pairs) {
      const name = rawName.toLowerCase();
      const p = this.params.get(name);
      if (p === undefined) {
        this.tuning.set(name, value);
        continue;
      }
      const err = p.set!(value);
      if (err !== null) return `CONFIG SET failed (possibly related to argument '${rawName}') - ${err}`;
    }
    return null;
  }
}
