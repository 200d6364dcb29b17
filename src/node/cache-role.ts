// The cache on a node: the keyspace state machine on its raft group (`cache-1`) and the RESP
// server in front of it. appendfsync maps onto the group: `always` — sync durability (a write is
// answered once fdatasync'ed); `everysec` — async (answered once written to the OS, fdatasync
// every second); `no` — async on a log that never fsyncs (the OS decides).
import { CacheMachine } from '../cache/machine/machine.js';
import type { CachePersistence } from '../cache/service.js';
import { openFoundationLog } from '../raft/driver/foundation-log.js';
import type { OpenLogOptions, RaftGroup } from '../raft/driver/group.js';
import type { GroupLog } from '../raft/driver/log-store.js';
import type { RaftHost } from '../raft/driver/host.js';
import { startCache, type RunningCache } from '../server/resp/server.js';
import type { Logger } from '../util/logger.js';
import type { Config } from './config.js';
import type { DataDir } from './data-dir.js';

export const CACHE_GROUP = 'cache-1';

export interface CacheRole {
  readonly group: RaftGroup<void>;
  readonly running: RunningCache;
}

/** appendfsync no: the group's log never calls fdatasync; the OS writes pages back when it likes. */
function openUnsyncedLog(dir: string, o: OpenLogOptions): Promise<GroupLog> {
  return openFoundationLog(dir, o, { mode: 'never' });
}

export async function startCacheRole(host: RaftHost, dataDir: DataDir, config: Config, log: Logger): Promise<CacheRole> {
  const { appendfsync } = config.cache;
  const machine = new CacheMachine();
  const group = await host.openGroup<void>({
    id: CACHE_GROUP,
    dir: dataDir.groupDir(CACHE_GROUP),
    bootstrap: { [host.nodeId]: host.address },
    durability: appendfsync === 'always' ? 'sync' : 'async',
    stateMachine: machine,
    snapshotEntries: config.cache.snapshotEntries,
    ...(appendfsync === 'no' ? { openLog: openUnsyncedLog } : {}),
  });
  const persistence: CachePersistence = { fsync: appendfsync, snapshot: () => group.snapshotNow() };
  const cacheLog = log.child({ part: 'cache' });
  const running = await startCache(
    {
      machine,
      host: config.host,
      port: config.cache.port,
      persistence,
      settings: { appendfsync },
      log: (message, err) => cacheLog.warn({ err }, message),
    },
    group,
  );
  return { group, running };
}
