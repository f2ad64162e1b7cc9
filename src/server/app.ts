/**
 * The all-in-one server (`switchboard start`): every service the
 * configuration describes, started in order and closed in reverse. Today that
 * is the STUN/TURN service; signaling (HTTP, WebSocket) and media join here.
 */
import type { Log } from '../util/log.js';
import type { Config } from './config.js';
import { TurnService } from './turn-service.js';

/** The running services of one process. */
export class App {
  /** The STUN/TURN service. */
  readonly turn: TurnService;
  private closing: Promise<void> | undefined;

  private constructor(turn: TurnService) {
    this.turn = turn;
  }

  /** Starts every service; if one fails, those already started are closed before the error propagates. */
  static async start(config: Config, log: Log): Promise<App> {
    // One service today, so nothing started before it needs unwinding on failure.
    const turn = await TurnService.start(config, log);
    return new App(turn);
  }

  /** Closes every service, in the reverse order of start. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.turn.close();
    return this.closing;
  }
}
