// REPLCONF, SYNC and PSYNC (Redis replication.c), for what redis-cli --rdb and --functions-rdb
// ask: `REPLCONF rdb-only 1` then SYNC, answered with the keyspace as an RDB file (the diskless
// EOF-mark framing) after which the connection closes. Depot's replication is its raft group's,
// so it streams no writes to Redis replicas: SYNC and PSYNC without rdb-only are refused. For
// the same reason it is never a Redis replica: REPLICAOF NO ONE and FAILOVER answer as a
// master without replicas does, and REPLICAOF of a master is refused.
import { is, intArg } from './args.js';
import type { Ctx } from './context.js';
import { fail, syntax } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

function replconf(c: Ctx): void {
  const argv = c.argv;
  if (argv.length % 2 === 0) throw syntax();
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j]!;
    const value = argv[j + 1]!;
    if (is(option, 'LISTENING-PORT')) {
      intArg(value);
    } else if (is(option, 'IP-ADDRESS') || is(option, 'CAPA')) {
      // Noted by Redis for INFO's replica lines and its transfer format; Depot has no replicas.
    } else if (is(option, 'ACK') || is(option, 'FACK') || is(option, 'GETACK')) {
      // A replica's acknowledgements and a master's request for them: never answered (Redis
      // answers neither from a client that is not a replica or a master).
      return;
    } else if (is(option, 'RDB-ONLY')) {
      const n = intArg(value);
      if (n !== 0 && n !== 1) fail('ERR value is out of range, value must between 0 and 1');
      c.client.rdbOnly = n === 1;
    } else if (is(option, 'RDB-FILTER-ONLY')) {
      let functions = false;
      for (const filter of value.split(' ').filter((f) => f.length > 0)) {
        if (!is(filter, 'FUNCTIONS')) fail(`ERR Unsupported rdb-filter-only option: ${filter}`);
        functions = true;
      }
      c.client.rdbKeys = false;
      c.client.rdbFunctions = functions;
    } else {
      fail(`ERR Unrecognized REPLCONF option: ${option}`);
    }
  }
  c.out.ok();
}

/** SYNC and PSYNC <replicationid> <offset>: a full resynchronization's RDB file, and no stream after it. */
function sync(c: Ctx): void {
  const psync = c.argv.length > 1;
  if (psync) intArg(c.argv[2]!);
  // A second SYNC from a client already receiving one is ignored, as by Redis.
  if (c.client.replica) return;
  if (!c.client.rdbOnly) {
    fail('ERR Depot does not stream its writes to Redis replicas (its replication is raft\'s): SYNC and PSYNC answer with an RDB file only, after REPLCONF rdb-only 1 (redis-cli --rdb)');
  }
  const refused = c.server.sendRdb(c.client, psync);
  if (refused !== null) fail(refused);
}

/** REPLICAOF and SLAVEOF <host> <port> | NO ONE. */
function replicaof(c: Ctx): void {
  const [, host, port] = c.argv as [string, string, string];
  if (is(host, 'NO') && is(port, 'ONE')) {
    // Already a master: nothing to do, as for a Redis master.
    c.out.ok();
    return;
  }
  if (c.client.replica) fail('ERR Command is not valid when client is a replica.');
  const n = intArg(port, 'ERR Invalid master port');
  if (n < 0 || n > 65535) fail('ERR Invalid master port');
  fail(`ERR Depot does not replicate from a Redis master (its replication is its raft group's): ${c.argv[0]!.toUpperCase()} NO ONE only`);
}

/** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], parsed as Redis parses it, on a master without replicas. */
function failover(c: Ctx): void {
  const argv = c.argv;
  if (argv.length === 2 && is(argv[1], 'ABORT')) fail('ERR No failover in progress.');
  let timeout = false;
  let to = false;
  let force = false;
  for (let j = 1; j < argv.length; j++) {
    if (is(argv[j], 'TIMEOUT') && j + 1 < argv.length && !timeout) {
      if (intArg(argv[++j]!) <= 0) fail('ERR FAILOVER timeout must be greater than 0');
      timeout = true;
    } else if (is(argv[j], 'TO') && j + 2 < argv.length && !to) {
      intArg(argv[j + 2]!);
      to = true;
      j += 2;
    } else if (is(argv[j], 'FORCE') && !force) {
      force = true;
    } else {
      throw syntax();
    }
  }
  fail('ERR FAILOVER requires connected replicas.');
}

export const replicationCommands = family('server', [
  command('replicaof', 3, 'admin noscript stale no_async_loading', NO_KEYS, '@admin @slow @dangerous', 'Configures a server as replica of another, or promotes it to a master.', replicaof),
  command('slaveof', 3, 'admin noscript stale no_async_loading', NO_KEYS, '@admin @slow @dangerous', 'Sets a Redis server as a replica of another, or promotes it to being a master.', replicaof),
  command('failover', -1, 'admin noscript stale', NO_KEYS, '@admin @slow @dangerous', 'Starts a coordinated failover from a server to one of its replicas.', failover),
  command('replconf', -1, 'admin noscript loading stale allow_busy', NO_KEYS, '@admin @slow @dangerous', 'An internal command for configuring the replication stream', replconf),
  command('sync', 1, 'admin noscript no_async_loading no_multi', NO_KEYS, '@admin @slow @dangerous', 'Internal command used for replication', sync),
  command('psync', -3, 'admin noscript no_async_loading no_multi', NO_KEYS, '@admin @slow @dangerous', 'Internal command used for replication', sync),
]);
