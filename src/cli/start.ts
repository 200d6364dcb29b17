// `depot start`: until the broker and the cache exist, it opens the data directory, recovers
// every group's log found there and reports their state.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Log } from '../log/log.js';
import { isDepotError } from '../util/errors.js';

export interface GroupLogState {
  group: string;
  firstIndex?: number;
  lastIndex?: number;
  segments?: number;
  bytes?: number;
  /** Bytes cut from a torn tail during recovery. */
  truncatedBytes?: number;
  error?: string;
}

/** Opens (creating it if needed) `dataDir` and recovers each `groups/<group>/log`. */
export async function inspectDataDir(dataDir: string): Promise<GroupLogState[]> {
  const groupsDir = join(dataDir, 'groups');
  await mkdir(groupsDir, { recursive: true });
  const out: GroupLogState[] = [];
  for (const group of (await readdir(groupsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    try {
      const log = await Log.open({ dir: join(groupsDir, group, 'log'), create: false });
      const segments = log.segmentInfo();
      out.push({
        group,
        firstIndex: log.firstIndex,
        lastIndex: log.lastIndex,
        segments: segments.length,
        bytes: segments.reduce((sum, s) => sum + s.bytes, 0),
        truncatedBytes: log.truncatedBytes,
      });
      await log.close();
    } catch (err) {
      out.push({ group, error: isDepotError(err) ? `${err.code}: ${err.message}` : String(err) });
    }
  }
  return out;
}

export function formatState(dataDir: string, groups: readonly GroupLogState[]): string {
  const lines = [`data directory ${dataDir}: ${groups.length} group${groups.length === 1 ? '' : 's'}`];
  for (const g of groups) {
    if (g.error !== undefined) {
      lines.push(`  ${g.group}: ERROR ${g.error}`);
      continue;
    }
    const entries = g.lastIndex! - g.firstIndex! + 1;
    const torn = g.truncatedBytes! > 0 ? `, cut a torn tail of ${g.truncatedBytes} bytes` : '';
    lines.push(`  ${g.group}: log ${g.firstIndex}..${g.lastIndex} (${entries} entries), ${g.segments} segments, ${g.bytes} bytes${torn}`);
  }
  return lines.join('\n') + '\n';
}
