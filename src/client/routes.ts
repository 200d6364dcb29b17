// Topic routes: each topic's queue count and message size limit, cached and refreshed on demand.
import { Api } from '../protocol/native/apis.js';
import { decodeTopicDescription, encodeName } from '../protocol/native/topics.js';
import type { Connection } from './connection.js';

export interface TopicRoute {
  queues: number;
  maxMessageBytes: number;
}

export class Routes {
  private readonly cache = new Map<string, Promise<TopicRoute>>();
  private readonly resolved = new Map<string, TopicRoute>();

  constructor(private readonly conn: Connection) {}

  /** The topic's route if already fetched (no request). */
  known(topic: string): TopicRoute | undefined {
    return this.resolved.get(topic);
  }

  route(topic: string): Promise<TopicRoute> {
    let p = this.cache.get(topic);
    if (p === undefined) {
      const fetched = this.conn.request(Api.DescribeTopic, [encodeName(topic)]).then((b) => {
        const t = decodeTopicDescription(b).topic;
        const route = { queues: t.queues, maxMessageBytes: t.maxMessageBytes };
        if (this.cache.get(topic) === fetched) this.resolved.set(topic, route);
        return route;
      });
      p = fetched;
      p.catch(() => {
        if (this.cache.get(topic) === fetched) this.cache.delete(topic);
      });
      this.cache.set(topic, p);
    }
    return p;
  }

  invalidate(topic: string): void {
    this.cache.delete(topic);
    this.resolved.delete(topic);
  }
}
