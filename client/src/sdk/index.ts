/**
 * Switchboard's browser SDK: join a room on a Switchboard server and call the
 * other participants (one RTCPeerConnection each, perfect negotiation, trickle
 * ICE, ICE restart, and automatic reconnection of the signaling connection).
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
export type { ParticipantInfo, RoomInfo } from './protocol.js';
export { type ConnectOptions, connect, type DataMessage, Room, type RoomEvents } from './room.js';
export type { CloseInfo, SignalState, WebSocketLike } from './signal-client.js';
export { type CandidateSummary, type SelectedPair, selectedCandidatePair } from './stats.js';
