/**
 * Entry point of a TURN worker thread (see turn-threads.ts): one TurnServer,
 * driven by messages from the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TurnServer } from '../turn/server.js';
import { createLogger } from './logger.js';
import type { FromThread, ToThread, TurnThreadData } from './turn-threads.js';

const port = parentPort!;
const data = workerData as TurnThreadData;
const post = (message: FromThread) => port.postMessage(message);

let nextId = 1;
const waiting = new Map<number, (message: ToThread) => void>();
function ask(build: (id: number) => FromThread): Promise<ToThread> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    post(build(id));
  });
}

const log = createLogger({ level: data.logLevel }).child({
  service: 'turn',
  thread: data.options.threadIndex,
});
const server = new TurnServer({
  ...data.options,
  nonceKey: Buffer.from(data.options.nonceKey),
  log,
  quota: {
    acquire: async (quotaKey) => {
      const answer = await ask((id) => ({ type: 'acquire', id, quotaKey }));
      return answer.type === 'quota' ? answer.refusal : 'total';
    },
    release: (quotaKey) => post({ type: 'release', quotaKey }),
  },
  claimReservation: async (token) => {
    const answer = await ask((id) => ({ type: 'claim', id, token }));
    return answer.type === 'reservation' ? answer.released : undefined;
  },
});

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'quota':
    case 'reservation': {
      const resolve = waiting.get(message.id);
      waiting.delete(message.id);
      resolve?.(message);
      return;
    }
    case 'drain':
      server.drain();
      return;
    case 'go':
      server.acceptTraffic();
      return;
    case 'tls':
      try {
        server.setTlsCredentials(message.credentials);
      } catch (error) {
        log.error({ reason: (error as Error).message }, 'TLS credentials refused');
      }
      return;
    case 'snapshot':
      post({ type: 'snapshot', id: message.id, stats: { ...server.stats }, gauges: server.gauges() });
      return;
    case 'release-reservation':
      post({
        type: 'released',
        id: message.id,
        released: server.releaseReservation(Buffer.from(message.token)),
      });
      return;
    case 'close':
      void server.close().then(() => {
        post({ type: 'closed' });
        port.close();
      });
      return;
  }
});

try {
  await server.start();
  post({ type: 'started', addresses: server.addresses, tlsAddresses: server.tlsAddresses });
} catch (error) {
  const { message, code } = error as NodeJS.ErrnoException;
  post({ type: 'failed', message, code });
  port.close();
}
