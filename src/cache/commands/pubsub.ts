// Pub/sub commands, and Redis 7's shard channels (SSUBSCRIBE, SPUBLISH: on one node, channels
// of their own). Confirmations of SUBSCRIBE and friends are push frames on RESP3 and arrays on
// RESP2; the server keeps the subscriptions (CacheService's PubSub hub).
import type { SubscriptionKind } from '../pubsub.js';
import type { Ctx } from './context.js';
import { fail } from './reply-error.js';
import { NO_KEYS, command, family } from './spec.js';

/**
 * The channel arguments of a command ACL checks (Redis's channel key specs): what PUBLISH and
 * SPUBLISH publish to, what SUBSCRIBE, SSUBSCRIBE and PSUBSCRIBE (`pattern`) subscribe to.
 * Unsubscribing is never refused. They are checked with the command (key-access.ts's aclCheck).
 */
export function channelArgs(name: string, argv: readonly string[]): { channels: readonly string[]; pattern: boolean } {
  if (name === 'publish' || name === 'spublish') return { channels: argv.slice(1, 2), pattern: false };
  if (name === 'subscribe' || name === 'ssubscribe' || name === 'psubscribe') return { channels: argv.slice(1), pattern: name === 'psubscribe' };
  return { channels: [], pattern: false };
}

function subscribe(c: Ctx, kind: SubscriptionKind): void {
  c.server.subscribe(c.client, c.argv.slice(1), kind);
}

function unsubscribe(c: Ctx, kind: SubscriptionKind): void {
  c.server.unsubscribe(c.client, c.argv.slice(1), kind);
}

function publish(c: Ctx, shard: boolean): void {
  c.out.int(shard ? c.server.publishShard(c.argv[1]!, c.argv[2]!) : c.server.publish(c.argv[1]!, c.argv[2]!));
}

const pubsubCommands = [
  command('pubsub|channels', -2, 'pubsub loading stale', NO_KEYS, '@pubsub @slow', 'Lists channels with subscribers.', (c) => {
    if (c.argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]!}'. Try PUBSUB HELP.`);
    c.out.bulkArray(c.server.channels(c.argv[2] ?? null));
  }),
  command('pubsub|numsub', -2, 'pubsub loading stale', NO_KEYS, '@pubsub @slow', 'Counts the subscribers of channels.', (c) => {
    const names = c.argv.slice(2);
    c.out.array(names.length * 2);
    for (const ch of names) {
      c.out.bulk(ch);
      c.out.int(c.server.subscribers(ch));
    }
  }),
  command('pubsub|shardchannels', -2, 'pubsub loading stale', NO_KEYS, '@pubsub @slow', 'Lists shard channels with subscribers.', (c) => {
    if (c.argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${c.argv[1]!}'. Try PUBSUB HELP.`);
    c.out.bulkArray(c.server.channels(c.argv[2] ?? null, true));
  }),
  command('pubsub|shardnumsub', -2, 'pubsub loading stale', NO_KEYS, '@pubsub @slow', 'Counts the subscribers of shard channels.', (c) => {
    const names = c.argv.slice(2);
    c.out.array(names.length * 2);
    for (const ch of names) {
      c.out.bulk(ch);
      c.out.int(c.server.subscribers(ch, true));
    }
  }),
  command('pubsub|numpat', 2, 'pubsub loading stale', NO_KEYS, '@pubsub @slow', 'Counts pattern subscriptions.', (c) => c.out.int(c.server.patternCount)),
];

const P = '@pubsub @slow';
export const pubsubCommandsTable = family('pubsub', [
  command('subscribe', -2, 'pubsub noscript loading stale', NO_KEYS, P, 'Listens to channels.', (c) => subscribe(c, 'channel')),
  command('psubscribe', -2, 'pubsub noscript loading stale', NO_KEYS, P, 'Listens to channels matching patterns.', (c) => subscribe(c, 'pattern')),
  command('ssubscribe', -2, 'pubsub noscript loading stale', NO_KEYS, P, 'Listens to shard channels.', (c) => subscribe(c, 'shard')),
  command('unsubscribe', -1, 'pubsub noscript loading stale', NO_KEYS, P, 'Stops listening to channels.', (c) => unsubscribe(c, 'channel')),
  command('punsubscribe', -1, 'pubsub noscript loading stale', NO_KEYS, P, 'Stops listening to channel patterns.', (c) => unsubscribe(c, 'pattern')),
  command('sunsubscribe', -1, 'pubsub noscript loading stale', NO_KEYS, P, 'Stops listening to shard channels.', (c) => unsubscribe(c, 'shard')),
  command('publish', 3, 'pubsub loading stale fast', NO_KEYS, '@pubsub @fast', 'Posts a message to a channel.', (c) => publish(c, false)),
  command('spublish', 3, 'pubsub loading stale fast', NO_KEYS, '@pubsub @fast', 'Posts a message to a shard channel.', (c) => publish(c, true)),
  command('pubsub', -2, '', NO_KEYS, '@slow', 'Inspects the pub/sub state.', () => undefined, { subcommands: pubsubCommands }),
]);
