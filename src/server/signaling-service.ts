/**
 * The signaling service: rooms, the `/rtc` WebSocket endpoint, the admin API,
 * and in `--dev` the development token endpoint, wired from the
 * configuration. ICE servers handed to participants point at the embedded
 * TURN server (with TURN REST credentials from its secret) and at any
 * configured external one.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { IceServer } from '../signaling/protocol.js';
import type { Participant } from '../signaling/room.js';
import { RoomManager } from '../signaling/rooms.js';
import { SignalingServer } from '../signaling/server.js';
import type { SfuService } from '../signaling/sfu.js';
import { createAccessToken, ROOM_NAME, TokenVerifier } from '../signaling/tokens.js';
import { createRestCredential } from '../turn/rest-credentials.js';
import type { Log } from '../util/log.js';
import { RateLimiter } from '../util/rate-limiter.js';
import { adminApiHandler } from './admin-api.js';
import type { Config } from './config.js';
import type { ServerEventBus } from './events.js';
import { type HttpHandler, sendJson, sendProblem } from './http-server.js';
import { childLog } from './logger.js';
import { RecordingService } from './recording-service.js';
import type { WorkerSfuService } from './sfu-service.js';
import type { TurnService } from './turn-service.js';

/** What the service needs besides the configuration. */
export interface SignalingServiceOptions {
  config: Config;
  log: Log;
  /** The embedded TURN service, if it runs. */
  turn: TurnService | undefined;
  /** The TURN REST secret participants' credentials are made from. */
  turnSecret: string | undefined;
  /** `--dev`: serve /dev/token, and leave turns: out (the certificate is self-signed). */
  dev: boolean;
  /** The media server behind sfu rooms. */
  sfu?: SfuService;
  /** Recording of sfu rooms: the SFU on workers, and where recording events go. */
  recording?: { sfu: WorkerSfuService; events: ServerEventBus };
}

/** The host part of a Host header ("example.org:7880", "[::1]:7880"), undefined when absent. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed) return bracketed[1];
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

/** The signaling service of the all-in-one server. */
export class SignalingService {
  readonly rooms: RoomManager;
  readonly server: SignalingServer;
  readonly handlers: HttpHandler[];
  /** Room recordings, when the media server runs here. */
  readonly recordings: RecordingService | undefined;
  private readonly options: SignalingServiceOptions;

  constructor(options: SignalingServiceOptions) {
    this.options = options;
    const { config, log } = options;
    const signaling = config.signaling;
    const signalingLog = childLog(log, { service: 'signaling' });
    this.rooms = new RoomManager(
      {
        mode: signaling.roomMode,
        maxParticipants: signaling.maxParticipants,
        emptyTimeoutMs: signaling.emptyTimeout * 1000,
      },
      signalingLog,
    );
    const verifier = new TokenVerifier(signaling.apiKeys);
    if (signaling.apiKeys.length === 0) {
      signalingLog.warn(
        {},
        'no API keys (signaling.apiKeys, --api-key KEY:SECRET): every join and admin call will be refused',
      );
    }
    this.recordings = options.recording
      ? new RecordingService({
          dir: config.recording.dir,
          sfu: options.recording.sfu,
          rooms: this.rooms,
          events: options.recording.events,
          log: childLog(log, { service: 'recording' }),
        })
      : undefined;
    this.server = new SignalingServer({
      rooms: this.rooms,
      verifier,
      iceServers: (participant, host) => this.iceServers(participant, host),
      log: signalingLog,
      resumeGraceMs: signaling.resumeGrace * 1000,
      maxConnections: signaling.maxConnections,
      sfu: options.sfu,
      ...(this.recordings ? { recording: this.recordings } : {}),
    });
    this.handlers = [
      adminApiHandler({
        rooms: this.rooms,
        recordings: this.recordings,
        verifier,
        limiter: new RateLimiter({ perSecond: 20, burst: 40 }),
      }),
    ];
    if (options.dev) this.handlers.push(this.devTokenHandler());
  }

  /** WebSocket upgrades: `/rtc` is signaling, anything else is refused. */
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    if (url.pathname !== '/rtc') return false;
    this.server.handleUpgrade(request, socket, head);
    return true;
  }

  /** ICE servers for a participant: the embedded TURN (and its STUN), then the external ones. */
  private iceServers(participant: Participant, hostHeader: string | undefined): IceServer[] {
    const { config, turn, turnSecret } = this.options;
    const signaling = config.signaling;
    const servers: IceServer[] = [];
    const listener = turn?.addresses.find((address) => address.family === 4) ?? turn?.addresses[0];
    if (listener) {
      const wildcard = listener.host === '0.0.0.0' || listener.host === '::';
      const host = signaling.turnHost ?? (wildcard ? (hostOf(hostHeader) ?? '127.0.0.1') : listener.host);
      const authority = `${host.includes(':') ? `[${host}]` : host}:${listener.port}`;
      servers.push({ urls: [`stun:${authority}`] });
      if (turnSecret) {
        const credential = createRestCredential(
          turnSecret,
          participant.identity,
          signaling.turnCredentialTtl,
        );
        const urls = [`turn:${authority}?transport=udp`, `turn:${authority}?transport=tcp`];
        const tls = turn?.server.tlsAddresses.find((address) => address.family === 4);
        if (tls && !this.options.dev) {
          const name = signaling.turnHost ?? hostOf(hostHeader) ?? tls.host;
          urls.push(`turns:${name.includes(':') ? `[${name}]` : name}:${tls.port}?transport=tcp`);
        }
        servers.push({ urls, username: credential.username, credential: credential.password });
      }
    }
    if (signaling.externalTurnUrls.length > 0) {
      const secret = signaling.externalTurnSecret;
      if (secret) {
        const credential = createRestCredential(secret, participant.identity, signaling.turnCredentialTtl);
        servers.push({
          urls: [...signaling.externalTurnUrls],
          username: credential.username,
          credential: credential.password,
        });
      } else {
        servers.push({ urls: [...signaling.externalTurnUrls] });
      }
    }
    return servers;
  }

  /** GET /dev/token?room=R&name=N: a participant token made with the development key. */
  private devTokenHandler(): HttpHandler {
    const limiter = new RateLimiter({ perSecond: 10, burst: 20 });
    const key = this.options.config.signaling.apiKeys[0];
    return async (request, response, url) => {
      if (url.pathname !== '/dev/token') return false;
      if (request.method !== 'GET') {
        sendProblem(response, 405, 'Method Not Allowed', undefined, { allow: 'GET' });
        return true;
      }
      if (!limiter.take(request.socket.remoteAddress ?? '')) {
        sendProblem(response, 429, 'Too Many Requests');
        return true;
      }
      const room = url.searchParams.get('room') ?? '';
      const name = (url.searchParams.get('name') ?? '').trim();
      if (!ROOM_NAME.test(room) || name.length === 0 || name.length > 64) {
        sendProblem(
          response,
          400,
          'Bad Request',
          'room (letters, digits, _ . ~ -) and name (1–64 characters) are needed',
        );
        return true;
      }
      // A suffix keeps two tabs with the same name apart (one identity = one participant per room).
      const slug =
        name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')
          .slice(0, 32) || 'guest';
      const identity = `${slug}-${Math.random().toString(36).slice(2, 8)}`;
      // Development tokens may record, so that the demo's record button can be tried.
      const token = await createAccessToken(key, {
        identity,
        name,
        room,
        grants: { record: true },
        ttlSeconds: 6 * 3600,
      });
      sendJson(response, 200, { token, identity });
      return true;
    };
  }

  /** Finishes recordings (their files made whole), then closes every connection and room. */
  async close(): Promise<void> {
    await this.recordings?.close();
    await this.server.close();
  }
}
