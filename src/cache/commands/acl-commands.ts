// ACL commands: SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS LOG DRYRUN LOAD SAVE.
import { randomBytes } from 'node:crypto';
import { AclRuleError, UnmatchedSelector, validUserName, type AclSelector } from '../acl.js';
import { intArg } from './args.js';
import { aclCheck } from './key-access.js';
import type { Ctx } from './context.js';
import { fail } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

function setuser(c: Ctx): void {
  const [name, rules] = [c.argv[2]!, c.argv.slice(3)];
  c.redact(2);
  if (!validUserName(name)) fail("ERR Usernames can't contain spaces or null characters");
  try {
    c.server.acl.setUser(name, rules);
  } catch (err) {
    if (err instanceof AclRuleError) fail(`ERR Error in ACL SETUSER modifier '${err.rule}': ${err.message}`);
    if (err instanceof UnmatchedSelector) fail(`ERR ${err.message}`);
    throw err;
  }
  c.out.ok();
}

function getuser(c: Ctx): void {
  const u = c.server.acl.users.get(c.argv[2]!);
  if (u === undefined) return c.out.nullArray();
  const flags = u.flags();
  c.out.map(6);
  c.out.bulk('flags');
  c.out.set(flags.length);
  for (const f of flags) c.out.bulk(f);
  c.out.bulk('passwords');
  c.out.bulkArray([...u.passwords]);
  writeRules(c, u);
  c.out.bulk('selectors');
  c.out.array(u.selectors.length);
  for (const sel of u.selectors) {
    c.out.map(3);
    writeRules(c, sel);
  }
}

/** A selector's (or the user's own) commands, keys and channels, as GETUSER's fields. */
function writeRules(c: Ctx, sel: AclSelector): void {
  c.out.bulk('commands');
  c.out.bulk(c.server.acl.commandsText(sel));
  c.out.bulk('keys');
  c.out.bulk(sel.keysText());
  c.out.bulk('channels');
  c.out.bulk(sel.channelsText());
}

/** ACL LOAD and SAVE need an aclfile (`depot start --aclfile`). */
function aclFileConfigured(c: Ctx): void {
  if (c.server.config.get(['aclfile'])[0]?.[1] === '') {
    fail(
      'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
    );
  }
}

function deluser(c: Ctx): void {
  let n = 0;
  for (const name of c.argv.slice(2)) {
    if (name === 'default') fail("ERR The 'default' user cannot be removed");
  }
  for (const name of c.argv.slice(2)) {
    const u = c.server.acl.users.get(name);
    if (u === undefined) continue;
    c.server.acl.users.delete(name);
    for (const cl of [...c.server.clients()]) if (cl.user === u) c.server.kill(cl);
    n++;
  }
  c.out.int(n);
}

/** ACL's subcommands that take at most one argument answer more as an unknown subcommand, as in Redis. */
function atMostOneArg(c: Ctx): void {
  if (c.argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]!}'. Try ACL HELP.`);
}

/** ACL CAT [category]: the categories, or the commands of one: a container in it and each subcommand in it (acl.c's aclCatWithFlags). */
function cat(c: Ctx): void {
  atMostOneArg(c);
  const categories = c.server.commands.categories();
  if (c.argv.length === 2) return c.out.bulkArray(categories);
  const want = c.argv[2]!.toLowerCase();
  if (!categories.includes(want)) fail(`ERR Unknown category '${c.argv[2]}'`);
  const names: string[] = [];
  for (const s of c.server.commands.all()) {
    const subs = s.subcommands === undefined ? [] : [...s.subcommands.values()];
    for (const x of [s, ...subs]) if (x.categories.includes(want)) names.push(x.name);
  }
  c.out.bulkArray(names);
}

/**
 * ACL DRYRUN user command [arg ...]: whether `user` may run the command line, checked as a
 * command would be (the command, then each key, then each channel) without running it.
 */
function dryrun(c: Ctx): void {
  const user = c.server.acl.users.get(c.argv[2]!);
  if (user === undefined) fail(`ERR User '${c.argv[2]}' not found`);
  const argv = c.argv.slice(3);
  const spec = c.server.commands.specOf(argv);
  if (spec === undefined) fail(`ERR Command '${argv[0]}' not found`);
  if (spec.arity > 0 ? argv.length !== spec.arity : argv.length < -spec.arity) fail(`ERR wrong number of arguments for '${spec.name}' command`);
  const denial = aclCheck(user, spec, argv);
  if (denial === null) return c.out.ok();
  if (denial.reason === 'command') return c.out.bulk(`This user has no permissions to run the '${spec.name}' command`);
  c.out.bulk(`This user has no permissions to access the '${denial.object}' ${denial.reason}`);
}

function genpass(c: Ctx): void {
  atMostOneArg(c);
  const bits = c.argv.length === 3 ? intArg(c.argv[2]!) : 256;
  if (bits <= 0 || bits > 4096) fail('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
  c.out.bulk(randomBytes(Math.ceil(bits / 8)).toString('hex').slice(0, Math.ceil(bits / 4)));
}

const A = '@admin @slow @dangerous';
const aclCommands = [
  command('acl|setuser', -3, 'admin noscript loading stale', NO_KEYS, A, 'Creates or changes a user.', setuser),
  command('acl|getuser', 3, 'admin noscript loading stale', NO_KEYS, A, 'Describes a user.', getuser),
  command('acl|load', 2, 'admin noscript loading stale', NO_KEYS, A, 'Replaces the users with those of the ACL file.', (c) => {
    aclFileConfigured(c);
    const errors = c.server.aclLoad();
    if (errors !== null) fail(`ERR ${errors}`);
    c.out.ok();
  }),
  command('acl|save', 2, 'admin noscript loading stale', NO_KEYS, A, 'Writes the users to the ACL file.', (c) => {
    aclFileConfigured(c);
    if (!c.server.aclSave()) fail('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
    c.out.ok();
  }),
  command('acl|deluser', -3, 'admin noscript loading stale', NO_KEYS, A, 'Deletes users and closes their connections.', deluser),
  command('acl|list', 2, 'admin noscript loading stale', NO_KEYS, A, 'Lists the users and their rules.', (c) => c.out.bulkArray(c.server.acl.sorted().map((u) => c.server.acl.describe(u)))),
  command('acl|users', 2, 'admin noscript loading stale', NO_KEYS, A, 'Lists the user names.', (c) => c.out.bulkArray(c.server.acl.sorted().map((u) => u.name))),
  command('acl|log', -2, 'admin noscript loading stale', NO_KEYS, A, 'Lists what ACL refused, newest first, or forgets it (RESET).', aclLog),
  command('acl|whoami', 2, 'noscript loading stale', NO_KEYS, '@slow', 'Returns the user of the connection.', (c) => c.out.bulk(c.client.user.name)),
  command('acl|cat', -2, 'noscript loading stale', NO_KEYS, '@slow', 'Lists categories, or the commands of one.', cat),
  command('acl|dryrun', -4, 'admin noscript loading stale', NO_KEYS, A, 'Tells whether a user may run a command line, without running it.', dryrun),
  command('acl|genpass', -2, 'noscript loading stale', NO_KEYS, '@slow', 'Generates a random password.', genpass),
];

/** ACL LOG [count | RESET]: the newest entries (10 without a count). */
function aclLog(c: Ctx): void {
  const a = c.argv;
  if (a.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${a[1]!}'. Try ACL HELP.`);
  if (a.length === 3 && a[2]!.toUpperCase() === 'RESET') {
    c.server.aclLog.reset();
    return c.out.ok();
  }
  const count = a.length === 3 ? Math.max(0, intArg(a[2]!)) : 10;
  const entries = c.server.aclLog.newest(count);
  c.out.array(entries.length);
  for (const e of entries) {
    c.out.map(7);
    c.out.bulk('count');
    c.out.int(e.count);
    c.out.bulk('reason');
    c.out.bulk(e.reason);
    c.out.bulk('context');
    c.out.bulk(e.context);
    c.out.bulk('object');
    c.out.bulk(e.object);
    c.out.bulk('username');
    c.out.bulk(e.username);
    c.out.bulk('age-seconds');
    c.out.double((c.now - e.timeMs) / 1000);
    c.out.bulk('client-info');
    c.out.bulk(e.clientInfo);
  }
}

export const aclCommandsTable = family('server', [command('acl', -2, '', NO_KEYS, '@slow', 'Manages users and permissions.', () => undefined, { subcommands: aclCommands })]);
