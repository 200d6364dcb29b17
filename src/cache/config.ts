// CONFIG GET/SET parameters. Parameters that Depot acts on are typed and validated; Redis
// parameters that do not apply here (config-tuning.ts) are validated as Redis validates them,
// then remembered, so that scripts and clients that set them keep working.
import { assert } from '../util/assert.js';
import {
  INT_MAX, LLONG_MAX, UINT_MAX, ULLONG_MAX, boolParam, enumParam, immutable, intParam, memoryParam, outputBufferLimitParam, protectedParam, type OutputBufferClass, type OutputBufferLimit, type Param,
} from './config-params.js';
import { tuningParams } from './config-tuning.js';
import { EVICTION_POLICIES, type EvictionPolicy } from './eviction.js';
import { globMatch } from './glob.js';
import { checkKeyspaceEventFlags } from './notify.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface Settings {
  requirepass: string;
  /** Chosen at startup (`depot start --appendonly`): the log is on disk or in memory only. */
  appendonly: boolean;
  appendfsync: FsyncPolicy;
  timeoutSeconds: number;
  maxclients: number;
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  hz: number;
  /** Resizing keyspace tables move elements from the server's timer too, not only on writes. */
  activerehashing: boolean;
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  /** Keys each eviction round samples per database (eviction.ts). */
  maxmemorySamples: number;
  /** The LFU counter's growth and decay (machine/lfu.ts). */
  lfuLogFactor: number;
  lfuDecayTime: number;
  /** When a hash is packed (machine/hash.ts): at most this many fields, ... */
  hashMaxListpackEntries: number;
  /** ... each field and value at most this many bytes. */
  hashMaxListpackValue: number;
  /** When a sorted set is packed (machine/zset.ts): at most this many members of at most ... */
  zsetMaxListpackEntries: number;
  /** ... this many bytes. */
  zsetMaxListpackValue: number;
  /** Past this many members a set of integers answers OBJECT ENCODING `hashtable`, not `intset`. */
  setMaxIntsetEntries: number;
  /**
   * client-output-buffer-limit: past a class's hard limit, or past its soft limit for longer than
   * its seconds, a client is disconnected (server/resp/connection.ts). `slave` is remembered only.
   */
  clientOutputBufferLimits: Readonly<Record<OutputBufferClass, OutputBufferLimit>>;
  tcpKeepaliveSeconds: number;
  /** Commands that run this many microseconds or more go to the slow log; negative: none. */
  slowlogLogSlowerThan: number;
  /** Entries the slow log keeps. */
  slowlogMaxLen: number;
  /** Keys client-side caching remembers before it invalidates the oldest (tracking.ts); 0: no limit. */
  trackingTableMaxKeys: number;
  /** A snapshot is due once the log since the last one holds this many bytes ... */
  autoAofRewriteMinSize: number;
  /** ... and grew by this percentage of the last snapshot's size (0: never by size). */
  autoAofRewritePercentage: number;
  /** busy-reply-threshold: how long a script may run without writing before Depot stops it (ms; 0: never). */
  busyReplyThresholdMs: number;
  /** hll-sparse-max-bytes: the size past which a sparse HyperLogLog becomes dense (hyperloglog.ts). */
  hllSparseMaxBytes: number;
  /** latency-tracking: a latency histogram per command (INFO latencystats, LATENCY HISTOGRAM). */
  latencyTracking: boolean;
  /** latency-tracking-info-percentiles: the percentiles INFO latencystats prints. */
  latencyPercentiles: number[];
  /** latency-monitor-threshold: commands this slow or slower are latency events (ms; 0: off). */
  latencyMonitorThresholdMs: number;
  /** stream-node-max-bytes: a stream node's listpack bytes at most (machine/stream.ts; 0: no limit). */
  streamNodeMaxBytes: number;
  /** stream-node-max-entries: a stream node's entries at most (0: no limit). */
  streamNodeMaxEntries: number;
  /** acllog-max-len: the entries ACL LOG keeps. */
  acllogMaxLen: number;
  /** aclfile: where ACL SAVE writes the users and ACL LOAD (and the start) reads them; "" for none. Set at start only. */
  aclfile: string;
}

/** The fixed parameters Redis 7 refuses as protected rather than immutable. */
const PROTECTED = new Set(['dir', 'dbfilename']);

export interface ConfigHooks {
  requirepass(password: string): void;
  /** Applies notify-keyspace-events; returns an error text, or null. */
  notifyKeyspaceEvents(flags: string): string | null;
  /** The canonical text of the current notify-keyspace-events flags. */
  notifyKeyspaceEventsText(): string;
  /** Changes the journal's fsync policy; returns an error text when persistence cannot. */
  appendfsync(policy: FsyncPolicy): string | null;
  /** maxmemory-policy, lfu-log-factor or lfu-decay-time changed. */
  eviction(): void;
  /** One of the hash-max-listpack-* or zset-max-listpack-* parameters changed. */
  packLimits(): void;
  /** maxmemory changed. */
  maxmemory(): void;
  /** slowlog-log-slower-than or latency-monitor-threshold changed: what the dispatcher reports. */
  slowlog(): void;
  /** tracking-table-max-keys changed. */
  tracking(): void;
  /** auto-aof-rewrite-min-size or auto-aof-rewrite-percentage changed. */
  snapshotPolicy(): void;
  /** busy-reply-threshold (lua-time-limit) changed. */
  busyReplyThreshold(): void;
}

export class ConfigStore {
  private readonly params = new Map<string, Param>();

  constructor(
    readonly settings: Settings,
    readonly fixed: Readonly<Record<string, string>>,
    hooks: ConfigHooks,
  ) {
    const s = settings;
    this.params.set('requirepass', {
      get: () => s.requirepass,
      parse: (v) => ({
        apply: () => {
          s.requirepass = v;
          hooks.requirepass(v);
          return null;
        },
      }),
    });
    this.params.set('notify-keyspace-events', {
      get: () => hooks.notifyKeyspaceEventsText(),
      parse: (v) => {
        const error = checkKeyspaceEventFlags(v);
        return error !== null ? { error } : { apply: () => hooks.notifyKeyspaceEvents(v) };
      },
    });
    // Redis 7 lists the choices in this order in its error text.
    this.params.set('appendfsync', enumParam(() => s.appendfsync, ['everysec', 'always', 'no'], (choice) => {
      const policy = choice as FsyncPolicy;
      const err = hooks.appendfsync(policy);
      if (err === null) s.appendfsync = policy;
      return err;
    }));
    this.params.set('appendonly', boolParam(() => s.appendonly, (on) =>
      on === s.appendonly ? null : `Depot chooses the journal at startup: restart with depot start --appendonly ${on ? 'yes' : 'no'}`));
    this.params.set('maxmemory-policy', enumParam(() => s.maxmemoryPolicy, EVICTION_POLICIES, (choice) => {
      s.maxmemoryPolicy = choice as EvictionPolicy;
      hooks.eviction();
      return null;
    }));
    this.params.set('maxmemory-samples', intParam(() => s.maxmemorySamples, (n) => (s.maxmemorySamples = n), 1n, INT_MAX));
    this.params.set('lfu-log-factor', intParam(() => s.lfuLogFactor, (n) => ((s.lfuLogFactor = n), hooks.eviction()), 0n, INT_MAX));
    this.params.set('lfu-decay-time', intParam(() => s.lfuDecayTime, (n) => ((s.lfuDecayTime = n), hooks.eviction()), 0n, INT_MAX));
    // Redis's names, and the ziplist names it keeps as aliases.
    const packParams: Array<[string, Param]> = [
      ['hash-max-%-entries', intParam(() => s.hashMaxListpackEntries, (n) => ((s.hashMaxListpackEntries = n), hooks.packLimits()), 0n, LLONG_MAX)],
      ['hash-max-%-value', memoryParam(() => s.hashMaxListpackValue, (n) => ((s.hashMaxListpackValue = n), hooks.packLimits()), 0n, LLONG_MAX)],
      ['zset-max-%-entries', intParam(() => s.zsetMaxListpackEntries, (n) => ((s.zsetMaxListpackEntries = n), hooks.packLimits()), 0n, LLONG_MAX)],
      ['zset-max-%-value', memoryParam(() => s.zsetMaxListpackValue, (n) => ((s.zsetMaxListpackValue = n), hooks.packLimits()), 0n, LLONG_MAX)],
    ];
    for (const [pattern, param] of packParams) {
      this.params.set(pattern.replace('%', 'listpack'), param);
      this.params.set(pattern.replace('%', 'ziplist'), param);
    }
    this.params.set('set-max-intset-entries', intParam(() => s.setMaxIntsetEntries, (n) => (s.setMaxIntsetEntries = n), 0n, LLONG_MAX));
    this.params.set('client-output-buffer-limit', outputBufferLimitParam(() => s.clientOutputBufferLimits, (l) => (s.clientOutputBufferLimits = l)));
    this.params.set('timeout', intParam(() => s.timeoutSeconds, (n) => (s.timeoutSeconds = n), 0n, INT_MAX));
    this.params.set('maxclients', intParam(() => s.maxclients, (n) => (s.maxclients = n), 1n, UINT_MAX));
    this.params.set('hz', intParam(() => s.hz, (n) => (s.hz = Math.min(500, Math.max(1, n))), 0n, INT_MAX));
    this.params.set('activerehashing', boolParam(() => s.activerehashing, (on) => ((s.activerehashing = on), null)));
    this.params.set('slowlog-log-slower-than', intParam(() => s.slowlogLogSlowerThan, (n) => ((s.slowlogLogSlowerThan = n), hooks.slowlog()), -1n, LLONG_MAX));
    this.params.set('slowlog-max-len', intParam(() => s.slowlogMaxLen, (n) => (s.slowlogMaxLen = n), 0n, LLONG_MAX));
    this.params.set('tracking-table-max-keys', intParam(() => s.trackingTableMaxKeys, (n) => ((s.trackingTableMaxKeys = n), hooks.tracking()), 0n, LLONG_MAX));
    this.params.set('auto-aof-rewrite-percentage', intParam(() => s.autoAofRewritePercentage, (n) => ((s.autoAofRewritePercentage = n), hooks.snapshotPolicy()), 0n, INT_MAX));
    this.params.set('auto-aof-rewrite-min-size', memoryParam(() => s.autoAofRewriteMinSize, (n) => ((s.autoAofRewriteMinSize = n), hooks.snapshotPolicy()), 0n, LLONG_MAX));
    // Redis 7 keeps lua-time-limit as the old name of busy-reply-threshold.
    const busy = intParam(() => s.busyReplyThresholdMs, (n) => ((s.busyReplyThresholdMs = n), hooks.busyReplyThreshold()), 0n, LLONG_MAX);
    this.params.set('busy-reply-threshold', busy);
    this.params.set('lua-time-limit', busy);
    this.params.set('acllog-max-len', intParam(() => s.acllogMaxLen, (n) => (s.acllogMaxLen = n), 0n, LLONG_MAX));
    this.params.set('latency-monitor-threshold', intParam(() => s.latencyMonitorThresholdMs, (n) => ((s.latencyMonitorThresholdMs = n), hooks.slowlog()), 0n, LLONG_MAX));
    this.params.set('latency-tracking', boolParam(() => s.latencyTracking, (on) => ((s.latencyTracking = on), null)));
    this.params.set('latency-tracking-info-percentiles', {
      get: () => s.latencyPercentiles.join(' '),
      parse: (v) => {
        const list = v === '' ? [] : v.split(' ').map((p) => (/^[0-9]+(\.[0-9]+)?$/.test(p) ? Number(p) : NaN));
        if (list.some((p) => Number.isNaN(p))) return { error: 'Invalid latency-tracking-info-percentiles parameters' };
        if (list.some((p) => p > 100)) return { error: 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]' };
        return { apply: () => ((s.latencyPercentiles = list), null) };
      },
    });
    this.params.set('stream-node-max-bytes', memoryParam(() => s.streamNodeMaxBytes, (n) => (s.streamNodeMaxBytes = n), 0n, LLONG_MAX));
    this.params.set('stream-node-max-entries', intParam(() => s.streamNodeMaxEntries, (n) => (s.streamNodeMaxEntries = n), 0n, LLONG_MAX));
    this.params.set('hll-sparse-max-bytes', memoryParam(() => s.hllSparseMaxBytes, (n) => (s.hllSparseMaxBytes = n), 0n, LLONG_MAX));
    this.params.set('tcp-keepalive', intParam(() => s.tcpKeepaliveSeconds, (n) => (s.tcpKeepaliveSeconds = n), 0n, INT_MAX));
    this.params.set('proto-max-bulk-len', memoryParam(() => s.protoMaxBulkLen, (n) => (s.protoMaxBulkLen = n), 1024n * 1024n, LLONG_MAX));
    this.params.set('client-query-buffer-limit', memoryParam(() => s.clientQueryBufferLimit, (n) => (s.clientQueryBufferLimit = n), 1024n * 1024n, LLONG_MAX));
    this.params.set('maxmemory', memoryParam(() => s.maxmemory, (n) => ((s.maxmemory = n), hooks.maxmemory()), 0n, ULLONG_MAX));
    this.params.set('aclfile', { get: () => s.aclfile });
    for (const [names, param] of tuningParams()) for (const name of names) this.params.set(name, param);
    for (const [name, value] of Object.entries(fixed)) this.params.set(name, PROTECTED.has(name) ? protectedParam(value) : immutable(value));
  }

  /** CONFIG GET: name/value pairs of every parameter matching any of the patterns. */
  get(patterns: readonly string[]): Array<[string, string]> {
    // Keyed by parameter; the name replied is the one asked for when it was not a pattern, as Redis replies it.
    const out = new Map<string, [string, string]>();
    const valueOf = (name: string) => this.params.get(name)!.get();
    for (const p of patterns) {
      const lower = p.toLowerCase();
      if (!/[[*?]/.test(p)) {
        if (!out.has(lower) && this.params.has(lower)) out.set(lower, [p, valueOf(lower)]);
        continue;
      }
      for (const name of this.params.keys()) {
        if (out.has(name) || !globMatch(lower, name, true)) continue;
        out.set(name, [name, valueOf(name)]);
      }
    }
    return [...out.values()];
  }

  /**
   * CONFIG SET of several pairs, all or nothing, as in Redis 7: every pair is checked before any
   * is applied, and when applying one fails the pairs applied before it get their old values
   * back. Returns an error text (without the ERR prefix) or null.
   */
  set(pairs: ReadonlyArray<[string, string]>): string | null {
    // Every name first, as Redis checks them (the first unknown, fixed or repeated one is the
    // error; a parameter and its alias are two names, the later value winning), then the
    // values in order.
    const params: Param[] = [];
    const seen = new Set<string>();
    for (const [rawName] of pairs) {
      const name = rawName.toLowerCase();
      const p = this.params.get(name);
      if (p === undefined) return `Unknown option or number of arguments for CONFIG SET - '${rawName}'`;
      // The fixed parameters are the ones Redis cannot change at run time either.
      if (p.parse === undefined) return failed(rawName, p.protected === true ? "can't set protected config" : "can't set immutable config");
      if (seen.has(name)) return failed(rawName, 'duplicate parameter');
      seen.add(name);
      params.push(p);
    }
    const checked: Array<{ name: string; apply: () => string | null; undo: () => void }> = [];
    for (const [i, [rawName, value]] of pairs.entries()) {
      const p = params[i]!;
      // A value's error names the parameter in lower case, as Redis names it.
      const name = rawName.toLowerCase();
      const parsed = p.parse!(value);
      if ('error' in parsed) return failed(name, parsed.error);
      const old = p.parse!(p.get());
      assert(!('error' in old), 'CONFIG %s: the current value must parse', name);
      checked.push({ name, apply: parsed.apply, undo: () => void old.apply() });
    }
    for (let i = 0; i < checked.length; i++) {
      const err = checked[i]!.apply();
      if (err === null) continue;
      for (let j = i - 1; j >= 0; j--) checked[j]!.undo();
      return failed(checked[i]!.name, err);
    }
    return null;
  }
}

function failed(rawName: string, reason: string): string {
  return `CONFIG SET failed (possibly related to argument '${rawName}') - ${reason}`;
}
