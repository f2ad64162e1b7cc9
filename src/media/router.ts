/**
 * A Router: one room's media (mediasoup's model). It owns the room's
 * transports, producers and consumers, routes each producer's packets to its
 * consumers, drives the RTCP the server sends, and observes audio levels to
 * tell who is speaking. Closing a router closes everything in it.
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IceTcpMux, IceUdpMux } from '../ice/index.js';
import { DEFAULT_HEADER_EXTENSIONS } from '../sdp/answer.js';
import { consumerRtpParameters, ROUTER_CODECS, SUBSCRIBE_HEADER_EXTENSIONS } from '../sdp/capabilities.js';
import type {
  RtpCodecParameters,
  RtpHeaderExtensionParameters,
  RtpParameters,
} from '../sdp/rtp-parameters.js';
import { ActiveSpeakerDetector } from './active-speaker.js';
import { AudioLevelObserver, type AudioLevelVolume } from './audio-level-observer.js';
import { Consumer } from './consumer.js';
import { DataConsumer } from './data-consumer.js';
import { encodeOutgoingEnvelope, type IncomingEnvelope } from './data-envelope.js';
import { DataLink } from './data-link.js';
import { DataProducer } from './data-producer.js';
import { RTP_EXTENSION_URIS, RtpExtensionKind } from './outgoing-rtp.js';
import { type MediaKind, Producer } from './producer.js';
import { FEEDBACK_INTERVAL_MS, TransportBinding } from './transport-binding.js';
import {
  type TransportCertificate,
  WebRtcTransport,
  type WebRtcTransportOptions,
} from './webrtc-transport.js';

/** How to build a router. */
export interface RouterOptions {
  /** The worker's shared UDP sockets. */
  udp?: IceUdpMux[];
  /** The worker's shared passive ICE-TCP listeners. */
  tcp?: IceTcpMux[];
  /** The worker's DTLS certificate. */
  certificate: TransportCertificate;
  /** Codecs subscribers receive, with the payload types used towards them. Default ROUTER_CODECS. */
  codecs?: readonly RtpCodecParameters[];
  /** Most a publisher is asked to send per video track (REMB), bits/s. Default 2.5 Mbit/s. */
  maxIncomingBitrate?: number;
  /** Mean interval of the server's RTCP reports, ms. Default 1000. */
  rtcpIntervalMs?: number;
  /** Interval of audio level reports, ms. Default 800. */
  audioLevelIntervalMs?: number;
}

/** Events of a {@link Router}. */
export interface RouterEvents {
  /** The loudest producers of the last interval, loudest first; [] once everyone went quiet. */
  audiolevels: [volumes: AudioLevelVolume[]];
  /** The dominant speaker changed (a producer id), or undefined when they left. */
  activespeaker: [producerId: string | undefined];
  close: [];
}

/** What produce() takes. */
export interface ProduceOptions {
  kind: MediaKind;
  rtpParameters: RtpParameters;
  paused?: boolean;
  appData?: Record<string, unknown>;
}

/** What consume() takes. */
export interface ConsumeOptions {
  /** The producer to consume. */
  producerId: string;
  /** The mid of the subscriber's media section; may be assigned later (Consumer.assignMid). */
  mid?: string;
  /** Header extensions offered to the subscriber; the router's defaults for the kind when absent. */
  headerExtensions?: readonly RtpHeaderExtensionParameters[];
  paused?: boolean;
  appData?: Record<string, unknown>;
}

/** The data side of a new transport (an `sfu` room participant's data channels). */
export interface TransportDataOptions {
  /** Who is at the other end: the `from` of what they send, the name `to` lists match. */
  participantId: string;
  /** Our a=max-message-size. Default 256 KiB. */
  maxMessageSize?: number;
}

/** A message from the server itself (the admin API) to the room's participants. */
export interface ServerDataMessage {
  topic?: string;
  /** Recipients by participant id; everyone when absent. */
  to?: readonly string[];
  payload: IncomingEnvelope['payload'];
  /** The lossy channel instead of the reliable one. */
  lossy?: boolean;
}

/** Default REMB cap per video track. */
const DEFAULT_MAX_INCOMING_BITRATE = 2_500_000;

/** URI of the transport-wide sequence number extension, which the router neither reads nor writes. */
const TRANSPORT_WIDE_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/**
 * Bandwidth estimation runs on REMB (receiver-side, from abs-send-time), not
 * transport-wide CC: the router sends no transport feedback, so it must not
 * negotiate it either, or senders would wait for feedback that never comes.
 */
export const ROUTER_HEADER_EXTENSIONS: Readonly<Record<MediaKind, readonly RtpHeaderExtensionParameters[]>> =
  {
    audio: SUBSCRIBE_HEADER_EXTENSIONS.audio.filter((extension) => extension.uri !== TRANSPORT_WIDE_CC_URI),
    video: SUBSCRIBE_HEADER_EXTENSIONS.video.filter((extension) => extension.uri !== TRANSPORT_WIDE_CC_URI),
  };

/** Header extension URIs to accept from publishers (createAnswer's headerExtensions): all but transport-wide CC. */
export const PUBLISH_HEADER_EXTENSION_URIS: readonly string[] = DEFAULT_HEADER_EXTENSIONS.filter(
  (uri) => uri !== TRANSPORT_WIDE_CC_URI,
);

/** A codec list without transport-cc feedback (see ROUTER_HEADER_EXTENSIONS). */
function withoutTransportCc(codecs: readonly RtpCodecParameters[]): RtpCodecParameters[] {
  return codecs.map((codec) => ({
    ...codec,
    rtcpFeedback: codec.rtcpFeedback.filter((feedback) => feedback.type !== 'transport-cc'),
  }));
}

/** One room's media. */
export class Router extends EventEmitter<RouterEvents> {
  /** Unique id. */
  readonly id = randomUUID();
  readonly #options: RouterOptions;
  readonly #codecs: readonly RtpCodecParameters[];
  readonly #bindings = new Map<string, TransportBinding>();
  readonly #producers = new Map<string, Producer>();
  readonly #consumers = new Map<string, Consumer>();
  /** Consumer → the binding it sends on, for bitrate lookups. */
  readonly #consumerBinding = new Map<Consumer, TransportBinding>();
  readonly #audioLevels: AudioLevelObserver;
  readonly #activeSpeaker = new ActiveSpeakerDetector();
  /** Data links by transport id. */
  readonly #dataLinks = new Map<string, DataLink>();
  readonly #dataProducers = new Map<string, DataProducer>();
  readonly #dataConsumers = new Map<string, DataConsumer>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RouterOptions) {
    super();
    this.#options = options;
    this.#codecs = withoutTransportCc(options.codecs ?? ROUTER_CODECS);
    this.#audioLevels = new AudioLevelObserver({ intervalMs: options.audioLevelIntervalMs, maxEntries: 10 });
    this.#timer = setInterval(() => this.#tick(), FEEDBACK_INTERVAL_MS);
    this.#timer.unref();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Codecs subscribers receive. */
  get codecs(): readonly RtpCodecParameters[] {
    return this.#codecs;
  }

  /** A producer by id. */
  getProducer(id: string): Producer | undefined {
    return this.#producers.get(id);
  }

  /** A consumer by id. */
  getConsumer(id: string): Consumer | undefined {
    return this.#consumers.get(id);
  }

  /** Live producers. */
  get producers(): IterableIterator<Producer> {
    return this.#producers.values();
  }

  /** A data producer by id. */
  getDataProducer(id: string): DataProducer | undefined {
    return this.#dataProducers.get(id);
  }

  /** The data link of a transport created with `data`. */
  dataLink(transport: WebRtcTransport): DataLink | undefined {
    return this.#dataLinks.get(transport.id);
  }

  /**
   * A new WebRTC transport on the worker's sockets; it closes with the
   * router. With `data`, it carries the participant's data channels: the
   * server opens them once connect() is called (they come up with SCTP).
   */
  createWebRtcTransport(
    options: Pick<WebRtcTransportOptions, 'consentTimeoutMs' | 'dtlsTimeoutMs' | 'srtpProfiles'> & {
      data?: TransportDataOptions;
    } = {},
  ): WebRtcTransport {
    this.#assertOpen();
    const { data, ...transportOptions } = options;
    const transport = new WebRtcTransport({
      udp: this.#options.udp,
      tcp: this.#options.tcp,
      certificate: this.#options.certificate,
      ...transportOptions,
      ...(data ? { dataChannels: { maxMessageSize: data.maxMessageSize } } : {}),
    });
    if (data) {
      const link = new DataLink(data.participantId);
      this.#dataLinks.set(transport.id, link);
      // connect() builds the association and then reports DTLS `connecting`.
      transport.on('dtlsstatechange', () => {
        const manager = transport.dataChannels;
        const association = transport.sctpAssociation;
        if (manager && association) link.attach(manager, association);
      });
    }
    const binding = new TransportBinding(transport, {
      maxIncomingBitrate: this.#options.maxIncomingBitrate ?? DEFAULT_MAX_INCOMING_BITRATE,
      rtcpIntervalMs: this.#options.rtcpIntervalMs ?? 1000,
      bitrateOf: (producer) => this.#bitrateFor(producer),
    });
    this.#bindings.set(transport.id, binding);
    // Video consumers created before the subscriber could receive start on a fresh keyframe.
    // And again when the path settles: packets sent before it may have had nowhere to go.
    const refresh = () => {
      for (const consumer of binding.consumers) consumer.requestKeyframe();
    };
    transport.on('connected', refresh);
    transport.on('iceselectedtuplechange', refresh);
    transport.once('close', () => {
      this.#bindings.delete(transport.id);
      const link = this.#dataLinks.get(transport.id);
      if (link) {
        this.#dataLinks.delete(transport.id);
        for (const dataProducer of [...this.#dataProducers.values()])
          if (dataProducer.link === link) dataProducer.close();
        for (const dataConsumer of [...this.#dataConsumers.values()])
          if (dataConsumer.link === link) dataConsumer.close();
      }
      for (const producer of [...binding.producers]) producer.close();
      for (const consumer of [...binding.consumers]) consumer.close();
    });
    return transport;
  }

  /** Starts receiving a track the transport's peer publishes. */
  produce(transport: WebRtcTransport, options: ProduceOptions): Producer {
    this.#assertOpen();
    const binding = this.#binding(transport);
    const producer = new Producer({
      kind: options.kind,
      rtpParameters: options.rtpParameters,
      paused: options.paused,
      appData: options.appData,
      uplink: { requestKeyframe: (mediaSsrc) => binding.sendPictureLossIndication(mediaSsrc) },
    });
    const mid = options.rtpParameters.headerExtensions.find(
      (extension) => RTP_EXTENSION_URIS[extension.uri] === RtpExtensionKind.Mid,
    );
    binding.addProducer(producer, mid?.id);
    this.#producers.set(producer.id, producer);
    if (producer.kind === 'audio') {
      producer.on('audiolevel', (level, nowMs) => {
        this.#audioLevels.addLevel(producer.id, level, nowMs);
        this.#activeSpeaker.addLevel(producer.id, level, nowMs);
      });
    }
    producer.once('close', () => {
      this.#producers.delete(producer.id);
      this.#audioLevels.removeProducer(producer.id);
      if (this.#activeSpeaker.removeProducer(producer.id)) {
        this.emit('activespeaker', this.#activeSpeaker.dominantSpeaker);
      }
    });
    return producer;
  }

  /**
   * Starts sending a producer's track to the transport's peer, in the
   * router's codecs and on new SSRCs. Video starts at the next keyframe,
   * which is requested now.
   */
  consume(transport: WebRtcTransport, options: ConsumeOptions): Consumer {
    this.#assertOpen();
    const binding = this.#binding(transport);
    const producer = this.#producers.get(options.producerId);
    if (!producer) throw new Error(`no producer ${options.producerId}`);
    const parameters = consumerRtpParameters(producer.rtpParameters, this.#codecs, {
      headerExtensions: options.headerExtensions ?? ROUTER_HEADER_EXTENSIONS[producer.kind],
    });
    if (!parameters.ok) throw parameters.error;
    const rtpParameters = { ...parameters.value.rtpParameters, mid: options.mid };
    const consumer = new Consumer({
      producer,
      rtpParameters,
      payloadTypes: parameters.value.payloadTypes,
      downlink: transport,
      paused: options.paused,
      appData: options.appData,
    });
    binding.addConsumer(consumer);
    this.#consumers.set(consumer.id, consumer);
    this.#consumerBinding.set(consumer, binding);
    consumer.once('close', () => {
      this.#consumers.delete(consumer.id);
      this.#consumerBinding.delete(consumer);
    });
    consumer.requestKeyframe();
    return consumer;
  }

  /**
   * Starts taking the messages the transport's participant sends on its
   * data channels (the transport must have been created with `data`); one
   * data producer per transport.
   */
  produceData(transport: WebRtcTransport, options: { appData?: Record<string, unknown> } = {}): DataProducer {
    this.#assertOpen();
    const link = this.#dataLinks.get(transport.id);
    if (!link) throw new TypeError('the transport carries no data channels');
    for (const existing of this.#dataProducers.values())
      if (existing.link === link) throw new TypeError('the transport already has a data producer');
    const dataProducer = new DataProducer(link, options.appData);
    this.#dataProducers.set(dataProducer.id, dataProducer);
    dataProducer.once('close', () => this.#dataProducers.delete(dataProducer.id));
    return dataProducer;
  }

  /** Starts delivering a data producer's messages to the transport's participant. */
  consumeData(
    transport: WebRtcTransport,
    options: { dataProducerId: string; appData?: Record<string, unknown> },
  ): DataConsumer {
    this.#assertOpen();
    const link = this.#dataLinks.get(transport.id);
    if (!link) throw new TypeError('the transport carries no data channels');
    const dataProducer = this.#dataProducers.get(options.dataProducerId);
    if (!dataProducer) throw new Error(`no data producer ${options.dataProducerId}`);
    if (dataProducer.link === link) throw new TypeError('a participant does not consume its own data');
    const dataConsumer = new DataConsumer(dataProducer, link, options.appData);
    this.#dataConsumers.set(dataConsumer.id, dataConsumer);
    dataConsumer.once('close', () => this.#dataConsumers.delete(dataConsumer.id));
    return dataConsumer;
  }

  /**
   * Sends a message from the server (`from: null`) to the participants it
   * names, or to all; returns those whose channel took it. The others (no
   * open channel yet) are the caller's to reach another way.
   */
  sendData(message: ServerDataMessage): string[] {
    this.#assertOpen();
    const out = encodeOutgoingEnvelope({ from: null, topic: message.topic, payload: message.payload });
    const to = message.to === undefined ? undefined : new Set(message.to);
    const delivered: string[] = [];
    for (const link of this.#dataLinks.values()) {
      if (to !== undefined && !to.has(link.participantId)) continue;
      if (link.send(out, message.lossy ? 'lossy' : 'reliable')) delivered.push(link.participantId);
    }
    return delivered;
  }

  /** Closes every transport (and so every producer and consumer); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const binding of [...this.#bindings.values()]) binding.transport.close();
    for (const producer of [...this.#producers.values()]) producer.close();
    this.emit('close');
  }

  /** The least any subscriber of the producer can take, bits/s; Infinity with no estimate. */
  #bitrateFor(producer: Producer): number {
    let bitrate = Number.POSITIVE_INFINITY;
    for (const [consumer, binding] of this.#consumerBinding) {
      if (consumer.producer !== producer || consumer.paused) continue;
      const share = binding.consumerBitrate(consumer);
      if (share !== undefined && share < bitrate) bitrate = share;
    }
    return bitrate;
  }

  #tick(): void {
    const nowMs = Date.now();
    for (const binding of this.#bindings.values()) binding.tick(nowMs);
    const volumes = this.#audioLevels.poll(nowMs);
    if (volumes) this.emit('audiolevels', volumes);
    if (this.#activeSpeaker.poll(nowMs)) this.emit('activespeaker', this.#activeSpeaker.dominantSpeaker);
  }

  #binding(transport: WebRtcTransport): TransportBinding {
    const binding = this.#bindings.get(transport.id);
    if (!binding) throw new Error('the transport does not belong to this router');
    return binding;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('router closed');
  }
}
