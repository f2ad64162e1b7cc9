/**
 * The media engine's public API: workers driven by messages (on threads or
 * in-process), a pool that places routers on them, and the protocol's types.
 * The object model itself (Router, WebRtcTransport, Producer, Consumer) lives
 * inside a worker and is reached through these.
 */
export { certificateFromPem, MediaEngine, type MediaEngineOptions, type MediaEventSink } from './engine.js';
export type { MediaKind } from './producer.js';
export type { DtlsRole, DtlsState, TransportCloseReason } from './webrtc-transport.js';
export {
  MediaWorker,
  type MediaWorkerEvents,
  type MediaWorkerOptions,
  mediaWorkerThreadEntry,
} from './worker.js';
export { type MediaErrorCode, MediaWorkerError } from './worker-errors.js';
export {
  MediaWorkerPool,
  type MediaWorkerPoolEvents,
  type MediaWorkerPoolOptions,
  workerListenOptions,
} from './worker-pool.js';
export * from './worker-protocol.js';
