/**
 * The RTP parameters of one media stream, in the shape of mediasoup's ORTC
 * model: plain data that links the two SDP sides of the SFU. A producer's
 * parameters come from the publish offer and our answer to it
 * (rtpParametersFromAnswer); a consumer's are derived from them with the
 * router's payload types (capabilities.ts) and written into the subscribe
 * offer (offer.ts).
 */

import type { AnswerMedia } from './answer.js';
import {
  H264_DEFAULT_PROFILE_LEVEL_ID,
  type H264ProfileLevelId,
  parseH264ProfileLevelId,
} from './h264-profile-level-id.js';
import { offeredCodec } from './negotiate.js';
import { negotiationFail, type SdpNegotiationResult } from './negotiation-error.js';
import type { SdpMediaSection, SessionDescription } from './types.js';

/** One a=rtcp-fb entry (RFC 4585 §4.2) of a codec. */
export interface RtcpFeedback {
  /** Feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`. */
  type: string;
  /** Parameter after the type (`pli`, `fir`), absent when there is none. */
  parameter?: string;
}

/** One codec of a stream, with the payload type it is sent with. */
export interface RtpCodecParameters {
  /** `<kind>/<encoding name>`: `audio/opus`, `video/VP8`, `video/rtx`. Compared case-insensitively. */
  mimeType: string;
  /** RTP payload type, 0–127. */
  payloadType: number;
  /** RTP clock rate in Hz. */
  clockRate: number;
  /** Audio channels, when the codec names them (opus: 2). */
  channels?: number;
  /** fmtp parameters; decimal values without leading zeros are numbers, the rest text. */
  parameters: Record<string, string | number>;
  /** RTCP feedback both sides use with this codec. */
  rtcpFeedback: RtcpFeedback[];
}

/** One RTP header extension (RFC 8285) and the id it is carried with. */
export interface RtpHeaderExtensionParameters {
  /** Extension URI. */
  uri: string;
  /** Local id, 1–14 in the one-byte form. */
  id: number;
}

/** One RTP stream of a producer or consumer: a simulcast layer, or the only stream. */
export interface RtpEncodingParameters {
  /** SSRC of the media stream; absent when it is learned from the first packet (rid or mid). */
  ssrc?: number;
  /** SSRC of its RTX stream (RFC 4588), when one is announced. */
  rtx?: { ssrc: number };
  /** Simulcast rid (RFC 8851), carried in the sdes:rtp-stream-id extension. */
  rid?: string;
}

/** RTCP settings of a stream. */
export interface RtcpParameters {
  /** CNAME of the sender (RFC 3550 §6.5.1); streams with one CNAME are played in sync. */
  cname?: string;
  /** True for reduced-size RTCP (RFC 5506). */
  reducedSize: boolean;
}

/** Everything needed to send or receive one stream. */
export interface RtpParameters {
  /** The mid of the media section (RFC 8843 §15.1), carried in the sdes:mid extension. */
  mid?: string;
  /** Media codecs in preference order, each followed by its RTX codec (parameters.apt = its payload type). */
  codecs: RtpCodecParameters[];
  /** Header extensions with their ids. */
  headerExtensions: RtpHeaderExtensionParameters[];
  /** The streams sent, one per simulcast layer; empty when nothing is sent. */
  encodings: RtpEncodingParameters[];
  /** RTCP settings. */
  rtcp: RtcpParameters;
}

/** True for an RTX codec (RFC 4588), whose parameters.apt names the codec it repairs. */
export function isRtxCodec(codec: Pick<RtpCodecParameters, 'mimeType'>): boolean {
  return codec.mimeType.toLowerCase().endsWith('/rtx');
}

/** The kind part of a mime type, lower case: `audio`, `video`. */
export function mimeKind(mimeType: string): string {
  const slash = mimeType.indexOf('/');
  return (slash < 0 ? mimeType : mimeType.slice(0, slash)).toLowerCase();
}

/**
 * fmtp parameters with decimal values as numbers (`minptime=10` → 10), as
 * mediasoup holds them. A value with a leading zero or hex digits stays text
 * (profile-level-id `42e01f`, and `420032` too: that parameter is always text).
 */
export function typedFmtpParameters(parameters: Record<string, string>): Record<string, string | number> {
  const typed: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(parameters)) {
    typed[key] = key !== 'profile-level-id' && /^(0|[1-9][0-9]{0,14})$/.test(value) ? Number(value) : value;
  }
  return typed;
}

/** The fmtp text for a parameter record, in insertion order (`minptime=10;useinbandfec=1`). */
export function formatFmtpParameters(parameters: Record<string, string | number>): string {
  return Object.entries(parameters)
    .map(([key, value]) => (value === '' ? key : `${key}=${value}`))
    .join(';');
}

function parameterText(codec: RtpCodecParameters, key: string, fallback: string): string {
  const value = codec.parameters[key];
  return value === undefined ? fallback : String(value).trim().toLowerCase();
}

function h264Profile(codec: RtpCodecParameters): H264ProfileLevelId | undefined {
  return parseH264ProfileLevelId(parameterText(codec, 'profile-level-id', H264_DEFAULT_PROFILE_LEVEL_ID));
}

/**
 * True when two codec descriptions are the same codec configuration, so a
 * stream of one can be forwarded as the other:
 *
 * - same mime type (case-insensitive) and clock rate;
 * - audio: same channel count (1 when absent);
 * - H264: same packetization-mode (RFC 6184 §8.1, default 0) and the same
 *   profile from profile-level-id (§8.2.2: the level may differ);
 * - VP9: same profile-id (default 0);
 * - AV1: same profile (default 0);
 * - H265: same profile-id (default 1).
 *
 * RTX codecs match on mime type and clock rate; their apt differs by design.
 */
export function codecsMatch(a: RtpCodecParameters, b: RtpCodecParameters): boolean {
  const mimeType = a.mimeType.toLowerCase();
  if (mimeType !== b.mimeType.toLowerCase() || a.clockRate !== b.clockRate) return false;
  if (mimeKind(mimeType) === 'audio' && (a.channels ?? 1) !== (b.channels ?? 1)) return false;
  switch (mimeType) {
    case 'video/h264': {
      if (parameterText(a, 'packetization-mode', '0') !== parameterText(b, 'packetization-mode', '0'))
        return false;
      const profileA = h264Profile(a);
      const profileB = h264Profile(b);
      return profileA !== undefined && profileB !== undefined && profileA.profile === profileB.profile;
    }
    case 'video/vp9':
      return parameterText(a, 'profile-id', '0') === parameterText(b, 'profile-id', '0');
    case 'video/av1':
      return parameterText(a, 'profile', '0') === parameterText(b, 'profile', '0');
    case 'video/h265':
      return parameterText(a, 'profile-id', '1') === parameterText(b, 'profile-id', '1');
    default:
      return true;
  }
}

/**
 * What a publisher sends on one mid of the publish connection: the codecs
 * and header extensions of our answer (the offer's payload types and ids),
 * and its streams from the offer: the rids it sends when simulcast was
 * agreed (RFC 8853), else the SSRCs of an a=ssrc-group:SIM, else its one
 * media SSRC, each with the RTX SSRC that an a=ssrc-group:FID pairs with it
 * (RFC 5576 §4.2). With no a=ssrc lines at all (an offer that binds streams
 * by mid only) the one encoding has no SSRC: the media engine learns it from
 * the first packet carrying the mid. Nothing is sent when the answer does
 * not receive on the mid. Never throws.
 */
export function rtpParametersFromAnswer(
  offer: SessionDescription,
  answerMedia: AnswerMedia,
): SdpNegotiationResult<RtpParameters> {
  const mid = answerMedia.mid;
  const section = offer.media.find((candidate) => candidate.mid === mid);
  if (section === undefined) return negotiationFail('ERR_SDP_UNKNOWN_MID', 'the offer has no such mid', mid);
  if (answerMedia.kind === 'application')
    return negotiationFail('ERR_SDP_INVALID_ARGUMENT', 'a data channel section carries no RTP', mid);
  const kind = answerMedia.kind;

  const codecs: RtpCodecParameters[] = [];
  for (const negotiated of answerMedia.codecs) {
    const codec: RtpCodecParameters = {
      mimeType: `${kind}/${negotiated.name}`,
      payloadType: negotiated.payloadType,
      clockRate: negotiated.clockRate,
      parameters: typedFmtpParameters(negotiated.parameters),
      rtcpFeedback: negotiated.rtcpFeedback.map((feedback) => ({ ...feedback })),
    };
    if (negotiated.channels !== undefined && kind === 'audio') codec.channels = negotiated.channels;
    codecs.push(codec);
    if (negotiated.rtxPayloadType !== undefined) {
      const rtx = offeredCodec(section, negotiated.rtxPayloadType);
      codecs.push({
        mimeType: `${kind}/${rtx?.name ?? 'rtx'}`,
        payloadType: negotiated.rtxPayloadType,
        clockRate: rtx?.clockRate ?? negotiated.clockRate,
        parameters: { apt: negotiated.payloadType },
        rtcpFeedback: [],
      });
    }
  }

  const receiving = answerMedia.direction === 'recvonly' || answerMedia.direction === 'sendrecv';
  const rtxAgreed = answerMedia.codecs.some((codec) => codec.rtxPayloadType !== undefined);
  const encodings = receiving ? offeredEncodings(section, answerMedia.receiveRids, rtxAgreed) : [];

  const rtcp: RtcpParameters = { reducedSize: answerMedia.rtcpRsize };
  const cname = offeredCname(section, encodings[0]?.ssrc);
  if (cname !== undefined) rtcp.cname = cname;
  return {
    ok: true,
    value: {
      mid,
      codecs,
      headerExtensions: answerMedia.headerExtensions.map(({ uri, id }) => ({ uri, id })),
      encodings,
      rtcp,
    },
  };
}

/** The streams an offer section announces, as encodings (see rtpParametersFromAnswer). */
function offeredEncodings(
  section: SdpMediaSection,
  receiveRids: string[],
  rtxAgreed: boolean,
): RtpEncodingParameters[] {
  if (receiveRids.length > 0) return receiveRids.map((rid) => ({ rid }));
  // RFC 5576 §4.2: FID pairs a media SSRC with the SSRC of its retransmissions.
  const rtxOf = new Map<number, number>();
  for (const group of section.ssrcGroups)
    if (group.semantics === 'FID' && group.ssrcs.length === 2) rtxOf.set(group.ssrcs[0], group.ssrcs[1]);
  const repairSsrcs = new Set<number>();
  for (const group of section.ssrcGroups)
    if (group.semantics === 'FID' || group.semantics === 'FEC-FR')
      for (const ssrc of group.ssrcs.slice(1)) repairSsrcs.add(ssrc);
  const encoding = (ssrc: number): RtpEncodingParameters => {
    const rtx = rtxOf.get(ssrc);
    return rtx !== undefined && rtxAgreed ? { ssrc, rtx: { ssrc: rtx } } : { ssrc };
  };
  // Legacy simulcast announces its layers as one SIM group, lowest first.
  const sim = section.ssrcGroups.find((group) => group.semantics === 'SIM' && group.ssrcs.length > 0);
  if (sim !== undefined) return sim.ssrcs.map(encoding);
  const primary = section.ssrcs.find((line) => !repairSsrcs.has(line.ssrc));
  return [primary === undefined ? {} : encoding(primary.ssrc)];
}

/** The cname of a source (RFC 5576 §6.1), else the first cname in the section. */
function offeredCname(section: SdpMediaSection, ssrc: number | undefined): string | undefined {
  const cnames = section.ssrcs.filter((line) => line.attribute === 'cname' && line.value !== undefined);
  return (cnames.find((line) => line.ssrc === ssrc) ?? cnames[0])?.value;
}
