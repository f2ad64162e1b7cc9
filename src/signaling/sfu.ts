/**
 * What the signaling server needs from a media server to run `sfu` rooms.
 * Signaling knows rooms and participants; the media side knows SDP,
 * transports and tracks. This interface is the seam between them (the
 * composition root, src/server, wires the engine in), so signaling imports
 * nothing of the media engine.
 */
import type { SubscribedTrack, TrackInfo, TrackSource } from './protocol.js';

/** What the media side tells one participant's client. */
export interface SfuParticipantSink {
  /** A (re)negotiation of the subscribe connection: send `subscribe_offer`. */
  subscribeOffer(sdp: string, tracks: SubscribedTrack[]): void;
}

/** What the media side tells the room. */
export interface SfuRoomSink {
  trackPublished(participantId: string, track: TrackInfo): void;
  trackUnpublished(participantId: string, trackId: string): void;
  activeSpeaker(participantId: string | null): void;
}

/** A refusal the client should hear about, with a protocol error code. */
export class SfuError extends Error {
  /** `negotiation_failed` or `permission_denied`. */
  readonly code: 'negotiation_failed' | 'permission_denied';

  constructor(code: 'negotiation_failed' | 'permission_denied', message: string) {
    super(message);
    this.name = 'SfuError';
    this.code = code;
  }
}

/** One participant's media in an sfu room. */
export interface SfuParticipant {
  /**
   * Answers an offer of the publish connection (first or renegotiated):
   * tracks in it become published, tracks gone from it unpublished. Rejects
   * with SfuError.
   */
  publish(
    sdp: string,
    sources: ReadonlyArray<{ mid: string; source: TrackSource }>,
  ): Promise<{
    sdp: string;
    tracks: TrackInfo[];
  }>;
  /** The client's answer to the last subscribe offer. Rejects with SfuError. */
  subscribeAnswer(sdp: string): Promise<void>;
  /** Pauses or resumes forwarding of the participant's tracks of a kind (mute). */
  setMuted(kind: 'audio' | 'video', muted: boolean): void;
  /** Leaves: closes its transports, unpublishes its tracks. Idempotent. */
  close(): void;
}

/** One sfu room's media. */
export interface SfuRoom {
  /**
   * Adds a participant; it receives every published track when it may
   * subscribe, and its subscribe connection carries the room's data
   * channels, on which it may send with the data grant.
   */
  join(
    participant: { id: string; grants: { publish: boolean; subscribe: boolean; data: boolean } },
    sink: SfuParticipantSink,
  ): SfuParticipant;
  /**
   * Sends a message from the server (`from: null`) on the data channels of
   * the participants named (all when `to` is absent); resolves with those
   * whose channel took it, the others being the caller's to reach.
   */
  sendData(message: { to?: string[]; topic?: string; payload: unknown }): Promise<string[]>;
  /** Closes the room's media. Idempotent. */
  close(): void;
}

/** The media server behind sfu rooms. */
export interface SfuService {
  /** The media of a room, created on first use. */
  room(name: string, sink: SfuRoomSink): SfuRoom;
}
