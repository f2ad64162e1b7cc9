/**
 * The server side of one SFU participant for interop tests, negotiated the
 * way the signaling service will: the peer offers on its publish connection
 * and the router answers and creates a producer per track; the router offers
 * on the subscribe connection one section per consumed track, renegotiated
 * as tracks come and go.
 */
import type { Consumer } from '../../src/media/consumer.js';
import type { Producer } from '../../src/media/producer.js';
import { PUBLISH_HEADER_EXTENSION_URIS, type Router } from '../../src/media/router.js';
import type { WebRtcTransport } from '../../src/media/webrtc-transport.js';
import { answerPublishOffer, SubscribeSdpState } from '../../src/sdp/index.js';
import type { PeerMessage, StdioPeer } from './peers/stdio-peer.js';

/** Options of a {@link SfuParticipant}. */
export interface SfuParticipantOptions {
  /**
   * Rewrites the candidates announced in the publish answer (the publish
   * transport's own), e.g. to point the peer at a proxy in front of the mux
   * (see candidateLinesVia in test/helpers/lossy-udp-proxy.ts).
   */
  publishCandidates?: (own: readonly string[]) => string[];
  /** The same for the subscribe offers. */
  subscribeCandidates?: (own: readonly string[]) => string[];
}

/** One participant: its peer process, its two transports, its producers and consumers. */
export class SfuParticipant {
  readonly name: string;
  readonly peer: StdioPeer;
  readonly router: Router;
  readonly publish: WebRtcTransport;
  readonly subscribe: WebRtcTransport;
  readonly producers: Producer[] = [];
  /** Consumers by the producer they consume. */
  readonly consumers = new Map<Producer, Consumer>();
  readonly #state: SubscribeSdpState;
  readonly #mids = new Map<Consumer, string>();
  readonly #seen = new Set<PeerMessage>();
  #subscribeConnected = false;
  readonly #publishCandidates: ((own: readonly string[]) => string[]) | undefined;

  constructor(name: string, peer: StdioPeer, router: Router, options: SfuParticipantOptions = {}) {
    this.name = name;
    this.peer = peer;
    this.router = router;
    this.publish = router.createWebRtcTransport();
    this.subscribe = router.createWebRtcTransport();
    this.#publishCandidates = options.publishCandidates;
    const subscribeCandidates = this.subscribe.iceCandidateLines;
    this.#state = new SubscribeSdpState({
      transport: {
        iceParameters: this.subscribe.iceParameters,
        candidates: options.subscribeCandidates?.(subscribeCandidates) ?? subscribeCandidates,
        fingerprint: { algorithm: 'sha-256', value: this.subscribe.localFingerprint.value },
      },
    });
  }

  /** Answers the peer's publish offer and creates a producer per track. */
  async startPublishing(): Promise<void> {
    const message = await this.peer.waitFor(
      (m) => m.type === 'publish-offer',
      10_000,
      `${this.name}'s publish offer`,
    );
    const answer = answerPublishOffer(String(message.sdp), {
      iceParameters: this.publish.iceParameters,
      candidates: this.#publishCandidates?.(this.publish.iceCandidateLines) ?? this.publish.iceCandidateLines,
      fingerprint: { algorithm: 'sha-256', value: this.publish.localFingerprint.value },
      headerExtensions: PUBLISH_HEADER_EXTENSION_URIS,
    });
    if (!answer.ok) throw answer.error;
    for (const media of answer.value.sending) {
      this.producers.push(
        this.router.produce(this.publish, {
          kind: media.kind,
          rtpParameters: media.rtpParameters,
          appData: { participant: this.name },
        }),
      );
    }
    this.publish.connect({
      ice: answer.value.remoteIce,
      dtls: { role: 'server', fingerprints: [answer.value.remoteFingerprint] },
    });
    this.peer.send({ type: 'publish-answer', sdp: answer.value.sdp });
  }

  /**
   * Resolves once the publish transport has SRTP keys and a nominated ICE
   * path, so that RTCP to the publisher goes out: a keyframe request made
   * before that (as consume() makes one) is lost, and a consumer created
   * after the publisher's first keyframe then waits for the next one.
   */
  async publishConnected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.publish.srtpProfile || !this.publish.iceSelectedTuple) {
      if (this.publish.closed || Date.now() > deadline)
        throw new Error(`${this.name}'s publish transport did not connect (${this.publish.dtlsState})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Consumes a producer of another participant (takes effect at the next renegotiation). */
  consume(producer: Producer): void {
    const consumer = this.router.consume(this.subscribe, { producerId: producer.id });
    const participant = String(producer.appData['participant']);
    const mid = this.#state.addConsumer(consumer.rtpParameters, {
      streamId: participant,
      trackId: producer.id,
    });
    consumer.assignMid(mid);
    this.consumers.set(producer, consumer);
    this.#mids.set(consumer, mid);
    consumer.once('close', () => {
      this.consumers.delete(producer);
      const closedMid = this.#mids.get(consumer);
      this.#mids.delete(consumer);
      if (closedMid !== undefined) this.#state.removeTrack(closedMid);
    });
  }

  /** Sends the subscribe offer, applies the answer, and connects the transport the first time. */
  async renegotiate(): Promise<void> {
    const { sdp } = this.#state.createOffer();
    this.peer.send({ type: 'subscribe-offer', sdp });
    const message = await this.peer.waitFor(
      (m) => m.type === 'subscribe-answer' && !this.#seen.has(m),
      10_000,
      `${this.name}'s subscribe answer`,
    );
    this.#seen.add(message);
    const applied = this.#state.applyAnswer(String(message.sdp));
    if (!applied.ok) throw applied.error;
    const transport = applied.value.transport;
    if (!this.#subscribeConnected && transport) {
      this.#subscribeConnected = true;
      this.subscribe.connect({
        ice: {
          usernameFragment: transport.iceParameters.usernameFragment,
          password: transport.iceParameters.password,
        },
        dtls: { role: transport.dtlsRole, fingerprints: [transport.fingerprint] },
      });
    }
  }

  /** Closes the peer's producers and transports on the server. */
  leave(): void {
    this.publish.close();
    this.subscribe.close();
  }
}
