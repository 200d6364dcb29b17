// Node configuration: defaults, then an optional YAML file, then DEPOT_* environment
// variables, then command-line flags (each overriding the one before), validated as a whole.
// docs/configuration.md lists every setting; keep it in step with `settings` below.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseMemory } from '../cache/config-params.js';
import { EVICTION_POLICIES } from '../cache/eviction.js';
import { DepotError } from '../util/errors.js';

const port = z.number().int().min(0).max(65535);
const bytes = z.number().int().positive();
/** A size as redis.conf writes one (`100mb`, `2gb`, `1000`), or a whole number of bytes. */
const memory = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseMemory(typeof v === 'number' ? String(v) : v.trim());
  if (n === null || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 100mb or 2gb, got '${v}'` });
    return z.NEVER;
  }
  return Number(n);
});

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./data'),
  /** Address every listener binds to. Loopback by default, as Redis's protected mode. */
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(7450),
  httpPort: port.default(8080),
  /** Node-to-node (raft) traffic. */
  raftPort: port.default(7451),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  broker: z
    .strictObject({
      /** Default flush policy of new topics: sync acks after fsync, async after the write. */
      flush: z.enum(['sync', 'async']).default('sync'),
      segmentBytes: bytes.default(1024 ** 3),
      maxMessageBytes: bytes.default(4 * 1024 ** 2),
      /** Applied entries between snapshots of a broker group (also every 256 MiB applied). */
      snapshotEntries: z.number().int().min(10).default(10_000),
      /** Between retention runs (expiry, segment deletion). */
      retentionCheckMs: z.number().int().min(10).default(10_000),
      /** Disk usage above which consumed messages are deleted before they expire. */
      diskUsageWatermark: z.number().gt(0).max(1).default(0.75),
    })
    .prefault({}),
  cache: z
    .strictObject({
      enabled: z.boolean().default(true),
      port: port.default(6379),
      /** The journal (the group's log on disk); off, the cache persists only on SAVE, as Redis with `appendonly no`. */
      appendonly: z.boolean().default(true),
      appendfsync: z.enum(['always', 'everysec', 'no']).default('everysec'),
      /** The journal's entries LZ4-compressed when that saves an eighth (docs/cache.md, "Effects"); `none`: stored as built. */
      journalCompression: z.enum(['lz4', 'none']).default('lz4'),
      /** Applied log entries (batches of effects) between snapshots of the keyspace, at most. */
      snapshotEntries: z.number().int().min(10).default(10_000_000),
      /**
       * A snapshot is also due once the log since the last one holds this many bytes and has
       * grown by `snapshotGrowthPercent` of the last snapshot's size (Redis's
       * auto-aof-rewrite-min-size and auto-aof-rewrite-percentage; 0 percent: never by size).
       */
      snapshotMinBytes: memory.default(1024 ** 3),
      snapshotGrowthPercent: z.number().int().min(0).default(100),
      /** Bytes of data set over which keys are evicted or writes refused (Redis's maxmemory); 0: no limit. */
      maxmemory: memory.default(0),
      maxmemoryPolicy: z.enum(EVICTION_POLICIES).default('noeviction'),
      /** The users' file (Redis's aclfile): read at start and by ACL LOAD, written by ACL SAVE; "" for none. */
      aclfile: z.string().default(''),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** `memory` is handed to the schema as text, which reads its unit. */
type Kind = 'string' | 'int' | 'bool' | 'memory';
interface Setting {
  path: readonly string[];
  env: string;
  flag: string;
  kind: Kind;
}

/** Every setting reachable from the environment and the command line. */
export const settings: readonly Setting[] = [
  { path: ['dataDir'], env: 'DEPOT_DATA_DIR', flag: 'data', kind: 'string' },
  { path: ['host'], env: 'DEPOT_HOST', flag: 'host', kind: 'string' },
  { path: ['port'], env: 'DEPOT_PORT', flag: 'port', kind: 'int' },
  { path: ['httpPort'], env: 'DEPOT_HTTP_PORT', flag: 'httpPort', kind: 'int' },
  { path: ['raftPort'], env: 'DEPOT_RAFT_PORT', flag: 'raftPort', kind: 'int' },
  { path: ['logLevel'], env: 'DEPOT_LOG_LEVEL', flag: 'logLevel', kind: 'string' },
  { path: ['broker', 'flush'], env: 'DEPOT_BROKER_FLUSH', flag: 'brokerFlush', kind: 'string' },
  { path: ['broker', 'segmentBytes'], env: 'DEPOT_BROKER_SEGMENT_BYTES', flag: 'brokerSegmentBytes', kind: 'int' },
  { path: ['broker', 'maxMessageBytes'], env: 'DEPOT_BROKER_MAX_MESSAGE_BYTES', flag: 'maxMessageBytes', kind: 'int' },
  { path: ['cache', 'enabled'], env: 'DEPOT_CACHE_ENABLED', flag: 'cache', kind: 'bool' },
  { path: ['cache', 'port'], env: 'DEPOT_REDIS_PORT', flag: 'redisPort', kind: 'int' },
  { path: ['cache', 'appendonly'], env: 'DEPOT_CACHE_APPENDONLY', flag: 'appendonly', kind: 'bool' },
  { path: ['cache', 'appendfsync'], env: 'DEPOT_CACHE_APPENDFSYNC', flag: 'appendfsync', kind: 'string' },
  { path: ['cache', 'journalCompression'], env: 'DEPOT_CACHE_JOURNAL_COMPRESSION', flag: 'cacheJournalCompression', kind: 'string' },
  { path: ['cache', 'snapshotEntries'], env: 'DEPOT_CACHE_SNAPSHOT_ENTRIES', flag: 'cacheSnapshotEntries', kind: 'int' },
  { path: ['cache', 'snapshotMinBytes'], env: 'DEPOT_CACHE_SNAPSHOT_MIN_BYTES', flag: 'cacheSnapshotMinBytes', kind: 'memory' },
  { path: ['cache', 'snapshotGrowthPercent'], env: 'DEPOT_CACHE_SNAPSHOT_GROWTH_PERCENT', flag: 'cacheSnapshotGrowthPercent', kind: 'int' },
  { path: ['cache', 'maxmemory'], env: 'DEPOT_CACHE_MAXMEMORY', flag: 'maxmemory', kind: 'memory' },
  { path: ['cache', 'maxmemoryPolicy'], env: 'DEPOT_CACHE_MAXMEMORY_POLICY', flag: 'maxmemoryPolicy', kind: 'string' },
  { path: ['cache', 'aclfile'], env: 'DEPOT_CACHE_ACLFILE', flag: 'aclfile', kind: 'string' },
];

export interface ConfigSources {
  /** Path of a YAML file, if one was given. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Parsed command-line flags by the names in `settings` (strings, numbers or booleans). */
  flags?: Readonly<Record<string, unknown>>;
}

type Tree = Record<string, unknown>;

export function loadConfig(sources: ConfigSources = {}): Config {
  const tree: Tree = sources.file === undefined ? {} : readYaml(sources.file);
  const problems: string[] = [];
  for (const s of settings) {
    const raw = sources.env?.[s.env];
    if (raw !== undefined && raw !== '') {
      const v = coerce(raw, s.kind);
      if (v === undefined) problems.push(`${s.env}=${raw}: expected ${describe(s.kind)}`);
      else setPath(tree, s.path, v);
    }
  }
  for (const s of settings) {
    const raw = sources.flags?.[s.flag];
    if (raw === undefined) continue;
    const v = typeof raw === 'string' ? coerce(raw, s.kind) : raw;
    if (v === undefined) problems.push(`--${kebab(s.flag)} ${String(raw)}: expected ${describe(s.kind)}`);
    else setPath(tree, s.path, v);
  }
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.length ? issue.path.join('.') : '(root)';
      problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new DepotError('INVALID_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

function readYaml(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DepotError('INVALID_CONFIG', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new DepotError('INVALID_CONFIG', `config file ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new DepotError('INVALID_CONFIG', `config file ${file} must hold a mapping of settings`);
  }
  return doc as Tree;
}

function coerce(raw: string, kind: Kind): string | number | boolean | undefined {
  switch (kind) {
    case 'string':
    case 'memory':
      return raw;
    case 'int':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw) : undefined;
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return undefined;
  }
}

function describe(kind: Kind): string {
  return kind === 'int' ? 'an integer' : kind === 'bool' ? 'true or false' : 'a string';
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}
