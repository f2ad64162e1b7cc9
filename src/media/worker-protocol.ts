/**
 * The message-shaped API of a media worker (ARCHITECTURE.md, "Processes and
 * threads"): commands in, responses and events out, as plain data that
 * survives a structured clone. The same messages drive an engine on a worker
 * thread and one in the main thread, so both behave alike.
 *
 *   main thread                         media worker (MediaEngine)
 *     { type: 'request', id, method, params }  →
 *                                       ← { type: 'response', id, ok: true, result }
 *                                       ← { type: 'response', id, ok: false, error: { code, message } }
 *                                       ← { type: 'event', event: { type: 'transport.close', … } }
 *
 * Responses come in the order requests were sent. Events raised while a
 * command runs (a close cascading to producers and consumers) come before its
 * response. Every object that closes, on request or on its own, is announced
 * by exactly one close event.
 */
import type { DtlsFingerprint } from '../dtls/index.js';
import type { IceLiteState, IceParameters } from '../ice/index.js';
import type { RtpHeaderExtensionParameters, RtpParameters } from '../sdp/rtp-parameters.js';
import type { SrtpProfileName } from '../srtp/index.js';
import type { AudioLevelVolume } from './audio-level-observer.js';
import type { ConsumerStats } from './consumer.js';
import type { DataConsumerStats } from './data-consumer.js';
import type { DataLinkStats } from './data-link.js';
import type { DataProducerStats } from './data-producer.js';
import type { MediaKind, ProducerStats } from './producer.js';
import type { RecorderState, RecorderStats, RecorderSummary } from './recorder.js';
import type { DtlsRole, DtlsState, TransportCloseReason, WebRtcTransportStats } from './webrtc-transport.js';
import type { MediaErrorCode } from './worker-errors.js';

/** Where a worker listens: one UDP port, optionally one passive ICE-TCP port, on one IP. */
export interface MediaListenOptions {
  /** IP literal to bind; a wildcard (0.0.0.0, ::) needs `announcedAddress`. */
  address: string;
  /** UDP port for ICE; 0 for any. */
  udpPort: number;
  /** Passive ICE-TCP port; absent for no ICE-TCP, 0 for any. */
  tcpPort?: number;
  /** The public IP advertised in candidates, for a server behind 1:1 NAT. */
  announcedAddress?: string;
  /**
   * More IP literals served on the same port numbers (loopback beside a LAN
   * address, say); each gets its own sockets and host candidates.
   */
  additionalAddresses?: string[];
}

/** A DTLS certificate and its private key, both PEM. */
export interface MediaCertificatePem {
  certPem: string;
  keyPem: string;
}

/** What a worker is started with: plain data, so it can cross to a thread. */
export interface MediaEngineStartOptions {
  listen: MediaListenOptions;
  /** The DTLS certificate; a fresh self-signed ECDSA P-256 one when absent. */
  certificate?: MediaCertificatePem;
}

/** A bound socket of a worker. */
export interface MediaBoundAddress {
  /** The bound IP. */
  address: string;
  port: number;
  /** The IP put in candidates. */
  announcedAddress: string;
}

/** What a started worker reports about itself. */
export interface MediaWorkerInfo {
  udp: MediaBoundAddress;
  tcp?: MediaBoundAddress;
  /** The DTLS certificate's fingerprint, the same for every transport of the worker. */
  dtlsFingerprint: DtlsFingerprint;
}

/** One end of an ICE path. */
export interface MediaTransportAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

/** The ICE path a transport sends media on. */
export interface MediaIceTuple {
  protocol: 'udp' | 'tcp';
  local: MediaTransportAddress;
  remote: MediaTransportAddress;
}

/** Counts of what a worker holds, and how busy its thread is. */
export interface MediaWorkerLoad {
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
  /** Participants whose data the SFU takes, and sender-to-receiver data routes. */
  dataProducers?: number;
  dataConsumers?: number;
  /** Files being recorded. */
  recorders?: number;
  /**
   * Share of wall time the worker's event loop was busy since the previous
   * getLoad (0–1), from performance.eventLoopUtilization(): per thread,
   * unlike process CPU time.
   */
  eventLoopUtilization?: number;
}

/** What `recorder.start` takes: one participant's tracks into one file. */
export interface RecorderStartParams {
  routerId: string;
  /** Absolute path of the file (.webm, or .mkv for H.264); its directory is created. */
  path: string;
  audioProducerId?: string;
  videoProducerId?: string;
  /** Longest wait for both tracks' sender reports and a key frame before the file starts, ms. */
  syncHoldMs?: number;
}

/** A recorder's summary as it crosses the thread boundary. */
export interface RecorderSummaryResult extends RecorderSummary {
  recorderId: string;
  /** `failed` when the file could not be written. */
  state: RecorderState;
  error?: SerializedMediaError;
}

/** A recorder's progress. */
export interface RecorderStatsResult extends RecorderStats {
  recorderId: string;
  state: RecorderState;
  bytes: number;
  durationMs: number;
}

/** Options of a new router. */
export interface RouterCreateParams {
  /** Most a publisher is asked to send per video track (REMB), bits/s. */
  maxIncomingBitrate?: number;
  /** Mean interval of the server's RTCP reports, ms. */
  rtcpIntervalMs?: number;
  /** Interval of audio level reports, ms. */
  audioLevelIntervalMs?: number;
}

/** Options of a new WebRTC transport. */
export interface TransportCreateParams {
  routerId: string;
  /** Close after this long without a valid ICE check (RFC 7675 consent), ms. */
  consentTimeoutMs?: number;
  /** Fail when DTLS has not connected this long after it started, ms. */
  dtlsTimeoutMs?: number;
  /** SRTP profiles offered or accepted, preferred first. */
  srtpProfiles?: SrtpProfileName[];
  /** Carry the participant's data channels (the server opens "reliable" and "lossy" once connected). */
  data?: {
    /** The participant: `from` of what they send, matched by `to` lists. */
    participantId: string;
    /** Our a=max-message-size; default 256 KiB. */
    maxMessageSize?: number;
  };
}

/** A new transport: what the server's SDP needs. */
export interface TransportCreateResult {
  transportId: string;
  iceParameters: IceParameters;
  /** `a=candidate` values. */
  iceCandidates: string[];
  dtlsFingerprint: DtlsFingerprint;
  /** With `data`: our a=sctp-port and a=max-message-size. */
  sctp?: { port: number; maxMessageSize: number };
}

/** The remote end's parameters, from its SDP. */
export interface TransportConnectParams {
  transportId: string;
  ice?: { usernameFragment: string; password: string };
  dtls: { role: DtlsRole; fingerprints: DtlsFingerprint[] };
  /** Its m=application's a=sctp-port and a=max-message-size (0: unlimited). */
  sctp?: { port?: number; maxMessageSize?: number };
}

/** A transport's state and counters. */
export interface TransportStatsResult extends WebRtcTransportStats {
  transportId: string;
  iceState: IceLiteState;
  dtlsState: DtlsState;
  srtpProfile?: SrtpProfileName;
  iceSelectedTuple?: MediaIceTuple;
  /** With `data`: the data channels' counters, and whether the reliable one is open. */
  data?: DataLinkStats & { open: boolean };
}

/** A message from the server to a room's participants on their data channels. */
export interface SendDataParams {
  routerId: string;
  topic?: string;
  /** Participant ids; everyone when absent. */
  to?: string[];
  /** JSON text (a text envelope) or bytes (a binary envelope). */
  payload: { kind: 'json'; text: string } | { kind: 'binary'; bytes: Uint8Array };
  /** On the lossy channel. */
  lossy?: boolean;
}

/** A data producer's counters. */
export interface DataProducerStatsResult extends DataProducerStats {
  dataProducerId: string;
}

/** A data consumer's counters. */
export interface DataConsumerStatsResult extends DataConsumerStats {
  dataConsumerId: string;
  dataProducerId: string;
}

/** A track the transport's peer publishes. */
export interface ProduceParams {
  transportId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  paused?: boolean;
  appData?: Record<string, unknown>;
}

/** A producer's state and counters. */
export interface ProducerStatsResult extends ProducerStats {
  producerId: string;
  kind: MediaKind;
  paused: boolean;
  mediaSsrc?: number;
}

/** A producer to send to the transport's peer. */
export interface ConsumeParams {
  transportId: string;
  producerId: string;
  /** The mid of the subscriber's media section; may be assigned later (consumer.assignMid). */
  mid?: string;
  /** Header extensions offered to the subscriber; the router's defaults for the kind when absent. */
  headerExtensions?: RtpHeaderExtensionParameters[];
  paused?: boolean;
  appData?: Record<string, unknown>;
}

/** A new consumer: what the subscriber's SDP needs. */
export interface ConsumeResult {
  consumerId: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  paused: boolean;
  producerPaused: boolean;
}

/** A consumer's state and counters. */
export interface ConsumerStatsResult extends ConsumerStats {
  consumerId: string;
  producerId: string;
  kind: MediaKind;
  ssrc: number;
  rtxSsrc?: number;
  paused: boolean;
  producerPaused: boolean;
  /** Round-trip time to the subscriber, ms; -1 until known. */
  rttMs: number;
  /** Fraction of packets the subscriber lost in its last report (0–1). */
  fractionLost: number;
}

/** Nothing: the command's effect is the answer. */
export type Empty = Record<string, never>;

/** Every command: its parameters and its result. */
export interface MediaMethods {
  'router.create': { params: RouterCreateParams; result: { routerId: string } };
  'router.close': { params: { routerId: string }; result: Empty };
  'transport.create': { params: TransportCreateParams; result: TransportCreateResult };
  'transport.connect': { params: TransportConnectParams; result: Empty };
  'transport.restartIce': {
    params: { transportId: string; remoteIce?: { usernameFragment: string; password: string } };
    result: { iceParameters: IceParameters };
  };
  'transport.close': { params: { transportId: string }; result: Empty };
  'transport.getStats': { params: { transportId: string }; result: TransportStatsResult };
  produce: { params: ProduceParams; result: { producerId: string } };
  'producer.pause': { params: { producerId: string }; result: Empty };
  'producer.resume': { params: { producerId: string }; result: Empty };
  'producer.close': { params: { producerId: string }; result: Empty };
  'producer.getStats': { params: { producerId: string }; result: ProducerStatsResult };
  consume: { params: ConsumeParams; result: ConsumeResult };
  'consumer.assignMid': { params: { consumerId: string; mid: string }; result: Empty };
  'consumer.pause': { params: { consumerId: string }; result: Empty };
  'consumer.resume': { params: { consumerId: string }; result: Empty };
  'consumer.close': { params: { consumerId: string }; result: Empty };
  'consumer.requestKeyframe': { params: { consumerId: string }; result: Empty };
  'consumer.getStats': { params: { consumerId: string }; result: ConsumerStatsResult };
  produceData: {
    params: { transportId: string; appData?: Record<string, unknown> };
    result: { dataProducerId: string };
  };
  'dataProducer.close': { params: { dataProducerId: string }; result: Empty };
  'dataProducer.getStats': { params: { dataProducerId: string }; result: DataProducerStatsResult };
  consumeData: {
    params: { transportId: string; dataProducerId: string; appData?: Record<string, unknown> };
    result: { dataConsumerId: string };
  };
  'dataConsumer.close': { params: { dataConsumerId: string }; result: Empty };
  'dataConsumer.getStats': { params: { dataConsumerId: string }; result: DataConsumerStatsResult };
  'router.sendData': { params: SendDataParams; result: { delivered: string[] } };
  'recorder.start': { params: RecorderStartParams; result: { recorderId: string } };
  'recorder.stop': { params: { recorderId: string }; result: RecorderSummaryResult };
  'recorder.getStats': { params: { recorderId: string }; result: RecorderStatsResult };
  'worker.getLoad': { params: Empty; result: MediaWorkerLoad };
  'worker.close': { params: Empty; result: Empty };
}

/** A command name. */
export type MediaMethod = keyof MediaMethods;
/** The parameters of a command. */
export type MediaParams<M extends MediaMethod> = MediaMethods[M]['params'];
/** The result of a command. */
export type MediaResult<M extends MediaMethod> = MediaMethods[M]['result'];

/** Every command name, for validation. */
export const MEDIA_METHODS: readonly MediaMethod[] = [
  'router.create',
  'router.close',
  'transport.create',
  'transport.connect',
  'transport.restartIce',
  'transport.close',
  'transport.getStats',
  'produce',
  'producer.pause',
  'producer.resume',
  'producer.close',
  'producer.getStats',
  'consume',
  'consumer.assignMid',
  'consumer.pause',
  'consumer.resume',
  'consumer.close',
  'consumer.requestKeyframe',
  'consumer.getStats',
  'produceData',
  'dataProducer.close',
  'dataProducer.getStats',
  'consumeData',
  'dataConsumer.close',
  'dataConsumer.getStats',
  'router.sendData',
  'recorder.start',
  'recorder.stop',
  'recorder.getStats',
  'worker.getLoad',
  'worker.close',
];

/** What a worker tells its owner on its own. */
export type MediaEvent =
  | { type: 'router.close'; routerId: string }
  /** The loudest producers of the last interval, loudest first; [] once everyone went quiet. */
  | { type: 'router.audiolevels'; routerId: string; volumes: AudioLevelVolume[] }
  /** The dominant speaker changed; producerId absent when they left. */
  | { type: 'router.activespeaker'; routerId: string; producerId?: string }
  | { type: 'transport.icestatechange'; transportId: string; state: IceLiteState }
  | { type: 'transport.iceselectedtuplechange'; transportId: string; tuple: MediaIceTuple }
  | { type: 'transport.dtlsstatechange'; transportId: string; state: DtlsState }
  | { type: 'transport.close'; transportId: string; routerId: string; reason: TransportCloseReason }
  | { type: 'producer.close'; producerId: string; transportId: string; routerId: string }
  /** The consumer or its producer paused (`producerPaused` says which holds now). */
  | { type: 'consumer.pause'; consumerId: string; paused: boolean; producerPaused: boolean }
  | { type: 'consumer.resume'; consumerId: string; paused: boolean; producerPaused: boolean }
  | { type: 'consumer.close'; consumerId: string; producerId: string; transportId: string; routerId: string }
  | { type: 'dataproducer.close'; dataProducerId: string; transportId: string; routerId: string }
  | {
      type: 'dataconsumer.close';
      dataConsumerId: string;
      dataProducerId: string;
      transportId: string;
      routerId: string;
    }
  /** A recorder could not write its file and stopped; a `recorder.close` follows. */
  | { type: 'recorder.failed'; recorderId: string; routerId: string; error: SerializedMediaError }
  /** A recorder ended (stopped, its producers or router closed, or failed) and its file is finished. */
  | { type: 'recorder.close'; recorderId: string; routerId: string; summary: RecorderSummaryResult };

/** An event's type. */
export type MediaEventType = MediaEvent['type'];

/** An error as it crosses the thread boundary. */
export interface SerializedMediaError {
  code: MediaErrorCode;
  message: string;
}

/** A command. `id` is chosen by the sender and echoed in the response. */
export interface MediaRequestMessage<M extends MediaMethod = MediaMethod> {
  type: 'request';
  id: number;
  method: M;
  params: MediaParams<M>;
}

/** The answer to one command; `id` is -1 when the request had no usable id. */
export type MediaResponseMessage =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: SerializedMediaError };

/** An event. */
export interface MediaEventMessage {
  type: 'event';
  event: MediaEvent;
}

/** A log line from a worker thread, for the main thread's logger. */
export interface MediaLogMessage {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  object: Record<string, unknown>;
  message?: string;
}

/** Messages from a worker thread to the main thread. */
export type FromMediaThread =
  | { type: 'ready'; info: MediaWorkerInfo }
  | { type: 'failed'; error: SerializedMediaError }
  | MediaResponseMessage
  | MediaEventMessage
  | MediaLogMessage;

/** Messages from the main thread to a worker thread. */
export type ToMediaThread = MediaRequestMessage;

/** workerData of a media worker thread. */
export interface MediaWorkerThreadData {
  options: MediaEngineStartOptions;
}
