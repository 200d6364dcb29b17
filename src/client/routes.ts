// Topic routes: how many queues each topic has, cached and refreshed on demand.
import { Api } from '../protocol/native/apis.js';
import { decodeTopicDescription, encodeName } from '../protocol/native/topics.js';
import type { Connection } from './connection.js';

export class Routes {
  private readonly cache = new Map<string, Promise<number>>();

  constructor(private readonly conn: Connection) {}

  queues(topic: string): Promise<number> {
    let p = this.cache.get(topic);
    if (p === undefined) {
      p = this.conn.request(Api.DescribeTopic, [encodeName(topic)]).then((b) => decodeTopicDescription(b).topic.queues);
      p.catch(() => this.cache.delete(topic));
      this.cache.set(topic, p);
    }
    return p;
  }

  invalidate(topic: string): void {
    this.cache.delete(topic);
  }
}
