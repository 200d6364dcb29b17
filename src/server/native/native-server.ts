// The native protocol server: a TCP listener whose connections speak docs/protocol.md to the
// queue services. The node process constructs it with its services and calls listen/close.
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { BrokerService } from '../../broker/broker-service.js';
import type { ControllerService } from '../../cluster/controller-service.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { Connection, type ServerCounters } from './connection.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { QueueServices } from './services.js';

export interface NativeServerOptions {
  controller: ControllerService;
  /** Every broker group hosted on this node. */
  brokers: readonly BrokerService[];
  log?: Logger;
  clock?: Clock;
  serverId?: string;
  /** Largest frame accepted from a client (default 16 MiB: room for a 4 MiB message batch and more). */
  maxFrameBytes?: number;
  maxInFlightPerConnection?: number;
  authenticate?: (username: string, password: string) => boolean;
}

export class NativeServer {
  readonly services: QueueServices;
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly log: Logger;
  /** Connections and requests since start, for the node's /metrics. */
  readonly counters: ServerCounters = { connectionsOpened: 0, connectionsOpen: 0, requests: new Map(), errors: new Map() };

  constructor(private readonly options: NativeServerOptions) {
    this.log = options.log ?? silentLogger;
    this.services = new QueueServices(options.controller, options.brokers, options.clock ?? systemClock, this.log);
    this.server = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const conn = new Connection(
      socket,
      this.services,
      {
        maxFrameBytes: this.options.maxFrameBytes ?? 16 * 1024 * 1024,
        maxInFlight: this.options.maxInFlightPerConnection ?? 1024,
        serverId: this.options.serverId ?? randomUUID(),
        ...(this.options.authenticate === undefined ? {} : { authenticate: this.options.authenticate }),
      },
      this.log,
      (c) => this.connections.delete(c),
      this.counters,
    );
    this.connections.add(conn);
  }

  /** Listens on `port` (0: any free port); resolves with the port bound. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops accepting, answers requests in flight (waiting up to `timeoutMs`), closes every connection. */
  async close(timeoutMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Members go first: that answers pending long polls, so only real work is waited for.
    this.services.close();
    await Promise.all([...this.connections].map((c) => c.shutdown(timeoutMs)));
    await closed;
  }
}
