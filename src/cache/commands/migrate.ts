// MIGRATE (Redis's cluster.c): keys sent to another server as RESTORE commands over a
// connection of their own, then deleted here (unless COPY) once the target has restored them.
// Redis blocks the whole server meanwhile; Depot parks only the calling client, so a key may
// change while its payload is on the way: it is deleted only if it still holds what was sent.
import type { BLOCKED, Ctx } from './context.js';
import { intArg, is } from './args.js';
import { fail, syntax } from './reply-error.js';
import { command, family } from './spec.js';
import type { RemoteResult } from '../remote.js';
import type { Value } from '../machine/values.js';
import { sealPayload } from '../rdb/payload.js';
import { encodeValue } from '../rdb/value.js';
import { rdbValue } from '../machine/rdb-export.js';

/** A key sent: its name and the value it held when it was read (the same collection, or string, is deleted). */
interface Sent {
  readonly key: string;
  readonly value: Value;
}

function migrate(c: Ctx): void | typeof BLOCKED {
  const [, host, port, key, dbText, timeoutText] = c.argv as [string, string, string, string, string, string];
  let copy = false;
  let replace = false;
  let username: string | null = null;
  let password: string | null = null;
  let keys = [key];
  for (let j = 6; j < c.argv.length; j++) {
    const more = c.argv.length - 1 - j;
    if (is(c.argv[j], 'COPY')) {
      copy = true;
    } else if (is(c.argv[j], 'REPLACE')) {
      replace = true;
    } else if (is(c.argv[j], 'AUTH')) {
      if (more < 1) throw syntax();
      password = c.argv[++j]!;
      c.redact(j, j);
    } else if (is(c.argv[j], 'AUTH2')) {
      if (more < 2) throw syntax();
      username = c.argv[++j]!;
      password = c.argv[++j]!;
      c.redact(j - 1, j);
    } else if (is(c.argv[j], 'KEYS')) {
      if (key !== '') fail('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      keys = c.argv.slice(j + 1);
      break;
    } else {
      throw syntax();
    }
  }
  let timeout = intArg(timeoutText);
  const db = intArg(dbText);
  if (timeout <= 0) timeout = 1000;

  const sent: Sent[] = [];
  const commands: string[][] = [];
  if (password !== null) commands.push(username === null ? ['AUTH', password] : ['AUTH', username, password]);
  commands.push(['SELECT', String(db)]);
  for (const k of keys) {
    const value = c.lookup(k);
    if (value === undefined) continue;
    const at = c.ks.dbs[c.db]!.expires.get(k);
    const ttl = at === undefined ? 0 : Math.max(1, at - c.now);
    const payload = sealPayload(encodeValue(rdbValue(value, (s) => c.text(s)))).toString('latin1');
    commands.push(replace ? ['RESTORE', k, String(ttl), payload, 'REPLACE'] : ['RESTORE', k, String(ttl), payload]);
    sent.push({ key: k, value });
  }
  if (sent.length === 0) return c.out.simple('NOKEY');
  const preamble = commands.length - sent.length;
  const work = c.server.callRemote(host, atoi(port), commands, timeout).then((result) => (ctx: Ctx) => finish(ctx, result, preamble, sent, copy));
  return c.server.suspend(c, work);
}

/** Once the target answered: the first error it gave, or removes what it restored (unless COPY) and replies OK. */
function finish(c: Ctx, result: RemoteResult, preamble: number, sent: readonly Sent[], copy: boolean): void {
  if (result.failure === 'connecting') return c.out.error('IOERR error or timeout connecting to the client');
  const { replies } = result;
  // An AUTH or SELECT refused makes every RESTORE's reply count as that error, as in Redis.
  const refused = replies.slice(0, preamble).find((r) => r.t === 'error');
  let error: string | null = null;
  for (let i = 0; i < sent.length; i++) {
    const reply = replies[preamble + i];
    if (reply === undefined) break;
    if (refused !== undefined || reply.t === 'error') {
      const text = refused?.t === 'error' ? refused.v : reply.t === 'error' ? reply.v : '';
      error ??= `ERR Target instance replied with error: ${text}`;
      continue;
    }
    const { key, value } = sent[i]!;
    if (copy || c.lookup(key, c.db, false) !== value) continue;
    c.fx.del(c.db, key);
    c.notify('g', 'del', key);
  }
  if (error !== null) return c.out.error(error);
  if (result.failure !== null) return c.out.error(`IOERR error or timeout ${result.failure} to target instance`);
  c.out.ok();
}

/** C's atoi, as Redis reads MIGRATE's port: the leading digits, 0 without any. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

/** The words after which MIGRATE's options take arguments, and how many (db.c's migrateGetKeys skips them looking for KEYS). */
const OPTION_ARGS: Readonly<Record<string, number>> = { auth: 1, auth2: 2 };

/**
 * MIGRATE's keys (db.c's migrateGetKeys): the key, or with KEYS (found past the options and
 * their arguments) the keys after it; none when KEYS follows a key that is not empty, a line
 * MIGRATE refuses.
 */
function migrateKeys(argv: readonly string[]): string[] {
  for (let i = 6; i < argv.length; i++) {
    const word = argv[i]!.toLowerCase();
    if (word === 'keys') return argv[3] === '' ? argv.slice(i + 1) : [];
    i += OPTION_ARGS[word] ?? 0;
  }
  return [argv[3]!];
}

export const migrateCommands = family('generic', [
  command('migrate', -6, 'write movablekeys', [3, 3, 1], '@keyspace @write @slow @dangerous', 'Moves keys to another server (DUMP and RESTORE over a connection).', migrate, {
    keysOf: migrateKeys,
  }),
]);
