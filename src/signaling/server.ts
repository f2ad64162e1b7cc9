/**
 * The signaling server: WebSocket connections at `/rtc`, speaking the
 * protocol of protocol.ts to the rooms of rooms.ts.
 *
 * Every frame is bounded (64 KiB, enforced by `ws` before it is buffered),
 * rate-limited per connection, parsed and validated before it acts; anything
 * wrong is answered with an `error` and, where the protocol says so, a close
 * code. No message ends the process: the handler's last try/catch counts and
 * reports what it did not expect.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Log } from '../util/log.js';
import {
  type ClientMessage,
  CloseCode,
  type ErrorCode,
  type IceServer,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseClientMessage,
  type ServerMessage,
} from './protocol.js';
import { type RecordingControl, RecordingControlError } from './recording.js';
import { Participant, type ParticipantLink, type Room } from './room.js';
import type { RoomManager } from './rooms.js';
import { SfuError, type SfuService } from './sfu.js';
import { type AccessToken, TokenError, type TokenVerifier } from './tokens.js';

/** Options of the signaling server; defaults noted. */
export interface SignalingServerOptions {
  rooms: RoomManager;
  verifier: TokenVerifier;
  /** ICE servers for a participant, with credentials made for it; `host` is the Host the client dialed. */
  iceServers: (participant: Participant, host: string | undefined) => IceServer[];
  log: Log;
  /** The media server for sfu rooms; without it, joining an sfu room is refused. */
  sfu?: SfuService;
  /** Recording control for participants with the record grant; without it, their requests fail. */
  recording?: RecordingControl;
  /** How long a dropped connection may resume its session, ms. Default 15,000. */
  resumeGraceMs?: number;
  /** How often clients should send `ping`, ms. Default 10,000. */
  clientPingIntervalMs?: number;
  /** WebSocket ping period; two missed pongs drop the connection. Default 15,000. */
  heartbeatMs?: number;
  /** Time allowed between connecting and `join`, ms. Default 10,000. */
  joinTimeoutMs?: number;
  /** Messages per second a connection may send on average. Default 50. */
  messagesPerSecond?: number;
  /** Burst above that average. Default 100. */
  messageBurst?: number;
  /** Open WebSocket connections allowed; more are refused with 503. Default 20,000. */
  maxConnections?: number;
  now?: () => number;
}

/** Bytes queued toward a client past which it is dropped as too slow. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The state of one WebSocket connection. */
class Connection implements ParticipantLink {
  readonly ws: WebSocket;
  readonly host: string | undefined;
  participant: Participant | undefined;
  room: Room | undefined;
  joining = false;
  alive = true;
  joinTimer: NodeJS.Timeout | undefined;
  tokens: number;
  tokensAt: number;

  constructor(ws: WebSocket, host: string | undefined, burst: number, now: number) {
    this.ws = ws;
    this.host = host;
    this.tokens = burst;
    this.tokensAt = now;
  }

  send(message: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // A client that does not read would make the server hold its messages without end.
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
    }
  }
}

/** The `/rtc` WebSocket endpoint. */
export class SignalingServer {
  private readonly options: SignalingServerOptions;
  private readonly rooms: RoomManager;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly rate: number;
  private readonly burst: number;
  private closed = false;

  constructor(options: SignalingServerOptions) {
    this.options = options;
    this.rooms = options.rooms;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.rate = options.messagesPerSecond ?? 50;
    this.burst = options.messageBurst ?? 100;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Takes an HTTP upgrade for `/rtc`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed || this.connections.size >= (this.options.maxConnections ?? 20_000)) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws, request));
  }

  private onConnection(ws: WebSocket, request: IncomingMessage): void {
    const host = request.headers.host;
    const connection = new Connection(ws, host, this.burst, this.now());
    this.connections.add(connection);
    this.rooms.stats.connectionsOpened++;
    connection.joinTimer = setTimeout(() => {
      if (!connection.participant)
        this.refuse(connection, 'join_timeout', 'no join within the time allowed', CloseCode.JoinTimeout);
    }, this.options.joinTimeoutMs ?? 10_000);
    connection.joinTimer.unref();
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(connection, data as Buffer, isBinary);
      } catch (error) {
        this.log.error({ err: error }, 'signaling message handler failed');
        connection.send({ type: 'error', code: 'internal', message: 'internal error' });
      }
    });
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('error', (error) => {
      // ws closes the connection itself (1009 for an oversized frame, 1002 for a protocol error).
      if ((error as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.rooms.stats.messagesRefused++;
      }
    });
    ws.on('close', () => this.onClose(connection));
  }

  private onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    if (!this.takeToken(connection)) {
      this.rooms.stats.connectionsRateLimited++;
      this.refuse(connection, 'rate_limited', 'too many messages', CloseCode.RateLimited);
      return;
    }
    if (isBinary) {
      this.refuse(
        connection,
        'invalid_json',
        'binary frames are not part of the protocol',
        CloseCode.InvalidPayload,
      );
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      if (parsed.code === 'invalid_json') {
        this.refuse(connection, 'invalid_json', parsed.message, CloseCode.InvalidPayload);
      } else {
        this.error(connection, parsed.code, parsed.message, parsed.rid);
      }
      return;
    }
    const message = parsed.message;
    if (message.type === 'ping') {
      connection.send({ type: 'pong', t: message.t, serverTime: this.now() });
      return;
    }
    if (message.type === 'join') {
      if (connection.participant || connection.joining) {
        this.error(connection, 'already_joined', 'this connection has joined already', message.rid);
        return;
      }
      connection.joining = true;
      void this.onJoin(connection, message).catch((error: unknown) => {
        this.log.error({ err: error }, 'join failed');
        this.refuse(connection, 'internal', 'internal error', CloseCode.PolicyViolation);
      });
      return;
    }
    const participant = connection.participant;
    const room = connection.room;
    if (!participant || !room) {
      this.error(connection, 'not_joined', 'send join first', message.rid);
      return;
    }
    this.onRoomMessage(connection, room, participant, message);
  }

  /** Token bucket per connection: `rate` per second, `burst` at most. */
  private takeToken(connection: Connection): boolean {
    const now = this.now();
    connection.tokens = Math.min(
      this.burst,
      connection.tokens + ((now - connection.tokensAt) * this.rate) / 1000,
    );
    connection.tokensAt = now;
    if (connection.tokens < 1) return false;
    connection.tokens -= 1;
    return true;
  }

  private async onJoin(
    connection: Connection,
    message: Extract<ClientMessage, { type: 'join' }>,
  ): Promise<void> {
    const { rid } = message;
    if (message.v !== PROTOCOL_VERSION) {
      this.refuse(
        connection,
        'unsupported_version',
        `protocol version ${message.v} is not supported (this server speaks ${PROTOCOL_VERSION})`,
        CloseCode.PolicyViolation,
        rid,
      );
      return;
    }
    let token: AccessToken;
    try {
      token = await this.options.verifier.verify(message.token);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      this.refuse(connection, error.code, error.message, CloseCode.Unauthorized, rid);
      return;
    }
    if (connection.ws.readyState !== connection.ws.OPEN) return;
    if (!token.grants.join || token.room === undefined) {
      this.refuse(
        connection,
        'permission_denied',
        'the token does not grant joining a room',
        CloseCode.Unauthorized,
        rid,
      );
      return;
    }
    if (message.room !== undefined && message.room !== token.room) {
      this.refuse(
        connection,
        'wrong_room',
        `the token is for room ${token.room}, not ${message.room}`,
        CloseCode.Unauthorized,
        rid,
      );
      return;
    }
    if (message.resume !== undefined) {
      this.resume(connection, token, message.resume, rid);
      return;
    }
    const room = this.rooms.getOrCreate(token.room);
    if (room.closed) {
      this.refuse(connection, 'room_closed', `room ${room.name} is closing`, CloseCode.RoomUnavailable, rid);
      return;
    }
    // One participant per identity and room: a second join (another tab) replaces the first.
    const previous = room.byIdentity(token.identity);
    if (previous) this.rooms.remove(room, previous, 'replaced');
    if (room.participants.size >= room.settings.maxParticipants) {
      this.refuse(
        connection,
        'room_full',
        `room ${room.name} is full (${room.settings.maxParticipants})`,
        CloseCode.RoomUnavailable,
        rid,
      );
      return;
    }
    if (room.settings.mode === 'sfu' && !this.options.sfu) {
      this.refuse(
        connection,
        'wrong_mode',
        `room ${room.name} routes media through the server, which this server does not run`,
        CloseCode.RoomUnavailable,
        rid,
      );
      return;
    }
    const participant = new Participant({
      identity: token.identity,
      name: token.name,
      metadata: message.metadata ?? token.metadata,
      grants: token.grants,
      joinedAt: this.now(),
    });
    this.attach(connection, room, participant);
    this.rooms.add(room, participant);
    if (room.settings.mode === 'sfu') this.joinMedia(room, participant);
    this.sendJoined(connection, room, participant, false, rid);
    this.log.debug(
      { room: room.name, participant: participant.id, identity: participant.identity },
      'participant joined',
    );
  }

  /** Gives a participant of an sfu room its media session (the room's, created on first join). */
  private joinMedia(room: Room, participant: Participant): void {
    const sfu = this.options.sfu;
    if (!sfu) return;
    room.sfu ??= sfu.room(room.name, {
      trackPublished: (participantId, track) => {
        const publisher = room.participants.get(participantId);
        if (!publisher) return;
        publisher.tracks.set(track.id, track);
        room.broadcast({ type: 'track_published', participantId, track }, publisher);
      },
      trackUnpublished: (participantId, trackId) => {
        const publisher = room.participants.get(participantId);
        publisher?.tracks.delete(trackId);
        room.broadcast({ type: 'track_unpublished', participantId, trackId }, publisher);
      },
      activeSpeaker: (participantId) => room.broadcast({ type: 'active_speaker', participantId }),
    });
    participant.sfu = room.sfu.join(
      {
        id: participant.id,
        grants: {
          publish: participant.grants.publish,
          subscribe: participant.grants.subscribe,
          data: participant.grants.data,
        },
      },
      { subscribeOffer: (sdp, tracks) => participant.deliver({ type: 'subscribe_offer', sdp, tracks }) },
    );
  }

  /** Runs an sfu request; its refusal becomes an `error` with the request's id. */
  private media(connection: Connection, rid: string | undefined, work: () => Promise<void>): void {
    work().catch((error: unknown) => {
      if (error instanceof SfuError) {
        this.error(connection, error.code, error.message, rid);
        return;
      }
      this.log.error({ err: error }, 'media negotiation failed');
      this.error(connection, 'internal', 'internal error', rid);
    });
  }

  private onRecordingRequest(
    connection: Connection,
    room: Room,
    participant: Participant,
    message: Extract<ClientMessage, { type: 'recording_start' | 'recording_stop' }>,
  ): void {
    const rid = message.rid;
    if (!participant.grants.record) {
      this.error(connection, 'permission_denied', 'the token does not have the record grant', rid);
      return;
    }
    if (room.settings.mode !== 'sfu') {
      this.error(connection, 'wrong_mode', `room ${room.name} is p2p: only sfu rooms are recorded`, rid);
      return;
    }
    const control = this.options.recording;
    if (!control) {
      this.error(connection, 'recording_failed', 'recording is not available on this server', rid);
      return;
    }
    const request =
      message.type === 'recording_start'
        ? control.start(room.name, {
            startedBy: participant.id,
            ...(message.audioOnly === undefined ? {} : { audioOnly: message.audioOnly }),
          })
        : control.stop(room.name, { stoppedBy: participant.id });
    request.then(
      (recording) => connection.send({ type: 'recording', recording, ...(rid !== undefined ? { rid } : {}) }),
      (error: unknown) => {
        if (error instanceof RecordingControlError) {
          this.error(connection, error.code, error.message, rid);
          return;
        }
        this.log.error({ err: error }, 'recording request failed');
        this.error(connection, 'recording_failed', 'the recording could not be started or stopped', rid);
      },
    );
  }

  private resume(
    connection: Connection,
    token: AccessToken,
    sessionId: string,
    rid: string | undefined,
  ): void {
    const room = token.room === undefined ? undefined : this.rooms.get(token.room);
    const participant = room && [...room.participants.values()].find((p) => p.sessionId === sessionId);
    if (!room || !participant || participant.identity !== token.identity) {
      this.refuse(
        connection,
        'session_not_found',
        'no session to resume (it ended, or belongs to someone else)',
        CloseCode.Unauthorized,
        rid,
      );
      return;
    }
    const wasConnected = participant.connected;
    if (participant.link) {
      // The old connection has not noticed it is gone: the new one takes over.
      const old = participant.link;
      participant.link = undefined;
      old.close(CloseCode.Replaced, 'session resumed elsewhere');
    }
    clearTimeout(participant.graceTimer);
    participant.graceTimer = undefined;
    this.attach(connection, room, participant);
    this.rooms.stats.sessionsResumed++;
    this.sendJoined(connection, room, participant, true, rid);
    for (const queued of participant.queue.splice(0)) connection.send(queued);
    if (!wasConnected)
      room.broadcast({ type: 'participant_updated', participant: participant.info() }, participant);
  }

  private attach(connection: Connection, room: Room, participant: Participant): void {
    clearTimeout(connection.joinTimer);
    connection.joining = false;
    connection.participant = participant;
    connection.room = room;
    participant.link = connection;
  }

  private sendJoined(
    connection: Connection,
    room: Room,
    participant: Participant,
    resumed: boolean,
    rid: string | undefined,
  ): void {
    connection.send({
      type: 'joined',
      v: PROTOCOL_VERSION,
      room: room.info(),
      participant: participant.info(),
      participants: [...room.participants.values()].filter((p) => p !== participant).map((p) => p.info()),
      sessionId: participant.sessionId,
      resumed,
      iceServers: this.options.iceServers(participant, connection.host),
      resumeGraceMs: this.options.resumeGraceMs ?? 15_000,
      pingIntervalMs: this.options.clientPingIntervalMs ?? 10_000,
      recording: this.options.recording?.state(room.name) ?? null,
      ...(rid !== undefined ? { rid } : {}),
    });
  }

  private onRoomMessage(
    connection: Connection,
    room: Room,
    participant: Participant,
    message: ClientMessage,
  ): void {
    const rid = message.rid;
    const sfuRoom = room.settings.mode === 'sfu';
    switch (message.type) {
      case 'publish':
      case 'subscribe_answer': {
        const media = participant.sfu;
        if (!sfuRoom || !media) {
          this.error(
            connection,
            'wrong_mode',
            `${message.type} is for sfu rooms; room ${room.name} is p2p`,
            rid,
          );
          return;
        }
        if (message.type === 'publish') {
          this.media(connection, rid, async () => {
            const answer = await media.publish(message.sdp, message.tracks ?? []);
            connection.send({
              type: 'publish_answer',
              sdp: answer.sdp,
              tracks: answer.tracks,
              ...(rid !== undefined ? { rid } : {}),
            });
          });
        } else {
          this.media(connection, rid, () => media.subscribeAnswer(message.sdp));
        }
        return;
      }
      case 'offer':
      case 'answer':
      case 'candidate': {
        if (sfuRoom) {
          this.error(
            connection,
            'wrong_mode',
            `room ${room.name} negotiates with the server: use publish`,
            rid,
          );
          return;
        }
        const target = room.participants.get(message.to);
        if (!target || target === participant) {
          this.error(connection, 'unknown_participant', `no participant ${message.to} in this room`, rid);
          return;
        }
        if (!participant.grants.publish && !participant.grants.subscribe) {
          this.error(connection, 'permission_denied', 'the token grants neither publish nor subscribe', rid);
          return;
        }
        if (message.type === 'offer' && !target.grants.subscribe && !participant.grants.subscribe) {
          this.error(connection, 'permission_denied', 'neither side may receive media', rid);
          return;
        }
        this.rooms.stats.messagesRelayed++;
        if (message.type === 'candidate')
          target.deliver({ type: 'candidate', from: participant.id, candidate: message.candidate });
        else target.deliver({ type: message.type, from: participant.id, sdp: message.sdp });
        return;
      }
      case 'data': {
        if (!participant.grants.data) {
          this.error(connection, 'permission_denied', 'the token does not grant sending data', rid);
          return;
        }
        const recipients: Participant[] = [];
        if (message.to) {
          for (const id of message.to) {
            const target = room.participants.get(id);
            if (!target) {
              this.error(connection, 'unknown_participant', `no participant ${id} in this room`, rid);
              return;
            }
            if (target !== participant) recipients.push(target);
          }
        } else {
          for (const other of room.participants.values()) if (other !== participant) recipients.push(other);
        }
        const out: ServerMessage = {
          type: 'data',
          from: participant.id,
          ...(message.topic !== undefined ? { topic: message.topic } : {}),
          payload: message.payload ?? null,
        };
        for (const target of recipients) target.deliver(out);
        this.rooms.stats.messagesRelayed += recipients.length;
        return;
      }
      case 'update':
        if (message.name !== undefined) participant.name = message.name;
        if (message.metadata !== undefined) participant.metadata = message.metadata;
        room.broadcast({ type: 'participant_updated', participant: participant.info() });
        return;
      case 'mute':
        participant.muted[message.kind] = message.muted;
        participant.sfu?.setMuted(message.kind, message.muted);
        for (const track of participant.tracks.values())
          if (track.kind === message.kind) track.muted = message.muted;
        room.broadcast({ type: 'participant_updated', participant: participant.info() });
        return;
      case 'recording_start':
      case 'recording_stop':
        this.onRecordingRequest(connection, room, participant, message);
        return;
      case 'leave':
        this.rooms.remove(room, participant, 'left');
        return;
      default:
        return;
    }
  }

  private onClose(connection: Connection): void {
    this.connections.delete(connection);
    clearTimeout(connection.joinTimer);
    const { participant, room } = connection;
    if (!participant || !room || participant.link !== connection) return;
    participant.link = undefined;
    if (this.closed || room.participants.get(participant.id) !== participant) return;
    // Kept for the grace period: the others see it disconnected, not gone.
    room.broadcast({ type: 'participant_updated', participant: participant.info() }, participant);
    participant.graceTimer = setTimeout(() => {
      participant.graceTimer = undefined;
      if (!participant.link) this.rooms.remove(room, participant, 'timeout');
    }, this.options.resumeGraceMs ?? 15_000);
    participant.graceTimer.unref();
  }

  /** Sends an error and keeps the connection. */
  private error(connection: Connection, code: ErrorCode, message: string, rid?: string): void {
    this.rooms.stats.messagesRefused++;
    connection.send({ type: 'error', code, message, ...(rid !== undefined ? { rid } : {}) });
  }

  /** Sends an error and closes with `closeCode`. */
  private refuse(
    connection: Connection,
    code: ErrorCode,
    message: string,
    closeCode: number,
    rid?: string,
  ): void {
    this.error(connection, code, message, rid);
    connection.close(closeCode, code);
  }

  private beat(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }

  /** Closes every connection (1001) and the rooms. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const connection of this.connections) connection.close(CloseCode.GoingAway, 'server shutting down');
    this.rooms.closeAll();
    const deadline = Date.now() + 2000;
    while (this.connections.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    for (const connection of this.connections) connection.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
