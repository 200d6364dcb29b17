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

  constructor(private readonly conn: Connection) {}

  route(topic: string): Promise<TopicRoute> {
    let p = this.cache.get(topic);
    if (p === undefined) {
      p = this.conn.request(Api.DescribeTopic, [encodeName(topic)]).then((b) => {
        const t = decodeTopicDescription(b).topic;
        return { queues: t.queues, maxMessageBytes: t.maxMessageBytes };
      });
      p.catch(() => this.cache.delete(topic));
      this.cache.set(topic, p);
    }
    return p;
  }

  invalidate(topic: string): void {
    this.cache.delete(topic);
  }
}
