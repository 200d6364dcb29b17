// The RESP server: a TCP listener whose connections speak Redis's protocol to the cache
// service. `startCache` is the entry point node/ uses to put the cache on a port.
import { createServer, type Server, type Socket } from 'node:net';
import { CacheService, type CacheServiceOptions } from '../../cache/service.js';
import type { CacheMachine } from '../../cache/machine/machine.js';
import type { Group } from '../../raft/group.js';
import { DEFAULT_PARSER_LIMITS } from '../../protocol/resp/parser.js';
import { DepotError } from '../../util/errors.js';
import { RespConnection } from './connection.js';
import { adoptReading } from './socket-reader.js';

export const DEFAULT_REDIS_PORT = 6379;

export interface StartCacheOptions extends Omit<CacheServiceOptions, 'group' | 'port' | 'machine'> {
  /** The cache group's state machine (the same object the group applies entries to). */
  readonly machine: CacheMachine;
  /** 6379 by default (`--redis-port`); 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

export interface RunningCache {
  readonly port: number;
  readonly host: string;
  readonly service: CacheService;
  /** Stops accepting, closes every connection and the service. */
  close(): Promise<void>;
}

/** Starts the cache service for `group` and a RESP listener in front of it. */
export async function startCache(options: StartCacheOptions, group: Group<void>): Promise<RunningCache> {
  const host = options.host ?? '127.0.0.1';
  // Accepted paused: adoptReading moves each connection to a socket reading into a shared buffer.
  const server: Server = createServer({ pauseOnConnect: true });
  const sockets = new Set<Socket>();
  const requested = options.port ?? DEFAULT_REDIS_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new DepotError('INVALID_CONFIG', `cannot listen on ${host}:${requested}: ${err.message}`, { cause: err })));
    server.listen({ port: requested, host, backlog: 511 }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : requested;
  const service = new CacheService({ ...options, group, port });
  server.on('connection', (accepted: Socket) => {
    let connection: RespConnection | undefined;
    // No read is delivered before the connection is set below: reading starts on a later turn.
    const socket = adoptReading(server, accepted, (bytes) => connection!.received(bytes));
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const limits = {
      ...DEFAULT_PARSER_LIMITS,
      maxBulkBytes: service.maxStringBytes,
    };
    connection = new RespConnection(socket, service, limits);
    connection.start();
  });
  return {
    port,
    host,
    service,
    close: () =>
      new Promise<void>((resolve) => {
        service.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
