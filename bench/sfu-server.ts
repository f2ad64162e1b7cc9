/**
 * Our SFU as the SFU benchmarks run it: a Router on one IceUdpMux on
 * 127.0.0.1, in a process of its own so that the load generator never
 * shares its event loop, driven over stdio (bench/sfu-protocol.ts).
 * Negotiation is the one the signaling service does: each publisher offers
 * and the router answers, one producer per track; the router offers to each
 * subscriber one section per consumed track (SubscribeSdpState).
 *
 * For the recording benchmark it also records: one Recorder per publisher
 * (its audio and its video producer into one WebM file), opened on the
 * producers the way the media engine's `recorder.start` command opens it,
 * on this process's one thread like the forwarding.
 *
 *   node dist-bench/bench/sfu-server.js
 *
 * Prints `ready PORT` on stdout once listening, then one JSON reply per
 * command line.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { IceUdpMux } from '../src/ice/index.js';
import type { Consumer } from '../src/media/consumer.js';
import type { Producer } from '../src/media/producer.js';
import { Recorder } from '../src/media/recorder.js';
import { PUBLISH_HEADER_EXTENSION_URIS, Router } from '../src/media/router.js';
import type { WebRtcTransport } from '../src/media/webrtc-transport.js';
import { answerPublishOffer, SubscribeSdpState } from '../src/sdp/index.js';
import { generateSelfSignedCertificate } from '../src/util/certificate.js';
import type { RecordingSummary, ServerCommand, ServerReply, ServerStats } from './sfu-protocol.js';

/** One publisher: its transport and its producers, in the offer's order. */
interface Publisher {
  transport: WebRtcTransport;
  producers: Producer[];
}

/** A running recorder, and why it failed if it did. */
interface RunningRecorder {
  recorder: Recorder;
  error?: string;
}

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
const publishers: Publisher[] = [];
let recorders: RunningRecorder[] = [];
/** Packets sent by consumers already closed. */
let forwardedByClosed = 0;
let nextSubscriber = 1;

function publish(sdp: string): string {
  const transport = router.createWebRtcTransport();
  const answer = answerPublishOffer(sdp, {
    iceParameters: transport.iceParameters,
    candidates: transport.iceCandidateLines,
    fingerprint: { algorithm: 'sha-256', value: transport.localFingerprint.value },
    headerExtensions: PUBLISH_HEADER_EXTENSION_URIS,
  });
  if (!answer.ok) throw answer.error;
  const own: Producer[] = [];
  for (const media of answer.value.sending) {
    own.push(router.produce(transport, { kind: media.kind, rtpParameters: media.rtpParameters }));
  }
  producers.push(...own);
  transport.connect({
    ice: answer.value.remoteIce,
    dtls: { role: 'server', fingerprints: [answer.value.remoteFingerprint] },
  });
  publishers.push({ transport, producers: own });
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

/** One recorder per publisher, files publisher-1.webm, publisher-2.webm, … in `directory`. */
async function startRecording(directory: string): Promise<number> {
  if (recorders.length > 0) throw new Error('already recording');
  if (!directory.startsWith('/')) throw new Error('the recording directory must be an absolute path');
  const track = (publisher: Publisher, kind: 'audio' | 'video') =>
    publisher.producers.find((producer) => producer.kind === kind);
  const opened = await Promise.allSettled(
    publishers.map((publisher, index) =>
      Recorder.open({
        path: join(directory, `publisher-${index + 1}.webm`),
        audio: track(publisher, 'audio'),
        video: track(publisher, 'video'),
      }),
    ),
  );
  for (const result of opened) {
    if (result.status !== 'fulfilled') continue;
    const entry: RunningRecorder = { recorder: result.value };
    result.value.on('failed', (error) => {
      entry.error = error.message;
    });
    recorders.push(entry);
  }
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure) {
    await stopRecording();
    throw failure.reason;
  }
  return recorders.length;
}

async function stopRecording(): Promise<RecordingSummary[]> {
  const stopping = recorders;
  recorders = [];
  return Promise.all(
    stopping.map(async ({ recorder, error }) => {
      const summary = await recorder.close();
      return {
        path: summary.path,
        state: recorder.state,
        ...(error === undefined ? {} : { error }),
        bytes: summary.bytes,
        durationMs: summary.durationMs,
        finalized: summary.finalized,
        audioFrames: summary.stats.audioFrames,
        videoFrames: summary.stats.videoFrames,
        incompleteFrames: summary.stats.incompleteFrames,
        keyframeRequests: summary.stats.keyframeRequests,
        senderReports: summary.stats.senderReports,
        framesBeforeStart: summary.stats.framesBeforeStart,
      };
    }),
  );
}

function stats(): ServerStats {
  let packetsForwarded = forwardedByClosed;
  let connectedSubscribers = 0;
  for (const subscriber of subscribers.values()) {
    for (const consumer of subscriber.consumers)
      if (!consumer.closed) packetsForwarded += consumer.stats.packetsSent;
    if (subscriber.transport.dtlsState === 'connected') connectedSubscribers++;
  }
  let publisherErrors = 0;
  for (const publisher of publishers) publisherErrors += publisher.transport.stats.srtpErrors;
  let recordersWriting = 0;
  for (const { recorder } of recorders) if (recorder.state === 'recording') recordersWriting++;
  const cpu = process.cpuUsage();
  return {
    packetsForwarded,
    cpuMicros: cpu.user + cpu.system,
    subscribers: subscribers.size,
    connectedSubscribers,
    publisherErrors,
    recorders: recorders.length,
    recordersWriting,
  };
}

async function handle(command: ServerCommand): Promise<ServerReply> {
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
    case 'record.start':
      return {
        id: command.id,
        ok: true,
        recorders: await startRecording(command.directory),
      };
    case 'record.stop':
      return { id: command.id, ok: true, recordings: await stopRecording() };
    case 'stats':
      return { id: command.id, ok: true, stats: stats() };
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  let reply: ServerReply;
  let id = -1;
  try {
    const command = JSON.parse(line) as ServerCommand;
    id = command.id;
    reply = await handle(command);
  } catch (error) {
    reply = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
});
// The benchmark closing our stdin is the signal to go (recordings are finished first).
lines.on('close', () => {
  void stopRecording()
    .catch(() => [])
    .then(() => {
      router.close();
      return mux.close();
    })
    .then(() => process.exit(0));
});
process.stdout.write(`ready ${mux.localAddress.port}\n`);
