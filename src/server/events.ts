/**
 * The server's event bus: what happened, for whoever wants to know (logs
 * today, webhooks next). Listeners run synchronously and must not throw;
 * one that does is logged and the others still run.
 */
import { EventEmitter } from 'node:events';
import type { RecordingInfo } from './recording-service.js';

/** Every event and what it carries. */
export interface ServerEventMap {
  'recording.started': [{ recording: RecordingInfo }];
  'recording.stopped': [{ recording: RecordingInfo }];
  'recording.failed': [{ recording: RecordingInfo }];
}

/** An event's name. */
export type ServerEventName = keyof ServerEventMap;

/** The bus. */
export class ServerEventBus extends EventEmitter<ServerEventMap> {
  constructor() {
    super({ captureRejections: false });
    this.setMaxListeners(100);
  }

  override emit<K extends ServerEventName>(name: K, ...args: ServerEventMap[K]): boolean {
    for (const listener of this.rawListeners(name) as ((...a: ServerEventMap[K]) => void)[]) {
      try {
        listener.apply(this, args);
      } catch {
        // A listener's failure is its own; the event still reaches the others.
      }
    }
    return this.listenerCount(name) > 0;
  }
}
