// CLUSTER, READONLY, READWRITE and ASKING as a Redis server without cluster mode has them: in
// its command table (COMMAND lists them, cluster-aware clients probe them), each answering that
// cluster support is disabled once its arity is right. Depot's cache runs as one keyspace per
// node until cluster mode (hash slots, MOVED/ASK, docs/cache.md) gives these their real answers.
import type { Ctx } from './context.js';
import { fail } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

function disabled(_c: Ctx): never {
  fail('ERR This instance has cluster support disabled');
}

const ADMIN = '@admin @slow @dangerous';
const ADMIN_FLAGS = 'admin stale';
/** Those that change the cluster's configuration, which Redis refuses while it loads a data set in the background. */
const CONFIG_FLAGS = 'admin stale no_async_loading';

function sub(name: string, arity: number, flags: string, categories: string, summary: string) {
  return command(`cluster|${name}`, arity, flags, NO_KEYS, categories, summary, disabled);
}

const clusterSubcommands = [
  sub('addslots', -3, CONFIG_FLAGS, ADMIN, 'Assigns hash slots to this node.'),
  sub('addslotsrange', -4, CONFIG_FLAGS, ADMIN, 'Assigns ranges of hash slots to this node.'),
  sub('bumpepoch', 2, CONFIG_FLAGS, ADMIN, "Advances this node's configuration epoch."),
  sub('count-failure-reports', 3, ADMIN_FLAGS, ADMIN, 'Counts the failure reports about a node.'),
  sub('countkeysinslot', 3, 'stale', '@slow', 'Counts the keys of a hash slot held here.'),
  sub('delslots', -3, CONFIG_FLAGS, ADMIN, 'Unassigns hash slots from this node.'),
  sub('delslotsrange', -4, CONFIG_FLAGS, ADMIN, 'Unassigns ranges of hash slots from this node.'),
  sub('failover', -2, CONFIG_FLAGS, ADMIN, 'Makes this replica take over from its master.'),
  sub('flushslots', 2, CONFIG_FLAGS, ADMIN, "Forgets this node's hash slots."),
  sub('forget', 3, CONFIG_FLAGS, ADMIN, 'Removes a node from the node table.'),
  sub('getkeysinslot', 4, 'stale', '@slow', 'Lists keys of a hash slot held here.'),
  sub('help', 2, 'loading stale', '@slow', 'Shows what the subcommands do.'),
  sub('info', 2, 'stale', '@slow', "Describes the cluster's state."),
  sub('keyslot', 3, 'stale', '@slow', 'Returns the hash slot of a key.'),
  sub('links', 2, 'stale', '@slow', 'Lists the links to and from the other nodes.'),
  sub('meet', -4, CONFIG_FLAGS, ADMIN, 'Joins another node to the cluster.'),
  sub('myid', 2, 'stale', '@slow', "Returns this node's id."),
  sub('nodes', 2, 'stale', '@slow', "Returns the cluster's node table."),
  sub('replicas', 3, ADMIN_FLAGS, ADMIN, 'Lists the replicas of a master.'),
  sub('replicate', 3, CONFIG_FLAGS, ADMIN, 'Makes this node a replica of a master.'),
  sub('reset', -2, 'admin noscript stale', ADMIN, 'Resets this node.'),
  sub('saveconfig', 2, CONFIG_FLAGS, ADMIN, "Writes the cluster's configuration to disk."),
  sub('set-config-epoch', 3, CONFIG_FLAGS, ADMIN, "Sets a new node's configuration epoch."),
  sub('setslot', -4, CONFIG_FLAGS, ADMIN, 'Binds a hash slot to a node, or marks it migrating or importing.'),
  sub('shards', 2, 'stale', '@slow', "Returns the cluster's shards and their slots."),
  sub('slaves', 3, ADMIN_FLAGS, ADMIN, 'Lists the replicas of a master (old name of REPLICAS).'),
  sub('slots', 2, 'stale', '@slow', 'Returns which nodes serve which hash slots.'),
];

export const clusterCommands = family('cluster', [
  command('cluster', -2, '', NO_KEYS, '@slow', 'Cluster commands (cluster support is disabled).', disabled, { subcommands: clusterSubcommands }),
  command('readonly', 1, 'loading stale fast', NO_KEYS, '@fast @connection', "Allows reads from a cluster replica on this connection.", disabled),
  command('readwrite', 1, 'loading stale fast', NO_KEYS, '@fast @connection', 'Ends READONLY on this connection.', disabled),
  command('asking', 1, 'fast', NO_KEYS, '@fast @connection', 'Lets the next command reach a slot being imported (after an ASK redirect).', disabled),
]);
