/**
 * Process lifecycle: the first SIGINT or SIGTERM closes the running services
 * and exits 0 once they are closed; a second signal exits at once, for the
 * operator whose close is stuck.
 */
import { constants } from 'node:os';
import type { Log } from '../util/log.js';

/** The part of `process` that lifecycle uses, so tests can pass an EventEmitter and a fake exit. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** What exitOnSignals needs. */
export interface ExitOnSignalsOptions {
  /** Closes everything that runs; exitOnSignals awaits it once. */
  close: () => Promise<void>;
  log: Log;
  /** Default: process. */
  signals?: SignalSource;
  /** Default: process.exit. */
  exit?: (code: number) => void;
}

/** The signals that stop the server. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Installs the SIGINT/SIGTERM handlers. Returns a function that removes them
 * (for tests, and for a caller that shuts down for another reason).
 */
export function exitOnSignals(options: ExitOnSignalsOptions): () => void {
  const source = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.log;
  let closing = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      log.warn({ signal }, 'second signal, exiting without waiting for close');
      // 128 + signal number: what a shell reports for a process killed by that signal.
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    closing = true;
    log.info({ signal }, 'shutting down');
    options.close().then(
      () => {
        log.info({}, 'stopped');
        exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'error while shutting down');
        exit(1);
      },
    );
  };

  for (const signal of SHUTDOWN_SIGNALS) source.on(signal, onSignal);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) source.off(signal, onSignal);
  };
}
