/**
 * The media engine of one worker: it owns the worker's ICE sockets (one UDP
 * port, optionally one passive ICE-TCP port), its DTLS certificate, and every
 * router, transport, producer and consumer placed on it, by id. It runs the
 * commands of worker-protocol.ts and reports what happens as events.
 *
 * The same class runs on a worker thread (media-worker-thread.ts) and in the
 * main thread (MediaWorker with `threaded: false`). A command is untrusted
 * data: it is checked before anything reads it, and a refused or failing
 * command becomes an error response with a stable code. Nothing a command
 * carries ends the thread.
 */
import { createPrivateKey, type KeyObject, randomUUID, X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { IceError, IceTcpMux, type IceTuple, IceUdpMux } from '../ice/index.js';
import { RecordingError } from '../recording/errors.js';
import { SdpNegotiationError } from '../sdp/negotiation-error.js';
import { isRtxCodec, mimeKind, type RtpParameters } from '../sdp/rtp-parameters.js';
import { fingerprintSha256, generateSelfSignedCertificate } from '../util/certificate.js';
import { type Log, silentLog } from '../util/log.js';
import {
  type Fields,
  isFields,
  readAppData,
  readChoice,
  readFingerprints,
  readHeaderExtensions,
  readIceCredentials,
  readInteger,
  readObject,
  readOptionalBoolean,
  readOptionalInteger,
  readOptionalString,
  readParams,
  readRtpParameters,
  readSrtpProfiles,
  readString,
} from './command-validation.js';
import type { Consumer } from './consumer.js';
import type { DataConsumer } from './data-consumer.js';
import { MAX_RECIPIENT_LENGTH, MAX_RECIPIENTS, MAX_TOPIC_LENGTH } from './data-envelope.js';
import type { DataProducer } from './data-producer.js';
import type { MediaKind, Producer } from './producer.js';
import { Recorder, type RecorderSummary } from './recorder.js';
import { Router } from './router.js';
import type { TransportCertificate, WebRtcTransport } from './webrtc-transport.js';
import { type MediaErrorCode, MediaWorkerError } from './worker-errors.js';
import {
  type Empty,
  MEDIA_METHODS,
  type MediaCertificatePem,
  type MediaEngineStartOptions,
  type MediaEvent,
  type MediaIceTuple,
  type MediaListenOptions,
  type MediaMethod,
  type MediaMethods,
  type MediaResponseMessage,
  type MediaWorkerInfo,
  type SerializedMediaError,
} from './worker-protocol.js';

/** How to start an engine: the plain start options, plus a logger when it runs in the main thread. */
export interface MediaEngineOptions extends MediaEngineStartOptions {
  log?: Log;
}

/** Where an engine sends its events. */
export type MediaEventSink = (event: MediaEvent) => void;

/** Ids of closed objects remembered, so that a late close of one succeeds. */
const RECENTLY_CLOSED_CAPACITY = 10_000;

const METHODS: ReadonlySet<string> = new Set(MEDIA_METHODS);
const MEDIA_KINDS: readonly MediaKind[] = ['audio', 'video'];
const DTLS_ROLES = ['client', 'server'] as const;

interface RouterEntry {
  router: Router;
  transports: Set<string>;
}

interface TransportEntry {
  transport: WebRtcTransport;
  routerId: string;
  connected: boolean;
}

interface ProducerEntry {
  producer: Producer;
  transportId: string;
  routerId: string;
}

interface ConsumerEntry {
  consumer: Consumer;
  transportId: string;
  routerId: string;
}

interface DataProducerEntry {
  dataProducer: DataProducer;
  transportId: string;
  routerId: string;
}

interface RecorderEntry {
  recorder: Recorder;
  routerId: string;
  error?: SerializedMediaError;
}

interface DataConsumerEntry {
  dataConsumer: DataConsumer;
  transportId: string;
  routerId: string;
}

/** Default and largest a=max-message-size of a transport's data channels. */
const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;
const MAX_MAX_MESSAGE_SIZE = 1024 * 1024 * 1024;
/** The SCTP port of our m=application sections. */
const SCTP_PORT = 5000;

type Handlers = {
  [M in MediaMethod]: (params: Fields) => MediaMethods[M]['result'] | Promise<MediaMethods[M]['result']>;
};

const EMPTY: Empty = {};

/** A recorder that could not start, as a command error. */
function recordingCommandError(error: unknown): MediaWorkerError {
  if (!(error instanceof RecordingError)) return new MediaWorkerError('ERR_MEDIA_INTERNAL', String(error));
  const code: MediaErrorCode =
    error.code === 'ERR_RECORDING_UNSUPPORTED'
      ? 'ERR_MEDIA_UNSUPPORTED'
      : error.code === 'ERR_RECORDING_WRITE_FAILED'
        ? 'ERR_MEDIA_WRITE_FAILED'
        : 'ERR_MEDIA_INVALID_ARGUMENT';
  return new MediaWorkerError(code, error.message, { cause: error });
}

/**
 * A DTLS certificate from PEM: the certificate and its private key, which
 * must match. Throws ERR_MEDIA_INVALID_ARGUMENT otherwise.
 */
export function certificateFromPem(pem: MediaCertificatePem): TransportCertificate {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(pem.certPem);
  } catch (error) {
    throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'certificate.certPem is not a PEM certificate', {
      cause: error,
    });
  }
  try {
    privateKey = createPrivateKey(pem.keyPem);
  } catch (error) {
    throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'certificate.keyPem is not a PEM private key', {
      cause: error,
    });
  }
  // DTLS signs with ECDSA or RSA only (src/dtls/signature.ts).
  if (privateKey.asymmetricKeyType !== 'ec' && privateKey.asymmetricKeyType !== 'rsa') {
    throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'certificate key must be ECDSA or RSA');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'certificate.keyPem does not match certificate');
  }
  return { certDer: certificate.raw, privateKey, fingerprintSha256: fingerprintSha256(certificate.raw) };
}

/** Checks start options that crossed a thread boundary as untyped data. */
function readStartOptions(options: unknown): {
  listen: MediaListenOptions;
  certificate?: MediaCertificatePem;
} {
  if (!isFields(options))
    throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'options must be an object');
  const listen = readObject(options, 'listen');
  const announcedAddress = readOptionalString(listen, 'announcedAddress', 'listen.announcedAddress');
  const tcpPort = readOptionalInteger(listen, 'tcpPort', 0, 65535, 'listen.tcpPort');
  const additional = listen['additionalAddresses'];
  if (
    additional !== undefined &&
    (!Array.isArray(additional) ||
      additional.length > 16 ||
      !additional.every((entry) => typeof entry === 'string'))
  ) {
    throw new MediaWorkerError(
      'ERR_MEDIA_INVALID_ARGUMENT',
      'listen.additionalAddresses must be at most 16 strings',
    );
  }
  const result: { listen: MediaListenOptions; certificate?: MediaCertificatePem } = {
    listen: {
      address: readString(listen, 'address', 'listen.address'),
      udpPort: readInteger(listen, 'udpPort', 0, 65535, 'listen.udpPort'),
      ...(tcpPort === undefined ? {} : { tcpPort }),
      ...(announcedAddress === undefined ? {} : { announcedAddress }),
      ...(additional === undefined ? {} : { additionalAddresses: [...(additional as string[])] }),
    },
  };
  if (options['certificate'] !== undefined) {
    const certificate = readObject(options, 'certificate');
    const certPem = certificate['certPem'];
    const keyPem = certificate['keyPem'];
    if (typeof certPem !== 'string' || typeof keyPem !== 'string') {
      throw new MediaWorkerError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        'certificate needs certPem and keyPem strings',
      );
    }
    result.certificate = { certPem, keyPem };
  }
  return result;
}

/** An ICE error at listen time, as the worker's error. */
function listenError(error: unknown): unknown {
  if (!(error instanceof IceError)) return error;
  const code: MediaErrorCode =
    error.code === 'ERR_ICE_LISTEN_FAILED' ? 'ERR_MEDIA_LISTEN_FAILED' : 'ERR_MEDIA_INVALID_ARGUMENT';
  return new MediaWorkerError(code, error.message, { cause: error });
}

/** Any error as it crosses the thread boundary, with the closest stable code. */
export function serializeMediaError(error: unknown): SerializedMediaError {
  if (error instanceof MediaWorkerError) return { code: error.code, message: error.message };
  if (error instanceof IceError) {
    const code: MediaErrorCode =
      error.code === 'ERR_ICE_CLOSED' ? 'ERR_MEDIA_INVALID_STATE' : 'ERR_MEDIA_INVALID_ARGUMENT';
    return { code, message: error.message };
  }
  if (error instanceof SdpNegotiationError) {
    const code: MediaErrorCode =
      error.code === 'ERR_SDP_UNSUPPORTED_CODEC' ? 'ERR_MEDIA_UNSUPPORTED' : 'ERR_MEDIA_INVALID_ARGUMENT';
    return { code, message: error.message };
  }
  if (error instanceof TypeError) return { code: 'ERR_MEDIA_INVALID_ARGUMENT', message: error.message };
  return { code: 'ERR_MEDIA_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function tupleOf(tuple: IceTuple): MediaIceTuple {
  return {
    protocol: tuple.protocol,
    local: { family: tuple.local.family, address: tuple.local.address, port: tuple.local.port },
    remote: { family: tuple.remote.family, address: tuple.remote.address, port: tuple.remote.port },
  };
}

/** One worker's media: sockets, certificate, and every object on them, by id. */
export class MediaEngine {
  /** Where the worker listens and its certificate fingerprint. */
  readonly info: MediaWorkerInfo;
  /** One UDP socket per address, the first one the primary. */
  readonly #udp: IceUdpMux[];
  /** One passive ICE-TCP listener per address, when ICE-TCP is on. */
  readonly #tcp: IceTcpMux[];
  readonly #certificate: TransportCertificate;
  readonly #log: Log;
  readonly #onEvent: MediaEventSink;
  readonly #routers = new Map<string, RouterEntry>();
  readonly #transports = new Map<string, TransportEntry>();
  readonly #producers = new Map<string, ProducerEntry>();
  readonly #consumers = new Map<string, ConsumerEntry>();
  readonly #dataProducers = new Map<string, DataProducerEntry>();
  readonly #dataConsumers = new Map<string, DataConsumerEntry>();
  readonly #recorders = new Map<string, RecorderEntry>();
  readonly #recentlyClosed = new Set<string>();
  readonly #handlers: Handlers;
  #eventLoop = performance.eventLoopUtilization();
  #closing: Promise<void> | undefined;

  private constructor(
    udpMuxes: IceUdpMux[],
    tcpMuxes: IceTcpMux[],
    certificate: TransportCertificate,
    log: Log,
    onEvent: MediaEventSink,
  ) {
    this.#udp = udpMuxes;
    this.#tcp = tcpMuxes;
    const udp = udpMuxes[0] as IceUdpMux;
    const tcp = tcpMuxes[0];
    this.#certificate = certificate;
    this.#log = log;
    this.#onEvent = onEvent;
    this.info = {
      udp: {
        address: udp.localAddress.address,
        port: udp.localAddress.port,
        announcedAddress: udp.announcedAddress,
      },
      ...(tcp
        ? {
            tcp: {
              address: tcp.localAddress.address,
              port: tcp.localAddress.port,
              announcedAddress: tcp.announcedAddress,
            },
          }
        : {}),
      dtlsFingerprint: { algorithm: 'sha-256', value: certificate.fingerprintSha256 },
    };
    this.#handlers = this.#createHandlers();
  }

  /**
   * Loads or generates the certificate and binds the sockets. Rejects with a
   * MediaWorkerError: ERR_MEDIA_INVALID_ARGUMENT for bad options,
   * ERR_MEDIA_LISTEN_FAILED when a port cannot be bound.
   */
  static async start(options: MediaEngineOptions, onEvent: MediaEventSink): Promise<MediaEngine> {
    const { listen, certificate: pem } = readStartOptions(options);
    const log = options.log ?? silentLog;
    const certificate = pem
      ? certificateFromPem(pem)
      : generateSelfSignedCertificate({ commonName: 'switchboard-sfu' });
    const udp: IceUdpMux[] = [];
    const tcp: IceTcpMux[] = [];
    try {
      for (const address of [listen.address, ...(listen.additionalAddresses ?? [])]) {
        const announcedAddress = listen.announcedAddress;
        udp.push(await IceUdpMux.listen({ address, port: listen.udpPort, announcedAddress, log }));
        if (listen.tcpPort !== undefined)
          tcp.push(await IceTcpMux.listen({ address, port: listen.tcpPort, announcedAddress, log }));
      }
    } catch (error) {
      await Promise.all([...udp, ...tcp].map((mux) => mux.close()));
      throw listenError(error);
    }
    return new MediaEngine(udp, tcp, certificate, log, onEvent);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Runs one command message and answers it. Never throws: a message that is
   * not a request, names no command or carries bad parameters is answered
   * with an error (id -1 when it had no usable id).
   */
  async handle(message: unknown): Promise<MediaResponseMessage> {
    const id = isFields(message) && Number.isSafeInteger(message['id']) ? (message['id'] as number) : -1;
    try {
      if (!isFields(message) || message['type'] !== 'request') {
        throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'a command must be a request message');
      }
      if (id < 0)
        throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'id must be a non-negative integer');
      const method = message['method'];
      if (typeof method !== 'string' || !METHODS.has(method)) {
        throw new MediaWorkerError(
          'ERR_MEDIA_UNKNOWN_METHOD',
          `unknown method ${String(method).slice(0, 64)}`,
        );
      }
      const params = readParams(message['params']);
      if (this.#closing && method !== 'worker.close') {
        throw new MediaWorkerError('ERR_MEDIA_WORKER_CLOSED', 'the media worker is closed');
      }
      const handler = this.#handlers[method as MediaMethod] as (params: Fields) => unknown;
      const result = await handler(params);
      return { type: 'response', id, ok: true, result };
    } catch (error) {
      const serialized = serializeMediaError(error);
      if (serialized.code === 'ERR_MEDIA_INTERNAL') {
        this.#log.error({ err: error }, 'media command failed unexpectedly');
      }
      return { type: 'response', id, ok: false, error: serialized };
    }
  }

  /** Closes every router (each announcing its objects' closes), then the sockets. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    // Recordings are finished (their files made whole) before the sockets go.
    const recordings = [...this.#recorders.values()].map((entry) => entry.recorder.close().catch(() => {}));
    for (const entry of [...this.#routers.values()]) entry.router.close();
    this.#closing = Promise.all([
      ...recordings,
      ...[...this.#udp, ...this.#tcp].map((mux) => mux.close()),
    ]).then(() => {});
    return this.#closing;
  }

  #emit(event: MediaEvent): void {
    try {
      this.#onEvent(event);
    } catch (error) {
      this.#log.error({ err: error, event: event.type }, 'media event listener failed');
    }
  }

  #forget(id: string): void {
    this.#recentlyClosed.add(id);
    if (this.#recentlyClosed.size > RECENTLY_CLOSED_CAPACITY) {
      const oldest = this.#recentlyClosed.values().next().value;
      if (oldest !== undefined) this.#recentlyClosed.delete(oldest);
    }
  }

  /** The entry of an id, or ERR_MEDIA_NOT_FOUND. */
  #find<T>(map: Map<string, T>, params: Fields, key: string, what: string): T {
    const id = readString(params, key);
    const entry = map.get(id);
    if (entry) return entry;
    const state = this.#recentlyClosed.has(id) ? 'is closed' : 'does not exist';
    throw new MediaWorkerError('ERR_MEDIA_NOT_FOUND', `${what} ${id} ${state}`);
  }

  /** For close commands: the entry, or undefined when the object already closed (idempotent close). */
  #findForClose<T>(map: Map<string, T>, params: Fields, key: string, what: string): T | undefined {
    const id = readString(params, key);
    if (this.#recentlyClosed.has(id)) return undefined;
    return this.#find(map, params, key, what);
  }

  #createHandlers(): Handlers {
    return {
      'router.create': (params) => this.#createRouter(params),
      'router.close': (params) => {
        this.#findForClose(this.#routers, params, 'routerId', 'router')?.router.close();
        return EMPTY;
      },
      'transport.create': (params) => this.#createTransport(params),
      'transport.connect': (params) => {
        const entry = this.#find(this.#transports, params, 'transportId', 'transport');
        const dtls = readObject(params, 'dtls');
        const sctp = params['sctp'] === undefined ? undefined : readObject(params, 'sctp');
        const remote = {
          ice: readIceCredentials(params, 'ice'),
          dtls: {
            role: readChoice(dtls, 'role', DTLS_ROLES, 'dtls.role'),
            fingerprints: readFingerprints(dtls, 'fingerprints', 'dtls.fingerprints'),
          },
          ...(sctp === undefined
            ? {}
            : {
                sctp: {
                  port: readOptionalInteger(sctp, 'port', 1, 65535, 'sctp.port'),
                  maxMessageSize: readOptionalInteger(
                    sctp,
                    'maxMessageSize',
                    0,
                    2 ** 32,
                    'sctp.maxMessageSize',
                  ),
                },
              }),
        };
        if (entry.connected) {
          throw new MediaWorkerError('ERR_MEDIA_INVALID_STATE', 'transport.connect was already called');
        }
        entry.transport.connect(remote);
        entry.connected = true;
        return EMPTY;
      },
      'transport.restartIce': (params) => {
        const entry = this.#find(this.#transports, params, 'transportId', 'transport');
        const remote = readIceCredentials(params, 'remoteIce');
        const parameters = entry.transport.restartIce(remote);
        return { iceParameters: { ...parameters } };
      },
      'transport.close': (params) => {
        this.#findForClose(this.#transports, params, 'transportId', 'transport')?.transport.close();
        return EMPTY;
      },
      'transport.getStats': (params) => {
        const { transport, routerId } = this.#find(this.#transports, params, 'transportId', 'transport');
        const tuple = transport.iceSelectedTuple;
        const link = this.#routers.get(routerId)?.router.dataLink(transport);
        return {
          transportId: transport.id,
          iceState: transport.iceState,
          dtlsState: transport.dtlsState,
          ...(transport.srtpProfile ? { srtpProfile: transport.srtpProfile } : {}),
          ...(tuple ? { iceSelectedTuple: tupleOf(tuple) } : {}),
          ...(link ? { data: { ...link.stats, open: link.open } } : {}),
          ...transport.stats,
        };
      },
      produce: (params) => this.#produce(params),
      'producer.pause': (params) => {
        this.#find(this.#producers, params, 'producerId', 'producer').producer.pause();
        return EMPTY;
      },
      'producer.resume': (params) => {
        this.#find(this.#producers, params, 'producerId', 'producer').producer.resume();
        return EMPTY;
      },
      'producer.close': (params) => {
        this.#findForClose(this.#producers, params, 'producerId', 'producer')?.producer.close();
        return EMPTY;
      },
      'producer.getStats': (params) => {
        const { producer } = this.#find(this.#producers, params, 'producerId', 'producer');
        return {
          producerId: producer.id,
          kind: producer.kind,
          paused: producer.paused,
          ...(producer.mediaSsrc === undefined ? {} : { mediaSsrc: producer.mediaSsrc }),
          ...producer.stats,
        };
      },
      consume: (params) => this.#consume(params),
      'consumer.assignMid': (params) => {
        const { consumer } = this.#find(this.#consumers, params, 'consumerId', 'consumer');
        consumer.assignMid(readString(params, 'mid'));
        return EMPTY;
      },
      'consumer.pause': (params) => {
        this.#find(this.#consumers, params, 'consumerId', 'consumer').consumer.pause();
        return EMPTY;
      },
      'consumer.resume': (params) => {
        this.#find(this.#consumers, params, 'consumerId', 'consumer').consumer.resume();
        return EMPTY;
      },
      'consumer.close': (params) => {
        this.#findForClose(this.#consumers, params, 'consumerId', 'consumer')?.consumer.close();
        return EMPTY;
      },
      'consumer.requestKeyframe': (params) => {
        this.#find(this.#consumers, params, 'consumerId', 'consumer').consumer.requestKeyframe();
        return EMPTY;
      },
      'consumer.getStats': (params) => {
        const { consumer } = this.#find(this.#consumers, params, 'consumerId', 'consumer');
        return {
          consumerId: consumer.id,
          producerId: consumer.producer.id,
          kind: consumer.kind,
          ssrc: consumer.ssrc,
          ...(consumer.rtxSsrc === undefined ? {} : { rtxSsrc: consumer.rtxSsrc }),
          paused: consumer.paused,
          producerPaused: consumer.producerPaused,
          rttMs: consumer.rttMs,
          fractionLost: consumer.fractionLost,
          ...consumer.stats,
        };
      },
      produceData: (params) => this.#produceData(params),
      'dataProducer.close': (params) => {
        this.#findForClose(
          this.#dataProducers,
          params,
          'dataProducerId',
          'data producer',
        )?.dataProducer.close();
        return EMPTY;
      },
      'dataProducer.getStats': (params) => {
        const { dataProducer } = this.#find(this.#dataProducers, params, 'dataProducerId', 'data producer');
        return { dataProducerId: dataProducer.id, ...dataProducer.stats };
      },
      consumeData: (params) => this.#consumeData(params),
      'dataConsumer.close': (params) => {
        this.#findForClose(
          this.#dataConsumers,
          params,
          'dataConsumerId',
          'data consumer',
        )?.dataConsumer.close();
        return EMPTY;
      },
      'dataConsumer.getStats': (params) => {
        const { dataConsumer } = this.#find(this.#dataConsumers, params, 'dataConsumerId', 'data consumer');
        return {
          dataConsumerId: dataConsumer.id,
          dataProducerId: dataConsumer.dataProducer.id,
          ...dataConsumer.stats,
        };
      },
      'router.sendData': (params) => this.#sendData(params),
      'recorder.start': (params) => this.#startRecorder(params),
      'recorder.stop': async (params) => {
        const id = readString(params, 'recorderId');
        const entry = this.#find(this.#recorders, params, 'recorderId', 'recorder');
        return this.#summaryResult(id, entry, await entry.recorder.close());
      },
      'recorder.getStats': (params) => {
        const id = readString(params, 'recorderId');
        const { recorder } = this.#find(this.#recorders, params, 'recorderId', 'recorder');
        return {
          recorderId: id,
          state: recorder.state,
          bytes: recorder.bytes,
          durationMs: recorder.durationMs,
          ...recorder.stats,
        };
      },
      'worker.getLoad': () => {
        const now = performance.eventLoopUtilization();
        const since = performance.eventLoopUtilization(now, this.#eventLoop);
        this.#eventLoop = now;
        return {
          routers: this.#routers.size,
          transports: this.#transports.size,
          producers: this.#producers.size,
          consumers: this.#consumers.size,
          dataProducers: this.#dataProducers.size,
          dataConsumers: this.#dataConsumers.size,
          recorders: this.#recorders.size,
          eventLoopUtilization: since.utilization,
        };
      },
      'worker.close': async () => {
        await this.close();
        return EMPTY;
      },
    };
  }

  #createRouter(params: Fields): { routerId: string } {
    const router = new Router({
      udp: this.#udp,
      tcp: this.#tcp.length > 0 ? this.#tcp : undefined,
      certificate: this.#certificate,
      maxIncomingBitrate: readOptionalInteger(params, 'maxIncomingBitrate', 1, 1e10),
      rtcpIntervalMs: readOptionalInteger(params, 'rtcpIntervalMs', 10, 60_000),
      audioLevelIntervalMs: readOptionalInteger(params, 'audioLevelIntervalMs', 10, 60_000),
    });
    const routerId = router.id;
    this.#routers.set(routerId, { router, transports: new Set() });
    router.on('audiolevels', (volumes) =>
      this.#emit({
        type: 'router.audiolevels',
        routerId,
        volumes: volumes.map(({ producerId, volumeDbov }) => ({ producerId, volumeDbov })),
      }),
    );
    router.on('activespeaker', (producerId) =>
      this.#emit({
        type: 'router.activespeaker',
        routerId,
        ...(producerId === undefined ? {} : { producerId }),
      }),
    );
    router.once('close', () => {
      for (const entry of this.#recorders.values())
        if (entry.routerId === routerId) void entry.recorder.close().catch(() => {});
      this.#routers.delete(routerId);
      this.#forget(routerId);
      this.#emit({ type: 'router.close', routerId });
    });
    return { routerId };
  }

  async #startRecorder(params: Fields): Promise<{ recorderId: string }> {
    const routerId = readString(params, 'routerId');
    this.#find(this.#routers, params, 'routerId', 'router');
    const path = readString(params, 'path');
    if (!path.startsWith('/') || path.length > 4096 || !/\.(webm|mkv)$/.test(path) || path.includes('\0'))
      throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'path must be an absolute .webm or .mkv path');
    const producerOf = (key: string, kind: MediaKind): Producer | undefined => {
      if (params[key] === undefined) return undefined;
      const entry = this.#find(this.#producers, params, key, 'producer');
      if (entry.routerId !== routerId || entry.producer.kind !== kind)
        throw new MediaWorkerError(
          'ERR_MEDIA_INVALID_ARGUMENT',
          `${key} is not a ${kind} producer of the router`,
        );
      return entry.producer;
    };
    const audio = producerOf('audioProducerId', 'audio');
    const video = producerOf('videoProducerId', 'video');
    if (!audio && !video)
      throw new MediaWorkerError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        'a recorder needs an audio or a video producer',
      );
    const syncHoldMs = readOptionalInteger(params, 'syncHoldMs', 0, 60_000);
    let recorder: Recorder;
    try {
      recorder = await Recorder.open({
        path,
        ...(audio ? { audio } : {}),
        ...(video ? { video } : {}),
        ...(syncHoldMs === undefined ? {} : { syncHoldMs }),
      });
    } catch (error) {
      throw recordingCommandError(error);
    }
    const recorderId = randomUUID();
    const entry: RecorderEntry = { recorder, routerId };
    this.#recorders.set(recorderId, entry);
    recorder.on('failed', (error) => {
      entry.error = { code: 'ERR_MEDIA_WRITE_FAILED', message: error.message };
      this.#log.warn({ recorderId, path, err: error }, 'a recording failed');
      this.#emit({ type: 'recorder.failed', recorderId, routerId, error: entry.error });
      void recorder.close().catch(() => {});
    });
    recorder.once('close', (summary) => {
      this.#recorders.delete(recorderId);
      this.#forget(recorderId);
      this.#emit({
        type: 'recorder.close',
        recorderId,
        routerId,
        summary: this.#summaryResult(recorderId, entry, summary),
      });
    });
    if (!this.#routers.has(routerId)) void recorder.close().catch(() => {});
    return { recorderId };
  }

  #summaryResult(recorderId: string, entry: RecorderEntry, summary: RecorderSummary) {
    return {
      recorderId,
      state: entry.recorder.state,
      ...(entry.error ? { error: entry.error } : {}),
      ...summary,
    };
  }

  #createTransport(params: Fields): MediaMethods['transport.create']['result'] {
    const routerEntry = this.#find(this.#routers, params, 'routerId', 'router');
    const routerId = readString(params, 'routerId');
    let data: { participantId: string; maxMessageSize: number } | undefined;
    if (params['data'] !== undefined) {
      const fields = readObject(params, 'data');
      data = {
        participantId: readString(fields, 'participantId', 'data.participantId'),
        maxMessageSize:
          readOptionalInteger(fields, 'maxMessageSize', 1024, MAX_MAX_MESSAGE_SIZE, 'data.maxMessageSize') ??
          DEFAULT_MAX_MESSAGE_SIZE,
      };
    }
    const transport = routerEntry.router.createWebRtcTransport({
      consentTimeoutMs: readOptionalInteger(params, 'consentTimeoutMs', 1000, 3_600_000),
      dtlsTimeoutMs: readOptionalInteger(params, 'dtlsTimeoutMs', 1000, 3_600_000),
      srtpProfiles: readSrtpProfiles(params, 'srtpProfiles'),
      data,
    });
    const transportId = transport.id;
    this.#transports.set(transportId, { transport, routerId, connected: false });
    routerEntry.transports.add(transportId);
    transport.on('icestatechange', (state) =>
      this.#emit({ type: 'transport.icestatechange', transportId, state }),
    );
    transport.on('iceselectedtuplechange', (tuple) =>
      this.#emit({ type: 'transport.iceselectedtuplechange', transportId, tuple: tupleOf(tuple) }),
    );
    transport.on('dtlsstatechange', (state) =>
      this.#emit({ type: 'transport.dtlsstatechange', transportId, state }),
    );
    // Registered after the router's own listener, which closes the transport's producers and
    // consumers first: their close events come before the transport's.
    transport.once('close', (reason) => {
      this.#transports.delete(transportId);
      routerEntry.transports.delete(transportId);
      this.#forget(transportId);
      this.#emit({
        type: 'transport.close',
        transportId,
        routerId,
        reason: { cause: reason.cause, message: reason.message },
      });
    });
    return {
      transportId,
      iceParameters: { ...transport.iceParameters },
      iceCandidates: [...transport.iceCandidateLines],
      dtlsFingerprint: { ...transport.localFingerprint },
      ...(data ? { sctp: { port: SCTP_PORT, maxMessageSize: data.maxMessageSize } } : {}),
    };
  }

  #produceData(params: Fields): { dataProducerId: string } {
    const transportEntry = this.#find(this.#transports, params, 'transportId', 'transport');
    const transportId = readString(params, 'transportId');
    const routerId = transportEntry.routerId;
    const router = this.#routers.get(routerId)?.router;
    if (!router) throw new MediaWorkerError('ERR_MEDIA_NOT_FOUND', 'the transport’s router is closed');
    const dataProducer = router.produceData(transportEntry.transport, { appData: readAppData(params) });
    const dataProducerId = dataProducer.id;
    this.#dataProducers.set(dataProducerId, { dataProducer, transportId, routerId });
    dataProducer.once('close', () => {
      this.#dataProducers.delete(dataProducerId);
      this.#forget(dataProducerId);
      this.#emit({ type: 'dataproducer.close', dataProducerId, transportId, routerId });
    });
    return { dataProducerId };
  }

  #consumeData(params: Fields): { dataConsumerId: string } {
    const transportEntry = this.#find(this.#transports, params, 'transportId', 'transport');
    const producerEntry = this.#find(this.#dataProducers, params, 'dataProducerId', 'data producer');
    const transportId = readString(params, 'transportId');
    const routerId = transportEntry.routerId;
    if (producerEntry.routerId !== routerId) {
      throw new MediaWorkerError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        'the data producer and the transport belong to different routers',
      );
    }
    const router = this.#routers.get(routerId)?.router;
    if (!router) throw new MediaWorkerError('ERR_MEDIA_NOT_FOUND', 'the transport’s router is closed');
    const dataConsumer = router.consumeData(transportEntry.transport, {
      dataProducerId: producerEntry.dataProducer.id,
      appData: readAppData(params),
    });
    const dataConsumerId = dataConsumer.id;
    const dataProducerId = producerEntry.dataProducer.id;
    this.#dataConsumers.set(dataConsumerId, { dataConsumer, transportId, routerId });
    dataConsumer.once('close', () => {
      this.#dataConsumers.delete(dataConsumerId);
      this.#forget(dataConsumerId);
      this.#emit({ type: 'dataconsumer.close', dataConsumerId, dataProducerId, transportId, routerId });
    });
    return { dataConsumerId };
  }

  #sendData(params: Fields): { delivered: string[] } {
    const { router } = this.#find(this.#routers, params, 'routerId', 'router');
    const topic = params['topic'];
    if (topic !== undefined && (typeof topic !== 'string' || topic.length > MAX_TOPIC_LENGTH))
      throw new MediaWorkerError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        `topic must be a string of at most ${MAX_TOPIC_LENGTH} characters`,
      );
    const to = params['to'];
    if (
      to !== undefined &&
      (!Array.isArray(to) ||
        to.length > MAX_RECIPIENTS ||
        !to.every((id) => typeof id === 'string' && id.length > 0 && id.length <= MAX_RECIPIENT_LENGTH))
    )
      throw new MediaWorkerError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        `to must be at most ${MAX_RECIPIENTS} participant ids of 1–${MAX_RECIPIENT_LENGTH} characters`,
      );
    const payload = readObject(params, 'payload');
    const kind = readChoice(payload, 'kind', ['json', 'binary'] as const, 'payload.kind');
    let message: { kind: 'json'; text: string } | { kind: 'binary'; bytes: Buffer };
    if (kind === 'json') {
      const text = payload['text'];
      let valid = typeof text === 'string' && text.length <= MAX_MAX_MESSAGE_SIZE;
      if (valid) {
        try {
          JSON.parse(text as string);
        } catch {
          valid = false;
        }
      }
      if (!valid) throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'payload.text must be JSON text');
      message = { kind, text: text as string };
    } else {
      const bytes = payload['bytes'];
      if (!(bytes instanceof Uint8Array))
        throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'payload.bytes must be a Uint8Array');
      message = { kind, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
    const delivered = router.sendData({
      ...(topic === undefined ? {} : { topic: topic as string }),
      ...(to === undefined ? {} : { to: to as string[] }),
      payload: message,
      lossy: readOptionalBoolean(params, 'lossy'),
    });
    return { delivered };
  }

  #produce(params: Fields): { producerId: string } {
    const transportEntry = this.#find(this.#transports, params, 'transportId', 'transport');
    const transportId = readString(params, 'transportId');
    const kind = readChoice(params, 'kind', MEDIA_KINDS);
    const rtpParameters = readRtpParameters(params, 'rtpParameters');
    for (const [index, codec] of rtpParameters.codecs.entries()) {
      if (!isRtxCodec(codec) && mimeKind(codec.mimeType) !== kind) {
        throw new MediaWorkerError(
          'ERR_MEDIA_INVALID_ARGUMENT',
          `rtpParameters.codecs[${index}].mimeType is not a ${kind} codec`,
        );
      }
    }
    this.#assertUnusedOnTransport(transportId, rtpParameters);
    const routerEntry = this.#routers.get(transportEntry.routerId);
    if (!routerEntry) throw new MediaWorkerError('ERR_MEDIA_NOT_FOUND', 'the transport’s router is closed');
    const producer = routerEntry.router.produce(transportEntry.transport, {
      kind,
      rtpParameters,
      paused: readOptionalBoolean(params, 'paused'),
      appData: readAppData(params),
    });
    const producerId = producer.id;
    const routerId = transportEntry.routerId;
    this.#producers.set(producerId, { producer, transportId, routerId });
    producer.once('close', () => {
      this.#producers.delete(producerId);
      this.#forget(producerId);
      this.#emit({ type: 'producer.close', producerId, transportId, routerId });
    });
    return { producerId };
  }

  /** Packets are routed by SSRC and MID: two producers of one transport may not share either. */
  #assertUnusedOnTransport(transportId: string, rtpParameters: RtpParameters): void {
    const ssrcs = new Set<number>();
    for (const encoding of rtpParameters.encodings) {
      if (encoding.ssrc !== undefined) ssrcs.add(encoding.ssrc);
      if (encoding.rtx) ssrcs.add(encoding.rtx.ssrc);
    }
    for (const { producer, transportId: owner } of this.#producers.values()) {
      if (owner !== transportId) continue;
      const taken = producer.rtpParameters;
      if (rtpParameters.mid !== undefined && taken.mid === rtpParameters.mid) {
        throw new MediaWorkerError(
          'ERR_MEDIA_INVALID_ARGUMENT',
          `mid ${rtpParameters.mid} is already produced on this transport`,
        );
      }
      for (const encoding of taken.encodings) {
        for (const ssrc of [encoding.ssrc, encoding.rtx?.ssrc]) {
          if (ssrc !== undefined && ssrcs.has(ssrc)) {
            throw new MediaWorkerError(
              'ERR_MEDIA_INVALID_ARGUMENT',
              `SSRC ${ssrc} is already produced on this transport`,
            );
          }
        }
      }
    }
  }

  #consume(params: Fields): MediaMethods['consume']['result'] {
    const transportEntry = this.#find(this.#transports, params, 'transportId', 'transport');
    const producerEntry = this.#find(this.#producers, params, 'producerId', 'producer');
    const transportId = readString(params, 'transportId');
    const routerId = transportEntry.routerId;
    if (producerEntry.routerId !== routerId) {
      throw new MediaWorkerError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        'the producer and the transport belong to different routers',
      );
    }
    const routerEntry = this.#routers.get(routerId);
    if (!routerEntry) throw new MediaWorkerError('ERR_MEDIA_NOT_FOUND', 'the transport’s router is closed');
    const consumer = routerEntry.router.consume(transportEntry.transport, {
      producerId: producerEntry.producer.id,
      mid: readOptionalString(params, 'mid'),
      headerExtensions:
        params['headerExtensions'] === undefined
          ? undefined
          : readHeaderExtensions(params, 'headerExtensions'),
      paused: readOptionalBoolean(params, 'paused'),
      appData: readAppData(params),
    });
    const consumerId = consumer.id;
    const producerId = producerEntry.producer.id;
    this.#consumers.set(consumerId, { consumer, transportId, routerId });
    const state = () => ({ consumerId, paused: consumer.paused, producerPaused: consumer.producerPaused });
    consumer.on('pause', () => this.#emit({ type: 'consumer.pause', ...state() }));
    consumer.on('resume', () => this.#emit({ type: 'consumer.resume', ...state() }));
    consumer.once('close', () => {
      this.#consumers.delete(consumerId);
      this.#forget(consumerId);
      this.#emit({ type: 'consumer.close', consumerId, producerId, transportId, routerId });
    });
    return {
      consumerId,
      producerId,
      kind: consumer.kind,
      rtpParameters: structuredClone(consumer.rtpParameters),
      paused: consumer.paused,
      producerPaused: consumer.producerPaused,
    };
  }
}
