/**
 * The server's HTTP listener: `/metrics` (Prometheus), `/healthz` (the
 * process is alive) and `/readyz` (it takes new work: 503 while draining).
 * Later issues add signaling, the admin API and the demo page here. Errors
 * are application/problem+json (RFC 9457).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenAddress } from '../turn/options.js';
import type { Log } from '../util/log.js';
import type { Metrics } from './metrics.js';

/** What the HTTP listener serves. */
export interface HttpServerOptions {
  listen: ListenAddress[];
  metrics: Metrics;
  /** False while the process refuses new work (drain mode). */
  ready: () => boolean;
  log: Log;
}

function problem(
  response: ServerResponse,
  status: number,
  title: string,
  extraHeaders: Record<string, string> = {},
) {
  const body = JSON.stringify({ type: 'about:blank', title, status });
  response.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  response.end(body);
}

function json(response: ServerResponse, status: number, value: unknown) {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** HTTP listeners for the operational endpoints. */
export class HttpServer {
  private readonly options: HttpServerOptions;
  private readonly servers: Server[] = [];
  /** The bound addresses (actual ports when 0 was asked for). */
  readonly addresses: { host: string; port: number; family: 4 | 6 }[] = [];

  private constructor(options: HttpServerOptions) {
    this.options = options;
  }

  /** Binds every address; on failure closes what was bound and rejects. */
  static async start(options: HttpServerOptions): Promise<HttpServer> {
    const http = new HttpServer(options);
    try {
      for (const address of options.listen) await http.bind(address);
    } catch (error) {
      await http.close();
      throw error;
    }
    return http;
  }

  private bind(address: ListenAddress): Promise<void> {
    const server = createServer(
      { requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 8192 },
      (request, response) => {
        this.handle(request, response).catch((error: unknown) => {
          this.options.log.error({ err: error, url: request.url }, 'HTTP handler failed');
          if (!response.headersSent) problem(response, 500, 'Internal Server Error');
          else response.destroy();
        });
      },
    );
    server.keepAliveTimeout = 5_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        server.off('error', reject);
        const bound = server.address();
        if (bound && typeof bound === 'object') {
          this.addresses.push({
            host: address.host,
            port: bound.port,
            family: bound.family === 'IPv6' ? 6 : 4,
          });
        }
        this.servers.push(server);
        resolve();
      });
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const routes: Record<string, () => Promise<void> | void> = {
      '/metrics': async () => {
        const { contentType, body } = await this.options.metrics.render();
        response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        response.end(body);
      },
      '/healthz': () => json(response, 200, { status: 'ok' }),
      '/readyz': () =>
        this.options.ready()
          ? json(response, 200, { status: 'ready' })
          : json(response, 503, { status: 'draining' }),
    };
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) {
      problem(response, 404, 'Not Found');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      problem(response, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
      return;
    }
    await route();
  }

  /** Stops listening and closes open connections. Idempotent. */
  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}
