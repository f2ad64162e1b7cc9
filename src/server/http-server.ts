/**
 * The server's HTTP listener. Handlers are tried in order; the first that
 * takes a request answers it. WebSocket upgrades go to `onUpgrade` (the
 * signaling endpoint). Errors are application/problem+json (RFC 9457).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ListenAddress } from '../turn/options.js';
import type { Log } from '../util/log.js';

/** Answers a request and returns true, or returns false to let the next handler try. */
export type HttpHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => Promise<boolean> | boolean;

/** What the HTTP listener serves. */
export interface HttpServerOptions {
  listen: ListenAddress[];
  handlers: HttpHandler[];
  /** WebSocket upgrades; without it they are refused. */
  onUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;
  log: Log;
}

/** Sends an RFC 9457 problem. */
export function sendProblem(
  response: ServerResponse,
  status: number,
  title: string,
  detail?: string,
  headers: Record<string, string> = {},
  /** Extension members of the problem (RFC 9457 §3.2). */
  extensions: Record<string, unknown> = {},
): void {
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status,
    ...(detail ? { detail } : {}),
    ...extensions,
  });
  response.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

/** Sends a JSON value. */
export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

/** Why a request body was refused. */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Reads a JSON body of at most `limit` bytes; throws BodyError (413, 415, 400). */
export async function readJsonBody(request: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new BodyError(415, 'the body must be application/json');
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyError(413, `the body must be at most ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(413, `the body must be at most ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BodyError(400, 'the body is not JSON');
  }
}

/** HTTP listeners. */
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
          if (error instanceof BodyError) {
            if (!response.headersSent) sendProblem(response, error.status, 'Bad Request Body', error.message);
            return;
          }
          this.options.log.error({ err: error, url: request.url }, 'HTTP handler failed');
          if (!response.headersSent) sendProblem(response, 500, 'Internal Server Error');
          else response.destroy();
        });
      },
    );
    server.keepAliveTimeout = 5_000;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const url = this.urlOf(request);
      if (!url || !this.options.onUpgrade) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.options.onUpgrade(request, socket, head, url);
    });
    server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
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

  private urlOf(request: IncomingMessage): URL | undefined {
    try {
      return new URL(request.url ?? '/', 'http://localhost');
    } catch {
      return undefined;
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = this.urlOf(request);
    if (!url) {
      sendProblem(response, 400, 'Bad Request', 'malformed request target');
      return;
    }
    for (const handler of this.options.handlers) {
      if (await handler(request, response, url)) return;
    }
    sendProblem(response, 404, 'Not Found');
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

/** `/metrics`, `/healthz` and `/readyz`. */
export function operationsHandler(
  render: () => Promise<{ contentType: string; body: string }>,
  ready: () => boolean,
): HttpHandler {
  return async (request, response, url) => {
    const path = url.pathname;
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendProblem(response, 405, 'Method Not Allowed', undefined, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/metrics') {
      const { contentType, body } = await render();
      response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      response.end(body);
    } else if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
    } else if (ready()) {
      sendJson(response, 200, { status: 'ready' });
    } else {
      sendJson(response, 503, { status: 'draining' });
    }
    return true;
  };
}
