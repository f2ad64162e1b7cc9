/**
 * The server side of one SFU participant for interop tests, negotiated as in
 * sfu-participant.ts, but driving the engine only through a MediaWorker's
 * message API (commands by id, answers and events as plain data), so the
 * router, transports, producers and consumers live wherever the worker runs,
 * on a worker thread included.
 */
import { PUBLISH_HEADER_EXTENSION_URIS } from '../../src/media/router.js';
import type { MediaWorker } from '../../src/media/worker.js';
import type { TransportCreateResult } from '../../src/media/worker-protocol.js';
import { answerPublishOffer, SubscribeSdpState } from '../../src/sdp/index.js';
import type { PeerMessage, StdioPeer } from './peers/stdio-peer.js';

/** A producer as other participants see it: its id and who publishes it. */
export interface PublishedTrack {
  producerId: string;
  kind: 'audio' | 'video';
  participant: string;
}

/** One participant, by ids on a worker: its peer process, two transports, producers and consumers. */
export class WorkerSfuParticipant {
  readonly name: string;
  readonly peer: StdioPeer;
  readonly worker: MediaWorker;
  readonly routerId: string;
  readonly publish: TransportCreateResult;
  readonly subscribe: TransportCreateResult;
  readonly producers: PublishedTrack[] = [];
  /** Consumer ids by the producer id they consume. */
  readonly consumers = new Map<string, string>();
  readonly #state: SubscribeSdpState;
  readonly #mids = new Map<string, string>();
  readonly #seen = new Set<PeerMessage>();
  #subscribeConnected = false;

  private constructor(
    name: string,
    peer: StdioPeer,
    worker: MediaWorker,
    routerId: string,
    publish: TransportCreateResult,
    subscribe: TransportCreateResult,
  ) {
    this.name = name;
    this.peer = peer;
    this.worker = worker;
    this.routerId = routerId;
    this.publish = publish;
    this.subscribe = subscribe;
    this.#state = new SubscribeSdpState({
      transport: {
        iceParameters: subscribe.iceParameters,
        candidates: subscribe.iceCandidates,
        fingerprint: { algorithm: 'sha-256', value: subscribe.dtlsFingerprint.value },
      },
    });
    worker.on('consumer.close', ({ consumerId, producerId }) => {
      if (this.consumers.get(producerId) !== consumerId) return;
      this.consumers.delete(producerId);
      const mid = this.#mids.get(consumerId);
      this.#mids.delete(consumerId);
      if (mid !== undefined) this.#state.removeTrack(mid);
    });
  }

  /** Creates the participant's publish and subscribe transports on the router. */
  static async join(
    name: string,
    peer: StdioPeer,
    worker: MediaWorker,
    routerId: string,
  ): Promise<WorkerSfuParticipant> {
    const publish = await worker.createWebRtcTransport(routerId);
    const subscribe = await worker.createWebRtcTransport(routerId);
    return new WorkerSfuParticipant(name, peer, worker, routerId, publish, subscribe);
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
      candidates: this.publish.iceCandidates,
      fingerprint: { algorithm: 'sha-256', value: this.publish.dtlsFingerprint.value },
      headerExtensions: PUBLISH_HEADER_EXTENSION_URIS,
    });
    if (!answer.ok) throw answer.error;
    for (const media of answer.value.sending) {
      const { producerId } = await this.worker.produce(this.publish.transportId, {
        kind: media.kind,
        rtpParameters: media.rtpParameters,
        appData: { participant: this.name },
      });
      this.producers.push({ producerId, kind: media.kind, participant: this.name });
    }
    await this.worker.connectWebRtcTransport(this.publish.transportId, {
      ice: answer.value.remoteIce,
      dtls: { role: 'server', fingerprints: [answer.value.remoteFingerprint] },
    });
    this.peer.send({ type: 'publish-answer', sdp: answer.value.sdp });
  }

  /** Consumes a producer of another participant (takes effect at the next renegotiation). */
  async consume(track: PublishedTrack): Promise<void> {
    const consumer = await this.worker.consume(this.subscribe.transportId, { producerId: track.producerId });
    const mid = this.#state.addConsumer(consumer.rtpParameters, {
      streamId: track.participant,
      trackId: track.producerId,
    });
    await this.worker.assignConsumerMid(consumer.consumerId, mid);
    this.consumers.set(track.producerId, consumer.consumerId);
    this.#mids.set(consumer.consumerId, mid);
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
      await this.worker.connectWebRtcTransport(this.subscribe.transportId, {
        ice: {
          usernameFragment: transport.iceParameters.usernameFragment,
          password: transport.iceParameters.password,
        },
        dtls: { role: transport.dtlsRole, fingerprints: [transport.fingerprint] },
      });
    }
  }

  /** Closes the participant's transports on the server (and so its producers and consumers). */
  async leave(): Promise<void> {
    if (this.worker.closed) return;
    await this.worker.closeTransport(this.publish.transportId);
    await this.worker.closeTransport(this.subscribe.transportId);
  }
}
