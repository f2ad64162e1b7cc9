/** Server messages for SDK unit tests, shaped as docs/protocol.md shows them. */
import type { JoinedMessage, ParticipantInfo, RoomInfo } from '../protocol.js';

/** Participant ids the tests use (ADA sorts first, so she is the polite peer of a p2p pair). */
export const ADA = 'PA_4k2Jx9QmZt1B';
export const GRACE = 'PA_7Hq0sLwE3nVa';

/** An sfu room as `joined` describes it. */
export const SFU_ROOM: RoomInfo = {
  name: 'standup',
  mode: 'sfu',
  maxParticipants: 100,
  metadata: null,
  createdAt: 1764403190000,
};

/** A participant description. */
export function participant(id: string, identity = id.toLowerCase()): ParticipantInfo {
  return {
    id,
    identity,
    name: identity,
    metadata: null,
    muted: { audio: false, video: false },
    joinedAt: 1764403200000,
    connected: true,
    tracks: [],
  };
}

/** A `joined` for participant `selfId`, with `others` already in the room. */
export function joined(
  selfId: string,
  others: string[] = [],
  changes: Partial<JoinedMessage> = {},
): JoinedMessage {
  return {
    type: 'joined',
    v: 1,
    room: { name: 'standup', mode: 'p2p', maxParticipants: 100, metadata: null, createdAt: 1764403190000 },
    participant: participant(selfId),
    participants: others.map((id) => participant(id)),
    sessionId: 'SE_bF3kq9ZxW2mPLs8TnV4yQa',
    resumed: false,
    iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' }],
    resumeGraceMs: 15_000,
    pingIntervalMs: 10_000,
    ...changes,
  };
}
