/**
 * The browser SDK and demo page, built by `npm run build` into dist/client/,
 * served from memory: the files are read once at start, `/` is index.html.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HttpHandler, sendProblem } from './http-server.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** dist/client next to dist/server (installed or built), or the build output of a checkout. */
export function clientDirectory(): string | undefined {
  const candidates = [new URL('../client/', import.meta.url), new URL('../../dist/client/', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(join(path, 'index.html'))) return path;
  }
  return undefined;
}

/** Serves the files of `directory` (one level, read at start) at `/<name>`, index.html at `/`. */
export function staticFilesHandler(directory: string | undefined): HttpHandler {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (directory) {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (!statSync(path).isFile()) continue;
      files.set(`/${name}`, {
        body: readFileSync(path),
        type: TYPES[extname(name)] ?? 'application/octet-stream',
      });
    }
  }
  return (request, response, url) => {
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = files.get(path);
    if (!file) {
      if (url.pathname === '/' && files.size === 0) {
        sendProblem(response, 503, 'Demo Not Built', 'run "npm run build" to build the browser demo');
        return true;
      }
      return false;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendProblem(response, 405, 'Method Not Allowed', undefined, { allow: 'GET, HEAD' });
      return true;
    }
    response.writeHead(200, {
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
