// SLOWLOG GET / LEN / RESET (Redis slowlog.c); the log itself is cache/slowlog.ts.
import { parseInt64 } from './args.js';
import type { Ctx } from './context.js';
import { fail } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

/** Entries SLOWLOG GET returns without a count. */
const DEFAULT_COUNT = 10;

function get(c: Ctx): void {
  if (c.argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]!}'. Try SLOWLOG HELP.`);
  let count = DEFAULT_COUNT;
  if (c.argv.length === 3) {
    const n = parseInt64(c.argv[2]!);
    if (n === null || n < -1n) fail('ERR count should be greater than or equal to -1');
    count = n > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(n);
  }
  const entries = c.server.slowlog.newest(count);
  c.out.array(entries.length);
  for (const e of entries) {
    c.out.array(6);
    c.out.int(e.id);
    c.out.int(e.time);
    c.out.int(e.micros);
    c.out.array(e.argv.length);
    for (const a of e.argv) c.out.bulk(a);
    c.out.bulk(e.peer);
    c.out.bulk(e.name);
  }
}

const ADMIN = 'admin loading stale';
const CATEGORIES = '@admin @slow @dangerous';

export const slowlogCommands = family('server', [
  command('slowlog', -2, '', NO_KEYS, '@slow', 'Reads and resets the slow log.', () => undefined, {
    subcommands: [
      command('slowlog|get', -2, ADMIN, NO_KEYS, CATEGORIES, 'Returns the newest <count> entries of the slow log (default: 10, -1 for all).', get),
      command('slowlog|len', 2, ADMIN, NO_KEYS, CATEGORIES, 'Returns the number of entries in the slow log.', (c) => c.out.int(c.server.slowlog.length)),
      command('slowlog|reset', 2, ADMIN, NO_KEYS, CATEGORIES, 'Empties the slow log.', (c) => {
        c.server.slowlog.reset();
        c.out.ok();
      }),
    ],
  }),
]);
