/**
 * The answer of a server-side WebRTC endpoint (RFC 8829 §5.3.1, JSEP) to an
 * offer from a browser, libwebrtc or libdatachannel: ICE-lite (RFC 8839
 * §5.3) with all our candidates in the answer, one DTLS transport
 * (RFC 8842) shared by every section through BUNDLE (RFC 8843), SRTP with
 * RTP and RTCP on one port (rtcp-mux, RFC 5761), and SCTP data channels
 * (RFC 8841).
 *
 * One answer section per offered section, in order and with the same mid.
 * A section is rejected (port 0, RFC 3264 §6) when its kind or protocol is
 * not one we serve, it shares no codec with us, it is outside the offer's
 * BUNDLE group, it lacks rtcp-mux, or the offer already disabled it. An offer
 * without a BUNDLE group gets only its first usable section: we run one
 * transport.
 */
import { randomBytes } from 'node:crypto';
import { type SdpResult, sdpFail } from './errors.js';
import {
  answerDirection,
  type NegotiatedCodec,
  negotiateCodecs,
  negotiateExtmaps,
  offeredCodec,
  RTP_STREAM_ID_URI,
} from './negotiate.js';
import { iceParametersFromDescription } from './parameters.js';
import {
  isIcePwd,
  isIceUfrag,
  parseCandidateAddress,
  parseFingerprint,
  stripCandidatePrefix,
} from './transport.js';
import type {
  SdpCodec,
  SdpConnection,
  SdpDirection,
  SdpExtmap,
  SdpMediaSection,
  SdpSetupRole,
  SdpSsrcAttribute,
  SessionDescription,
} from './types.js';

/** Audio codecs accepted when the caller names none. */
export const DEFAULT_AUDIO_CODECS: readonly string[] = ['opus'];
/** Video codecs accepted when the caller names none, in preference order. */
export const DEFAULT_VIDEO_CODECS: readonly string[] = ['VP8', 'VP9', 'H264', 'AV1'];
/** Header extensions accepted when the caller names none. */
export const DEFAULT_HEADER_EXTENSIONS: readonly string[] = [
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  'urn:3gpp:video-orientation',
];
/** The SCTP port we announce (RFC 8841 §5); the one every WebRTC stack uses. */
export const ANSWER_SCTP_PORT = 5000;
/** Our a=max-message-size when the caller gives none (RFC 8841 §6). */
export const DEFAULT_MAX_MESSAGE_SIZE = 262144;

/** The media we send on one mid. */
export interface AnswerSendSsrc {
  /** SSRC of the media stream. */
  ssrc: number;
  /** SSRC of its RTX stream, used when an RTX codec was agreed. */
  rtxSsrc?: number;
  /** RTCP CNAME (RFC 3550 §6.5.1). */
  cname: string;
  /** The a=msid value, `<stream id> <track id>`; defaults to `<cname> <cname>-<mid>`. */
  msid?: string;
}

/** Our side of the answer. */
export interface AnswerLocalParameters {
  /** Our ICE credentials (RFC 8839 §5.4). */
  iceParameters: { usernameFragment: string; password: string };
  /** Our candidates, as `candidate:…` strings (with or without the prefix). */
  candidates: string[];
  /** Hash of our DTLS certificate. */
  fingerprint: { algorithm: 'sha-256'; value: string };
  /** Our DTLS role; it must be compatible with the offer's a=setup. */
  setup: 'active' | 'passive';
  /** Accepted codec names in preference order; defaults DEFAULT_AUDIO_CODECS and DEFAULT_VIDEO_CODECS. */
  codecs?: { audio?: string[]; video?: string[] };
  /** Accepted header extension URIs; default DEFAULT_HEADER_EXTENSIONS. */
  headerExtensions?: readonly string[];
  /** Media we send back, per mid. */
  sendSsrcs?: Record<string, AnswerSendSsrc>;
  /** What we want on every media section; default sendrecv where sendSsrcs names the mid, else recvonly. */
  direction?: 'sendrecv' | 'recvonly' | 'sendonly';
  /** Our a=max-message-size for data channels; default DEFAULT_MAX_MESSAGE_SIZE. */
  maxMessageSize?: number;
  /** o= session id; a random 62-bit number when absent (RFC 8829 §5.2.1). */
  sessionId?: string;
}

/** What was agreed for one accepted mid. */
export interface AnswerMedia {
  /** The section's mid. */
  mid: string;
  /** Kind of the section. */
  kind: 'audio' | 'video' | 'application';
  /** Direction written in the answer (our point of view). */
  direction: SdpDirection;
  /** Agreed codecs in our preference order, each with its RTX payload type; empty for application. */
  codecs: NegotiatedCodec[];
  /** Agreed header extensions with the offer's ids. */
  headerExtensions: Array<{ id: number; uri: string }>;
  /** True when both sides use reduced-size RTCP (RFC 5506). */
  rtcpRsize: boolean;
  /** Simulcast rids we accepted to receive, in the offer's order; empty without simulcast. */
  receiveRids: string[];
  /** What we announced to send, when we send on this mid. */
  send?: AnswerSendSsrc;
}

/** The answer and what it agreed to. */
export interface SdpAnswer {
  /** The answer, ready for writeSdp. */
  description: SessionDescription;
  /** Accepted sections, in m= line order. */
  mids: AnswerMedia[];
}

/** Protocols of RTP sections we answer (RFC 5764 §8; the TCP one from RFC 7850). */
const RTP_PROTOCOLS = new Set(['UDP/TLS/RTP/SAVPF', 'TCP/TLS/RTP/SAVPF']);
/** Protocols of data channel sections we answer (RFC 8841 §4). */
const SCTP_PROTOCOLS = new Set(['UDP/DTLS/SCTP', 'TCP/DTLS/SCTP']);

/** Builds our answer to an offer. Never throws; refuses with an SdpError when no answer is possible. */
export function createAnswer(offer: SessionDescription, local: AnswerLocalParameters): SdpResult<SdpAnswer> {
  const invalid = validateLocal(local);
  if (invalid !== undefined) return sdpFail('ERR_SDP_INVALID_ARGUMENT', invalid);
  // RFC 8839 §5.3: two lite agents would never run a connectivity check.
  if (offer.iceLite) return sdpFail('ERR_SDP_BOTH_ICE_LITE', 'the offer is ICE-lite and so are we');

  const bundle = offer.groups.find((group) => group.semantics === 'BUNDLE');
  const plans = offer.media.map((section) => planSection(section, bundle?.mids, local));
  // One transport: without BUNDLE only the first usable section is kept.
  if (bundle === undefined) {
    const first = plans.findIndex((plan) => plan !== undefined);
    for (let index = first + 1; index < plans.length; index++) plans[index] = undefined;
  }
  const firstIndex = plans.findIndex((plan) => plan !== undefined);

  if (firstIndex >= 0) {
    const transportMid = offer.media[firstIndex].mid;
    const ice = iceParametersFromDescription(offer, transportMid);
    if (ice === undefined)
      return sdpFail('ERR_SDP_MISSING_ICE_PARAMETERS', 'the offer has no ice-ufrag/ice-pwd');
    const section = offer.media[firstIndex];
    if (section.fingerprints.length === 0 && offer.fingerprints.length === 0)
      return sdpFail('ERR_SDP_MISSING_FINGERPRINT', 'the offer has no a=fingerprint');
    // RFC 4145 §4: without a=setup the offerer is active.
    const offeredSetup = section.setup ?? offer.setup ?? 'active';
    const compatible =
      offeredSetup === 'actpass' || (offeredSetup === 'active') === (local.setup === 'passive');
    if (offeredSetup === 'holdconn' || !compatible)
      return sdpFail('ERR_SDP_INCOMPATIBLE_SETUP', `offer a=setup:${offeredSetup}, ours ${local.setup}`);
  }

  const candidates = local.candidates.map(stripCandidatePrefix);
  const { port, connection } = defaultAddress(candidates);
  const media: SdpMediaSection[] = [];
  const mids: AnswerMedia[] = [];
  offer.media.forEach((offered, index) => {
    const plan = plans[index];
    if (plan === undefined) {
      media.push(rejectedSection(offered));
      return;
    }
    const section = acceptedSection(offered, plan, local, port, connection);
    if (index === firstIndex) {
      section.candidates = candidates;
      section.endOfCandidates = true;
    }
    media.push(section);
    mids.push(plan.media);
  });

  const description: SessionDescription = {
    version: 0,
    origin: {
      username: '-',
      sessionId: local.sessionId ?? randomSessionId(),
      sessionVersion: '2',
      netType: 'IN',
      addrType: 'IP4',
      unicastAddress: '127.0.0.1',
    },
    sessionName: '-',
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [{ start: '0', stop: '0', repeats: [] }],
    groups:
      bundle === undefined || mids.length === 0
        ? []
        : [{ semantics: 'BUNDLE', mids: mids.map((m) => m.mid) }],
    iceLite: true,
    fingerprints: [],
    attributes: [],
    media,
  };
  return { ok: true, value: { description, mids } };
}

/** What we will answer for one accepted section. */
interface SectionPlan {
  media: AnswerMedia;
  extmaps: SdpExtmap[];
}

/** Decides whether a section is accepted and what is agreed for it; undefined rejects it. */
function planSection(
  offered: SdpMediaSection,
  bundleMids: string[] | undefined,
  local: AnswerLocalParameters,
): SectionPlan | undefined {
  const mid = offered.mid;
  if (offered.port === 0 || mid === undefined) return undefined;
  if (bundleMids !== undefined && !bundleMids.includes(mid)) return undefined;

  if (offered.kind === 'application') {
    if (!SCTP_PROTOCOLS.has(offered.protocol) || !offered.formats.includes('webrtc-datachannel'))
      return undefined;
    return {
      media: {
        mid,
        kind: 'application',
        direction: 'sendrecv',
        codecs: [],
        headerExtensions: [],
        rtcpRsize: false,
        receiveRids: [],
      },
      extmaps: [],
    };
  }
  if (offered.kind !== 'audio' && offered.kind !== 'video') return undefined;
  // WebRTC multiplexes RTCP with RTP (RFC 8834 §4.5); we do not listen for it elsewhere.
  if (!RTP_PROTOCOLS.has(offered.protocol) || !offered.rtcpMux) return undefined;

  const extmaps = negotiateExtmaps(offered, local.headerExtensions ?? DEFAULT_HEADER_EXTENSIONS);
  const uris = new Set(extmaps.map((extmap) => extmap.uri));
  const names =
    offered.kind === 'audio'
      ? (local.codecs?.audio ?? DEFAULT_AUDIO_CODECS)
      : (local.codecs?.video ?? DEFAULT_VIDEO_CODECS);
  const codecs = negotiateCodecs(offered, names, uris);
  if (codecs.length === 0) return undefined;

  const sendSsrc = local.sendSsrcs?.[mid];
  const wanted = local.direction ?? (sendSsrc === undefined ? 'recvonly' : 'sendrecv');
  const direction = answerDirection(offered.direction, wanted);
  const sends = direction === 'sendrecv' || direction === 'sendonly';
  const receives = direction === 'sendrecv' || direction === 'recvonly';

  // RFC 8853: accept the offerer's send simulcast by receiving the same rids,
  // which needs the rid header extension (RFC 8852) to tell the layers apart.
  const receiveRids: string[] = [];
  if (receives && offered.simulcast?.send !== undefined && uris.has(RTP_STREAM_ID_URI)) {
    const offeredRids = new Set(offered.rids.filter((rid) => rid.direction === 'send').map((rid) => rid.id));
    for (const alternatives of offered.simulcast.send)
      for (const stream of alternatives) if (offeredRids.has(stream.rid)) receiveRids.push(stream.rid);
  }

  const media: AnswerMedia = {
    mid,
    kind: offered.kind,
    direction,
    codecs,
    headerExtensions: extmaps.map((extmap) => ({ id: extmap.id, uri: extmap.uri })),
    rtcpRsize: offered.rtcpRsize,
    receiveRids,
  };
  if (sends && sendSsrc !== undefined) media.send = sendSsrc;
  return { media, extmaps };
}

/** An answer section for an accepted offer section. */
function acceptedSection(
  offered: SdpMediaSection,
  plan: SectionPlan,
  local: AnswerLocalParameters,
  port: number,
  connection: SdpConnection,
): SdpMediaSection {
  const { media } = plan;
  const section: SdpMediaSection = {
    kind: offered.kind,
    media: offered.media,
    port,
    protocol: offered.protocol,
    formats: [],
    connection,
    bandwidths: [],
    iceUfrag: local.iceParameters.usernameFragment,
    icePwd: local.iceParameters.password,
    fingerprints: [{ algorithm: local.fingerprint.algorithm, value: local.fingerprint.value }],
    setup: local.setup,
    mid: media.mid,
    rtcpMux: false,
    rtcpRsize: false,
    candidates: [],
    endOfCandidates: false,
    codecs: [],
    extmaps: [],
    ssrcs: [],
    ssrcGroups: [],
    msids: [],
    rids: [],
    attributes: [],
  };
  if (media.kind === 'application') {
    section.formats = ['webrtc-datachannel'];
    section.sctpPort = ANSWER_SCTP_PORT;
    if (offered.maxMessageSize !== undefined)
      section.maxMessageSize = local.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    return section;
  }

  section.direction = media.direction;
  section.rtcpMux = true;
  section.rtcpRsize = media.rtcpRsize;
  section.extmaps = plan.extmaps;
  for (const codec of media.codecs) {
    section.codecs.push(answerCodec(codec));
    if (codec.rtxPayloadType !== undefined) {
      const rtx = offeredCodec(offered, codec.rtxPayloadType)!;
      section.codecs.push({
        payloadType: rtx.payloadType,
        name: rtx.name,
        clockRate: rtx.clockRate,
        fmtp: rtx.fmtp,
        rtcpFeedback: [],
      });
    }
  }
  section.formats = section.codecs.map((codec) => `${codec.payloadType}`);
  if (media.receiveRids.length > 0) {
    section.rids = media.receiveRids.map((id) => ({ id, direction: 'recv' }));
    section.simulcast = { recv: media.receiveRids.map((rid) => [{ rid, paused: false }]) };
  }
  if (media.send !== undefined) addSendSsrcs(section, media);
  return section;
}

function answerCodec(codec: NegotiatedCodec): SdpCodec {
  const answer: SdpCodec = {
    payloadType: codec.payloadType,
    name: codec.name,
    clockRate: codec.clockRate,
    rtcpFeedback: codec.rtcpFeedback,
  };
  if (codec.channels !== undefined) answer.channels = codec.channels;
  if (codec.fmtp !== undefined) answer.fmtp = codec.fmtp;
  return answer;
}

/**
 * a=msid (RFC 8830) and a=ssrc lines with cname and msid (RFC 5576 §4.1),
 * plus a=ssrc-group:FID when an RTX stream is sent (RFC 5576 §4.2), so the
 * peer can bind our streams to this mid before the first packet.
 */
function addSendSsrcs(section: SdpMediaSection, media: AnswerMedia): void {
  const send = media.send!;
  const msid = send.msid ?? `${send.cname} ${send.cname}-${media.mid}`;
  const space = msid.indexOf(' ');
  section.msids = [
    space < 0 ? { streamId: msid } : { streamId: msid.slice(0, space), trackId: msid.slice(space + 1) },
  ];
  const ssrcs = [send.ssrc];
  const rtxAgreed = media.codecs.some((codec) => codec.rtxPayloadType !== undefined);
  if (send.rtxSsrc !== undefined && rtxAgreed) {
    ssrcs.push(send.rtxSsrc);
    section.ssrcGroups = [{ semantics: 'FID', ssrcs: [send.ssrc, send.rtxSsrc] }];
  }
  const lines: SdpSsrcAttribute[] = [];
  for (const ssrc of ssrcs) {
    lines.push({ ssrc, attribute: 'cname', value: send.cname });
    lines.push({ ssrc, attribute: 'msid', value: msid });
  }
  section.ssrcs = lines;
}

/** RFC 3264 §6: a rejected section keeps the offer's media, protocol and formats, with port 0. */
function rejectedSection(offered: SdpMediaSection): SdpMediaSection {
  const section: SdpMediaSection = {
    kind: offered.kind,
    media: offered.media,
    port: 0,
    protocol: offered.protocol,
    formats: [...offered.formats],
    connection: { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' },
    bandwidths: [],
    rtcpMux: false,
    rtcpRsize: false,
    candidates: [],
    endOfCandidates: false,
    fingerprints: [],
    codecs: [],
    extmaps: [],
    ssrcs: [],
    ssrcGroups: [],
    msids: [],
    rids: [],
    attributes: [],
  };
  if (offered.mid !== undefined) section.mid = offered.mid;
  return section;
}

/**
 * The m= port and c= address (RFC 8829 §5.2.1): those of our first UDP
 * component-1 candidate with an IP address, else the placeholders 9 and
 * 0.0.0.0 that JSEP uses before candidates are known.
 */
function defaultAddress(candidates: string[]): { port: number; connection: SdpConnection } {
  for (const candidate of candidates) {
    const parsed = parseCandidateAddress(candidate);
    if (parsed === undefined || parsed.component !== 1 || parsed.transport !== 'udp') continue;
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(parsed.address))
      return { port: parsed.port, connection: { netType: 'IN', addrType: 'IP4', address: parsed.address } };
    if (parsed.address.includes(':'))
      return { port: parsed.port, connection: { netType: 'IN', addrType: 'IP6', address: parsed.address } };
  }
  return { port: 9, connection: { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' } };
}

/** RFC 8829 §5.2.1: a 64-bit random session id with the top bit clear; we clear two to stay below 2^62. */
function randomSessionId(): string {
  return (randomBytes(8).readBigUInt64BE() & 0x3fff_ffff_ffff_ffffn).toString();
}

const TOKEN = /^[\x21-\x7e]+$/;

/** The first thing wrong with our own parameters, or undefined. */
function validateLocal(local: AnswerLocalParameters): string | undefined {
  const { usernameFragment, password } = local.iceParameters;
  if (!isIceUfrag(usernameFragment)) return 'ice ufrag must be 4–256 ice-chars (RFC 8839 §5.4)';
  if (!isIcePwd(password)) return 'ice password must be 22–256 ice-chars (RFC 8839 §5.4)';
  // libdatachannel refuses a sha-256 fingerprint that is not 32 bytes; so do we.
  if (
    local.fingerprint.algorithm !== 'sha-256' ||
    parseFingerprint(`sha-256 ${local.fingerprint.value}`) === undefined ||
    local.fingerprint.value.length !== 32 * 3 - 1
  )
    return 'fingerprint must be sha-256: 32 colon-separated hex bytes';
  const setup: SdpSetupRole = local.setup;
  if (setup !== 'active' && setup !== 'passive') return 'setup must be active or passive';
  for (const candidate of local.candidates)
    if (parseCandidateAddress(candidate) === undefined || /[\r\n\0]/.test(candidate))
      return `not a candidate: ${JSON.stringify(candidate)}`;
  if (
    local.maxMessageSize !== undefined &&
    (!Number.isSafeInteger(local.maxMessageSize) || local.maxMessageSize < 0)
  )
    return 'maxMessageSize must be a non-negative integer';
  if (local.sessionId !== undefined && !/^[0-9]{1,20}$/.test(local.sessionId))
    return 'sessionId must be digits';
  for (const [mid, send] of Object.entries(local.sendSsrcs ?? {})) {
    const isSsrc = (n: number | undefined) =>
      n === undefined || (Number.isInteger(n) && n >= 0 && n <= 0xffffffff);
    if (!isSsrc(send.ssrc) || !isSsrc(send.rtxSsrc) || send.rtxSsrc === send.ssrc)
      return `sendSsrcs[${mid}]: ssrc and rtxSsrc must be distinct 32-bit integers`;
    if (!TOKEN.test(send.cname)) return `sendSsrcs[${mid}]: cname must be printable without spaces`;
    if (send.msid !== undefined && !/^[\x21-\x7e]+( [\x21-\x7e]+)?$/.test(send.msid))
      return `sendSsrcs[${mid}]: msid must be "<stream id> <track id>"`;
  }
  return undefined;
}
