/**
 * The reference of the signaling benchmark: a bare `ws` echo server, the
 * ceiling of what a Node WebSocket server does per message on this machine.
 *
 *   node dist-bench/bench/signaling-echo-server.js --host 127.0.0.1 --port PORT
 *
 * It is configured as our signaling server configures `ws`: behind a Node
 * HTTP server's `upgrade` event, no compression, the same 64 KiB frame limit,
 * no client tracking. Every frame goes back to its sender as it came, with no
 * parsing: what our server adds on top (JSON, validation, rooms, routing) is
 * the difference the benchmark measures.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { MAX_MESSAGE_BYTES } from '../src/signaling/protocol.js';

const { values } = parseArgs({
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' } },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('signaling-echo-server: --port PORT is needed\n');
  process.exit(2);
}

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: MAX_MESSAGE_BYTES,
  perMessageDeflate: false,
  clientTracking: false,
});
const http = createServer((_request, response) => {
  response.writeHead(404, { 'content-length': 0 });
  response.end();
});
http.on('upgrade', (request, socket, head) => {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(request, socket, head, (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    ws.on('error', () => {});
  });
});
http.listen({ host: values.host, port, exclusive: true }, () => {
  process.stderr.write(`echo server listening on ${values.host}:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
