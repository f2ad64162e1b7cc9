/**
 * The running server of one process: the services the configuration
 * describes, started in order and closed in reverse: the STUN/TURN service,
 * the signaling service (in `switchboard start`), and the HTTP listener that
 * serves signaling, the admin API, the demo page, metrics and health.
 */
import { randomBytes } from 'node:crypto';
import type { Log } from '../util/log.js';
import type { Config } from './config.js';
import { ServerEventBus } from './events.js';
import { HttpServer, operationsHandler } from './http-server.js';
import { MediaService } from './media-service.js';
import { Metrics } from './metrics.js';
import { SignalingService } from './signaling-service.js';
import { clientDirectory, staticFilesHandler } from './static-files.js';
import { TurnService } from './turn-service.js';

/** Which services a command runs. */
export interface AppOptions {
  /** Signaling, the admin API and the demo page (`switchboard start`). */
  signaling: boolean;
  /** `--dev`. */
  dev: boolean;
}

/** The running services of one process. */
export class App {
  /** The STUN/TURN service. */
  readonly turn: TurnService;
  /** The signaling service, in `switchboard start`. */
  readonly signaling: SignalingService | undefined;
  /** The media server (ICE sockets and the SFU), in `switchboard start`. */
  readonly media: MediaService | undefined;
  /** The HTTP listener, when `http.listen` names one. */
  readonly http: HttpServer | undefined;
  readonly metrics: Metrics;
  /** What happens in the server (recordings started, stopped, failed), for webhooks and tests. */
  readonly events: ServerEventBus;
  private readonly log: Log;
  private closing: Promise<void> | undefined;

  private constructor(
    turn: TurnService,
    signaling: SignalingService | undefined,
    media: MediaService | undefined,
    http: HttpServer | undefined,
    metrics: Metrics,
    events: ServerEventBus,
    log: Log,
  ) {
    this.events = events;
    this.turn = turn;
    this.signaling = signaling;
    this.media = media;
    this.http = http;
    this.metrics = metrics;
    this.log = log;
  }

  /** Starts every service; if one fails, those already started are closed before the error propagates. */
  static async start(
    config: Config,
    log: Log,
    options: AppOptions = { signaling: false, dev: false },
  ): Promise<App> {
    // Participants get TURN REST credentials: from the configured secret, else from one made for this run.
    let turnConfig = config;
    let turnSecret = config.turn.authSecrets[0];
    if (options.signaling && turnSecret === undefined) {
      turnSecret = randomBytes(24).toString('base64url');
      turnConfig = { ...config, turn: { ...config.turn, authSecrets: [turnSecret] } };
    }
    const turn = await TurnService.start(turnConfig, log);
    const metrics = new Metrics();
    const events = new ServerEventBus();
    metrics.addTurn(turn.server);
    let signaling: SignalingService | undefined;
    let media: MediaService | undefined;
    let http: HttpServer | undefined;
    try {
      if (options.signaling) {
        media = await MediaService.start(config, log);
        metrics.addMedia(media);
        signaling = new SignalingService({
          config,
          log,
          turn,
          turnSecret,
          dev: options.dev,
          sfu: media.sfu,
          recording: { sfu: media.sfu, events },
        });
        if (signaling.recordings) {
          await signaling.recordings.recover();
          metrics.addRecording(signaling.recordings, events);
        }
        metrics.addSignaling(signaling);
      }
      if (config.http.listen.length > 0) {
        const handlers = [
          operationsHandler(
            () => metrics.render(),
            () => !turn.server.isDraining,
          ),
        ];
        if (signaling) handlers.push(...signaling.handlers, staticFilesHandler(clientDirectory()));
        http = await HttpServer.start({
          listen: config.http.listen,
          handlers,
          onUpgrade: (request, socket, head, url) => {
            if (signaling?.onUpgrade(request, socket, head, url)) return;
            socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          },
          log,
        });
        log.info(
          { service: 'http', listen: http.addresses.map((address) => `${address.host}:${address.port}`) },
          signaling
            ? 'HTTP service started (/rtc, /api, /, /metrics, /healthz, /readyz)'
            : 'HTTP service started (/metrics, /healthz, /readyz)',
        );
      }
    } catch (error) {
      await signaling?.close();
      await media?.close();
      await turn.close();
      throw error;
    }
    return new App(turn, signaling, media, http, metrics, events, log);
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
      await this.signaling?.close();
      await this.media?.close();
      await this.http?.close();
      await this.turn.close();
    })();
    return this.closing;
  }
}
