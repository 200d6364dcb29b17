// The cache on a node: the keyspace state machine on its raft group (`cache-1`) and the RESP
// server in front of it. appendfsync maps onto the group's log: `always` — sync durability (a
// write is answered once fdatasync'ed); `everysec` — async (answered once written to the OS,
// fdatasync every second); `no` — a log that never fsyncs (the OS decides). CONFIG SET
// appendfsync switches the running log; writes answered after the switch follow the new policy.
// `appendonly no` keeps the log in memory (Redis's persistence off): entries go once applied,
// and only SAVE/BGSAVE write anything, a snapshot that the next start loads.
import { randomInt } from 'node:crypto';
import type { FsyncPolicy } from '../cache/config.js';
import { effectBytes } from '../cache/machine/effect-packing.js';
import { CacheMachine } from '../cache/machine/machine.js';
import type { CachePersistence } from '../cache/service.js';
import type { FlushPolicy } from '../log/options.js';
import { flushFor, openFoundationLog } from '../raft/driver/foundation-log.js';
import type { RaftGroup } from '../raft/driver/group.js';
import type { RaftHost } from '../raft/driver/host.js';
import { openMemoryLog } from '../raft/driver/memory-log.js';
import { startCache, type RunningCache } from '../server/resp/server.js';
import type { Logger } from '../util/logger.js';
import type { Config } from './config.js';
import type { DataDir } from './data-dir.js';

export const CACHE_GROUP = 'cache-1';
/**
 * The cache log keeps no written entries in memory. Nothing reads fresh cache entries back but a
 * lagging follower, which can read the page cache; held payloads outlive V8's young generation,
 * and every byte promoted that way counts towards the external-memory limit at which V8 starts a
 * full collection. With the default 32 MiB, 1 KiB SETs at -P 16 caused a full collection every
 * ~0.3 s over the whole keyspace (docs/benchmarks.md, "What bounds the cache now").
 */
const CACHE_TAIL_CACHE_BYTES = 0;
/**
 * A turn's journal append is written on the event loop up to this size, as Redis writes its AOF
 * buffer from its main thread, rather than on the thread pool: the copy into the page cache then
 * runs on the core that just wrote the bytes, not on a pool thread beside the clients. A
 * pipelined turn of 1 KiB writes (-P 16, 50 clients: about 800 KiB) costs about 10% less CPU a
 * request (docs/benchmarks.md); larger appends still go to the pool.
 */
const CACHE_INLINE_WRITE_MAX_BYTES = 4 * 1024 * 1024;

export interface CacheRole {
  readonly group: RaftGroup<void>;
  readonly running: RunningCache;
}

function flushOf(appendfsync: FsyncPolicy): FlushPolicy {
  if (appendfsync === 'always') return flushFor('sync');
  if (appendfsync === 'everysec') return flushFor('async');
  return { mode: 'never' };
}

/**
 * When a keyspace snapshot is due by the log's size, as Redis rewrites its AOF: once the log
 * since the last snapshot holds `minBytes` and has grown by `percent` of that snapshot's size;
 * never at 0 percent (then only by entry count, or SAVE).
 */
function snapshotPolicy(minBytes: number, percent: number): { snapshotBytes: number; snapshotGrowth: number } {
  return { snapshotBytes: percent === 0 ? Infinity : minBytes, snapshotGrowth: percent / 100 };
}

export async function startCacheRole(host: RaftHost, dataDir: DataDir, config: Config, log: Logger, requestStop?: () => void): Promise<CacheRole> {
  const { appendonly, appendfsync, journalCompression } = config.cache;
  const machine = new CacheMachine(randomInt(2 ** 30));
  const group = await host.openGroup<void>({
    id: CACHE_GROUP,
    dir: dataDir.groupDir(CACHE_GROUP),
    bootstrap: { [host.nodeId]: host.address },
    durability: appendfsync === 'always' ? 'sync' : 'async',
    stateMachine: machine,
    snapshotEntries: config.cache.snapshotEntries,
    ...snapshotPolicy(config.cache.snapshotMinBytes, config.cache.snapshotGrowthPercent),
    // The policy counts effects before compression, so a restart's replay stays bounded by it.
    payloadBytes: effectBytes,
    logTuning: { tailCacheBytes: CACHE_TAIL_CACHE_BYTES, inlineWriteMaxBytes: CACHE_INLINE_WRITE_MAX_BYTES },
    volatileLog: !appendonly,
    openLog: appendonly ? (dir, o) => openFoundationLog(dir, o, flushOf(appendfsync)) : openMemoryLog,
  });
  const cacheLog = log.child({ part: 'cache' });
  const persistence: CachePersistence = {
    appendonly,
    fsync: appendfsync,
    compressed: journalCompression === 'lz4',
    snapshot: () => group.snapshotNow(),
    sizes: () => group.snapshotSizes(),
    onAutomaticSnapshot: (listener) => group.onAutomaticSnapshot(listener),
    setSnapshotPolicy: (minBytes, percent) => {
      const p = snapshotPolicy(minBytes, percent);
      group.setSnapshotPolicy({ minBytes: p.snapshotBytes, growth: p.snapshotGrowth });
    },
    setFsync: (policy) => {
      // The switch's fdatasync runs in order with the writes, so a write answered after the
      // switch implies it is done; if it fails, so do the writes waiting behind it.
      let switched: Promise<void>;
      try {
        switched = group.setFlushPolicy(flushOf(policy));
      } catch (err) {
        return `the journal cannot switch now: ${err instanceof Error ? err.message : String(err)}`;
      }
      switched.catch((err: unknown) => cacheLog.warn({ err }, `appendfsync ${policy}: the switch failed`));
      return null;
    },
  };
  const running = await startCache(
    {
      machine,
      host: config.host,
      port: config.cache.port,
      persistence,
      settings: {
        appendfsync,
        maxmemory: config.cache.maxmemory,
        maxmemoryPolicy: config.cache.maxmemoryPolicy,
        aclfile: config.cache.aclfile,
        autoAofRewriteMinSize: config.cache.snapshotMinBytes,
        autoAofRewritePercentage: config.cache.snapshotGrowthPercent,
      },
      log: (message, err) => cacheLog.warn({ err }, message),
      // Redis's loglevels: debug and verbose, notice, warning.
      ...(requestStop === undefined ? {} : { shutdown: requestStop }),
      scriptLog: (level, line) => (level >= 3 ? cacheLog.warn({ script: true }, line) : level === 2 ? cacheLog.info({ script: true }, line) : cacheLog.debug({ script: true }, line)),
    },
    group,
  );
  return { group, running };
}
