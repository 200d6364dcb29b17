// Channel and pattern subscriptions, and the messages they receive. Delivery goes through a
// callback that writes into the subscriber's connection (push frames on RESP3, arrays on RESP2).
import type { ReplyWriter } from '../protocol/resp/writer.js';
import type { Client } from './client.js';
import { globMatch } from './glob.js';

export type Deliver = (client: Client, write: (out: ReplyWriter) => void) => void;

export class PubSub {
  private readonly channels = new Map<string, Set<Client>>();
  private readonly patterns = new Map<string, Set<Client>>();

  constructor(private readonly deliver: Deliver) {}

  get patternCount(): number {
    return this.patterns.size;
  }

  /** Subscribes and confirms each channel: ["subscribe", channel, count]. */
  subscribe(client: Client, names: readonly string[], pattern: boolean): void {
    const table = pattern ? this.patterns : this.channels;
    const mine = pattern ? client.patterns : client.channels;
    for (const name of names) {
      if (!mine.has(name)) {
        mine.add(name);
        let set = table.get(name);
        if (set === undefined) table.set(name, (set = new Set()));
        set.add(client);
      }
      this.confirm(client, pattern ? 'psubscribe' : 'subscribe', name);
    }
  }

  /** Unsubscribes from `names`, or from everything when empty; confirms each. */
  unsubscribe(client: Client, names: readonly string[], pattern: boolean): void {
    const table = pattern ? this.patterns : this.channels;
    const mine = pattern ? client.patterns : client.channels;
    const kind = pattern ? 'punsubscribe' : 'unsubscribe';
    const list = names.length > 0 ? names : [...mine];
    if (list.length === 0) {
      this.confirm(client, kind, null);
      return;
    }
    for (const name of list) {
      if (mine.delete(name)) {
        const set = table.get(name);
        set?.delete(client);
        if (set?.size === 0) table.delete(name);
      }
      this.confirm(client, kind, name);
    }
  }

  /** Drops every subscription of a client that went away, without replies. */
  forget(client: Client): void {
    for (const name of client.channels) {
      const set = this.channels.get(name);
      set?.delete(client);
      if (set?.size === 0) this.channels.delete(name);
    }
    for (const name of client.patterns) {
      const set = this.patterns.get(name);
      set?.delete(client);
      if (set?.size === 0) this.patterns.delete(name);
    }
    client.channels.clear();
    client.patterns.clear();
  }

  /** Delivers a message; returns the number of receptions (channel plus pattern matches). */
  publish(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs !== undefined) {
      for (const client of subs) {
        this.deliver(client, (out) => {
          out.push(3);
          out.bulk('message');
          out.bulk(channel);
          out.bulk(message);
        });
        n++;
      }
    }
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

  /** Channels with at least one subscriber, optionally matching a pattern. */
  activeChannels(pattern: string | null): string[] {
    const out: string[] = [];
    for (const name of this.channels.keys()) if (pattern === null || globMatch(pattern, name)) out.push(name);
    return out;
  }

  subscriberCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  /** Whether anyone could receive a message on `channel` (skips building notifications). */
  hasListeners(): boolean {
    return this.channels.size > 0 || this.patterns.size > 0;
  }

  private confirm(client: Client, kind: string, name: string | null): void {
    this.deliver(client, (out) => {
      out.push(3);
      out.bulk(kind);
      if (name === null) out.nullBulk();
      else out.bulk(name);
      out.int(client.subscriptions);
    });
  }
}
