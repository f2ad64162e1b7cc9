/**
 * The signaling messages the SDK exchanges with the server (protocol v1,
 * docs/protocol.md). These are the browser's view of the wire format; the
 * server validates with src/signaling/protocol.ts, and a unit test checks that
 * every message this SDK builds passes that validation.
 */

/** The protocol version this SDK speaks. */
export const PROTOCOL_VERSION = 1;

/** What the server tells about a participant. */
export interface ParticipantInfo {
  /** Server-assigned id: "PA_" and 12 letters and digits. */
  id: string;
  /** The application's name for the user, from the token. */
  identity: string;
  /** Display name. */
  name: string;
  metadata: unknown;
  muted: { audio: boolean; video: boolean };
  joinedAt: number;
  /** False while its connection is lost and it may still resume. */
  connected: boolean;
  /** Tracks it publishes through the server (sfu rooms; empty in p2p rooms). */
  tracks: TrackInfo[];
}

/** What a published track shows. */
export type TrackSource = 'camera' | 'microphone' | 'screen' | 'screen_audio' | 'unknown';

/** A track a participant publishes in an sfu room. */
export interface TrackInfo {
  /** Track id, unique in the server. */
  id: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  muted: boolean;
}

/** A track the server sends on the subscribe connection of an sfu room, and in which section. */
export interface SubscribedTrack {
  /** The section (`a=mid`) of the subscribe connection that carries it. */
  mid: string;
  /** Whose track it is; also the stream id (`a=msid`) of the section. */
  participantId: string;
  trackId: string;
  kind: 'audio' | 'video';
  source: TrackSource;
}

/** What the server tells about a room. */
export interface RoomInfo {
  name: string;
  mode: 'p2p' | 'sfu';
  maxParticipants: number;
  metadata: unknown;
  createdAt: number;
}

/**
 * A recording of an sfu room (docs/protocol.md, "Recording"), as `joined` and
 * every `recording` message describe it.
 */
export interface RecordingState {
  /** The recording's id, unique in the server. */
  id: string;
  /** True while it records; a `recording` message with false says it ended. */
  active: boolean;
  /** When it started, ms since the epoch. */
  startedAt: number;
  /** The participant id that started it; null when the admin API did. */
  startedBy: string | null;
}

/** An ICE candidate as sent on the wire; null marks the end of candidates. */
export type CandidateInit = {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
} | null;

/** The answer to `join`. */
export interface JoinedMessage {
  type: 'joined';
  v: number;
  room: RoomInfo;
  participant: ParticipantInfo;
  participants: ParticipantInfo[];
  sessionId: string;
  resumed: boolean;
  iceServers: RTCIceServer[];
  resumeGraceMs: number;
  pingIntervalMs: number;
  /** The room's active recording, else null (absent from servers that do not record). */
  recording?: RecordingState | null;
  rid?: string;
}

/**
 * The `code`s of the server's `error` message (docs/protocol.md, "Errors and
 * close codes"). A newer server may send others.
 */
export const SERVER_ERROR_CODES = [
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

/** One of SERVER_ERROR_CODES. */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** Messages the server sends. */
export type ServerMessage =
  | JoinedMessage
  | { type: 'participant_joined'; participant: ParticipantInfo }
  | { type: 'participant_updated'; participant: ParticipantInfo }
  | { type: 'participant_left'; participantId: string; reason: 'left' | 'timeout' | 'removed' }
  | { type: 'offer'; from: string; sdp: string }
  | { type: 'answer'; from: string; sdp: string }
  | { type: 'candidate'; from: string; candidate: CandidateInit }
  | { type: 'data'; from: string | null; topic?: string; payload: unknown }
  | { type: 'publish_answer'; sdp: string; tracks: TrackInfo[]; rid?: string }
  | { type: 'subscribe_offer'; sdp: string; tracks: SubscribedTrack[] }
  | { type: 'track_published'; participantId: string; track: TrackInfo }
  | { type: 'track_unpublished'; participantId: string; trackId: string }
  | { type: 'active_speaker'; participantId: string | null }
  | { type: 'pong'; t?: number; serverTime: number }
  | { type: 'recording'; recording: RecordingState; rid?: string }
  | { type: 'left'; reason: 'left' | 'removed' | 'room_deleted' }
  // A code outside ServerErrorCode comes from a newer server.
  | { type: 'error'; code: ServerErrorCode | (string & {}); message: string; rid?: string };

/** Messages the client sends. */
export type ClientMessage =
  | {
      type: 'join';
      v: number;
      token: string;
      room?: string;
      resume?: string;
      metadata?: unknown;
      rid?: string;
    }
  | { type: 'offer'; to: string; sdp: string }
  | { type: 'answer'; to: string; sdp: string }
  | { type: 'candidate'; to: string; candidate: CandidateInit }
  | { type: 'update'; name?: string; metadata?: unknown }
  | { type: 'mute'; kind: 'audio' | 'video'; muted: boolean }
  | { type: 'data'; to?: string[]; topic?: string; payload: unknown }
  | { type: 'publish'; sdp: string; tracks?: { mid: string; source: TrackSource }[]; rid?: string }
  | { type: 'subscribe_answer'; sdp: string; rid?: string }
  | { type: 'recording_start'; audioOnly?: boolean; rid?: string }
  | { type: 'recording_stop'; rid?: string }
  | { type: 'leave' }
  | { type: 'ping'; t: number };

/** WebSocket close codes after which reconnecting cannot help (docs/protocol.md, "Errors and close codes"). */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  1000, // after leave
  1007, // the client sent something that is not JSON: a bug, retrying repeats it
  1008, // unsupported protocol version
  1009, // frame too large
  4001, // token refused
  4003, // room full or closed
  4009, // the session resumed on another connection
  4010, // removed, or the room was deleted
]);

/**
 * Reads one text frame from the server. Returns undefined for anything that is
 * not a JSON object with a string `type` (the SDK ignores such frames rather
 * than failing: a newer server may add message types).
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (typeof (value as { type?: unknown }).type !== 'string') return undefined;
  return value as ServerMessage;
}
