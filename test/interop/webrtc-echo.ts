/**
 * An echo endpoint built from the transport stack (ICE-lite + DTLS + SRTP on
 * one shared UDP port): it answers a real peer's offer, and sends every RTP
 * packet it decrypts back to that peer, under the SSRCs its answer announced,
 * so the peer receives its own media as a remote track. Picture loss and NACK
 * feedback from the peer about the echoed streams is turned around to the
 * peer's own senders, so keyframes and retransmissions reach the echo too.
 */
import { randomInt } from 'node:crypto';
import type { IceTcpMux, IceUdpMux } from '../../src/ice/index.js';
import { type DtlsRole, WebRtcTransport } from '../../src/media/webrtc-transport.js';
import {
  PayloadFeedbackFormat,
  RtcpPacketType,
  splitRtcpCompound,
  TransportFeedbackFormat,
} from '../../src/rtcp/index.js';
import {
  type AnswerSendSsrc,
  createAnswer,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseSdp,
  writeSdp,
} from '../../src/sdp/index.js';
import type { SelfSignedCertificate } from '../../src/util/certificate.js';

/** What the echo did, for assertions. */
export interface EchoCounters {
  /** RTP packets sent back, per mid. */
  echoed: Record<string, number>;
  /** RTP packets whose payload type no answered mid carries. */
  unknownPayloadType: number;
  /** Feedback packets turned around to the peer's senders. */
  feedbackForwarded: number;
}

/** A transport that echoes, and the answer to give the peer. */
export interface EchoSession {
  transport: WebRtcTransport;
  answerSdp: string;
  counters: EchoCounters;
}

/** Where an incoming payload type is sent back. */
interface EchoRoute {
  mid: string;
  ssrc: number;
}

/** Where and how the echo listens. */
export interface EchoOptions {
  /** The shared UDP port; give this, `tcp`, or both. */
  udp?: IceUdpMux;
  /** The shared passive ICE-TCP port. */
  tcp?: IceTcpMux;
  certificate: SelfSignedCertificate;
  /** Our DTLS role. */
  role: DtlsRole;
  /** Expect this fingerprint instead of the one in the offer (to prove a mismatch is refused). */
  expectFingerprint?: { algorithm: string; value: string };
}

/**
 * Answers `offerSdp` with a transport playing DTLS `role`, wired to echo.
 * Throws when the offer cannot be answered.
 */
export function createEchoSession(offerSdp: string, options: EchoOptions): EchoSession {
  const parsed = parseSdp(offerSdp);
  if (!parsed.ok) throw parsed.error;
  const offer = parsed.value;
  const remoteIce = iceParametersFromDescription(offer);
  const remoteFingerprint = fingerprintFromDescription(offer);
  if (!remoteIce || !remoteFingerprint) throw new Error('offer without ICE credentials or fingerprint');

  const transport = new WebRtcTransport({
    udp: options.udp ? [options.udp] : undefined,
    tcp: options.tcp ? [options.tcp] : undefined,
    certificate: options.certificate,
  });
  const sendSsrcs: Record<string, AnswerSendSsrc> = {};
  for (const section of offer.media) {
    if (section.kind !== 'audio' && section.kind !== 'video') continue;
    if (section.mid === undefined) continue;
    sendSsrcs[section.mid] = {
      ssrc: randomInt(1, 0xffff_ffff),
      rtxSsrc: section.kind === 'video' ? randomInt(1, 0xffff_ffff) : undefined,
      cname: 'switchboard-echo',
      msid: `echo echo-${section.mid}`,
    };
  }
  const answer = createAnswer(offer, {
    iceParameters: transport.iceParameters,
    candidates: transport.iceCandidateLines,
    fingerprint: { algorithm: 'sha-256', value: options.certificate.fingerprintSha256 },
    // RFC 5763 §5: the answerer that takes the DTLS client role says active.
    setup: options.role === 'client' ? 'active' : 'passive',
    sendSsrcs,
  });
  if (!answer.ok) throw answer.error;

  // Payload type → the SSRC it is echoed under; the peer's SSRCs ↔ ours for feedback.
  const routes = new Map<number, EchoRoute>();
  for (const media of answer.value.mids) {
    const send = media.send;
    if (!send) continue;
    for (const codec of media.codecs) {
      routes.set(codec.payloadType, { mid: media.mid, ssrc: send.ssrc });
      if (codec.rtxPayloadType !== undefined && send.rtxSsrc !== undefined) {
        routes.set(codec.rtxPayloadType, { mid: media.mid, ssrc: send.rtxSsrc });
      }
    }
  }
  /** Our echo SSRC → the peer's SSRC whose packets it carries (learned from traffic). */
  const originOf = new Map<number, number>();
  const counters: EchoCounters = { echoed: {}, unknownPayloadType: 0, feedbackForwarded: 0 };

  transport.on('rtp', (packet) => {
    const route = routes.get(packet[1] & 0x7f);
    if (!route) {
      counters.unknownPayloadType++;
      return;
    }
    originOf.set(route.ssrc, packet.readUInt32BE(8));
    // The decrypted packet is a view the transport reuses; it is rewritten and sent before returning.
    packet.writeUInt32BE(route.ssrc, 8);
    if (transport.sendRtp(packet)) counters.echoed[route.mid] = (counters.echoed[route.mid] ?? 0) + 1;
  });

  transport.on('rtcp', (compound) => {
    const split = splitRtcpCompound(compound);
    if (!split.ok) return;
    for (const view of split.value) {
      const isPli =
        view.packetType === RtcpPacketType.PayloadFeedback && view.count === PayloadFeedbackFormat.Pli;
      const isNack =
        view.packetType === RtcpPacketType.TransportFeedback && view.count === TransportFeedbackFormat.Nack;
      if ((!isPli && !isNack) || view.bytes.length < 12) continue;
      const feedback = Buffer.from(view.bytes);
      const origin = originOf.get(feedback.readUInt32BE(8));
      if (origin === undefined) continue;
      feedback.writeUInt32BE(origin, 8);
      if (transport.sendRtcp(feedback)) counters.feedbackForwarded++;
    }
  });

  transport.connect({
    ice: { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password },
    dtls: { role: options.role, fingerprints: [options.expectFingerprint ?? remoteFingerprint] },
  });
  return { transport, answerSdp: writeSdp(answer.value.description), counters };
}
