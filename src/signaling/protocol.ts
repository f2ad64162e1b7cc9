/**
 * The signaling protocol, version 1: JSON messages over a WebSocket at
 * `/rtc`, one object per text frame, each with a `type`. Every message a
 * client sends is validated here before anything acts on it; what the server
 * sends is typed by the same module. docs/protocol.md describes each message
 * with an example.
 *
 * The protocol serves both room modes: in `p2p` rooms the server relays
 * offers, answers and candidates between two named participants; in `sfu`
 * rooms each client negotiates two connections with the server itself: a
 * publish connection it offers (`publish`, answered by `publish_answer`) and
 * a subscribe connection the server offers (`subscribe_offer`, answered by
 * `subscribe_answer`) and renegotiates as tracks come and go.
 */
import { z } from 'zod';
import type { RecordingState } from './recording.js';

/** The protocol version this server speaks. */
export const PROTOCOL_VERSION = 1;

/** Largest text frame accepted from a client, bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Participant ids are assigned by the server: "PA_" and 12 base62 characters. */
const participantId = z.string().regex(/^PA_[A-Za-z0-9]{12}$/, 'is not a participant id');

/** Free-form metadata: a JSON object of at most 4 KiB, or a string of at most 4 KiB. */
const metadata = z
  .union([z.string().max(4096), z.record(z.string(), z.unknown())])
  .refine(
    (value) => (typeof value === 'string' ? value.length : JSON.stringify(value).length) <= 4096,
    'must be at most 4096 characters of JSON',
  );

/** A request id the client may attach; errors caused by that message carry it back. */
const rid = z.string().max(64).optional();

/** An ICE candidate as RTCIceCandidateInit; null marks the end of candidates. */
const candidateInit = z
  .strictObject({
    candidate: z.string().max(2048),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .nullable();

/** What a published track shows: a camera, a microphone, a shared screen (and its audio). */
const trackSource = z.enum(['camera', 'microphone', 'screen', 'screen_audio', 'unknown']);

/** One of the track sources. */
export type TrackSource = z.output<typeof trackSource>;

/** Messages a client sends. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('join'),
    /** Protocol version the client speaks. */
    v: z.number().int(),
    /** Access token (JWT) with the join grant for the room. */
    token: z.string().min(1).max(8192),
    /** The room the client means to join; refused with wrong_room when the token names another. */
    room: z.string().min(1).max(128).optional(),
    /** Session id from an earlier `joined`, to resume that session within its grace period. */
    resume: z.string().max(64).optional(),
    metadata: metadata.optional(),
    rid,
  }),
  z.strictObject({
    type: z.literal('offer'),
    to: participantId,
    sdp: z.string().max(MAX_MESSAGE_BYTES),
    rid,
  }),
  z.strictObject({
    type: z.literal('answer'),
    to: participantId,
    sdp: z.string().max(MAX_MESSAGE_BYTES),
    rid,
  }),
  z.strictObject({
    type: z.literal('candidate'),
    to: participantId,
    candidate: candidateInit,
    rid,
  }),
  z.strictObject({
    type: z.literal('update'),
    name: z.string().min(1).max(128).optional(),
    metadata: metadata.optional(),
    rid,
  }),
  z.strictObject({
    type: z.literal('mute'),
    kind: z.enum(['audio', 'video']),
    muted: z.boolean(),
    rid,
  }),
  z.strictObject({
    type: z.literal('data'),
    /** Recipients; every other participant when absent. */
    to: z.array(participantId).max(256).optional(),
    /** Application label such as "chat". */
    topic: z.string().max(128).optional(),
    payload: z.unknown(),
    rid,
  }),
  z.strictObject({
    type: z.literal('publish'),
    /** The offer of the client's publish connection (sfu rooms), first or renegotiated. */
    sdp: z.string().min(1).max(MAX_MESSAGE_BYTES),
    /** What each sending section carries, by mid; sections not listed are `unknown`. */
    tracks: z
      .array(z.strictObject({ mid: z.string().min(1).max(32), source: trackSource }))
      .max(16)
      .optional(),
    rid,
  }),
  z.strictObject({
    type: z.literal('subscribe_answer'),
    /** The answer of the client's subscribe connection to the last `subscribe_offer`. */
    sdp: z.string().min(1).max(MAX_MESSAGE_BYTES),
    rid,
  }),
  z.strictObject({ type: z.literal('recording_start'), audioOnly: z.boolean().optional(), rid }),
  z.strictObject({ type: z.literal('recording_stop'), rid }),
  z.strictObject({ type: z.literal('leave'), rid }),
  z.strictObject({ type: z.literal('ping'), t: z.number().optional(), rid }),
]);

/** A message a client sends, validated. */
export type ClientMessage = z.output<typeof clientMessageSchema>;

/** A track a participant publishes in an sfu room. */
export interface TrackInfo {
  /** Track id, unique in the server. */
  id: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  muted: boolean;
}

/** A track the server sends on the subscribe connection, and where. */
export interface SubscribedTrack {
  /** The section of the subscribe connection carrying it. */
  mid: string;
  /** Whose track it is; also the stream id (a=msid) of the section. */
  participantId: string;
  trackId: string;
  kind: 'audio' | 'video';
  source: TrackSource;
}

/** What the server tells about a participant. */
export interface ParticipantInfo {
  id: string;
  identity: string;
  name: string;
  metadata: unknown;
  muted: { audio: boolean; video: boolean };
  joinedAt: number;
  /** False while its connection is lost and it may still resume. */
  connected: boolean;
  /** Tracks it publishes through the server (sfu rooms; empty in p2p rooms). */
  tracks: TrackInfo[];
}

/** What the server tells about a room. */
export interface RoomInfo {
  name: string;
  mode: 'p2p' | 'sfu';
  maxParticipants: number;
  metadata: unknown;
  createdAt: number;
}

/** An ICE server as RTCIceServer. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** Stable error codes of the `error` message. */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_message',
  'unsupported_version',
  'not_joined',
  'already_joined',
  'invalid_token',
  'token_expired',
  'wrong_room',
  'permission_denied',
  'room_full',
  'room_closed',
  'session_not_found',
  'unknown_participant',
  'message_too_large',
  'rate_limited',
  'join_timeout',
  'wrong_mode',
  'negotiation_failed',
  'recording_active',
  'recording_inactive',
  'recording_failed',
  'internal',
] as const;

/** One of ERROR_CODES. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * WebSocket close codes the server uses (4000–4999 are the application's,
 * RFC 6455 §7.4.2), besides 1000 (normal), 1001 (server going away), 1007
 * (not JSON), 1008 (policy) and 1009 (too large).
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  TooLarge: 1009,
  /** The token was refused: invalid, expired, wrong room, missing grant. */
  Unauthorized: 4001,
  /** The room is full or closed. */
  RoomUnavailable: 4003,
  /** Too many messages. */
  RateLimited: 4008,
  /** The same session resumed on another connection. */
  Replaced: 4009,
  /** Removed by an administrator, or the room was deleted. */
  Removed: 4010,
  /** No join within the time allowed after connecting. */
  JoinTimeout: 4011,
} as const;

/** Messages the server sends. */
export type ServerMessage =
  | {
      type: 'joined';
      v: number;
      room: RoomInfo;
      participant: ParticipantInfo;
      participants: ParticipantInfo[];
      sessionId: string;
      resumed: boolean;
      iceServers: IceServer[];
      /** How long a dropped connection may resume, ms. */
      resumeGraceMs: number;
      /** How often the client should send `ping`, ms. */
      pingIntervalMs: number;
      /** The room's active recording, or null. */
      recording: RecordingState | null;
      rid?: string;
    }
  | { type: 'recording'; recording: RecordingState; rid?: string }
  | { type: 'participant_joined'; participant: ParticipantInfo }
  | { type: 'participant_updated'; participant: ParticipantInfo }
  | { type: 'participant_left'; participantId: string; reason: 'left' | 'timeout' | 'removed' }
  | { type: 'offer'; from: string; sdp: string }
  | { type: 'answer'; from: string; sdp: string }
  | { type: 'candidate'; from: string; candidate: z.output<typeof candidateInit> }
  | { type: 'data'; from: string | null; topic?: string; payload: unknown }
  | { type: 'publish_answer'; sdp: string; tracks: TrackInfo[]; rid?: string }
  | { type: 'subscribe_offer'; sdp: string; tracks: SubscribedTrack[] }
  | { type: 'track_published'; participantId: string; track: TrackInfo }
  | { type: 'track_unpublished'; participantId: string; trackId: string }
  | { type: 'active_speaker'; participantId: string | null }
  | { type: 'pong'; t?: number; serverTime: number }
  | { type: 'left'; reason: 'left' | 'removed' | 'room_deleted' }
  | { type: 'error'; code: ErrorCode; message: string; rid?: string };

/** A validated client message, or the error to answer with. */
export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'invalid_json' | 'invalid_message'; message: string; rid?: string };

/**
 * Parses one text frame. Never throws: malformed JSON and messages that do
 * not match the schema become an error result whose text names the problem.
 */
export function parseClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'message is not JSON' };
  }
  const result = clientMessageSchema.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  const rawRid = (value as { rid?: unknown } | null)?.rid;
  const issue = result.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return {
    ok: false,
    code: 'invalid_message',
    message: `${where}${issue.message}`,
    ...(typeof rawRid === 'string' && rawRid.length <= 64 ? { rid: rawRid } : {}),
  };
}
