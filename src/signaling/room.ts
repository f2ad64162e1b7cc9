/**
 * Rooms and participants: the state the signaling server keeps. A room is
 * created on first join (or by the admin API), holds at most
 * `maxParticipants`, and closes `emptyTimeoutMs` after its last participant
 * left. A participant outlives its WebSocket for a grace period, so that a
 * dropped connection can resume the same session.
 */
import { randomBytes } from 'node:crypto';
import type { ParticipantInfo, RoomInfo, ServerMessage, TrackInfo } from './protocol.js';
import type { SfuParticipant, SfuRoom } from './sfu.js';
import type { Grants } from './tokens.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random id: the prefix and `length` base62 characters (about 5.95 bits each). */
export function randomId(prefix: string, length: number): string {
  let id = prefix;
  while (id.length < prefix.length + length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: rejecting the top values keeps every character equally likely.
      if (byte < 248 && id.length < prefix.length + length) id += BASE62[byte % 62];
    }
  }
  return id;
}

/** Where a participant's messages go: a live connection, or nowhere while it may resume. */
export interface ParticipantLink {
  send(message: ServerMessage): void;
  /** Closes the connection with a code (after the messages already sent). */
  close(code: number, reason: string): void;
}

/** Messages kept for a disconnected participant until it resumes. */
export const MAX_QUEUED_MESSAGES = 256;

/** One participant of a room. */
export class Participant {
  readonly id = randomId('PA_', 12);
  readonly sessionId = randomId('SE_', 22);
  readonly identity: string;
  name: string;
  metadata: unknown;
  readonly grants: Grants;
  readonly joinedAt: number;
  readonly muted = { audio: false, video: false };
  /** Tracks it publishes through the server (sfu rooms), by id. */
  readonly tracks = new Map<string, TrackInfo>();
  /** The live connection; undefined while disconnected within the grace period. */
  link: ParticipantLink | undefined;
  /** Messages for it while disconnected. */
  readonly queue: ServerMessage[] = [];
  /** Fires when the grace period of a lost connection ends. */
  graceTimer: NodeJS.Timeout | undefined;
  /** Its media in an sfu room. */
  sfu: SfuParticipant | undefined;

  constructor(init: { identity: string; name: string; metadata: unknown; grants: Grants; joinedAt: number }) {
    this.identity = init.identity;
    this.name = init.name;
    this.metadata = init.metadata ?? null;
    this.grants = init.grants;
    this.joinedAt = init.joinedAt;
  }

  /** True while a connection is attached. */
  get connected(): boolean {
    return this.link !== undefined;
  }

  /** Sends now, or keeps the message for a resume (dropping the oldest past the limit). */
  deliver(message: ServerMessage): void {
    if (this.link) {
      this.link.send(message);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_MESSAGES) this.queue.shift();
    this.queue.push(message);
  }

  /** What the protocol says about it. */
  info(): ParticipantInfo {
    return {
      id: this.id,
      identity: this.identity,
      name: this.name,
      metadata: this.metadata,
      muted: { ...this.muted },
      joinedAt: this.joinedAt,
      connected: this.connected,
      tracks: [...this.tracks.values()].map((track) => ({ ...track })),
    };
  }
}

/** Settings of a room. */
export interface RoomSettings {
  mode: 'p2p' | 'sfu';
  maxParticipants: number;
  emptyTimeoutMs: number;
  metadata: unknown;
}

/** One room. */
export class Room {
  readonly name: string;
  readonly settings: RoomSettings;
  readonly createdAt: number;
  readonly participants = new Map<string, Participant>();
  /** Set while the room waits, empty, to close. */
  emptyTimer: NodeJS.Timeout | undefined;
  closed = false;
  /** The room's media, in sfu mode, once someone joined. */
  sfu: SfuRoom | undefined;

  constructor(name: string, settings: RoomSettings, createdAt: number) {
    this.name = name;
    this.settings = settings;
    this.createdAt = createdAt;
  }

  /** The participant with this identity, if any. */
  byIdentity(identity: string): Participant | undefined {
    for (const participant of this.participants.values())
      if (participant.identity === identity) return participant;
    return undefined;
  }

  /** Sends to every participant but `except`. */
  broadcast(message: ServerMessage, except?: Participant): void {
    for (const participant of this.participants.values()) {
      if (participant !== except) participant.deliver(message);
    }
  }

  /** What the protocol says about it. */
  info(): RoomInfo {
    return {
      name: this.name,
      mode: this.settings.mode,
      maxParticipants: this.settings.maxParticipants,
      metadata: this.settings.metadata ?? null,
      createdAt: this.createdAt,
    };
  }
}
