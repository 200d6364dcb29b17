// MONITOR (Redis replication.c): the client is shown every command the server runs from now
// on (cache/monitor.ts), until RESET or it disconnects.
import type { Ctx } from './context.js';
import { fail } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

function monitor(c: Ctx): void {
  // EXEC's caller expects one reply per queued command, not a stream.
  if (c.inExec) fail("ERR MONITOR isn't allowed for DENY BLOCKING client");
  // A client that already monitors gets no reply, as from Redis.
  if (c.server.monitor(c.client)) c.out.ok();
}

export const monitorCommands = family('server', [
  command('monitor', 1, 'admin noscript loading stale', NO_KEYS, '@admin @slow @dangerous', 'Shows every command the server runs, as it runs it.', monitor),
]);
