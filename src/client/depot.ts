// The entry point of the TypeScript SDK:
//   const depot = await Depot.connect({ servers: ['127.0.0.1:7450'] });
import { randomUUID } from 'node:crypto';
import { Api } from '../protocol/native/apis.js';
import { Admin } from './admin.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { Consumer, type ConsumerOptions, type ConsumerRegistry } from './consumer.js';
import { Producer, type ProducerOptions } from './producer.js';
import { Routes } from './routes.js';

export interface DepotOptions extends Partial<Omit<ConnectionOptions, 'servers'>> {
  servers: string[];
}

export class Depot {
  readonly admin: Admin;
  private readonly routes: Routes;
  private readonly producers = new Set<Producer>();
  private readonly registry: ConsumerRegistry = { assignments: new Map(), deliveries: new Map(), consumers: new Set() };

  private constructor(private readonly conn: Connection) {
    this.admin = new Admin(conn);
    this.routes = new Routes(conn);
    conn.onPush(Api.Assignment, (_api, id, body) => this.registry.assignments.get(id)?.onAssignment(body));
    conn.onPush(Api.Deliver, (_api, id, body, flags) => this.registry.deliveries.get(id)?.onDelivery(body, flags));
    let wasLost = false;
    conn.on('disconnected', () => (wasLost = true));
    conn.on('connected', () => {
      if (!wasLost) return;
      wasLost = false;
      for (const c of this.registry.consumers) c.rejoin();
    });
  }

  static async connect(options: DepotOptions): Promise<Depot> {
    const conn = await Connection.open({ clientId: `depot-js-${randomUUID()}`, ...options });
    return new Depot(conn);
  }

  producer(options: ProducerOptions = {}): Producer {
    const p = new Producer(this.conn, this.routes, options);
    this.producers.add(p);
    return p;
  }

  consumer(options: ConsumerOptions): Consumer {
    const c = new Consumer(this.conn, this.registry, options);
    this.registry.consumers.add(c);
    return c;
  }

  /** Flushes producers, commits and closes consumers (leaving their groups), then disconnects. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.producers].map((p) => p.close()));
    await Promise.allSettled([...this.registry.consumers].map((c) => c.close()));
    this.conn.close();
  }
}
