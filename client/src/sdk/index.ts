/**
 * Switchboard's browser SDK: join a room on a Switchboard server and call the
 * other participants — in `p2p` rooms one RTCPeerConnection each (perfect
 * negotiation, trickle ICE, ICE restart), in `sfu` rooms a publish and a
 * subscribe connection with the server, and data on data channels — with
 * automatic reconnection of the signaling connection.
 *
 * ```ts
 * import { connect } from './switchboard.js';
 * const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
 * const room = await connect({ url: 'wss://example.org/rtc', token, localStream: stream });
 * room.on('trackAdded', (participantId, track, remoteStream) => { video.srcObject = remoteStream; });
 * ```
 */
export { Backoff, type BackoffOptions } from './backoff.js';
export {
  BUFFERED_AMOUNT_HIGH,
  BUFFERED_AMOUNT_LOW,
  DATA_CHANNEL_OPEN_TIMEOUT_MS,
  DATA_CHANNEL_PROTOCOL,
  DATA_QUEUE_LIMITS,
  type DataChannelInfo,
  type DataChannelLabel,
  DataChannels,
  type DataMessage,
  type DataPath,
  type DataStats,
  DEFAULT_MAX_MESSAGE_SIZE,
  MAX_SIGNALING_FRAME_BYTES,
  type SendDataOptions,
} from './data-channels.js';
export {
  decodeIncomingEnvelope,
  encodeBinaryEnvelope,
  encodeTextEnvelope,
  type IncomingEnvelope,
  MAX_RECIPIENTS,
  MAX_TOPIC_LENGTH,
  type OutgoingEnvelopeHeader,
} from './data-envelope.js';
export { TypedEmitter } from './emitter.js';
export {
  BinaryDataUnsupportedError,
  DataChannelUnavailableError,
  type DataErrorCode,
  DataQueueFullError,
  DataTooLargeError,
  EnvelopeError,
  type EnvelopeErrorCode,
  InvalidDataError,
  RequestCancelledError,
  type RequestErrorCode,
  RequestTimeoutError,
  ServerError,
} from './errors.js';
export { isPolite } from './negotiation.js';
export {
  type ParticipantInfo,
  type RecordingState,
  type RoomInfo,
  SERVER_ERROR_CODES,
  type ServerErrorCode,
  type SubscribedTrack,
  type TrackInfo,
  type TrackSource,
} from './protocol.js';
export { REQUEST_TIMEOUT_MS } from './requests.js';
export { type ConnectOptions, connect, Room, type RoomEvents } from './room.js';
export {
  defaultTrackSource,
  PUBLISH_ICE_RESTART_DELAY_MS,
  type SfuConnectionName,
  SfuSession,
  type SfuSessionOptions,
} from './sfu-session.js';
export type { CloseInfo, SignalState, WebSocketLike } from './signal-client.js';
export { type CandidateSummary, type SelectedPair, selectedCandidatePair } from './stats.js';
