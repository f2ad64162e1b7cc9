/**
 * The router's side of the subscribe connection: the codecs it forwards
 * with fixed payload types, the header extensions it writes with fixed ids,
 * and the mapping from a producer's parameters (the publisher's payload
 * types) to a consumer's (ours).
 *
 * The SFU does not transcode: a consumer carries the producer's codecs,
 * renumbered. RTX is the router's own: the SFU retransmits from its packet
 * cache, so every consumer video codec gets the router's RTX codec whether
 * or not the publisher offered RTX.
 */
import { randomInt } from 'node:crypto';
import { negotiationFail, type SdpNegotiationResult } from './negotiation-error.js';
import {
  codecsMatch,
  isRtxCodec,
  mimeKind,
  type RtcpFeedback,
  type RtpCodecParameters,
  type RtpHeaderExtensionParameters,
  type RtpParameters,
} from './rtp-parameters.js';

const VIDEO_FEEDBACK: readonly RtcpFeedback[] = [
  { type: 'goog-remb' },
  { type: 'transport-cc' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
];

function video(payloadType: number, name: string, parameters: Record<string, string | number> = {}) {
  const media: RtpCodecParameters = {
    mimeType: `video/${name}`,
    payloadType,
    clockRate: 90000,
    parameters,
    rtcpFeedback: VIDEO_FEEDBACK.map((feedback) => ({ ...feedback })),
  };
  const rtx: RtpCodecParameters = {
    mimeType: 'video/rtx',
    payloadType: payloadType + 1,
    clockRate: 90000,
    parameters: { apt: payloadType },
    rtcpFeedback: [],
  };
  return [media, rtx];
}

function h264(payloadType: number, profileLevelId: string): RtpCodecParameters[] {
  return video(payloadType, 'H264', {
    'level-asymmetry-allowed': 1,
    'packetization-mode': 1,
    'profile-level-id': profileLevelId,
  });
}

/**
 * The router's codecs with the payload types the subscribe offer uses, each
 * video codec followed by its RTX. The numbers are libwebrtc's where they
 * agree, so a browser's answer rarely has to map anything. H264 comes in the
 * profiles browsers send with packetization-mode 1: constrained baseline
 * (42e01f), baseline (42001f, what Chromium lists first), main (4d001f) and
 * constrained high (640c1f, what Safari lists first); they differ in profile,
 * so codecsMatch keeps them apart.
 */
export const ROUTER_CODECS: readonly RtpCodecParameters[] = Object.freeze(
  [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: 10, useinbandfec: 1 },
      rtcpFeedback: [{ type: 'transport-cc' }],
    },
    ...video(96, 'VP8'),
    ...video(98, 'VP9', { 'profile-id': 0 }),
    ...h264(102, '42e01f'),
    ...h264(104, '42001f'),
    ...h264(106, '4d001f'),
    ...h264(108, '640c1f'),
    ...video(45, 'AV1'),
  ].map(freezeCodec),
);

/** Header extension URIs the router writes on the subscribe side. */
export const RTP_HEADER_EXTENSION_URIS = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  transportWideCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  videoOrientation: 'urn:3gpp:video-orientation',
} as const;

/**
 * The header extensions offered to subscribers, with fixed ids (libwebrtc's
 * numbering). One id per URI across every section, as RFC 8843 §9.2 asks of
 * bundled sections. No rid: a consumer is a single stream.
 */
export const SUBSCRIBE_HEADER_EXTENSIONS: Readonly<
  Record<'audio' | 'video', readonly RtpHeaderExtensionParameters[]>
> = Object.freeze({
  audio: freezeExtensions([
    { uri: RTP_HEADER_EXTENSION_URIS.audioLevel, id: 1 },
    { uri: RTP_HEADER_EXTENSION_URIS.absSendTime, id: 2 },
    { uri: RTP_HEADER_EXTENSION_URIS.transportWideCc, id: 3 },
    { uri: RTP_HEADER_EXTENSION_URIS.mid, id: 4 },
  ]),
  video: freezeExtensions([
    { uri: RTP_HEADER_EXTENSION_URIS.absSendTime, id: 2 },
    { uri: RTP_HEADER_EXTENSION_URIS.transportWideCc, id: 3 },
    { uri: RTP_HEADER_EXTENSION_URIS.mid, id: 4 },
    { uri: RTP_HEADER_EXTENSION_URIS.videoOrientation, id: 13 },
  ]),
});

/** A consumer's parameters and how to rewrite the producer's packets into them. */
export interface ConsumerRtpParameters {
  /** What the consumer sends: the router's payload types, our SSRCs, the subscribe header extensions. */
  rtpParameters: RtpParameters;
  /** Producer media payload type → consumer payload type, for rewriting forwarded packets. */
  payloadTypes: ReadonlyMap<number, number>;
}

/** What the caller may fix about a consumer; the rest is derived. */
export interface ConsumerRtpOptions {
  /** SSRC of the consumer's stream; random when absent. */
  ssrc?: number;
  /** SSRC of its RTX stream; random when absent and an RTX codec is used. */
  rtxSsrc?: number;
  /** CNAME; the producer's by default, which keeps its audio and video in sync. */
  cname?: string;
  /** Header extensions; SUBSCRIBE_HEADER_EXTENSIONS of the kind by default. */
  headerExtensions?: readonly RtpHeaderExtensionParameters[];
}

/**
 * A consumer's RTP parameters for a producer: each producer media codec the
 * router knows (codecsMatch), in the producer's order, with the router's
 * payload type and feedback, followed by the router's RTX for it. Producer
 * codecs the router does not know are left out; when none is known the
 * consumer cannot exist (ERR_SDP_UNSUPPORTED_CODEC). One encoding, no rids:
 * the SFU forwards one simulcast layer at a time on one SSRC. Never throws.
 */
export function consumerRtpParameters(
  producer: RtpParameters,
  routerCodecs: readonly RtpCodecParameters[],
  options: ConsumerRtpOptions = {},
): SdpNegotiationResult<ConsumerRtpParameters> {
  const producerCodecs = producer.codecs.filter((codec) => !isRtxCodec(codec));
  if (producerCodecs.length === 0)
    return negotiationFail('ERR_SDP_UNSUPPORTED_CODEC', 'the producer has no media codec', producer.mid);
  const kind = mimeKind(producerCodecs[0].mimeType);
  if ((kind !== 'audio' && kind !== 'video') || producerCodecs.some((c) => mimeKind(c.mimeType) !== kind))
    return negotiationFail('ERR_SDP_INVALID_ARGUMENT', 'producer codecs must all be audio or all video');
  for (const [name, ssrc] of [
    ['ssrc', options.ssrc],
    ['rtxSsrc', options.rtxSsrc],
  ] as const)
    if (ssrc !== undefined && !isSsrc(ssrc))
      return negotiationFail('ERR_SDP_INVALID_ARGUMENT', `${name} must be a 32-bit unsigned integer`);

  const codecs: RtpCodecParameters[] = [];
  const payloadTypes = new Map<number, number>();
  const used = new Set<RtpCodecParameters>();
  for (const producerCodec of producerCodecs) {
    const routerCodec = routerCodecs.find(
      (candidate) => !isRtxCodec(candidate) && !used.has(candidate) && codecsMatch(producerCodec, candidate),
    );
    if (routerCodec === undefined) continue;
    used.add(routerCodec);
    payloadTypes.set(producerCodec.payloadType, routerCodec.payloadType);
    codecs.push(copyCodec(routerCodec));
    const rtx = routerCodecs.find(
      (candidate) => isRtxCodec(candidate) && Number(candidate.parameters['apt']) === routerCodec.payloadType,
    );
    if (rtx !== undefined) codecs.push(copyCodec(rtx));
  }
  if (codecs.length === 0) {
    const names = producerCodecs.map((codec) => codec.mimeType).join(', ');
    return negotiationFail('ERR_SDP_UNSUPPORTED_CODEC', `no router codec matches ${names}`, producer.mid);
  }

  if (options.ssrc !== undefined && options.ssrc === options.rtxSsrc)
    return negotiationFail('ERR_SDP_INVALID_ARGUMENT', 'ssrc and rtxSsrc must differ');
  const ssrc = options.ssrc ?? randomSsrc();
  const encoding: RtpParameters['encodings'][number] = { ssrc };
  if (codecs.some(isRtxCodec)) {
    let rtxSsrc = options.rtxSsrc;
    while (rtxSsrc === undefined || rtxSsrc === ssrc) rtxSsrc = randomSsrc();
    encoding.rtx = { ssrc: rtxSsrc };
  }
  const rtpParameters: RtpParameters = {
    codecs,
    headerExtensions: (options.headerExtensions ?? SUBSCRIBE_HEADER_EXTENSIONS[kind]).map(({ uri, id }) => ({
      uri,
      id,
    })),
    encodings: [encoding],
    rtcp: { reducedSize: true },
  };
  const cname = options.cname ?? producer.rtcp.cname;
  if (cname !== undefined) rtpParameters.rtcp.cname = cname;
  return { ok: true, value: { rtpParameters, payloadTypes } };
}

function freezeExtensions(
  extensions: RtpHeaderExtensionParameters[],
): readonly RtpHeaderExtensionParameters[] {
  for (const extension of extensions) Object.freeze(extension);
  return Object.freeze(extensions);
}

function freezeCodec(codec: RtpCodecParameters): RtpCodecParameters {
  Object.freeze(codec.parameters);
  for (const feedback of codec.rtcpFeedback) Object.freeze(feedback);
  Object.freeze(codec.rtcpFeedback);
  return Object.freeze(codec);
}

function copyCodec(codec: RtpCodecParameters): RtpCodecParameters {
  return {
    ...codec,
    parameters: { ...codec.parameters },
    rtcpFeedback: codec.rtcpFeedback.map((feedback) => ({ ...feedback })),
  };
}

function isSsrc(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** A random non-zero SSRC (RFC 3550 §8.1 asks for random SSRCs). */
function randomSsrc(): number {
  return randomInt(1, 0xffffffff);
}
