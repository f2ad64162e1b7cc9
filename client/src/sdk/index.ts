/**
 * Switchboard's browser SDK: join a room on a Switchboard server and call the
 * other participants — in `p2p` rooms one RTCPeerConnection each (perfect
 * negotiation, trickle ICE, ICE restart), in `sfu` rooms a publish and a
 * subscribe connection with the server — with automatic reconnection of the
 * signaling connection.
 *
 * ```ts
 * import { connect } from './switchboard.js';
 * const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
 * const room = await connect({ url: 'wss://example.org/rtc', token, localStream: stream });
 * room.on('trackAdded', (participantId, track, remoteStream) => { video.srcObject = remoteStream; });
 * ```
 */
export { Backoff, type BackoffOptions } from './backoff.js';
export { TypedEmitter } from './emitter.js';
export { isPolite } from './negotiation.js';
export type { ParticipantInfo, RoomInfo, SubscribedTrack, TrackInfo, TrackSource } from './protocol.js';
export { type ConnectOptions, connect, type DataMessage, Room, type RoomEvents } from './room.js';
export {
  defaultTrackSource,
  PUBLISH_ICE_RESTART_DELAY_MS,
  type SfuConnectionName,
  SfuSession,
  type SfuSessionOptions,
} from './sfu-session.js';
export type { CloseInfo, SignalState, WebSocketLike } from './signal-client.js';
export { type CandidateSummary, type SelectedPair, selectedCandidatePair } from './stats.js';
