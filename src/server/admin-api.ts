/**
 * The admin REST API under /api (docs/protocol.md#admin-api): rooms and
 * participants, for the application's back end. Every call needs a bearer
 * token with the `admin` grant; every source address is rate-limited, failed
 * attempts included; bodies are JSON of at most 64 KiB.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { RoomManager } from '../signaling/rooms.js';
import { type AccessToken, ROOM_NAME, TokenError, type TokenVerifier } from '../signaling/tokens.js';
import type { RateLimiter } from '../util/rate-limiter.js';
import { type HttpHandler, readJsonBody, sendJson, sendProblem } from './http-server.js';
import {
  type RecordingService,
  RecordingServiceError,
  type RecordingServiceErrorCode,
} from './recording-service.js';

const createRoomSchema = z.strictObject({
  name: z.string().regex(ROOM_NAME, 'must be 1–128 letters, digits, _ . ~ or -'),
  mode: z.enum(['p2p']).optional(),
  maxParticipants: z.number().int().min(1).max(10_000).optional(),
  emptyTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  metadata: z.unknown().optional(),
});

const sendDataSchema = z.strictObject({
  payload: z.unknown(),
  topic: z.string().max(128).optional(),
  to: z.array(z.string().max(64)).max(256).optional(),
});

const startRecordingSchema = z.strictObject({
  participants: z.array(z.string().min(1).max(256)).min(1).max(1000).optional(),
  audioOnly: z.boolean().optional(),
});

/** HTTP status of each refusal of the recording service. */
const RECORDING_STATUS: Record<RecordingServiceErrorCode, [number, string]> = {
  not_found: [404, 'Not Found'],
  active: [409, 'Conflict'],
  inactive: [409, 'Conflict'],
  wrong_mode: [409, 'Conflict'],
  failed: [500, 'Internal Server Error'],
};

/** What the admin API needs. */
export interface AdminApiOptions {
  rooms: RoomManager;
  /** Room recordings; without them the recording routes answer 503. */
  recordings?: RecordingService | undefined;
  verifier: TokenVerifier;
  /** Requests per source address. */
  limiter: RateLimiter;
}

/** The /api handler. */
export function adminApiHandler(options: AdminApiOptions): HttpHandler {
  const { rooms, verifier, limiter, recordings } = options;
  return async (request, response, url) => {
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    if (!limiter.take(request.socket.remoteAddress ?? '')) {
      sendProblem(response, 429, 'Too Many Requests', 'slow down', { 'retry-after': '1' });
      return true;
    }
    const token = await authorize(request, response, verifier);
    if (!token) return true;
    const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
    const method = request.method ?? 'GET';
    if (parts[0] === 'recordings' || (parts[0] === 'rooms' && parts[2] === 'recordings')) {
      await recordingRoute(method, parts, request, response, recordings);
      return true;
    }
    await route(method, parts, request, response, rooms);
    return true;
  };
}

/** The admin token of the request, or undefined after answering 401/403. */
async function authorize(
  request: IncomingMessage,
  response: ServerResponse,
  verifier: TokenVerifier,
): Promise<AccessToken | undefined> {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const challenge = { 'www-authenticate': 'Bearer realm="switchboard"' };
  if (!match) {
    sendProblem(
      response,
      401,
      'Unauthorized',
      'an Authorization: Bearer token with the admin grant is needed',
      challenge,
    );
    return undefined;
  }
  try {
    const token = await verifier.verify(match[1]);
    if (!token.grants.admin) {
      sendProblem(response, 403, 'Forbidden', 'the token does not have the admin grant');
      return undefined;
    }
    return token;
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    sendProblem(response, 401, 'Unauthorized', error.message, challenge);
    return undefined;
  }
}

async function route(
  method: string,
  parts: string[],
  request: IncomingMessage,
  response: ServerResponse,
  rooms: RoomManager,
): Promise<void> {
  const notAllowed = (allow: string) =>
    sendProblem(response, 405, 'Method Not Allowed', undefined, { allow });
  if (parts.length === 1 && parts[0] === 'rooms') {
    if (method === 'GET') {
      sendJson(response, 200, {
        rooms: rooms.list().map((room) => ({ ...room.info(), participants: room.participants.size })),
      });
      return;
    }
    if (method !== 'POST') return notAllowed('GET, POST');
    const body = createRoomSchema.safeParse(await readJsonBody(request));
    if (!body.success) return invalid(response, body.error);
    const { name, mode, maxParticipants, emptyTimeoutSeconds, metadata } = body.data;
    const room = rooms.create(name, {
      ...(mode ? { mode } : {}),
      ...(maxParticipants ? { maxParticipants } : {}),
      ...(emptyTimeoutSeconds ? { emptyTimeoutMs: emptyTimeoutSeconds * 1000 } : {}),
      metadata: metadata ?? null,
    });
    if (!room) return sendProblem(response, 409, 'Conflict', `room ${name} exists`);
    sendJson(response, 201, { room: room.info() });
    return;
  }
  if (parts[0] !== 'rooms' || parts.length < 2) return sendProblem(response, 404, 'Not Found');
  const room = rooms.get(parts[1]);
  if (!room) return sendProblem(response, 404, 'Not Found', `no room ${parts[1]}`);
  if (parts.length === 2) {
    if (method === 'GET') {
      sendJson(response, 200, {
        room: room.info(),
        participants: [...room.participants.values()].map((participant) => participant.info()),
      });
      return;
    }
    if (method !== 'DELETE') return notAllowed('GET, DELETE');
    rooms.delete(room.name);
    response.writeHead(204).end();
    return;
  }
  if (parts.length === 4 && parts[2] === 'participants') {
    if (method !== 'DELETE') return notAllowed('DELETE');
    const participant = room.byIdentity(parts[3]);
    if (!participant)
      return sendProblem(response, 404, 'Not Found', `no participant ${parts[3]} in ${room.name}`);
    rooms.remove(room, participant, 'removed');
    response.writeHead(204).end();
    return;
  }
  if (parts.length === 3 && parts[2] === 'data') {
    if (method !== 'POST') return notAllowed('POST');
    const body = sendDataSchema.safeParse(await readJsonBody(request));
    if (!body.success) return invalid(response, body.error);
    const { payload, topic, to } = body.data;
    const recipients = to ? to.map((id) => room.participants.get(id)) : [...room.participants.values()];
    if (recipients.some((participant) => participant === undefined)) {
      return sendProblem(response, 404, 'Not Found', 'a recipient is not in the room');
    }
    // In an sfu room the message takes the participants' data channels, like their own messages;
    // those without an open channel get it over signaling.
    let onChannels = new Set<string>();
    if (room.sfu) {
      try {
        onChannels = new Set(
          await room.sfu.sendData({
            ...(to ? { to } : {}),
            ...(topic ? { topic } : {}),
            payload: payload ?? null,
          }),
        );
      } catch {
        onChannels = new Set();
      }
    }
    for (const participant of recipients) {
      if (onChannels.has(participant!.id)) continue;
      participant!.deliver({
        type: 'data',
        from: null,
        ...(topic ? { topic } : {}),
        payload: payload ?? null,
      });
    }
    rooms.stats.messagesRelayed += recipients.length;
    sendJson(response, 202, { delivered: recipients.length, dataChannels: onChannels.size });
    return;
  }
  sendProblem(response, 404, 'Not Found');
}

/**
 * /api/recordings, /api/recordings/{id}, /api/rooms/{room}/recordings,
 * /api/rooms/{room}/recordings/{id} (DELETE) and …/{id}/stop (POST).
 */
async function recordingRoute(
  method: string,
  parts: string[],
  request: IncomingMessage,
  response: ServerResponse,
  recordings: RecordingService | undefined,
): Promise<void> {
  const notAllowed = (allow: string) =>
    sendProblem(response, 405, 'Method Not Allowed', undefined, { allow });
  if (!recordings) return sendProblem(response, 503, 'Service Unavailable', 'this server does not record');
  const refused = (error: unknown) => {
    if (!(error instanceof RecordingServiceError)) throw error;
    const [status, title] = RECORDING_STATUS[error.code];
    sendProblem(
      response,
      status,
      title,
      error.message,
      {},
      error.recording ? { recording: error.recording } : {},
    );
  };
  if (parts[0] === 'recordings') {
    if (parts.length === 1) {
      if (method !== 'GET') return notAllowed('GET');
      await recordings.refresh();
      return sendJson(response, 200, { recordings: recordings.list() });
    }
    if (parts.length !== 2) return sendProblem(response, 404, 'Not Found');
    if (method !== 'GET') return notAllowed('GET');
    await recordings.refresh();
    const recording = recordings.get(parts[1]);
    if (!recording) return sendProblem(response, 404, 'Not Found', `no recording ${parts[1]}`);
    return sendJson(response, 200, { recording });
  }
  const room = parts[1];
  if (parts.length === 3) {
    if (method === 'GET') {
      await recordings.refresh();
      return sendJson(response, 200, {
        recordings: recordings.list().filter((recording) => recording.room === room),
      });
    }
    if (method !== 'POST') return notAllowed('GET, POST');
    // The body is optional, as every field is: a bare POST (no content type, no bytes) records
    // everyone, audio and video, where readJsonBody would refuse it as not JSON.
    const { 'content-type': type, 'content-length': length, 'transfer-encoding': chunked } = request.headers;
    const bare = type === undefined && (length ?? '0') === '0' && chunked === undefined;
    const body = startRecordingSchema.safeParse(bare ? {} : ((await readJsonBody(request)) ?? {}));
    if (!body.success) return invalid(response, body.error);
    try {
      const { info } = await recordings.startRecording(room, {
        startedBy: null,
        ...(body.data.audioOnly === undefined ? {} : { audioOnly: body.data.audioOnly }),
        ...(body.data.participants ? { participants: body.data.participants } : {}),
      });
      return sendJson(response, 201, { recording: info });
    } catch (error) {
      return refused(error);
    }
  }
  const stop = parts.length === 5 && parts[4] === 'stop';
  if (parts.length !== 4 && !stop) return sendProblem(response, 404, 'Not Found');
  if (stop ? method !== 'POST' : method !== 'DELETE') return notAllowed(stop ? 'POST' : 'DELETE');
  try {
    return sendJson(response, 200, { recording: await recordings.stopRecording(parts[3], room) });
  } catch (error) {
    return refused(error);
  }
}

function invalid(response: ServerResponse, error: z.ZodError): void {
  const issue = error.issues[0];
  sendProblem(response, 400, 'Bad Request', `${issue.path.join('.') || 'body'}: ${issue.message}`);
}
