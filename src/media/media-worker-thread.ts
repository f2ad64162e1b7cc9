/**
 * Entry point of a media worker thread (see worker.ts): one MediaEngine,
 * driven by request messages from the main thread, answering each with a
 * response and forwarding the engine's events and log lines.
 *
 * This file imports nothing outside node: builtins and src/, so that, run
 * from TypeScript sources, it can be bundled into one module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Log } from '../util/log.js';
import { MediaEngine, serializeMediaError } from './engine.js';
import type { FromMediaThread, MediaLogMessage, MediaWorkerThreadData } from './worker-protocol.js';

const port = parentPort!;
const data = workerData as MediaWorkerThreadData;
const post = (message: FromMediaThread) => port.postMessage(message);

/** Time the thread waits, after worker.close, for its handles to go before it exits anyway. */
const EXIT_GRACE_MS = 1000;

/** A log that sends its lines to the main thread's logger. */
function forward(level: MediaLogMessage['level']): (object: object, message?: string) => void {
  return (object, message) => {
    const entry: MediaLogMessage = { type: 'log', level, object: { ...object }, message };
    try {
      post(entry);
    } catch {
      // Something in the object does not clone (a socket): send what does.
      const err = (object as { err?: unknown }).err;
      post({ ...entry, object: { err: err instanceof Error ? err.message : undefined } });
    }
  };
}
const log: Log = {
  debug: forward('debug'),
  info: forward('info'),
  warn: forward('warn'),
  error: forward('error'),
};

/** Answers every request; once the engine is closed, lets the thread end. */
function serve(engine: MediaEngine): void {
  port.on('message', (message: unknown) => {
    void engine.handle(message).then((response) => {
      post(response);
      if (engine.closed) {
        port.close();
        // Every socket is closed; anything left (a timer) must not keep the thread.
        setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
      }
    });
  });
  post({ type: 'ready', info: engine.info });
}

try {
  serve(await MediaEngine.start({ ...data.options, log }, (event) => post({ type: 'event', event })));
} catch (error) {
  post({ type: 'failed', error: serializeMediaError(error) });
  port.close();
}
