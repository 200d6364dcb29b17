// The node's HTTP endpoint: `GET /health` (JSON status, 200 when serving, 503 when not) and
// `GET /metrics` (Prometheus text format). The admin API and console mount here later.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Health {
  /** True when every group this node hosts has a leader and this node can serve. */
  ok: boolean;
  [detail: string]: unknown;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  health: () => Health;
  metrics: Registry;
}

export class HttpServer {
  private constructor(private readonly server: Server) {}

  static async start(options: HttpServerOptions): Promise<HttpServer> {
    const server = createServer((req, res) => {
      route(options, req, res).catch((err: unknown) => {
        if (!res.headersSent) reply(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
        else res.destroy();
      });
    });
    // Keep-alive sockets from scrapers must not hold shutdown open.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new HttpServer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function route(options: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, 405, 'text/plain', 'method not allowed\n');
  } else if (path === '/health') {
    const health = options.health();
    reply(res, health.ok ? 200 : 503, 'application/json', JSON.stringify(health) + '\n');
  } else if (path === '/metrics') {
    reply(res, 200, options.metrics.contentType, await options.metrics.metrics());
  } else {
    reply(res, 404, 'text/plain', 'not found\n');
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
