/**
 * The media server behind `sfu` rooms: one Router per room, and per
 * participant a publish transport (the client offers, we answer and create a
 * Producer per track) and a subscribe transport (we offer one section per
 * track of the others and renegotiate as tracks come and go).
 *
 * This is where signaling meets the media engine (src/signaling/sfu.ts is
 * the interface signaling sees); SDP is handled here so neither side has to.
 */
import type { IceTcpMux, IceUdpMux } from '../ice/index.js';
import type { Consumer } from '../media/consumer.js';
import type { Producer } from '../media/producer.js';
import { Router } from '../media/router.js';
import type { TransportCertificate, WebRtcTransport } from '../media/webrtc-transport.js';
import {
  createAnswer,
  DEFAULT_HEADER_EXTENSIONS,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseSdp,
  rtpParametersFromAnswer,
  SubscribeSdpState,
  writeSdp,
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

/** Sockets and certificate the rooms' transports share. */
export interface SfuServiceOptions {
  udp: IceUdpMux[];
  tcp?: IceTcpMux[];
  certificate: TransportCertificate;
  log: Log;
  /** Most a publisher is asked to send per video track, bits/s. */
  maxIncomingBitrate?: number;
}

/**
 * REMB, not transport-wide CC, carries bandwidth estimates through the
 * router (see ROUTER_HEADER_EXTENSIONS): publishers are not offered it.
 */
const PUBLISH_HEADER_EXTENSIONS = DEFAULT_HEADER_EXTENSIONS.filter(
  (uri) => !uri.includes('transport-wide-cc'),
);

/** How long the server waits for a subscribe answer before offering again. */
const SUBSCRIBE_ANSWER_TIMEOUT_MS = 10_000;

/** In-process SFU: routers on the given sockets. */
export class LocalSfuService implements SfuService {
  readonly #options: SfuServiceOptions;
  readonly #rooms = new Map<string, LocalSfuRoom>();

  constructor(options: SfuServiceOptions) {
    this.#options = options;
  }

  room(name: string, sink: SfuRoomSink): SfuRoom {
    let room = this.#rooms.get(name);
    if (!room || room.closed) {
      room = new LocalSfuRoom(name, this.#options, sink, () => this.#rooms.delete(name));
      this.#rooms.set(name, room);
    }
    return room;
  }

  /** Rooms with media now. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Closes every room. */
  close(): void {
    for (const room of [...this.#rooms.values()]) room.close();
  }
}

/** One room's router and members. */
class LocalSfuRoom implements SfuRoom {
  readonly name: string;
  readonly router: Router;
  readonly sink: SfuRoomSink;
  readonly log: Log;
  readonly members = new Map<string, Member>();
  closed = false;
  readonly #onClose: () => void;

  constructor(name: string, options: SfuServiceOptions, sink: SfuRoomSink, onClose: () => void) {
    this.name = name;
    this.sink = sink;
    this.log = options.log;
    this.#onClose = onClose;
    this.router = new Router({
      udp: options.udp,
      tcp: options.tcp,
      certificate: options.certificate,
      maxIncomingBitrate: options.maxIncomingBitrate,
    });
    this.router.on('activespeaker', (producerId) => {
      const producer = producerId === undefined ? undefined : this.router.getProducer(producerId);
      sink.activeSpeaker(producer ? String(producer.appData['participantId']) : null);
    });
  }

  join(
    participant: { id: string; grants: { publish: boolean; subscribe: boolean } },
    sink: SfuParticipantSink,
  ): SfuParticipant {
    if (this.closed) throw new SfuError('negotiation_failed', 'the room is closed');
    this.members.get(participant.id)?.close();
    const member = new Member(this, participant.id, participant.grants, sink);
    this.members.set(participant.id, member);
    if (participant.grants.subscribe) {
      for (const other of this.members.values()) {
        if (other === member) continue;
        for (const published of other.published.values()) member.consume(published.producer);
      }
    }
    return member;
  }

  /** A member's new track: every other member that may subscribe consumes it. */
  published(member: Member, producer: Producer): void {
    for (const other of this.members.values()) {
      if (other !== member && other.grants.subscribe) other.consume(producer);
    }
  }

  left(member: Member): void {
    if (this.members.get(member.id) === member) this.members.delete(member.id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const member of [...this.members.values()]) member.close();
    this.router.close();
    this.#onClose();
  }
}

/** What a member publishes on one mid. */
interface Published {
  producer: Producer;
  info: TrackInfo;
}

/** One participant's transports, tracks and subscriptions. */
class Member implements SfuParticipant {
  readonly id: string;
  readonly grants: { publish: boolean; subscribe: boolean };
  /** Published tracks by mid of the publish connection. */
  readonly published = new Map<string, Published>();
  readonly #room: LocalSfuRoom;
  readonly #sink: SfuParticipantSink;
  #publishTransport: WebRtcTransport | undefined;
  #publishRemoteUfrag: string | undefined;
  #subscribeTransport: WebRtcTransport | undefined;
  #subscribeState: SubscribeSdpState | undefined;
  #subscribeConnected = false;
  readonly #consumers = new Map<Consumer, SubscribedTrack>();
  #offerInFlight = false;
  #offerTimer: NodeJS.Timeout | undefined;
  #offerScheduled = false;
  readonly #muted = { audio: false, video: false };
  #closed = false;

  constructor(
    room: LocalSfuRoom,
    id: string,
    grants: { publish: boolean; subscribe: boolean },
    sink: SfuParticipantSink,
  ) {
    this.#room = room;
    this.id = id;
    this.grants = grants;
    this.#sink = sink;
    if (grants.subscribe) {
      const transport = room.router.createWebRtcTransport();
      this.#subscribeTransport = transport;
      this.#subscribeState = new SubscribeSdpState({
        transport: {
          iceParameters: transport.iceParameters,
          candidates: transport.iceCandidateLines,
          fingerprint: { algorithm: 'sha-256', value: transport.localFingerprint.value },
        },
      });
    }
  }

  async publish(
    sdp: string,
    sources: ReadonlyArray<{ mid: string; source: TrackSource }>,
  ): Promise<{ sdp: string; tracks: TrackInfo[] }> {
    if (this.#closed) throw new SfuError('negotiation_failed', 'the participant left');
    if (!this.grants.publish) throw new SfuError('permission_denied', 'the token does not grant publishing');
    const parsed = parseSdp(sdp);
    if (!parsed.ok) throw new SfuError('negotiation_failed', `publish offer: ${parsed.error.message}`);
    const offer = parsed.value;
    const remoteIce = iceParametersFromDescription(offer);
    const remoteFingerprint = fingerprintFromDescription(offer);
    if (!remoteIce || !remoteFingerprint)
      throw new SfuError('negotiation_failed', 'publish offer without ICE credentials or fingerprint');

    let transport = this.#publishTransport;
    const remote = { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password };
    if (!transport) {
      transport = this.#room.router.createWebRtcTransport();
      this.#publishTransport = transport;
      transport.connect({ ice: remote, dtls: { role: 'server', fingerprints: [remoteFingerprint] } });
    } else if (remote.usernameFragment !== this.#publishRemoteUfrag) {
      // RFC 8839 §4.4.1.1.1: new remote credentials are an ICE restart.
      transport.restartIce(remote);
    }
    this.#publishRemoteUfrag = remote.usernameFragment;

    const answer = createAnswer(offer, {
      iceParameters: transport.iceParameters,
      candidates: transport.iceCandidateLines,
      fingerprint: { algorithm: 'sha-256', value: transport.localFingerprint.value },
      setup: 'passive',
      headerExtensions: PUBLISH_HEADER_EXTENSIONS,
      direction: 'recvonly',
    });
    if (!answer.ok) throw new SfuError('negotiation_failed', `publish offer: ${answer.error.message}`);

    const sending = new Set<string>();
    for (const media of answer.value.mids) {
      if (media.kind === 'application') continue;
      if (media.direction !== 'recvonly' && media.direction !== 'sendrecv') continue;
      sending.add(media.mid);
      if (this.published.has(media.mid)) continue;
      const rtpParameters = rtpParametersFromAnswer(offer, media);
      if (!rtpParameters.ok) throw new SfuError('negotiation_failed', rtpParameters.error.message);
      const source = sources.find((entry) => entry.mid === media.mid)?.source ?? 'unknown';
      const producer = this.#room.router.produce(transport, {
        kind: media.kind,
        rtpParameters: rtpParameters.value,
        paused: this.#muted[media.kind],
        appData: { participantId: this.id, source },
      });
      const info: TrackInfo = { id: producer.id, kind: media.kind, source, muted: this.#muted[media.kind] };
      this.published.set(media.mid, { producer, info });
      this.#room.sink.trackPublished(this.id, { ...info });
      this.#room.published(this, producer);
    }
    // Sections the client stopped sending on: their tracks are unpublished.
    for (const [mid, published] of [...this.published]) {
      if (sending.has(mid)) continue;
      this.#unpublish(mid, published);
    }
    return {
      sdp: writeSdp(answer.value.description),
      tracks: [...this.published.values()].map((published) => ({ ...published.info })),
    };
  }

  #unpublish(mid: string, published: Published): void {
    this.published.delete(mid);
    published.producer.close();
    this.#room.sink.trackUnpublished(this.id, published.info.id);
  }

  /** Consumes another member's producer; the next subscribe offer carries it. */
  consume(producer: Producer): void {
    const transport = this.#subscribeTransport;
    const state = this.#subscribeState;
    if (!transport || !state || this.#closed) return;
    let consumer: Consumer;
    try {
      consumer = this.#room.router.consume(transport, { producerId: producer.id });
    } catch (error) {
      this.#room.log.warn({ err: error, participant: this.id }, 'cannot consume a track');
      return;
    }
    const participantId = String(producer.appData['participantId']);
    const mid = state.addConsumer(consumer.rtpParameters, { streamId: participantId, trackId: producer.id });
    consumer.assignMid(mid);
    this.#consumers.set(consumer, {
      mid,
      participantId,
      trackId: producer.id,
      kind: producer.kind,
      source: (producer.appData['source'] as TrackSource | undefined) ?? 'unknown',
    });
    consumer.once('close', () => {
      this.#consumers.delete(consumer);
      if (this.#closed) return;
      state.removeTrack(mid);
      this.#scheduleOffer();
    });
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
    const state = this.#subscribeState;
    if (!state || this.#closed || this.#offerInFlight || !state.negotiationNeeded) return;
    const { sdp } = state.createOffer();
    this.#offerInFlight = true;
    this.#offerTimer = setTimeout(() => {
      // No answer: forget this offer and make the next one (the client may have reloaded).
      this.#offerInFlight = false;
      state.rollback();
      this.#scheduleOffer();
    }, SUBSCRIBE_ANSWER_TIMEOUT_MS);
    this.#offerTimer.unref();
    this.#sink.subscribeOffer(
      sdp,
      [...this.#consumers.values()].map((track) => ({ ...track })),
    );
  }

  async subscribeAnswer(sdp: string): Promise<void> {
    const state = this.#subscribeState;
    const transport = this.#subscribeTransport;
    if (!state || !transport) throw new SfuError('permission_denied', 'the token does not grant subscribing');
    if (!this.#offerInFlight)
      throw new SfuError('negotiation_failed', 'no subscribe offer is waiting for an answer');
    const applied = state.applyAnswer(sdp);
    if (!applied.ok) throw new SfuError('negotiation_failed', `subscribe answer: ${applied.error.message}`);
    clearTimeout(this.#offerTimer);
    this.#offerInFlight = false;
    const remote = applied.value.transport;
    if (!this.#subscribeConnected && remote) {
      this.#subscribeConnected = true;
      transport.connect({
        ice: {
          usernameFragment: remote.iceParameters.usernameFragment,
          password: remote.iceParameters.password,
        },
        dtls: { role: remote.dtlsRole, fingerprints: [remote.fingerprint] },
      });
    }
    if (state.negotiationNeeded) this.#scheduleOffer();
  }

  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    this.#muted[kind] = muted;
    for (const published of this.published.values()) {
      if (published.info.kind !== kind) continue;
      published.info.muted = muted;
      if (muted) published.producer.pause();
      else published.producer.resume();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#offerTimer);
    for (const [mid, published] of [...this.published]) this.#unpublish(mid, published);
    this.#publishTransport?.close();
    this.#subscribeTransport?.close();
    this.#room.left(this);
  }
}
