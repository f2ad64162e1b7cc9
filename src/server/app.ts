/**
 * The running server of one process: the services the configuration
 * describes, started in order and closed in reverse. Today that is the
 * STUN/TURN service and the HTTP listener of its operational endpoints
 * (metrics, health); signaling and media join here.
 */
import type { Log } from '../util/log.js';
import type { Config } from './config.js';
import { HttpServer } from './http-server.js';
import { Metrics } from './metrics.js';
import { TurnService } from './turn-service.js';

/** The running services of one process. */
export class App {
  /** The STUN/TURN service. */
  readonly turn: TurnService;
  /** The HTTP listener, when `http.listen` names one. */
  readonly http: HttpServer | undefined;
  readonly metrics: Metrics;
  private readonly log: Log;
  private closing: Promise<void> | undefined;

  private constructor(turn: TurnService, http: HttpServer | undefined, metrics: Metrics, log: Log) {
    this.turn = turn;
    this.http = http;
    this.metrics = metrics;
    this.log = log;
  }

  /** Starts every service; if one fails, those already started are closed before the error propagates. */
  static async start(config: Config, log: Log): Promise<App> {
    const turn = await TurnService.start(config, log);
    const metrics = new Metrics();
    metrics.addTurn(turn.server);
    let http: HttpServer | undefined;
    if (config.http.listen.length > 0) {
      try {
        http = await HttpServer.start({
          listen: config.http.listen,
          metrics,
          ready: () => !turn.server.isDraining,
          log,
        });
      } catch (error) {
        await turn.close();
        throw error;
      }
      log.info(
        { service: 'http', listen: http.addresses.map((address) => `${address.host}:${address.port}`) },
        'HTTP service started (/metrics, /healthz, /readyz)',
      );
    }
    return new App(turn, http, metrics, log);
  }

  /** SIGHUP: reloads what can be reloaded without a restart (the TLS certificate). */
  reload(): void {
    this.log.info({}, 'reloading');
    this.turn.reloadTls();
  }

  /** SIGUSR1: stops taking new work and lets the existing run to its end. */
  drain(): void {
    this.turn.drain();
  }

  /** Closes every service, in the reverse order of start. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.http?.close();
      await this.turn.close();
    })();
    return this.closing;
  }
}
