// Opens a group's log on the foundation log (src/log) with the flush policy of its durability
// mode: `sync` — an append resolves once fdatasync'ed (group commit); `async` — once written to
// the OS, with a background fdatasync every second. A caller may pass another policy (the
// cache's `appendfsync no`: never).
import { Log } from '../../log/log.js';
import type { FlushPolicy } from '../../log/options.js';
import type { OpenLogOptions } from './group.js';
import type { GroupLog } from './log-store.js';

export const ASYNC_FSYNC_INTERVAL_MS = 1000;

export function openFoundationLog(dir: string, o: OpenLogOptions, flush: FlushPolicy = flushFor(o.durability)): Promise<GroupLog> {
  const { durability: _d, ...tuning } = o;
  return Log.open({ ...tuning, dir, flush });
}

/** The log policy of a durability mode. */
export function flushFor(durability: OpenLogOptions['durability']): FlushPolicy {
  return durability === 'sync' ? { mode: 'always' } : { mode: 'interval', intervalMs: ASYNC_FSYNC_INTERVAL_MS };
}
