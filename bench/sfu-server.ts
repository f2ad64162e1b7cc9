/**
 * Our SFU as the SFU benchmark runs it: a Router on one IceUdpMux on
 * 127.0.0.1, in a process of its own so that the load generator never
 * shares its event loop, driven over stdio (bench/sfu-protocol.ts).
 * Negotiation is the one the signaling service does: the publisher offers
 * and the router answers, one producer per track; the router offers to each
 * subscriber one section per consumed track (SubscribeSdpState).
 *
 *   node dist-bench/bench/sfu-server.js
 *
 * Prints `ready PORT` on stdout once listening, then one JSON reply per
 * command line.
 */
import { createInterface } from 'node:readline';
import { IceUdpMux } from '../src/ice/index.js';
import type { Consumer } from '../src/media/consumer.js';
import type { Producer } from '../src/media/producer.js';
import { PUBLISH_HEADER_EXTENSION_URIS, Router } from '../src/media/router.js';
import type { WebRtcTransport } from '../src/media/webrtc-transport.js';
import { answerPublishOffer, SubscribeSdpState } from '../src/sdp/index.js';
import { generateSelfSignedCertificate } from '../src/util/certificate.js';
import type { ServerCommand, ServerReply, ServerStats } from './sfu-protocol.js';

/** One subscriber: its transport, consumers and offer state. */
interface Subscriber {
  transport: WebRtcTransport;
  state: SubscribeSdpState;
  consumers: Consumer[];
}

const mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
const router = new Router({
  udp: [mux],
  certificate: generateSelfSignedCertificate({ commonName: 'switchboard-sfu-bench' }),
});
const producers: Producer[] = [];
const subscribers = new Map<string, Subscriber>();
let publisher: WebRtcTransport | undefined;
/** Packets sent by consumers already closed. */
let forwardedByClosed = 0;
let nextSubscriber = 1;

function publish(sdp: string): string {
  if (publisher) throw new Error('a publisher is already there');
  const transport = router.createWebRtcTransport();
  const answer = answerPublishOffer(sdp, {
    iceParameters: transport.iceParameters,
    candidates: transport.iceCandidateLines,
    fingerprint: { algorithm: 'sha-256', value: transport.localFingerprint.value },
    headerExtensions: PUBLISH_HEADER_EXTENSION_URIS,
  });
  if (!answer.ok) throw answer.error;
  for (const media of answer.value.sending) {
    producers.push(router.produce(transport, { kind: media.kind, rtpParameters: media.rtpParameters }));
  }
  transport.connect({
    ice: answer.value.remoteIce,
    dtls: { role: 'server', fingerprints: [answer.value.remoteFingerprint] },
  });
  publisher = transport;
  return answer.value.sdp;
}

function subscribe(): { subscriber: string; sdp: string } {
  const transport = router.createWebRtcTransport();
  const state = new SubscribeSdpState({
    transport: {
      iceParameters: transport.iceParameters,
      candidates: transport.iceCandidateLines,
      fingerprint: { algorithm: 'sha-256', value: transport.localFingerprint.value },
    },
  });
  const consumers: Consumer[] = [];
  for (const producer of producers) {
    const consumer = router.consume(transport, { producerId: producer.id });
    const mid = state.addConsumer(consumer.rtpParameters, { streamId: 'bench', trackId: producer.id });
    consumer.assignMid(mid);
    consumer.once('close', () => {
      forwardedByClosed += consumer.stats.packetsSent;
    });
    consumers.push(consumer);
  }
  const id = `s${nextSubscriber++}`;
  subscribers.set(id, { transport, state, consumers });
  return { subscriber: id, sdp: state.createOffer().sdp };
}

function applyAnswer(id: string, sdp: string): void {
  const subscriber = subscribers.get(id);
  if (!subscriber) throw new Error(`no subscriber ${id}`);
  const applied = subscriber.state.applyAnswer(sdp);
  if (!applied.ok) throw applied.error;
  const transport = applied.value.transport;
  if (!transport) throw new Error('the answer has no transport parameters');
  subscriber.transport.connect({
    ice: {
      usernameFragment: transport.iceParameters.usernameFragment,
      password: transport.iceParameters.password,
    },
    dtls: { role: transport.dtlsRole, fingerprints: [transport.fingerprint] },
  });
}

function unsubscribe(id: string): void {
  const subscriber = subscribers.get(id);
  if (!subscriber) throw new Error(`no subscriber ${id}`);
  subscribers.delete(id);
  subscriber.transport.close();
}

function stats(): ServerStats {
  let packetsForwarded = forwardedByClosed;
  let connectedSubscribers = 0;
  for (const subscriber of subscribers.values()) {
    for (const consumer of subscriber.consumers)
      if (!consumer.closed) packetsForwarded += consumer.stats.packetsSent;
    if (subscriber.transport.dtlsState === 'connected') connectedSubscribers++;
  }
  const cpu = process.cpuUsage();
  return {
    packetsForwarded,
    cpuMicros: cpu.user + cpu.system,
    subscribers: subscribers.size,
    connectedSubscribers,
    publisherErrors: publisher ? publisher.stats.srtpErrors : 0,
  };
}

function handle(command: ServerCommand): ServerReply {
  switch (command.op) {
    case 'publish':
      return { id: command.id, ok: true, sdp: publish(command.sdp) };
    case 'subscribe':
      return { id: command.id, ok: true, ...subscribe() };
    case 'answer':
      applyAnswer(command.subscriber, command.sdp);
      return { id: command.id, ok: true };
    case 'unsubscribe':
      unsubscribe(command.subscriber);
      return { id: command.id, ok: true };
    case 'stats':
      return { id: command.id, ok: true, stats: stats() };
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let reply: ServerReply;
  let id = -1;
  try {
    const command = JSON.parse(line) as ServerCommand;
    id = command.id;
    reply = handle(command);
  } catch (error) {
    reply = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
});
// The benchmark closing our stdin is the signal to go.
lines.on('close', () => {
  router.close();
  void mux.close().then(() => process.exit(0));
});
process.stdout.write(`ready ${mux.localAddress.port}\n`);
