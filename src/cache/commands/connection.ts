// Connection commands: PING ECHO QUIT RESET AUTH HELLO and CLIENT.
import type { Client } from '../client.js';
import { intArg, is, parseInt64 } from './args.js';
import type { Ctx } from './context.js';
import { Err, fail, syntax } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

export const REDIS_VERSION = '7.0.15';

function ping(c: Ctx): void {
  const a = c.argv;
  if (a.length > 2) fail("ERR wrong number of arguments for 'ping' command");
  // A RESP2 subscriber gets PING answered in the shape of a pub/sub message.
  if (c.client.subscribed && c.client.resp === 2) {
    c.out.array(2);
    c.out.bulk('pong');
    c.out.bulk(a[1] ?? '');
    return;
  }
  if (a.length === 2) c.out.bulk(a[1]!);
  else c.out.simple('PONG');
}

function echo(c: Ctx): void {
  c.out.bulk(c.argv[1]!);
}

function quit(c: Ctx): void {
  c.out.ok();
  c.client.closing = true;
}

function reset(c: Ctx): void {
  const cl = c.client;
  cl.multi = null;
  cl.multiError = false;
  c.server.unwatch(cl);
  c.server.unsubscribeAll(cl);
  c.server.stopMonitor(cl);
  c.server.tracking.disable(cl);
  cl.db = 0;
  cl.resp = 2;
  c.out.resp = 2;
  cl.name = '';
  // Replies back on, but a SKIP being spent on this RESET still drops its reply, as in Redis.
  if (cl.replyMode !== 'skipping') cl.replyMode = 'on';
  cl.noEvict = false;
  cl.user = c.server.acl.defaultUser;
  cl.authenticated = cl.user.nopass && cl.user.enabled;
  c.out.simple('RESET');
}

/** Checks a username/password pair; switches the client to that user on success. */
function authenticate(c: Ctx, username: string, password: string): boolean {
  const user = c.server.acl.users.get(username);
  if (user === undefined || !user.enabled || !user.checkPassword(password)) return false;
  c.client.user = user;
  c.client.authenticated = true;
  return true;
}

/** A failed AUTH or HELLO AUTH: logged in ACL LOG (under the name tried), then WRONGPASS. */
function authFailed(c: Ctx, username: string): never {
  // The object is the command's name as the client sent it, as Redis logs it.
  c.server.aclDenied(c.client, 'auth', 'toplevel', c.argv[0]!, username);
  fail(Err.WRONGPASS);
}

function auth(c: Ctx): void {
  const a = c.argv;
  if (a.length > 3) throw syntax();
  const [username, password] = a.length === 3 ? [a[1]!, a[2]!] : ['default', a[1]!];
  c.redact(1);
  if (a.length === 2 && c.server.acl.defaultUser.nopass) {
    fail('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  if (!authenticate(c, username, password)) authFailed(c, username);
  c.out.ok();
}

const NAME_RE = /^[!-~]*$/; // printable ASCII without spaces

function checkName(name: string): void {
  if (!NAME_RE.test(name)) fail('ERR Client names cannot contain spaces, newlines or special characters.');
}

function hello(c: Ctx): void {
  const a = c.argv;
  let proto = c.client.resp as number;
  if (a.length > 1) {
    const n = parseInt64(a[1]!);
    if (n === null) fail('ERR Protocol version is not an integer or out of range');
    const v = Number(n);
    if (v !== 2 && v !== 3) fail('NOPROTO unsupported protocol version');
    proto = v;
  }
  let name: string | null = null;
  let creds: [string, string] | null = null;
  for (let i = 2; i < a.length; i++) {
    if (is(a[i], 'AUTH') && i + 2 < a.length) {
      creds = [a[i + 1]!, a[i + 2]!];
      c.redact(i + 1, i + 2);
      i += 2;
    } else if (is(a[i], 'SETNAME') && i + 1 < a.length) {
      name = a[++i]!;
      checkName(name);
    } else fail(`ERR Syntax error in HELLO option '${a[i]}'`);
  }
  if (creds !== null && !authenticate(c, creds[0], creds[1])) authFailed(c, creds[0]);
  if (!c.client.authenticated) {
    fail('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  }
  if (name !== null) c.client.name = name;
  c.client.resp = proto as 2 | 3;
  c.out.resp = c.client.resp;
  c.out.map(7);
  c.out.bulk('server');
  c.out.bulk('redis');
  c.out.bulk('version');
  c.out.bulk(REDIS_VERSION);
  c.out.bulk('proto');
  c.out.int(proto);
  c.out.bulk('id');
  c.out.int(c.client.id);
  c.out.bulk('mode');
  c.out.bulk('standalone');
  c.out.bulk('role');
  c.out.bulk('master');
  c.out.bulk('modules');
  c.out.array(0);
}

/** One line of CLIENT LIST / CLIENT INFO, in Redis's field order. */
export function clientLine(cl: Client, now: number): string {
  // In Redis's order (networking.c).
  const t = cl.tracking;
  const flags =
    (cl.monitor ? 'O' : '') + (cl.replica ? 'S' : '') + (cl.subscribed ? 'P' : '') + (cl.multi !== null ? 'x' : '') + (cl.blocked !== null ? 'b' : '') +
      (t !== null ? 't' : '') + (t?.brokenRedirect === true ? 'R' : '') + (t?.bcast === true ? 'B' : '') + (cl.noEvict ? 'e' : '') || 'N';
  const cmd = cl.lastCommand;
  const qbuf = cl.sink.queryBufferBytes;
  const omem = cl.sink.outputBytes;
  const multiMem = queuedBytes(cl.multi);
  return (
    `id=${cl.id} addr=${cl.sink.remoteAddress} laddr=${cl.sink.localAddress} fd=-1 name=${cl.name} ` +
    `age=${Math.floor((now - cl.createdAt) / 1000)} idle=${Math.floor((now - cl.lastInteraction) / 1000)} flags=${flags} ` +
    `db=${cl.db} sub=${cl.channels.size} psub=${cl.patterns.size} ssub=${cl.shardChannels.size} multi=${cl.multi === null ? -1 : cl.multi.length} ` +
    `qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=${multiMem} rbs=0 rbp=0 obl=0 oll=0 omem=${omem} ` +
    `tot-mem=${qbuf + omem + multiMem} events=r cmd=${cmd} user=${cl.user.name} redir=${t === null ? -1 : t.redirect} resp=${cl.resp} lib-name=${cl.libName} lib-ver=${cl.libVer}`
  );
}

/** Bytes of the arguments a MULTI has queued: what Redis counts as `multi-mem`, less its allocator's rounding. */
function queuedBytes(multi: readonly (readonly string[])[] | null): number {
  let n = 0;
  for (const argv of multi ?? []) for (const a of argv) n += a.length;
  return n;
}

type ClientType = 'normal' | 'replica' | 'pubsub' | 'master';

/** Redis's names of the client types (getClientTypeByName); `slave` is `replica`'s old name. */
const CLIENT_TYPES: Readonly<Record<string, ClientType>> = { normal: 'normal', replica: 'replica', slave: 'replica', pubsub: 'pubsub', master: 'master' };

function clientTypeArg(name: string): ClientType {
  const type = CLIENT_TYPES[name.toLowerCase()];
  if (type === undefined) fail(`ERR Unknown client type '${name}'`);
  return type;
}

/**
 * A client's type as Redis's getClientType tells it: a connection fed an RDB file is a
 * replica, a subscriber a pubsub client. Depot follows no master, so none is of type master.
 */
function clientType(cl: Client): ClientType {
  if (cl.replica && !cl.monitor) return 'replica';
  return cl.subscribed ? 'pubsub' : 'normal';
}

/**
 * The connections CLIENT LIST and KILL see: Redis frees a killed client at once, so one that
 * Depot is still closing is gone already (a second KILL does not count it again).
 */
function liveClients(c: Ctx): Client[] {
  return [...c.server.clients()].filter((cl) => !cl.closing || cl === c.client);
}

/** CLIENT LIST [TYPE type | ID id [id ...]]: with IDs, a line per ID in the order given (repeats too), as Redis lists them. */
function clientList(c: Ctx): void {
  const a = c.argv;
  let lines: string[];
  if (a.length === 4 && is(a[2], 'TYPE')) {
    const type = clientTypeArg(a[3]!);
    lines = liveClients(c).filter((cl) => clientType(cl) === type).map((cl) => clientLine(cl, c.now));
  } else if (a.length > 3 && is(a[2], 'ID')) {
    const ids = a.slice(3).map((id) => intArg(id, 'ERR Invalid client ID'));
    lines = [];
    for (const id of ids) {
      const cl = c.server.client(id);
      if (cl !== undefined && (!cl.closing || cl === c.client)) lines.push(clientLine(cl, c.now));
    }
  } else if (a.length === 2) {
    lines = liveClients(c).map((cl) => clientLine(cl, c.now));
  } else throw syntax();
  c.out.verbatim(lines.map((l) => l + '\n').join(''));
}

const CLIENT_ID_ERR = 'ERR client-id should be greater than 0';

/** CLIENT KILL addr, or CLIENT KILL filter value [filter value ...]. */
function clientKill(c: Ctx): void {
  const a = c.argv;
  const old = a.length === 3;
  let id: number | null = null;
  let addr: string | null = old ? a[2]! : null;
  let laddr: string | null = null;
  let user: string | null = null;
  let type: ClientType | null = null;
  let skipMe = true;
  if (!old) {
    if ((a.length - 2) % 2 !== 0) throw syntax();
    for (let i = 2; i < a.length; i += 2) {
      const f = a[i]!.toUpperCase();
      const v = a[i + 1]!;
      if (f === 'ID') {
        id = intArg(v, CLIENT_ID_ERR);
        if (id < 1) fail(CLIENT_ID_ERR);
      }
      else if (f === 'ADDR') addr = v;
      else if (f === 'LADDR') laddr = v;
      else if (f === 'USER') {
        if (!c.server.acl.users.has(v)) fail(`ERR No such user '${v}'`);
        user = v;
      }
      else if (f === 'SKIPME') skipMe = is(v, 'YES') ? true : is(v, 'NO') ? false : fail(Err.SYNTAX);
      else if (f === 'TYPE') type = clientTypeArg(v);
      else throw syntax();
    }
  }
  let killed = 0;
  for (const cl of liveClients(c)) {
    if (id !== null && cl.id !== id) continue;
    if (type !== null && clientType(cl) !== type) continue;
    if (addr !== null && cl.sink.remoteAddress !== addr) continue;
    if (laddr !== null && cl.sink.localAddress !== laddr) continue;
    if (user !== null && cl.user.name !== user) continue;
    if (cl === c.client && !old && skipMe) continue;
    if (cl === c.client) cl.closing = true;
    else c.server.kill(cl);
    killed++;
  }
  if (old) {
    if (killed === 0) fail('ERR No such client');
    c.out.ok();
  } else c.out.int(killed);
}

function clientSetinfo(c: Ctx): void {
  const [, , attr, value] = c.argv as [string, string, string, string];
  checkName(value);
  if (is(attr, 'LIB-NAME')) c.client.libName = value;
  else if (is(attr, 'LIB-VER')) c.client.libVer = value;
  else fail(`ERR Unrecognized option '${attr}'`);
  c.out.ok();
}

function onOff(arg: string): boolean {
  if (is(arg, 'ON')) return true;
  if (is(arg, 'OFF')) return false;
  throw syntax();
}

function clientReply(c: Ctx): void {
  const m = c.argv[2]!.toLowerCase();
  if (m !== 'on' && m !== 'off' && m !== 'skip') throw syntax();
  // SKIP does nothing while replies are off, as in Redis.
  if (m === 'skip' && c.client.replyMode === 'off') return;
  c.client.replyMode = m;
  if (m === 'on') c.out.ok();
}

/** CLIENT PAUSE timeout [WRITE|ALL]: milliseconds, ALL by default. */
function clientPause(c: Ctx): void {
  const a = c.argv;
  if (a.length > 4) fail(`ERR unknown subcommand or wrong number of arguments for '${a[1]!}'. Try CLIENT HELP.`);
  const ms = parseInt64(a[2]!);
  if (ms === null) fail('ERR timeout is not an integer or out of range');
  if (ms < 0) fail(Err.TIMEOUT_NEGATIVE);
  const mode = a.length === 4 ? a[3]!.toLowerCase() : 'all';
  if (mode !== 'write' && mode !== 'all') fail('ERR CLIENT PAUSE mode must be WRITE or ALL');
  c.server.pauseClients(mode, Number(ms));
  c.out.ok();
}

function clientUnblock(c: Ctx): void {
  const id = intArg(c.argv[2]!);
  const mode = c.argv[3];
  if (mode !== undefined && !is(mode, 'TIMEOUT') && !is(mode, 'ERROR')) fail('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  const cl = c.server.client(id);
  c.out.int(cl !== undefined && c.server.unblock(cl, mode !== undefined && is(mode, 'ERROR')) ? 1 : 0);
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP] */
function clientTracking(c: Ctx): void {
  const a = c.argv;
  let redirect = 0;
  const o = { bcast: false, optin: false, optout: false, noloop: false, prefixes: [] as string[] };
  for (let i = 3; i < a.length; i++) {
    const more = i + 1 < a.length;
    if (is(a[i], 'REDIRECT') && more) {
      if (redirect !== 0) fail('ERR A client can only redirect to a single other client');
      const id = parseInt64(a[++i]!);
      if (id === null) fail(Err.NOT_INTEGER);
      redirect = Number(id);
      if (c.server.client(redirect) === undefined) fail('ERR The client ID you want redirect to does not exist');
    } else if (is(a[i], 'BCAST')) o.bcast = true;
    else if (is(a[i], 'OPTIN')) o.optin = true;
    else if (is(a[i], 'OPTOUT')) o.optout = true;
    else if (is(a[i], 'NOLOOP')) o.noloop = true;
    else if (is(a[i], 'PREFIX') && more) o.prefixes.push(a[++i]!);
    else throw syntax();
  }
  if (is(a[2], 'OFF')) c.server.tracking.disable(c.client);
  else if (is(a[2], 'ON')) {
    const error = c.server.tracking.enable(c.client, { redirect, ...o });
    if (error !== null) fail(error);
  } else throw syntax();
  c.out.ok();
}

/** CLIENT CACHING YES|NO: for the next command, in OPTIN / OPTOUT mode. */
function clientCaching(c: Ctx): void {
  const t = c.client.tracking;
  if (t === null) fail('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  const yes = is(c.argv[2], 'YES');
  if (!yes && !is(c.argv[2], 'NO')) throw syntax();
  if (yes ? !t.optin : !t.optout) fail(`ERR CLIENT CACHING ${yes ? 'YES' : 'NO'} is only valid when tracking is enabled in ${yes ? 'OPTIN' : 'OPTOUT'} mode.`);
  t.caching = true;
  c.out.ok();
}

function clientTrackingInfo(c: Ctx): void {
  const t = c.client.tracking;
  c.out.map(3);
  c.out.bulk('flags');
  if (t === null) {
    c.out.set(1);
    c.out.bulk('off');
  } else {
    const flags = ['on'];
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optout) flags.push('optout');
    if (t.caching) flags.push(t.optin ? 'caching-yes' : 'caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedirect) flags.push('broken_redirect');
    c.out.set(flags.length);
    for (const f of flags) c.out.bulk(f);
  }
  c.out.bulk('redirect');
  c.out.int(t === null ? -1 : t.redirect);
  c.out.bulk('prefixes');
  const prefixes = t === null ? [] : [...t.prefixes].sort();
  c.out.array(prefixes.length);
  for (const p of prefixes) c.out.bulk(p);
}

const CONN = '@connection';
const clientCommands = [
  command('client|id', 2, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Returns the id of the connection.', (c) => c.out.int(c.client.id)),
  command('client|setname', 3, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Names the connection.', (c) => {
    checkName(c.argv[2]!);
    c.client.name = c.argv[2]!;
    c.out.ok();
  }),
  command('client|getname', 2, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Returns the name of the connection.', (c) =>
    c.client.name === '' ? c.out.nullBulk() : c.out.bulk(c.client.name),
  ),
  command('client|list', -2, 'admin noscript loading stale', NO_KEYS, `${CONN} @admin @slow @dangerous`, 'Lists the connections.', clientList),
  command('client|info', 2, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Describes this connection.', (c) => c.out.verbatim(clientLine(c.client, c.now) + '\n')),
  command('client|kill', -3, 'admin noscript loading stale', NO_KEYS, `${CONN} @admin @slow @dangerous`, 'Closes connections.', clientKill),
  command('client|no-evict', 3, 'admin noscript loading stale', NO_KEYS, `${CONN} @admin @slow @dangerous`, 'Exempts the connection from client eviction.', (c) => {
    c.client.noEvict = onOff(c.argv[2]!);
    c.out.ok();
  }),
  command('client|setinfo', 4, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Records the client library name or version.', clientSetinfo),
  command('client|reply', 3, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Turns replies off, on, or off for one command.', clientReply),
  command('client|tracking', -3, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Turns client-side caching invalidations on or off.', clientTracking),
  command('client|caching', 3, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Tracks (OPTIN) or not (OPTOUT) the keys of the next command.', clientCaching),
  command('client|getredir', 2, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Returns the id invalidations are redirected to.', (c) =>
    c.out.int(c.client.tracking === null ? -1 : c.client.tracking.redirect),
  ),
  command('client|trackinginfo', 2, 'noscript loading stale', NO_KEYS, `${CONN} @slow`, 'Describes the client-side caching state of the connection.', clientTrackingInfo),
  command('client|pause', -3, 'admin noscript loading stale', NO_KEYS, `${CONN} @admin @slow @dangerous`, 'Holds clients\' commands (all, or those that may write) for a time.', clientPause),
  command('client|unpause', 2, 'admin noscript loading stale', NO_KEYS, `${CONN} @admin @slow @dangerous`, 'Ends CLIENT PAUSE.', (c) => {
    c.server.unpauseClients();
    c.out.ok();
  }),
  command('client|unblock', -3, 'admin noscript loading stale', NO_KEYS, `${CONN} @admin @slow @dangerous`, 'Unblocks a client blocked on a key.', clientUnblock),
];

export const connectionCommands = family('connection', [
  command('ping', -1, 'fast', NO_KEYS, `${CONN} @fast`, 'Returns PONG, or the argument.', ping),
  command('echo', 2, 'fast loading stale', NO_KEYS, `${CONN} @fast`, 'Returns the argument.', echo),
  command('quit', -1, 'noscript loading stale fast no_auth allow_busy', NO_KEYS, `${CONN} @fast`, 'Closes the connection.', quit),
  command('reset', 1, 'noscript loading stale fast no_auth allow_busy', NO_KEYS, `${CONN} @fast`, 'Resets the connection state.', reset),
  command('auth', -2, 'noscript loading stale fast no_auth allow_busy', NO_KEYS, `${CONN} @fast`, 'Authenticates the connection.', auth),
  command('hello', -1, 'noscript loading stale fast no_auth allow_busy', NO_KEYS, `${CONN} @fast`, 'Handshakes: protocol version, authentication, name.', hello),
  command('client', -2, '', NO_KEYS, '@slow', 'Inspects and manages connections.', () => undefined, { subcommands: clientCommands }),
]);
