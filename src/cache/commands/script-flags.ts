// A script's or function's declared flags decide its command's flags (Redis's
// scriptFlagsToCmdFlags): checked before it runs, as any command's are.
import type { CommandFlag } from './context.js';

/**
 * `base` (EVAL's, FCALL's, or their read-only forms') with write, denyoom and stale as declared:
 * one that may write is a write command (refused on a read-only node or a failed journal), and
 * one that may write without allow-oom is refused over maxmemory.
 */
export function declaredCommandFlags(base: readonly CommandFlag[], declared: ReadonlySet<string>): CommandFlag[] {
  const flags: CommandFlag[] = base.filter((f) => f !== 'stale' && f !== 'denyoom' && f !== 'write');
  if (!declared.has('no-writes')) flags.push('write');
  if (!declared.has('no-writes') && !declared.has('allow-oom')) flags.push('denyoom');
  if (declared.has('allow-stale')) flags.push('stale');
  return flags;
}
