/**
 * The SFU under bad input: while two libwebrtc participants exchange audio
 * and video through a router, the test sprays the media port with garbage,
 * and checks that every piece is counted and dropped where it should be and
 * that the room keeps flowing.
 *
 * Two sources:
 * - a separate UDP socket, an address no ICE agent has validated: random
 *   bytes of every first-byte class (RFC 7983), STUN Binding requests for the
 *   transports' real ufrags with a bad MESSAGE-INTEGRITY, without one, or
 *   truncated, and random RTP and RTCP headers;
 * - the validated address itself: one participant publishes through a UDP
 *   proxy, and the test sends from the proxy's upstream socket, the address
 *   the server's ICE agent nominated. That reaches the layers behind the
 *   address check: random DTLS records, SRTP and SRTCP with plausible headers
 *   (the publisher's own SSRCs and payload types) and bad authentication
 *   tags, truncated packets, and first bytes no layer handles.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IceUdpMux } from '../../src/ice/index.js';
import { Router } from '../../src/media/router.js';
import type { WebRtcTransport } from '../../src/media/webrtc-transport.js';
import {
  AttributeType,
  decodeErrorCode,
  decodeMessage,
  MessageClass,
  Method,
  StunMessageBuilder,
} from '../../src/stun/index.js';
import { generateSelfSignedCertificate } from '../../src/util/certificate.js';
import { candidateLinesVia, LossyUdpProxy, seededRandom } from '../helpers/lossy-udp-proxy.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';
import { SfuParticipant } from './sfu-participant.js';

interface TrackStats {
  kind: string;
  frames: number;
  chunks: number;
}

/** The spray stops after this long even if not every datagram went out. */
const SPRAY_DEADLINE_MS = 3000;
/** Datagrams sent back to back before yielding to the event loop (the server runs in this process). */
const BATCH = 40;

let mux: IceUdpMux;
let router: Router;

beforeAll(async () => {
  mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  router = new Router({
    udp: [mux],
    certificate: generateSelfSignedCertificate({ commonName: 'switchboard-sfu' }),
  });
});

afterAll(async () => {
  router?.close();
  await mux?.close();
});

const random = seededRandom(20240613);
const randomInt = (below: number): number => Math.floor(random() * below);
function randomBytes(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = randomInt(256);
  return bytes;
}

/** A random datagram of 1–300 bytes starting with `first`. */
function startingWith(first: number): Buffer {
  const datagram = randomBytes(1 + randomInt(300));
  datagram[0] = first;
  return datagram;
}

/** A random RTP header (V=2, random P/X/CC/M/PT) and payload. */
function randomRtp(ssrc = randomInt(2 ** 32), payloadType = randomInt(128)): Buffer {
  const datagram = randomBytes(12 + 4 + randomInt(1000));
  datagram[0] = 0x80 | (datagram[0] & 0x3f);
  // Keep the second byte out of 192–223, which would make it RTCP (RFC 5761 §4).
  datagram[1] = (datagram[1] & 0x80) | (payloadType & 0x7f);
  if ((datagram[1] & 0x7f) >= 64 && (datagram[1] & 0x7f) <= 95) datagram[1] = (datagram[1] & 0x80) | 96;
  datagram.writeUInt32BE(ssrc >>> 0, 8);
  return datagram;
}

/** An SRTP packet with a plausible header (no CSRCs, no extension) and a bad tag. */
function badlyAuthenticatedSrtp(ssrc: number, payloadType: number): Buffer {
  const datagram = randomRtp(ssrc, payloadType);
  datagram[0] = 0x80;
  return datagram;
}

/** A random RTCP header (SR, RR, SDES, BYE, APP, RTPFB, PSFB) and body; with an SRTCP index word and tag, for the validated address. */
function randomRtcp(ssrc = randomInt(2 ** 32)): Buffer {
  const words = 1 + randomInt(30);
  const datagram = randomBytes(4 + 4 * words + 4 + 16);
  datagram[0] = 0x80 | randomInt(32);
  datagram[1] = 200 + randomInt(7);
  datagram.writeUInt16BE(words, 2);
  datagram.writeUInt32BE(ssrc >>> 0, 4);
  // E flag and an index, then the (bad) tag (RFC 3711 §3.4).
  datagram.writeUInt32BE((0x8000_0000 | randomInt(2 ** 31)) >>> 0, 4 + 4 * words);
  return datagram;
}

/** A DTLS record header (RFC 6347 §4.1) of a known content type and a random fragment. */
function randomDtlsRecord(): Buffer {
  const length = randomInt(200);
  const record = randomBytes(13 + length);
  record[0] = 20 + randomInt(4);
  record.writeUInt16BE(random() < 0.8 ? 0xfefd : 0xfeff, 1);
  record.writeUInt16BE(randomInt(4), 3);
  // A length that runs past the datagram now and then: a truncated record.
  record.writeUInt16BE(random() < 0.8 ? length : length + 1 + randomInt(100), 11);
  return record;
}

/** A Binding request as a full ICE agent sends it (RFC 8445 §7.1), signed with `key`, or unsigned. */
function bindingRequest(username: string, key: Buffer | undefined, useCandidate = false): Buffer {
  const builder = StunMessageBuilder.create(Method.Binding, MessageClass.Request)
    .add(AttributeType.Username, username)
    .addUint32(AttributeType.Priority, 1853824767)
    .addUint64(AttributeType.IceControlling, BigInt(randomInt(2 ** 32)));
  if (useCandidate) builder.addEmpty(AttributeType.UseCandidate);
  if (key) builder.addMessageIntegrity(key);
  return Buffer.from(builder.addFingerprint().build());
}

/** Where a piece of garbage must be counted. */
type Outcome =
  /** Mux counters. */
  | 'droppedMalformed'
  | 'droppedUnknownAddress'
  | 'droppedUnknownUfrag'
  | 'droppedUnsupported'
  /** The publish transport's srtpErrors. */
  | 'srtpErrors'
  /** A STUN error answer to the sender. */
  | 'answer400'
  | 'answer401'
  /** Dropped by DTLS, whose counters the transport does not expose. */
  | 'dtls'
  /** A failed check from the validated address: answered 401 through the proxy to the peer. */
  | 'failedCheck';

/** One datagram to send, from where, and where it must be counted. */
interface Garbage {
  datagram: Buffer;
  from: 'stranger' | 'validated';
  outcome: Outcome;
}

/** Waits until the mux has read `count` datagrams since `since` (media counts too), or until `deadline`. */
async function muxCatchUp(since: number, count: number, deadline: number): Promise<void> {
  do await new Promise((resolve) => setTimeout(resolve, 1));
  while (mux.stats.packetsIn - since < count && performance.now() < deadline);
}

/**
 * Sends the garbage in batches. After each batch it waits until the mux has
 * read as many datagrams as were sent, so the server (in this process) is
 * never more than a batch behind. Stops at the deadline; then gives the
 * server up to 5 s more to read what was sent. Returns how many went out.
 */
async function spray(
  garbage: readonly Garbage[],
  send: (piece: Garbage) => Promise<unknown>,
  deadline: number,
): Promise<number> {
  const packetsInAtStart = mux.stats.packetsIn;
  let sent = 0;
  for (let start = 0; start < garbage.length; start += BATCH) {
    if (performance.now() > deadline) break;
    const batch = garbage.slice(start, start + BATCH);
    await Promise.all(batch.map(send));
    sent += batch.length;
    await muxCatchUp(packetsInAtStart, sent, deadline);
  }
  await muxCatchUp(packetsInAtStart, sent, performance.now() + 5000);
  return sent;
}

function tracksOf(message: PeerMessage | undefined): Record<string, TrackStats> {
  return (message?.tracks ?? {}) as Record<string, TrackStats>;
}

/** Waits until every participant's latest stats show `frames` more video frames and audio chunks from the other than `since`. */
async function waitForProgress(
  participants: readonly SfuParticipant[],
  since: ReadonlyMap<SfuParticipant, Record<string, TrackStats>>,
  frames: number,
  what: string,
): Promise<void> {
  await Promise.all(
    participants.map((participant) => {
      const before = since.get(participant) ?? {};
      const others = participants.filter((other) => other !== participant).map((other) => other.name);
      return participant.peer.waitFor(
        (m) => {
          if (m.type !== 'stats') return false;
          const tracks = tracksOf(m);
          return others.every((other) => {
            const video = tracks[`${other} video`];
            const audio = tracks[`${other} audio`];
            return (
              video !== undefined &&
              audio !== undefined &&
              video.frames - (before[`${other} video`]?.frames ?? 0) >= frames &&
              audio.chunks - (before[`${other} audio`]?.chunks ?? 0) >= frames
            );
          });
        },
        15_000,
        `${participant.name} ${what}`,
      );
    }),
  );
}

function snapshot(participants: readonly SfuParticipant[]): Map<SfuParticipant, Record<string, TrackStats>> {
  return new Map(
    participants.map((participant) => [
      participant,
      structuredClone(tracksOf(participant.peer.last.get('stats'))),
    ]),
  );
}

describe('SFU under garbage on the media port', () => {
  it('counts and drops every kind of bad datagram while two participants keep exchanging media', async () => {
    const proxy = await LossyUdpProxy.listen({ target: mux.localAddress });
    const sprayer: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => sprayer.bind(0, '127.0.0.1', () => resolve()));
    const stunAnswers = { success: 0, 400: 0, 401: 0, other: 0 };
    sprayer.on('message', (data) => {
      const decoded = decodeMessage(data);
      if (!decoded.ok) return;
      if (decoded.message.messageClass === MessageClass.SuccessResponse) stunAnswers.success++;
      else if (decoded.message.messageClass === MessageClass.ErrorResponse) {
        const value = decoded.message.get(AttributeType.ErrorCode);
        const code = value ? decodeErrorCode(value)?.code : undefined;
        if (code === 400 || code === 401) stunAnswers[code]++;
        else stunAnswers.other++;
      }
    });
    const ada = new SfuParticipant(
      'ada',
      new StdioPeer('wrtc-sfu-peer.cjs', { luma: 60, width: 320, height: 240, seconds: 50 }),
      router,
      // ada publishes through the proxy, so the test can speak from her validated address.
      { publishCandidates: (own) => candidateLinesVia(own, proxy.address) },
    );
    const bob = new SfuParticipant(
      'bob',
      new StdioPeer('wrtc-sfu-peer.cjs', { luma: 200, width: 320, height: 240, seconds: 50 }),
      router,
    );
    const participants = [ada, bob];
    const transports: WebRtcTransport[] = participants.flatMap((p) => [p.publish, p.subscribe]);
    try {
      for (const participant of participants) await participant.startPublishing();
      for (const participant of participants) await participant.publishConnected();
      for (const participant of participants) {
        const other = participant === ada ? bob : ada;
        for (const producer of other.producers) participant.consume(producer);
        await participant.renegotiate();
      }
      try {
        await waitForProgress(participants, new Map(), 20, 'to receive the other');
      } catch (error) {
        // Say what the server saw, to tell a missing keyframe from a stalled stream.
        const server = participants.map((participant) => ({
          name: participant.name,
          publish: participant.publish.stats,
          subscribe: participant.subscribe.stats,
          producers: participant.producers.map((producer) => ({ kind: producer.kind, ...producer.stats })),
          consumers: [...participant.consumers.values()].map((consumer) => ({
            kind: consumer.kind,
            ...consumer.stats,
          })),
        }));
        const peers = await Promise.all(
          participants.map(async (participant) => {
            participant.peer.send({ type: 'get-stats', id: participant.name });
            const stats = await participant.peer.waitFor((m) => m.type === 'rtc-stats', 3000, 'rtc-stats');
            return { name: participant.name, inbound: stats.inbound, outbound: stats.outbound };
          }),
        );
        throw new Error(
          `${(error as Error).message}\nserver: ${JSON.stringify(server)}\nproxy: ${JSON.stringify(proxy.stats)}` +
            `\npeers: ${JSON.stringify(peers)}`,
        );
      }

      const selected = ada.publish.iceSelectedTuple;
      if (!selected) throw new Error('ada’s publish transport has no selected path');
      const validatedPort = selected.remote.port;
      expect(await proxy.upstreamPorts()).toContain(validatedPort);

      // --- What the unvalidated socket sends, and where each piece must be counted.
      const fromStranger: Garbage[] = [];
      const stranger = (datagram: Buffer, outcome: Outcome): void => {
        fromStranger.push({ datagram, from: 'stranger', outcome });
      };
      for (let first = 0; first < 256; first++) {
        // STUN-looking bytes fail to decode; anything else comes from an address no agent validated.
        for (let i = 0; i < 8; i++)
          stranger(startingWith(first), first <= 3 ? 'droppedMalformed' : 'droppedUnknownAddress');
      }
      for (const transport of transports) {
        const username = `${transport.iceParameters.usernameFragment}:peer`;
        for (let i = 0; i < 8; i++) stranger(bindingRequest(username, randomBytes(16)), 'answer401');
        for (let i = 0; i < 4; i++) stranger(bindingRequest(username, undefined), 'answer400');
        for (let i = 0; i < 8; i++) {
          // Cut short: the header's length no longer matches the datagram.
          const whole = bindingRequest(username, randomBytes(16));
          stranger(whole.subarray(0, 1 + randomInt(whole.length - 1)), 'droppedMalformed');
        }
      }
      for (let i = 0; i < 16; i++)
        stranger(bindingRequest(`nosuchufrag${i}:peer`, randomBytes(16)), 'droppedUnknownUfrag');
      for (let i = 0; i < 500; i++) {
        stranger(randomRtp(), 'droppedUnknownAddress');
        stranger(randomRtcp(), 'droppedUnknownAddress');
      }

      // --- What the validated address sends: SRTP aimed at ada's own streams.
      const ssrcs: { ssrc: number; payloadType: number }[] = [];
      for (const producer of ada.producers) {
        const [codec] = producer.rtpParameters.codecs;
        const rtx = producer.rtpParameters.codecs.find((c) => c.mimeType.toLowerCase().endsWith('/rtx'));
        for (const encoding of producer.rtpParameters.encodings) {
          if (encoding.ssrc !== undefined && codec)
            ssrcs.push({ ssrc: encoding.ssrc, payloadType: codec.payloadType });
          if (encoding.rtx && rtx) ssrcs.push({ ssrc: encoding.rtx.ssrc, payloadType: rtx.payloadType });
        }
      }
      expect(ssrcs.length).toBeGreaterThan(0);
      const fromValidated: Garbage[] = [];
      const validated = (datagram: Buffer, outcome: Outcome): void => {
        fromValidated.push({ datagram, from: 'validated', outcome });
      };
      for (let i = 0; i < 600; i++) validated(randomDtlsRecord(), 'dtls');
      for (let i = 0; i < 1000; i++) {
        const target = ssrcs[i % ssrcs.length]!;
        validated(badlyAuthenticatedSrtp(target.ssrc, target.payloadType), 'srtpErrors');
      }
      for (let i = 0; i < 400; i++) validated(randomRtcp(ssrcs[i % ssrcs.length]!.ssrc), 'srtpErrors');
      for (let i = 0; i < 100; i++) {
        // Truncated SRTP and SRTCP: too short for a header and a tag.
        const whole = i % 2 === 0 ? randomRtp() : randomRtcp();
        validated(whole.subarray(0, 2 + randomInt(18)), 'srtpErrors');
      }
      // One byte of the RTP range: no second byte to tell RTP from RTCP.
      for (let i = 0; i < 20; i++) validated(Buffer.from([128 + randomInt(64)]), 'droppedUnsupported');
      // ZRTP, TURN channel data and the unassigned ranges (RFC 7983 §7).
      const ranges = [
        [4, 19],
        [64, 127],
        [192, 255],
      ] as const;
      for (let i = 0; i < 200; i++) {
        const [low, high] = ranges[i % ranges.length]!;
        validated(startingWith(low + randomInt(high - low + 1)), 'droppedUnsupported');
      }
      for (let i = 0; i < 40; i++) validated(startingWith(randomInt(4)), 'droppedMalformed');
      // Failed checks from the nominated address itself, even with USE-CANDIDATE, must not move the path.
      const adaUsername = `${ada.publish.iceParameters.usernameFragment}:peer`;
      for (let i = 0; i < 10; i++)
        validated(bindingRequest(adaUsername, randomBytes(16), true), 'failedCheck');

      // Both sources shuffled together (Fisher–Yates), so that even the part sent before the
      // deadline on a loaded machine holds every kind.
      const garbage: Garbage[] = [...fromStranger, ...fromValidated];
      for (let i = garbage.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [garbage[i], garbage[j]] = [garbage[j]!, garbage[i]!];
      }

      const muxBefore = { ...mux.stats };
      const transportBefore = new Map(transports.map((t) => [t, { ...t.stats }]));
      const producersBefore = new Map(ada.producers.map((p) => [p, { ...p.stats }]));
      const framesBefore = snapshot(participants);

      const sprayStarted = performance.now();
      const sent = await spray(
        garbage,
        ({ datagram, from }) =>
          from === 'validated'
            ? proxy.inject(validatedPort, datagram)
            : new Promise<void>((resolve) =>
                sprayer.send(datagram, mux.localAddress.port, mux.localAddress.address, () => resolve()),
              ),
        sprayStarted + SPRAY_DEADLINE_MS,
      );
      const sprayMs = performance.now() - sprayStarted;
      // Let the last STUN answers arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));

      const expected = new Map<Outcome, number>();
      for (const piece of garbage.slice(0, sent))
        expected.set(piece.outcome, (expected.get(piece.outcome) ?? 0) + 1);
      const expectedOf = (outcome: Outcome): number => expected.get(outcome) ?? 0;
      const muxDelta = (key: keyof typeof muxBefore): number => mux.stats[key] - muxBefore[key];
      const srtpErrors = ada.publish.stats.srtpErrors - (transportBefore.get(ada.publish)?.srtpErrors ?? 0);
      const observed: Record<string, [counted: number, sent: number]> = {
        droppedMalformed: [muxDelta('droppedMalformed'), expectedOf('droppedMalformed')],
        droppedUnknownAddress: [muxDelta('droppedUnknownAddress'), expectedOf('droppedUnknownAddress')],
        droppedUnknownUfrag: [muxDelta('droppedUnknownUfrag'), expectedOf('droppedUnknownUfrag')],
        droppedUnsupported: [muxDelta('droppedUnsupported'), expectedOf('droppedUnsupported')],
        srtpErrors: [srtpErrors, expectedOf('srtpErrors')],
        answer400: [stunAnswers[400], expectedOf('answer400')],
        answer401: [stunAnswers[401], expectedOf('answer401')],
      };
      console.log(
        JSON.stringify({
          sprayMs: Math.round(sprayMs),
          sent,
          of: garbage.length,
          dtls: expectedOf('dtls'),
          failedChecks: expectedOf('failedCheck'),
          observed,
          internalErrors: mux.stats.internalErrors,
        }),
      );

      // Most of it went out within the deadline (all of it but on a heavily loaded machine),
      // and every kind of garbage was in what went out.
      expect(sent).toBeGreaterThanOrEqual(Math.min(garbage.length, 1000));
      for (const outcome of new Set(garbage.map((piece) => piece.outcome)))
        expect(expectedOf(outcome), outcome).toBeGreaterThan(0);
      // Every piece was counted where it belongs. The lower bounds leave room for a datagram
      // the kernel drops on a loaded machine; the upper ones show nothing else was counted:
      // in particular, no genuine packet failed SRTP because of the garbage.
      for (const [what, [counted, expectedCount]] of Object.entries(observed)) {
        expect(counted, what).toBeGreaterThanOrEqual(Math.floor(0.95 * expectedCount));
        expect(counted, what).toBeLessThanOrEqual(expectedCount);
      }
      expect(mux.stats.internalErrors).toBe(0);
      // The ICE agents accepted none of the checks.
      expect(stunAnswers.success).toBe(0);
      expect(stunAnswers.other).toBe(0);

      // The room kept flowing through the spray and after it.
      await waitForProgress(participants, framesBefore, 20, 'to keep receiving after the garbage');
      const afterSpray = snapshot(participants);
      await waitForProgress(participants, afterSpray, 20, 'to keep receiving once the garbage stopped');
      for (const transport of transports) {
        expect(transport.closed).toBe(false);
        expect(transport.dtlsState).toBe('connected');
        const before = transportBefore.get(transport);
        expect(transport.stats.rtpPacketsReceived + transport.stats.rtcpPacketsReceived).toBeGreaterThan(
          (before?.rtpPacketsReceived ?? 0) + (before?.rtcpPacketsReceived ?? 0),
        );
        // Only ada's publish path saw SRTP garbage.
        if (transport !== ada.publish) expect(transport.stats.srtpErrors).toBe(before?.srtpErrors ?? 0);
      }
      expect(ada.publish.iceSelectedTuple?.key).toBe(selected.key);
      for (const [producer, before] of producersBefore)
        expect(producer.stats.packetsReceived).toBeGreaterThan(before.packetsReceived);
    } finally {
      await Promise.all(participants.map((participant) => participant.peer.stop()));
      for (const participant of participants) participant.leave();
      await new Promise<void>((resolve) => sprayer.close(() => resolve()));
      await proxy.close();
    }
  }, 60_000);
});
