// MULTI, EXEC, DISCARD, WATCH and UNWATCH. Queueing happens in the dispatcher; EXEC runs the
// queue through it again (CacheService.runTransaction).
import { BLOCKED, type Ctx } from './context.js';
import { fail } from './reply-error.js';
import { ALL_KEYS, NO_KEYS, command, family } from './spec.js';

function multi(c: Ctx): void {
  if (c.client.multi !== null) fail('ERR MULTI calls can not be nested');
  c.client.multi = [];
  c.client.multiError = false;
  c.out.ok();
}

function exec(c: Ctx): void | typeof BLOCKED {
  if (c.client.multi === null) fail('ERR EXEC without MULTI');
  return c.server.runTransaction(c);
}

function discard(c: Ctx): void {
  if (c.client.multi === null) fail('ERR DISCARD without MULTI');
  c.client.multi = null;
  c.client.multiError = false;
  c.server.unwatch(c.client);
  c.out.ok();
}

function watch(c: Ctx): void {
  if (c.client.multi !== null) fail('ERR WATCH inside MULTI is not allowed');
  const expires = c.ks.dbs[c.db]!.expires;
  for (let i = 1; i < c.argv.length; i++) {
    const at = expires.get(c.argv[i]!);
    c.server.watch(c.client, c.db, c.argv[i]!, at !== undefined && at <= c.now);
  }
  c.out.ok();
}

function unwatch(c: Ctx): void {
  c.server.unwatch(c.client);
  c.out.ok();
}

const T = '@transaction';
export const transactionCommands = family('transactions', [
  command('multi', 1, 'noscript loading stale fast allow_busy', NO_KEYS, `${T} @fast`, 'Starts a transaction.', multi),
  command('exec', 1, 'noscript loading stale skip_slowlog', NO_KEYS, `${T} @slow`, 'Runs the queued commands of a transaction.', exec),
  command('discard', 1, 'noscript loading stale fast allow_busy', NO_KEYS, `${T} @fast`, 'Drops the queued commands of a transaction.', discard),
  command('watch', -2, 'noscript loading stale fast allow_busy', ALL_KEYS, `${T} @fast`, 'Makes the next EXEC depend on keys staying unchanged.', watch),
  command('unwatch', 1, 'noscript loading stale fast allow_busy', NO_KEYS, `${T} @fast`, 'Forgets the watched keys.', unwatch),
]);
