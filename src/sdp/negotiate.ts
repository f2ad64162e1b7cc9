/**
 * Intersecting what an offer lists with what we accept: codecs with their
 * RTX (RFC 4588 §8.1), RTCP feedback (RFC 4585 §4.2), header extensions
 * (RFC 8285 §7) and directions (RFC 3264 §6.1). Pure functions; answer.ts
 * builds the answer from their results.
 */
import { fmtpParameters } from './codec.js';
import { parseInteger } from './lines.js';
import type { SdpCodec, SdpDirection, SdpExtmap, SdpMediaSection, SdpRtcpFeedback } from './types.js';

/** Header extension URIs the answerer needs to recognise by name. */
export const TRANSPORT_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** sdes:rtp-stream-id, which carries the rid of a simulcast layer (RFC 8852 §3.1). */
export const RTP_STREAM_ID_URI = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';

/** A codec both sides agreed on, with its RTX payload type when one was agreed too. */
export interface NegotiatedCodec {
  /** Payload type, as the offer numbered it. */
  payloadType: number;
  /** Encoding name as the offer wrote it. */
  name: string;
  /** Clock rate in Hz. */
  clockRate: number;
  /** Audio channels, when the offer gave them. */
  channels?: number;
  /** The offer's a=fmtp value, unchanged. */
  fmtp?: string;
  /** The same, split into parameters. */
  parameters: Record<string, string>;
  /** Feedback both sides use. */
  rtcpFeedback: SdpRtcpFeedback[];
  /** Payload type of the RTX stream that repairs this codec (apt points here). */
  rtxPayloadType?: number;
}

/** Static payload types of RFC 3551 §6 table 4 that an offer may list without a=rtpmap. */
const STATIC_PAYLOAD_TYPES: Record<number, { name: string; clockRate: number; channels?: number }> = {
  0: { name: 'PCMU', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 },
};

/** The feedback the media engine implements, as `type` or `type parameter`. */
const SUPPORTED_FEEDBACK = new Set(['nack', 'nack pli', 'ccm fir', 'goog-remb', 'transport-cc']);

/** The offer's codecs in m= line order, with names filled in for static payload types. */
function offeredCodecs(section: SdpMediaSection): SdpCodec[] {
  const byPayloadType = new Map(section.codecs.map((codec) => [codec.payloadType, codec]));
  const codecs: SdpCodec[] = [];
  for (const format of section.formats) {
    const payloadType = parseInteger(format, 0, 127);
    if (payloadType === undefined) continue;
    const codec = byPayloadType.get(payloadType) ?? { payloadType, rtcpFeedback: [] };
    const known = STATIC_PAYLOAD_TYPES[payloadType];
    if (codec.name === undefined && known !== undefined) codecs.push({ ...codec, ...known });
    else if (codec.name !== undefined && codec.clockRate !== undefined) codecs.push(codec);
  }
  return codecs;
}

/**
 * The codecs we answer with: every offered codec whose name is in
 * `acceptedNames` (case-insensitive), ordered by our preference and then by
 * the offer's order, each followed by the offered RTX whose apt points to
 * it. Feedback is limited to SUPPORTED_FEEDBACK, without transport-cc when
 * the transport-cc header extension was not agreed.
 */
export function negotiateCodecs(
  section: SdpMediaSection,
  acceptedNames: readonly string[],
  agreedExtensionUris: ReadonlySet<string>,
): NegotiatedCodec[] {
  const offered = offeredCodecs(section);
  const keepFeedback = (feedback: SdpRtcpFeedback): boolean => {
    const key = feedback.parameter === undefined ? feedback.type : `${feedback.type} ${feedback.parameter}`;
    if (!SUPPORTED_FEEDBACK.has(key)) return false;
    // Transport-wide feedback counts the sequence numbers the extension carries.
    return key !== 'transport-cc' || agreedExtensionUris.has(TRANSPORT_CC_URI);
  };
  const selected: NegotiatedCodec[] = [];
  const taken = new Set<number>();
  for (const wanted of acceptedNames) {
    const wantedName = wanted.toLowerCase();
    if (wantedName === 'rtx') continue;
    for (const codec of offered) {
      if (codec.name!.toLowerCase() !== wantedName || taken.has(codec.payloadType)) continue;
      taken.add(codec.payloadType);
      const negotiated: NegotiatedCodec = {
        payloadType: codec.payloadType,
        name: codec.name!,
        clockRate: codec.clockRate!,
        parameters: fmtpParameters(codec.fmtp),
        rtcpFeedback: codec.rtcpFeedback.filter(keepFeedback),
      };
      if (codec.channels !== undefined) negotiated.channels = codec.channels;
      if (codec.fmtp !== undefined) negotiated.fmtp = codec.fmtp;
      selected.push(negotiated);
    }
  }
  for (const codec of offered) {
    if (codec.name!.toLowerCase() !== 'rtx') continue;
    // RFC 4588 §8.1: apt names the payload type this RTX stream repairs.
    const apt = parseInteger(fmtpParameters(codec.fmtp)['apt'] ?? '', 0, 127);
    const primary = selected.find((candidate) => candidate.payloadType === apt);
    if (primary !== undefined && primary.rtxPayloadType === undefined)
      primary.rtxPayloadType = codec.payloadType;
  }
  return selected;
}

/** The offer's RTX codec entry for a payload type, for writing its rtpmap and fmtp back. */
export function offeredCodec(section: SdpMediaSection, payloadType: number): SdpCodec | undefined {
  return section.codecs.find((codec) => codec.payloadType === payloadType);
}

/**
 * The offered header extensions whose URI we accept, keeping the offer's ids
 * (RFC 8285 §7). Ids from the 4096–4351 range would have to be renumbered,
 * so they are declined. A direction is mirrored: what the offerer only sends
 * we only receive.
 */
export function negotiateExtmaps(section: SdpMediaSection, acceptedUris: readonly string[]): SdpExtmap[] {
  const accepted = new Set(acceptedUris);
  const agreed: SdpExtmap[] = [];
  for (const extmap of section.extmaps) {
    if (!accepted.has(extmap.uri) || extmap.id > 255 || agreed.some((a) => a.uri === extmap.uri)) continue;
    const answer: SdpExtmap = { id: extmap.id, uri: extmap.uri };
    if (extmap.direction !== undefined) answer.direction = reverseDirection(extmap.direction);
    agreed.push(answer);
  }
  return agreed;
}

/** The direction seen from the other end: sendonly ↔ recvonly. */
export function reverseDirection(direction: SdpDirection): SdpDirection {
  if (direction === 'sendonly') return 'recvonly';
  if (direction === 'recvonly') return 'sendonly';
  return direction;
}

/**
 * The answer's direction (RFC 3264 §6.1): we send only what the offerer
 * will receive and receive only what it will send. An absent direction
 * means sendrecv (RFC 8866 §6.7).
 */
export function answerDirection(offered: SdpDirection | undefined, wanted: SdpDirection): SdpDirection {
  const offer = offered ?? 'sendrecv';
  const offererSends = offer === 'sendrecv' || offer === 'sendonly';
  const offererReceives = offer === 'sendrecv' || offer === 'recvonly';
  const send = (wanted === 'sendrecv' || wanted === 'sendonly') && offererReceives;
  const receive = (wanted === 'sendrecv' || wanted === 'recvonly') && offererSends;
  if (send && receive) return 'sendrecv';
  if (send) return 'sendonly';
  if (receive) return 'recvonly';
  return 'inactive';
}
