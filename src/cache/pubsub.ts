// Channel, pattern and shard-channel subscriptions, and the messages they receive. Delivery goes
// through a callback that writes into the subscriber's connection (push frames on RESP3, arrays
// on RESP2). Shard channels (SSUBSCRIBE, SPUBLISH) are Redis 7's cluster-local channels: on one
// node, a namespace apart from the others, with messages of their own kind ("smessage").
import type { ReplyWriter } from '../protocol/resp/writer.js';
import type { Client } from './client.js';
import { globMatch } from './glob.js';

export type Deliver = (client: Client, write: (out: ReplyWriter) => void) => void;

/** Which subscriptions: channels, patterns or shard channels. */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** The confirmation words of each kind. */
const WORDS: Readonly<Record<SubscriptionKind, readonly [string, string]>> = {
  channel: ['subscribe', 'unsubscribe'],
  pattern: ['psubscribe', 'punsubscribe'],
  shard: ['ssubscribe', 'sunsubscribe'],
};

export class PubSub {
  private readonly channels = new Map<string, Set<Client>>();
  private readonly patterns = new Map<string, Set<Client>>();
  private readonly shardChannels = new Map<string, Set<Client>>();

  constructor(private readonly deliver: Deliver) {}

  private tables(client: Client, kind: SubscriptionKind): [Map<string, Set<Client>>, Set<string>] {
    if (kind === 'pattern') return [this.patterns, client.patterns];
    if (kind === 'shard') return [this.shardChannels, client.shardChannels];
    return [this.channels, client.channels];
  }

  get patternCount(): number {
    return this.patterns.size;
  }

  /** Subscribes and confirms each channel: ["subscribe", channel, count]. */
  subscribe(client: Client, names: readonly string[], kind: SubscriptionKind): void {
    const [table, mine] = this.tables(client, kind);
    for (const name of names) {
      if (!mine.has(name)) {
        mine.add(name);
        let set = table.get(name);
        if (set === undefined) table.set(name, (set = new Set()));
        set.add(client);
      }
      this.confirm(client, kind, WORDS[kind][0], name);
    }
  }

  /** Unsubscribes from `names`, or from everything when empty; confirms each. */
  unsubscribe(client: Client, names: readonly string[], kind: SubscriptionKind): void {
    const [table, mine] = this.tables(client, kind);
    const word = WORDS[kind][1];
    const list = names.length > 0 ? names : [...mine];
    if (list.length === 0) {
      this.confirm(client, kind, word, null);
      return;
    }
    for (const name of list) {
      if (mine.delete(name)) {
        const set = table.get(name);
        set?.delete(client);
        if (set?.size === 0) table.delete(name);
      }
      this.confirm(client, kind, word, name);
    }
  }

  /** Drops every subscription of a client that went away, without replies. */
  forget(client: Client): void {
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      const [table, mine] = this.tables(client, kind);
      for (const name of mine) {
        const set = table.get(name);
        set?.delete(client);
        if (set?.size === 0) table.delete(name);
      }
      mine.clear();
    }
  }

  /** [kind, channel, message] to each of `subs`; returns how many. */
  private send(subs: Set<Client> | undefined, kind: 'message' | 'smessage', channel: string, message: string): number {
    if (subs === undefined) return 0;
    for (const client of subs) {
      this.deliver(client, (out) => {
        out.push(3);
        out.bulk(kind);
        out.bulk(channel);
        out.bulk(message);
      });
    }
    return subs.size;
  }

  /** SPUBLISH: delivers to the shard channel's subscribers; returns how many. */
  publishShard(channel: string, message: string): number {
    return this.send(this.shardChannels.get(channel), 'smessage', channel, message);
  }

  /** Delivers a message; returns the number of receptions (channel plus pattern matches). */
  publish(channel: string, message: string): number {
    let n = this.send(this.channels.get(channel), 'message', channel, message);
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const client of clients) {
        this.deliver(client, (out) => {
          out.push(4);
          out.bulk('pmessage');
          out.bulk(pattern);
          out.bulk(channel);
          out.bulk(message);
        });
        n++;
      }
    }
    return n;
  }

  /** Channels (or shard channels) with at least one subscriber, optionally matching a pattern. */
  activeChannels(pattern: string | null, shard = false): string[] {
    const out: string[] = [];
    for (const name of (shard ? this.shardChannels : this.channels).keys()) if (pattern === null || globMatch(pattern, name)) out.push(name);
    return out;
  }

  subscriberCount(channel: string, shard = false): number {
    return (shard ? this.shardChannels : this.channels).get(channel)?.size ?? 0;
  }

  /** Whether anyone could receive a message on `channel` (skips building notifications). */
  hasListeners(): boolean {
    return this.channels.size > 0 || this.patterns.size > 0;
  }

  /** [word, channel, count]: shard confirmations count shard channels, the others channels and patterns. */
  private confirm(client: Client, kind: SubscriptionKind, word: string, name: string | null): void {
    const count = kind === 'shard' ? client.shardChannels.size : client.subscriptions;
    this.deliver(client, (out) => {
      out.push(3);
      out.bulk(word);
      if (name === null) out.nullBulk();
      else out.bulk(name);
      out.int(count);
    });
  }
}
