/**
 * The media server behind `sfu` rooms: one router per room, placed on the
 * least loaded media worker, and per participant a publish transport (the
 * client offers, we answer and create a producer per track) and a subscribe
 * transport (we offer one section per track of the others and renegotiate
 * as tracks come and go). The subscribe transport also carries the room's
 * data channels: every member with the data grant has a data producer there,
 * and every member consumes the others' (src/media/data-link.ts).
 *
 * This is where signaling meets the media engine (src/signaling/sfu.ts is
 * the interface signaling sees). SDP stays in this thread; the workers get
 * plain RTP parameters through their message API. Each participant's
 * operations run one at a time, in order, so that its subscribe SDP state
 * never sees two changes interleaved.
 */

import { PUBLISH_HEADER_EXTENSION_URIS } from '../media/router.js';
import type { MediaWorker } from '../media/worker.js';
import { MediaWorkerError } from '../media/worker-errors.js';
import type { MediaWorkerPool } from '../media/worker-pool.js';
import type { MediaEvent, TransportCreateResult } from '../media/worker-protocol.js';
import {
  answerPublishOffer,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseSdp,
  SubscribeSdpState,
} from '../sdp/index.js';
import type { SubscribedTrack, TrackInfo, TrackSource } from '../signaling/protocol.js';
import {
  SfuError,
  type SfuParticipant,
  type SfuParticipantSink,
  type SfuRoom,
  type SfuRoomSink,
  type SfuService,
} from '../signaling/sfu.js';
import type { Log } from '../util/log.js';

/** The workers the rooms run on. */
export interface SfuServiceOptions {
  pool: MediaWorkerPool;
  log: Log;
  /** Most a publisher is asked to send per video track, bits/s. */
  maxIncomingBitrate?: number;
  /** A transport without a valid ICE check this long closes (RFC 7675); half of it is `disconnected`. Default 30 s. */
  consentTimeoutMs?: number;
}

/** Our a=max-message-size on the data channels. */
const DATA_MAX_MESSAGE_SIZE = 256 * 1024;

/** A member's grants. */
interface Grants {
  publish: boolean;
  subscribe: boolean;
  data: boolean;
}

/** How long the server waits for a subscribe answer before offering again. */
const SUBSCRIBE_ANSWER_TIMEOUT_MS = 10_000;

/** A producer as the room knows it. */
export interface ProducerRecord {
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  /** Muted by its participant: nothing is forwarded. */
  paused: boolean;
}

/** Recorder events of the room's router. */
export type RecorderEvent = Extract<MediaEvent, { type: 'recorder.failed' | 'recorder.close' }>;

/** What happens in a room's media, for the recording service. */
export interface SfuRoomObserver {
  producerAdded?(producer: ProducerRecord): void;
  producerRemoved?(producerId: string): void;
  /** A producer was muted or unmuted (its `paused` says which). */
  producerPaused?(producer: ProducerRecord): void;
  memberJoined?(participantId: string): void;
  memberLeft?(participantId: string): void;
  recorderEvent?(event: RecorderEvent): void;
  closed?(): void;
}

/** A room's media as the recording service sees it. */
export interface ObservableSfuRoom {
  readonly name: string;
  readonly producers: ReadonlyMap<string, ProducerRecord>;
  readonly members: ReadonlyMap<string, unknown>;
  readonly ready: Promise<{ worker: MediaWorker; routerId: string }>;
  readonly closed: boolean;
  /** Adds an observer; returns the function that removes it. */
  observe(observer: SfuRoomObserver): () => void;
}

/** The SFU on a pool of media workers. */
export class WorkerSfuService implements SfuService {
  readonly #options: SfuServiceOptions;
  readonly #rooms = new Map<string, WorkerSfuRoom>();
  /** Rooms by router id, for the workers' events. */
  readonly #byRouter = new Map<string, WorkerSfuRoom>();
  readonly #roomListeners = new Set<(room: ObservableSfuRoom) => void>();

  constructor(options: SfuServiceOptions) {
    this.#options = options;
    for (const worker of options.pool.workers) {
      worker.on('event', (event) => this.#onEvent(event));
    }
    options.pool.on('workerdied', (_worker, error, routerIds) => {
      options.log.error(
        { err: error, routers: routerIds.length },
        'a media worker died: its rooms lose their media',
      );
      for (const routerId of routerIds) this.#byRouter.get(routerId)?.close();
    });
  }

  room(name: string, sink: SfuRoomSink): SfuRoom {
    let room = this.#rooms.get(name);
    if (!room || room.closed) {
      room = new WorkerSfuRoom(name, this.#options, sink, {
        placed: (routerId) => this.#byRouter.set(routerId, room as WorkerSfuRoom),
        closed: (routerId) => {
          this.#rooms.delete(name);
          if (routerId !== undefined) this.#byRouter.delete(routerId);
        },
      });
      this.#rooms.set(name, room);
      for (const listener of this.#roomListeners) listener(room);
    }
    return room;
  }

  /** A room's media, when it has any. */
  mediaRoom(name: string): ObservableSfuRoom | undefined {
    const room = this.#rooms.get(name);
    return room && !room.closed ? room : undefined;
  }

  /** Calls `listener` with each room's media as it is created; returns the function that stops it. */
  onRoom(listener: (room: ObservableSfuRoom) => void): () => void {
    this.#roomListeners.add(listener);
    return () => this.#roomListeners.delete(listener);
  }

  /** Rooms with media now. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Closes every room. */
  close(): void {
    for (const room of [...this.#rooms.values()]) room.close();
  }

  #onEvent(event: MediaEvent): void {
    if ('routerId' in event) this.#byRouter.get(event.routerId)?.onEvent(event);
    else if (event.type === 'transport.icestatechange') {
      // Rare, and without a router id: every room looks for its transport.
      for (const room of this.#rooms.values()) room.onEvent(event);
    }
  }
}

/** One room's router and members. */
class WorkerSfuRoom implements SfuRoom, ObservableSfuRoom {
  readonly name: string;
  readonly sink: SfuRoomSink;
  readonly log: Log;
  readonly consentTimeoutMs: number | undefined;
  readonly members = new Map<string, Member>();
  readonly producers = new Map<string, ProducerRecord>();
  /** The router once placed; every member operation waits for it. */
  readonly ready: Promise<{ worker: MediaWorker; routerId: string }>;
  closed = false;
  #routerId: string | undefined;
  #worker: MediaWorker | undefined;
  readonly #hooks: { placed: (routerId: string) => void; closed: (routerId: string | undefined) => void };
  readonly #observers = new Set<SfuRoomObserver>();

  constructor(
    name: string,
    options: SfuServiceOptions,
    sink: SfuRoomSink,
    hooks: { placed: (routerId: string) => void; closed: (routerId: string | undefined) => void },
  ) {
    this.name = name;
    this.sink = sink;
    this.log = options.log;
    this.consentTimeoutMs = options.consentTimeoutMs;
    this.#hooks = hooks;
    this.ready = options.pool
      .createRouter({ maxIncomingBitrate: options.maxIncomingBitrate })
      .then((placed) => {
        this.#routerId = placed.routerId;
        this.#worker = placed.worker;
        hooks.placed(placed.routerId);
        if (this.closed) void placed.worker.closeRouter(placed.routerId).catch(() => {});
        return placed;
      });
    // A failure is reported by whichever operation awaits `ready`.
    this.ready.catch(() => {});
  }

  observe(observer: SfuRoomObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Tells every observer; one that throws does not stop the others. */
  #notify(call: (observer: SfuRoomObserver) => void): void {
    for (const observer of [...this.#observers]) {
      try {
        call(observer);
      } catch (error) {
        this.log.error({ err: error, room: this.name }, 'a room observer failed');
      }
    }
  }

  join(participant: { id: string; grants: Grants }, sink: SfuParticipantSink): SfuParticipant {
    if (this.closed) throw new SfuError('negotiation_failed', 'the room is closed');
    this.members.get(participant.id)?.close();
    const member = new Member(this, participant.id, participant.grants, sink);
    this.members.set(participant.id, member);
    if (participant.grants.subscribe) {
      for (const producer of this.producers.values()) member.consume(producer);
    }
    this.#notify((observer) => observer.memberJoined?.(participant.id));
    return member;
  }

  /** A member's data producer: every other member with data channels consumes it. */
  dataPublished(from: Member, dataProducerId: string): void {
    for (const member of this.members.values()) {
      if (member !== from) member.consumeData(dataProducerId);
    }
  }

  /** The data producers of the members but one. */
  dataProducersBut(member: Member): string[] {
    const ids: string[] = [];
    for (const other of this.members.values()) {
      if (other !== member && other.dataProducerId !== undefined) ids.push(other.dataProducerId);
    }
    return ids;
  }

  async sendData(message: { to?: string[]; topic?: string; payload: unknown }): Promise<string[]> {
    if (this.closed) return [];
    const { worker, routerId } = await this.ready;
    return worker.sendData(routerId, {
      ...(message.to === undefined ? {} : { to: message.to }),
      ...(message.topic === undefined ? {} : { topic: message.topic }),
      payload: { kind: 'json', text: JSON.stringify(message.payload ?? null) },
    });
  }

  /** A member's new track: every other member that may subscribe consumes it. */
  published(record: ProducerRecord): void {
    this.producers.set(record.producerId, record);
    for (const member of this.members.values()) {
      if (member.id !== record.participantId && member.grants.subscribe) member.consume(record);
    }
    this.#notify((observer) => observer.producerAdded?.(record));
  }

  /** A member muted or unmuted a track. */
  producerPaused(producerId: string, paused: boolean): void {
    const record = this.producers.get(producerId);
    if (!record || record.paused === paused) return;
    record.paused = paused;
    this.#notify((observer) => observer.producerPaused?.(record));
  }

  /** Events of this room's router and its objects. */
  onEvent(event: MediaEvent): void {
    switch (event.type) {
      case 'router.activespeaker': {
        const producer = event.producerId === undefined ? undefined : this.producers.get(event.producerId);
        this.sink.activeSpeaker(producer?.participantId ?? null);
        return;
      }
      case 'dataproducer.close':
        for (const member of this.members.values()) member.dataProducerClosed(event.dataProducerId);
        return;
      case 'producer.close':
        this.producers.delete(event.producerId);
        for (const member of this.members.values()) member.producerClosed(event.producerId);
        this.#notify((observer) => observer.producerRemoved?.(event.producerId));
        return;
      case 'recorder.failed':
      case 'recorder.close':
        this.#notify((observer) => observer.recorderEvent?.(event));
        return;
      case 'consumer.close':
      case 'transport.close':
      case 'transport.icestatechange':
        for (const member of this.members.values()) member.onEvent(event);
        return;
      case 'router.close':
        this.close();
        return;
      default:
        return;
    }
  }

  left(member: Member): void {
    if (this.members.get(member.id) !== member) return;
    this.members.delete(member.id);
    this.#notify((observer) => observer.memberLeft?.(member.id));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // First, so that recordings are stopped (files finished, summaries answered) before the router goes.
    this.#notify((observer) => observer.closed?.());
    for (const member of [...this.members.values()]) member.close();
    if (this.#worker && this.#routerId !== undefined)
      void this.#worker.closeRouter(this.#routerId).catch(() => {});
    this.#hooks.closed(this.#routerId);
  }
}

/** What a member publishes on one mid. */
interface Published {
  producerId: string;
  info: TrackInfo;
}

/** A consumer as its member knows it. */
interface ConsumerRecord {
  consumerId: string;
  track: SubscribedTrack;
}

/** One participant's transports, tracks and subscriptions. */
class Member implements SfuParticipant {
  readonly id: string;
  readonly grants: Grants;
  /** What it sends on its data channels, with the data grant. */
  dataProducerId: string | undefined;
  /** Published tracks by mid of the publish connection. */
  readonly published = new Map<string, Published>();
  readonly #room: WorkerSfuRoom;
  readonly #sink: SfuParticipantSink;
  /** Operations run in order, one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  #publishTransport: TransportCreateResult | undefined;
  #publishRemoteUfrag: string | undefined;
  #subscribe: { transport: TransportCreateResult; state: SubscribeSdpState } | undefined;
  #subscribeConnected = false;
  /** Consumers by producer id. */
  readonly #consumers = new Map<string, ConsumerRecord>();
  /** Data consumers by data producer id. */
  readonly #dataConsumers = new Set<string>();
  #offerInFlight = false;
  #offerTimer: NodeJS.Timeout | undefined;
  #offerScheduled = false;
  readonly #muted = { audio: false, video: false };
  #closed = false;

  constructor(room: WorkerSfuRoom, id: string, grants: Grants, sink: SfuParticipantSink) {
    this.#room = room;
    this.id = id;
    this.grants = grants;
    this.#sink = sink;
    if (grants.subscribe) {
      this.#run(async ({ worker, routerId }) => {
        const transport = await worker.createWebRtcTransport(routerId, {
          ...this.#transportOptions(),
          data: { participantId: id, maxMessageSize: DATA_MAX_MESSAGE_SIZE },
        });
        const state = new SubscribeSdpState({
          transport: {
            iceParameters: transport.iceParameters,
            candidates: transport.iceCandidates,
            fingerprint: { algorithm: 'sha-256', value: transport.dtlsFingerprint.value },
          },
        });
        // The data channels' section comes first, so the first offer goes out at once.
        state.addDataChannel({ maxMessageSize: transport.sctp?.maxMessageSize ?? DATA_MAX_MESSAGE_SIZE });
        this.#subscribe = { transport, state };
        if (grants.data) {
          this.dataProducerId = await worker.produceData(transport.transportId, { participantId: id });
          this.#room.dataPublished(this, this.dataProducerId);
        }
        for (const dataProducerId of this.#room.dataProducersBut(this)) this.consumeData(dataProducerId);
        this.#scheduleOffer();
      }).catch((error: unknown) =>
        this.#room.log.warn({ err: error, participant: id }, 'no subscribe transport'),
      );
    }
  }

  #transportOptions(): { consentTimeoutMs?: number } {
    const consentTimeoutMs = this.#room.consentTimeoutMs;
    return consentTimeoutMs === undefined ? {} : { consentTimeoutMs };
  }

  /** Queues an operation after the previous ones; rejects with its error. */
  #run<T>(work: (router: { worker: MediaWorker; routerId: string }) => Promise<T>): Promise<T> {
    const result = this.#queue.then(async () => {
      if (this.#closed) throw new SfuError('negotiation_failed', 'the participant left');
      return work(await this.#room.ready);
    });
    this.#queue = result.catch(() => {});
    return result;
  }

  publish(
    sdp: string,
    sources: ReadonlyArray<{ mid: string; source: TrackSource }>,
  ): Promise<{ sdp: string; tracks: TrackInfo[] }> {
    if (!this.grants.publish)
      return Promise.reject(new SfuError('permission_denied', 'the token does not grant publishing'));
    return this.#run(({ worker, routerId }) => this.#publish(worker, routerId, sdp, sources));
  }

  async #publish(
    worker: MediaWorker,
    routerId: string,
    sdp: string,
    sources: ReadonlyArray<{ mid: string; source: TrackSource }>,
  ): Promise<{ sdp: string; tracks: TrackInfo[] }> {
    const parsed = parseSdp(sdp);
    if (!parsed.ok) throw new SfuError('negotiation_failed', `publish offer: ${parsed.error.message}`);
    const offer = parsed.value;
    const remoteIce = iceParametersFromDescription(offer);
    const remoteFingerprint = fingerprintFromDescription(offer);
    if (!remoteIce || !remoteFingerprint)
      throw new SfuError('negotiation_failed', 'publish offer without ICE credentials or fingerprint');
    const remote = { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password };

    let transport = this.#publishTransport;
    if (!transport) {
      transport = await worker.createWebRtcTransport(routerId, this.#transportOptions());
      this.#publishTransport = transport;
      await worker.connectWebRtcTransport(transport.transportId, {
        ice: remote,
        dtls: { role: 'server', fingerprints: [remoteFingerprint] },
      });
    } else if (remote.usernameFragment !== this.#publishRemoteUfrag) {
      // RFC 8839 §4.4.1.1.1: new remote credentials are an ICE restart.
      const iceParameters = await worker.restartIce(transport.transportId, remote);
      transport = { ...transport, iceParameters };
      this.#publishTransport = transport;
    }
    this.#publishRemoteUfrag = remote.usernameFragment;

    const answer = answerPublishOffer(offer, {
      iceParameters: transport.iceParameters,
      candidates: transport.iceCandidates,
      fingerprint: { algorithm: 'sha-256', value: transport.dtlsFingerprint.value },
      headerExtensions: PUBLISH_HEADER_EXTENSION_URIS,
    });
    if (!answer.ok) throw new SfuError('negotiation_failed', `publish offer: ${answer.error.message}`);

    const sending = new Set<string>();
    for (const media of answer.value.sending) {
      sending.add(media.mid);
      if (this.published.has(media.mid)) continue;
      const source = sources.find((entry) => entry.mid === media.mid)?.source ?? 'unknown';
      const muted = this.#muted[media.kind];
      let producerId: string;
      try {
        ({ producerId } = await worker.produce(transport.transportId, {
          kind: media.kind,
          rtpParameters: media.rtpParameters,
          paused: muted,
          appData: { participantId: this.id, source },
        }));
      } catch (error) {
        throw new SfuError(
          'negotiation_failed',
          `cannot receive ${media.kind} on mid ${media.mid}: ${String(error)}`,
        );
      }
      const info: TrackInfo = { id: producerId, kind: media.kind, source, muted };
      this.published.set(media.mid, { producerId, info });
      this.#room.sink.trackPublished(this.id, { ...info });
      this.#room.published({ producerId, participantId: this.id, kind: media.kind, source, paused: muted });
    }
    // Sections the client stopped sending on: their tracks are unpublished.
    for (const [mid, published] of [...this.published]) {
      if (!sending.has(mid)) await this.#unpublish(worker, mid, published);
    }
    return {
      sdp: answer.value.sdp,
      tracks: [...this.published.values()].map((published) => ({ ...published.info })),
    };
  }

  async #unpublish(worker: MediaWorker, mid: string, published: Published): Promise<void> {
    this.published.delete(mid);
    this.#room.sink.trackUnpublished(this.id, published.info.id);
    await worker.closeProducer(published.producerId).catch(() => {});
  }

  /** Consumes another member's producer; the next subscribe offer carries it. */
  consume(producer: ProducerRecord): void {
    this.#run(async ({ worker }) => {
      const subscribe = this.#subscribe;
      if (!subscribe || this.#consumers.has(producer.producerId)) return;
      if (!this.#room.producers.has(producer.producerId)) return; // closed meanwhile
      const consumer = await worker.consume(subscribe.transport.transportId, {
        producerId: producer.producerId,
      });
      const mid = subscribe.state.addConsumer(consumer.rtpParameters, {
        streamId: producer.participantId,
        trackId: producer.producerId,
      });
      await worker.assignConsumerMid(consumer.consumerId, mid);
      this.#consumers.set(producer.producerId, {
        consumerId: consumer.consumerId,
        track: {
          mid,
          participantId: producer.participantId,
          trackId: producer.producerId,
          kind: producer.kind,
          source: producer.source,
        },
      });
      this.#scheduleOffer();
    }).catch((error: unknown) => {
      if (!this.#closed) this.#room.log.warn({ err: error, participant: this.id }, 'cannot consume a track');
    });
  }

  /** Receives another member's data on this member's data channels. */
  consumeData(dataProducerId: string): void {
    this.#run(async ({ worker }) => {
      const subscribe = this.#subscribe;
      if (!subscribe || this.#dataConsumers.has(dataProducerId)) return;
      this.#dataConsumers.add(dataProducerId);
      await worker.consumeData(subscribe.transport.transportId, dataProducerId);
    }).catch((error: unknown) => {
      // The sender left meanwhile: nothing to receive.
      this.#dataConsumers.delete(dataProducerId);
      if (!this.#closed && !(error instanceof MediaWorkerError && error.code === 'ERR_MEDIA_NOT_FOUND'))
        this.#room.log.warn({ err: error, participant: this.id }, 'cannot receive data');
    });
  }

  /** A data producer of the room closed. */
  dataProducerClosed(dataProducerId: string): void {
    this.#dataConsumers.delete(dataProducerId);
  }

  /** A producer of the room closed: its consumer here closes with it (the event follows). */
  producerClosed(producerId: string): void {
    this.#dropConsumer(producerId);
  }

  onEvent(event: MediaEvent): void {
    if (event.type === 'consumer.close') {
      this.#dropConsumer(event.producerId, event.consumerId);
    } else if (event.type === 'transport.close') {
      if (this.#publishTransport?.transportId === event.transportId && event.reason.cause !== 'local') {
        this.#room.log.info({ participant: this.id, reason: event.reason }, 'publish transport closed');
      }
    } else if (event.type === 'transport.icestatechange' && event.state === 'disconnected') {
      if (this.#subscribe?.transport.transportId === event.transportId) this.#restartSubscribeIce();
    }
  }

  /**
   * The subscriber stopped answering consent checks (RFC 7675): we are the
   * offerer of that connection, so we restart ICE (new credentials in a new
   * offer), which lets a client that moved networks come back on the same
   * transport. The publish side restarts from the client's own offer.
   */
  #restartSubscribeIce(): void {
    this.#run(async ({ worker }) => {
      const subscribe = this.#subscribe;
      if (!subscribe) return;
      const iceParameters = await worker.restartIce(subscribe.transport.transportId);
      subscribe.state.restartIce(iceParameters);
      this.#scheduleOffer();
    }).catch((error: unknown) => {
      if (!this.#closed)
        this.#room.log.warn({ err: error, participant: this.id }, 'subscribe ICE restart failed');
    });
  }

  #dropConsumer(producerId: string, consumerId?: string): void {
    const record = this.#consumers.get(producerId);
    if (!record || (consumerId !== undefined && record.consumerId !== consumerId)) return;
    this.#consumers.delete(producerId);
    if (this.#closed || !this.#subscribe) return;
    this.#subscribe.state.removeTrack(record.track.mid);
    this.#scheduleOffer();
  }

  /** Offers once per turn of the event loop however many tracks changed, and never two at once. */
  #scheduleOffer(): void {
    if (this.#offerScheduled || this.#closed) return;
    this.#offerScheduled = true;
    setImmediate(() => {
      this.#offerScheduled = false;
      this.#sendOffer();
    });
  }

  #sendOffer(): void {
    const subscribe = this.#subscribe;
    if (!subscribe || this.#closed || this.#offerInFlight || !subscribe.state.negotiationNeeded) return;
    const { sdp } = subscribe.state.createOffer();
    this.#offerInFlight = true;
    this.#offerTimer = setTimeout(() => {
      // No answer: forget this offer and make the next one (the client may have reloaded).
      this.#offerInFlight = false;
      subscribe.state.rollback();
      this.#scheduleOffer();
    }, SUBSCRIBE_ANSWER_TIMEOUT_MS);
    this.#offerTimer.unref();
    this.#sink.subscribeOffer(
      sdp,
      [...this.#consumers.values()].map((record) => ({ ...record.track })),
    );
  }

  subscribeAnswer(sdp: string): Promise<void> {
    if (!this.grants.subscribe)
      return Promise.reject(new SfuError('permission_denied', 'the token does not grant subscribing'));
    return this.#run(async ({ worker }) => {
      const subscribe = this.#subscribe;
      if (!subscribe || !this.#offerInFlight)
        throw new SfuError('negotiation_failed', 'no subscribe offer is waiting for an answer');
      const applied = subscribe.state.applyAnswer(sdp);
      if (!applied.ok) throw new SfuError('negotiation_failed', `subscribe answer: ${applied.error.message}`);
      clearTimeout(this.#offerTimer);
      this.#offerInFlight = false;
      const remote = applied.value.transport;
      if (!this.#subscribeConnected && remote) {
        this.#subscribeConnected = true;
        const application = applied.value.description.media.find(
          (section, index) => section.kind === 'application' && applied.value.sections[index]?.accepted,
        );
        await worker.connectWebRtcTransport(subscribe.transport.transportId, {
          ice: {
            usernameFragment: remote.iceParameters.usernameFragment,
            password: remote.iceParameters.password,
          },
          dtls: { role: remote.dtlsRole, fingerprints: [remote.fingerprint] },
          ...(application
            ? {
                sctp: {
                  ...(application.sctpPort === undefined ? {} : { port: application.sctpPort }),
                  ...(application.maxMessageSize === undefined
                    ? {}
                    : { maxMessageSize: application.maxMessageSize }),
                },
              }
            : {}),
        });
      }
      if (subscribe.state.negotiationNeeded) this.#scheduleOffer();
    });
  }

  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    this.#muted[kind] = muted;
    this.#run(async ({ worker }) => {
      for (const published of this.published.values()) {
        if (published.info.kind !== kind) continue;
        published.info.muted = muted;
        if (muted) await worker.pauseProducer(published.producerId);
        else await worker.resumeProducer(published.producerId);
        this.#room.producerPaused(published.producerId, muted);
      }
    }).catch(() => {});
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#offerTimer);
    for (const published of this.published.values())
      this.#room.sink.trackUnpublished(this.id, published.info.id);
    this.published.clear();
    // After whatever is running (a transport being created included): closing the transports
    // closes their producers and consumers in the worker.
    this.#queue = this.#queue
      .then(async () => {
        const { worker } = await this.#room.ready;
        for (const transportId of [
          this.#publishTransport?.transportId,
          this.#subscribe?.transport.transportId,
        ]) {
          if (transportId) await worker.closeTransport(transportId).catch(() => {});
        }
      })
      .catch(() => {});
    this.#room.left(this);
  }
}
