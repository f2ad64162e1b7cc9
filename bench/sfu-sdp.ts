/**
 * The SDP the SFU benchmark's synthetic clients exchange, written and read
 * with src/sdp: the publisher's offer (sendonly Opus + VP8 with a=ssrc, one
 * host candidate, no trickle) and a subscriber's answer to the server's
 * offer (recvonly, DTLS active), plus where to send checks and which DTLS
 * role to take from the remote description.
 */
import {
  createAnswer,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseCandidateAddress,
  parseSdp,
  type SessionDescription,
  setupFromDescription,
  transportSection,
  writeSdp,
} from '../src/sdp/index.js';
import type { RemoteEndpoint, WebRtcClient } from './webrtc-client.js';

/** SSRCs and payload types of the synthetic publisher. */
export const PUBLISHER_MEDIA = {
  audio: { ssrc: 0x11110001, payloadType: 111, clockRate: 48_000 },
  video: { ssrc: 0x22220002, payloadType: 96, clockRate: 90_000 },
} as const;

/** Parses SDP text; throws with the parser's reason. */
export function parseDescription(text: string, what: string): SessionDescription {
  const parsed = parseSdp(text);
  if (!parsed.ok) throw new Error(`${what} does not parse: ${parsed.error.message}`);
  return parsed.value;
}

/**
 * The publisher's offer, as a browser would write it for one microphone and
 * one camera (RFC 8829 §5.2.1): BUNDLE, rtcp-mux, actpass, a=ssrc so the
 * server can route by SSRC without header extensions.
 */
export function publisherOffer(client: WebRtcClient): string {
  const { audio, video } = PUBLISHER_MEDIA;
  const transport = (mid: string) => [
    `c=IN IP4 ${client.address}`,
    'a=rtcp:9 IN IP4 0.0.0.0',
    ...(mid === '0' ? [`a=candidate:${client.candidateLine}`, 'a=end-of-candidates'] : []),
    `a=ice-ufrag:${client.iceParameters.usernameFragment}`,
    `a=ice-pwd:${client.iceParameters.password}`,
    `a=fingerprint:sha-256 ${client.fingerprint}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=sendonly',
    'a=rtcp-mux',
  ];
  const lines = [
    'v=0',
    `o=- ${Date.now()} 2 IN IP4 ${client.address}`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=msid-semantic: WMS bench',
    `m=audio ${client.port} UDP/TLS/RTP/SAVPF ${audio.payloadType}`,
    ...transport('0'),
    'a=msid:bench bench-audio',
    `a=rtpmap:${audio.payloadType} opus/48000/2`,
    `a=fmtp:${audio.payloadType} minptime=10;useinbandfec=1`,
    `a=ssrc:${audio.ssrc} cname:bench`,
    `a=ssrc:${audio.ssrc} msid:bench bench-audio`,
    `m=video ${client.port} UDP/TLS/RTP/SAVPF ${video.payloadType}`,
    ...transport('1'),
    'a=msid:bench bench-video',
    `a=rtpmap:${video.payloadType} VP8/90000`,
    `a=rtcp-fb:${video.payloadType} goog-remb`,
    `a=rtcp-fb:${video.payloadType} ccm fir`,
    `a=rtcp-fb:${video.payloadType} nack`,
    `a=rtcp-fb:${video.payloadType} nack pli`,
    `a=ssrc:${video.ssrc} cname:bench`,
    `a=ssrc:${video.ssrc} msid:bench bench-video`,
  ];
  // Through the model and back, so what is sent is what src/sdp writes.
  return writeSdp(parseDescription(`${lines.join('\r\n')}\r\n`, 'the publisher offer'));
}

/**
 * Where and how to connect, from the remote description: its ICE
 * credentials, its first IPv4 UDP candidate, its fingerprint, and our DTLS
 * role given what we wrote (`ourSetup`: actpass in our offer lets the
 * answerer choose; active or passive in our answer is final).
 */
export function remoteEndpointOf(
  description: SessionDescription,
  ourSetup: 'actpass' | 'active' | 'passive',
): RemoteEndpoint {
  const ice = iceParametersFromDescription(description);
  const fingerprint = fingerprintFromDescription(description);
  if (!ice || !fingerprint) throw new Error('remote description without ICE credentials or fingerprint');
  const section = transportSection(description);
  const candidates = [...(section?.candidates ?? []), ...description.media.flatMap((m) => m.candidates)];
  const candidate = candidates
    .map((line) => parseCandidateAddress(line))
    .find(
      (c) =>
        c !== undefined &&
        c.transport === 'udp' &&
        c.component === 1 &&
        /^\d+\.\d+\.\d+\.\d+$/.test(c.address),
    );
  if (!candidate) throw new Error(`remote description has no IPv4 UDP candidate:\n${writeSdp(description)}`);
  let dtlsRole: 'client' | 'server';
  if (ourSetup === 'active') dtlsRole = 'client';
  else if (ourSetup === 'passive') dtlsRole = 'server';
  else dtlsRole = setupFromDescription(description) === 'active' ? 'server' : 'client';
  return {
    ice: { usernameFragment: ice.usernameFragment, password: ice.password },
    address: candidate.address,
    port: candidate.port,
    dtlsRole,
    fingerprint: { algorithm: 'sha-256', value: fingerprint.value },
    controlling: ourSetup === 'actpass' || ice.iceLite,
  };
}

/**
 * A subscriber's answer to the server's offer: every audio and video
 * section accepted recvonly with Opus and VP8, DTLS active (we are the
 * client), our one candidate. Returns the answer text and where to connect.
 */
export function subscriberAnswer(
  client: WebRtcClient,
  offerText: string,
): { sdp: string; remote: RemoteEndpoint } {
  const offer = parseDescription(offerText, 'the subscribe offer');
  // createAnswer refuses a lite offer because the server's own answerer is
  // lite too (RFC 8839 §5.3); this client is a full, controlling agent.
  const answer = createAnswer(
    { ...offer, iceLite: false },
    {
      iceParameters: client.iceParameters,
      candidates: [client.candidateLine],
      fingerprint: { algorithm: 'sha-256', value: client.fingerprint },
      setup: 'active',
      direction: 'recvonly',
      codecs: { audio: ['opus'], video: ['VP8'] },
      headerExtensions: [
        'urn:ietf:params:rtp-hdrext:sdes:mid',
        'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      ],
    },
  );
  if (!answer.ok) throw new Error(`cannot answer the subscribe offer: ${answer.error.message}`);
  return { sdp: writeSdp(answer.value.description), remote: remoteEndpointOf(offer, 'active') };
}
