/**
 * The server's offer on a subscribe connection (RFC 8829 §5.2, JSEP) and
 * the check of the browser's answer. The SFU offers one sendonly section
 * per consumed track; the browser answers recvonly.
 *
 * We are ICE-lite (RFC 8839 §5.3) with every candidate in the offer, and run
 * one DTLS transport for every section through BUNDLE (RFC 8843). We offer
 * a=setup:actpass (RFC 8842 §5.2): the answerer picks its role and ours is
 * the other one.
 *
 * A section whose track was removed stays in place with the same mid, the
 * same port and in the BUNDLE group, marked a=inactive (RFC 8866 §6.7): the
 * browser keeps its transceiver and the section can carry a later track of
 * the same kind. A zero port (RFC 3264 §6) is used only for a section the
 * browser rejected: its transceiver is stopped for good, so the section
 * leaves the BUNDLE group (RFC 8843 §7.5.3) and can only be recycled under a
 * new mid (RFC 8829 §5.2.2).
 */
import { type SdpResult, sdpFail } from './errors.js';
import { parseInteger } from './lines.js';
import { negotiationFail, SdpNegotiationError, type SdpNegotiationResult } from './negotiation-error.js';
import {
  fingerprintFromDescription,
  iceParametersFromDescription,
  type SdpIceParameters,
  setupFromDescription,
} from './parameters.js';
import { parseSdp } from './parse.js';
import {
  formatFmtpParameters,
  isRtxCodec,
  type RtpCodecParameters,
  type RtpHeaderExtensionParameters,
} from './rtp-parameters.js';
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
  SdpFingerprint,
  SdpMediaSection,
  SessionDescription,
} from './types.js';

/** The SCTP port of our data channel section (RFC 8841 §5). */
export const SUBSCRIBE_SCTP_PORT = 5000;
/** Our a=max-message-size when the section gives none (RFC 8841 §6). */
export const SUBSCRIBE_MAX_MESSAGE_SIZE = 262144;

/** Our transport parameters, the same in every offer of a connection. */
export interface SubscribeTransport {
  /** Our ICE credentials (RFC 8839 §5.4). */
  iceParameters: { usernameFragment: string; password: string };
  /** Our candidates, as `candidate:…` strings (with or without the prefix). */
  candidates: string[];
  /** Hash of our DTLS certificate. */
  fingerprint: { algorithm: 'sha-256'; value: string };
}

/**
 * Where a section stands: `active` sends a track, `inactive` keeps its place
 * (and mid) without one, `closed` has port 0 because the browser rejected it.
 */
export type SubscribeSectionState = 'active' | 'inactive' | 'closed';

/** The stream an active section sends, as the browser must see it. */
export interface SubscribeSender {
  /** SSRC of the media stream. */
  ssrc: number;
  /** SSRC of its RTX stream, announced with a=ssrc-group:FID when the section has an RTX codec. */
  rtxSsrc?: number;
  /** RTCP CNAME (RFC 3550 §6.5.1); the same for tracks to be played in sync. */
  cname: string;
  /** a=msid (RFC 8830): the MediaStream id the browser's track event reports, and the track id. */
  msid: { streamId: string; trackId: string };
}

/** One audio or video section. */
export interface SubscribeMediaSection {
  /** a=mid, stable for the life of the section. */
  mid: string;
  /** Media kind. */
  kind: 'audio' | 'video';
  /** Whether it sends, waits, or was rejected. */
  state: SubscribeSectionState;
  /** Offered codecs with our payload types, each media codec followed by its RTX. */
  codecs: RtpCodecParameters[];
  /** Offered header extensions with our ids. */
  headerExtensions: RtpHeaderExtensionParameters[];
  /** What the section sends; required when active, ignored otherwise. */
  send?: SubscribeSender;
}

/** The data channel section (RFC 8841). */
export interface SubscribeDataSection {
  /** a=mid. */
  mid: string;
  /** Always `application`. */
  kind: 'application';
  /** `active`, or `closed` when the browser rejected it; `inactive` is written as active. */
  state: SubscribeSectionState;
  /** a=max-message-size; SUBSCRIBE_MAX_MESSAGE_SIZE by default. */
  maxMessageSize?: number;
}

/** One m= section of the subscribe offer. */
export type SubscribeSection = SubscribeMediaSection | SubscribeDataSection;

/** Everything one subscribe offer is made of. */
export interface SubscribeSession extends SubscribeTransport {
  /** o= session id: digits, the same for the life of the connection (RFC 8829 §5.2.1). */
  sessionId: string;
  /** o= session version: increased whenever the offer changes (RFC 8829 §5.2.2). */
  sessionVersion: number;
  /** We are always ICE-lite; the field exists to say so. */
  iceLite?: true;
  /** The sections in m= line order; a section keeps its index for the life of the connection. */
  sections: SubscribeSection[];
}

/**
 * Builds the offer. Refuses (ERR_SDP_INVALID_ARGUMENT) parameters that
 * would make a malformed or unusable description; never throws.
 */
export function createSubscribeOffer(session: SubscribeSession): SdpResult<SessionDescription> {
  const invalid = validateSession(session);
  if (invalid !== undefined) return sdpFail('ERR_SDP_INVALID_ARGUMENT', invalid);

  const candidates = session.candidates.map(stripCandidatePrefix);
  const { port, connection } = defaultAddress(candidates);
  const bundled = session.sections.filter((section) => section.state !== 'closed').map((s) => s.mid);
  const media = session.sections.map((section): SdpMediaSection => {
    if (section.state === 'closed') return closedSection(section);
    const written = openSection(section, session, port, connection);
    // The first bundled section is the offerer-tagged one (RFC 8843 §7.2): it carries the candidates.
    if (section.mid === bundled[0]) {
      written.candidates = candidates;
      written.endOfCandidates = true;
    }
    return written;
  });

  return {
    ok: true,
    value: {
      version: 0,
      origin: {
        username: '-',
        sessionId: session.sessionId,
        sessionVersion: `${session.sessionVersion}`,
        netType: 'IN',
        addrType: 'IP4',
        unicastAddress: '127.0.0.1',
      },
      sessionName: '-',
      emails: [],
      phones: [],
      bandwidths: [],
      timing: [{ start: '0', stop: '0', repeats: [] }],
      groups: bundled.length === 0 ? [] : [{ semantics: 'BUNDLE', mids: bundled }],
      iceLite: true,
      fingerprints: [],
      // RFC 8830 §3 (draft wording browsers still read): every a=msid names its own stream.
      attributes: [{ name: 'msid-semantic', value: ' WMS *' }],
      media,
    },
  };
}

function emptySection(): SdpMediaSection {
  return {
    kind: 'other',
    media: '',
    port: 0,
    protocol: '',
    formats: [],
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
}

/** A section in the BUNDLE group: our transport parameters, then the media or SCTP lines. */
function openSection(
  section: SubscribeSection,
  session: SubscribeSession,
  port: number,
  connection: SdpConnection,
): SdpMediaSection {
  const written: SdpMediaSection = {
    ...emptySection(),
    kind: section.kind,
    media: section.kind,
    port,
    connection: { ...connection },
    mid: section.mid,
    iceUfrag: session.iceParameters.usernameFragment,
    icePwd: session.iceParameters.password,
    fingerprints: [{ algorithm: session.fingerprint.algorithm, value: session.fingerprint.value }],
    setup: 'actpass',
  };
  if (section.kind === 'application') {
    written.protocol = 'UDP/DTLS/SCTP';
    written.formats = ['webrtc-datachannel'];
    written.sctpPort = SUBSCRIBE_SCTP_PORT;
    written.maxMessageSize = section.maxMessageSize ?? SUBSCRIBE_MAX_MESSAGE_SIZE;
    return written;
  }
  written.protocol = 'UDP/TLS/RTP/SAVPF';
  written.rtcpMux = true;
  written.rtcpRsize = true;
  written.extmaps = section.headerExtensions.map(({ id, uri }) => ({ id, uri }));
  written.codecs = section.codecs.map(sdpCodec);
  written.formats = written.codecs.map((codec) => `${codec.payloadType}`);
  written.direction = section.state === 'active' ? 'sendonly' : 'inactive';
  if (section.state === 'active') addSender(written, section);
  return written;
}

function sdpCodec(codec: RtpCodecParameters): SdpCodec {
  const slash = codec.mimeType.indexOf('/');
  const written: SdpCodec = {
    payloadType: codec.payloadType,
    name: codec.mimeType.slice(slash + 1),
    clockRate: codec.clockRate,
    rtcpFeedback: codec.rtcpFeedback.map((feedback) => ({ ...feedback })),
  };
  if (codec.channels !== undefined && codec.mimeType.toLowerCase().startsWith('audio/'))
    written.channels = codec.channels;
  const fmtp = formatFmtpParameters(codec.parameters);
  if (fmtp !== '') written.fmtp = fmtp;
  return written;
}

/**
 * a=msid (RFC 8830) and the a=ssrc lines with cname and msid (RFC 5576
 * §4.1), with a=ssrc-group:FID for the RTX stream (RFC 5576 §4.2), so the
 * browser binds our SSRCs to the section before the first packet.
 */
function addSender(written: SdpMediaSection, section: SubscribeMediaSection): void {
  const send = section.send!;
  const msid = `${send.msid.streamId} ${send.msid.trackId}`;
  written.msids = [{ streamId: send.msid.streamId, trackId: send.msid.trackId }];
  const ssrcs = [send.ssrc];
  if (send.rtxSsrc !== undefined && section.codecs.some(isRtxCodec)) {
    ssrcs.push(send.rtxSsrc);
    written.ssrcGroups = [{ semantics: 'FID', ssrcs: [send.ssrc, send.rtxSsrc] }];
  }
  written.ssrcs = ssrcs.flatMap((ssrc) => [
    { ssrc, attribute: 'cname', value: send.cname },
    { ssrc, attribute: 'msid', value: msid },
  ]);
}

/**
 * A rejected section (RFC 3264 §6, RFC 8829 §5.2.2): port 0, the mid and
 * one format, without transport parameters; it is outside the BUNDLE group.
 */
function closedSection(section: SubscribeSection): SdpMediaSection {
  const written: SdpMediaSection = {
    ...emptySection(),
    kind: section.kind,
    media: section.kind,
    port: 0,
    connection: { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' },
    mid: section.mid,
  };
  if (section.kind === 'application') {
    written.protocol = 'UDP/DTLS/SCTP';
    written.formats = ['webrtc-datachannel'];
    return written;
  }
  written.protocol = 'UDP/TLS/RTP/SAVPF';
  written.direction = 'inactive';
  const first = section.codecs.find((codec) => !isRtxCodec(codec)) ?? section.codecs[0];
  written.codecs = first === undefined ? [] : [sdpCodec(first)];
  written.formats = first === undefined ? ['0'] : [`${first.payloadType}`];
  return written;
}

/**
 * The m= port and c= address (RFC 8829 §5.2.1): those of our first UDP
 * component-1 candidate with an IP address, else the placeholders 9 and
 * 0.0.0.0.
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

const TOKEN = /^[\x21-\x7e]+$/;
/** RFC 8830 §2: msid-id and msid-appdata are 1–64 token characters. */
const MSID_PART = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;
const isSsrc = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** The first thing wrong with the session, or undefined. */
export function validateSession(session: SubscribeSession): string | undefined {
  const transport = validateTransport(session);
  if (transport !== undefined) return transport;
  if (!/^[0-9]{1,20}$/.test(session.sessionId)) return 'sessionId must be 1–20 digits';
  if (!Number.isSafeInteger(session.sessionVersion) || session.sessionVersion < 0)
    return 'sessionVersion must be a non-negative integer';
  if (session.iceLite !== undefined && session.iceLite !== true) return 'we are always ICE-lite';
  const mids = new Set<string>();
  let dataSections = 0;
  for (const section of session.sections) {
    // RFC 5888 §4 makes a mid a token; RFC 8843 §15.1 caps what the sdes:mid extension can carry at 16 bytes.
    if (!TOKEN.test(section.mid) || section.mid.length > 16)
      return `mid ${JSON.stringify(section.mid)} must be 1–16 printable characters without spaces`;
    if (mids.has(section.mid)) return `mid ${section.mid} appears twice`;
    mids.add(section.mid);
    if (section.state !== 'active' && section.state !== 'inactive' && section.state !== 'closed')
      return `mid ${section.mid}: unknown state`;
    if (section.kind === 'application') {
      if (++dataSections > 1) return 'at most one data channel section';
      const size = section.maxMessageSize;
      if (size !== undefined && (!Number.isSafeInteger(size) || size < 0))
        return `mid ${section.mid}: maxMessageSize must be a non-negative integer`;
      continue;
    }
    if (section.kind !== 'audio' && section.kind !== 'video') return `mid ${section.mid}: unknown kind`;
    const media = validateMedia(section);
    if (media !== undefined) return `mid ${section.mid}: ${media}`;
  }
  return undefined;
}

/** The first thing wrong with our transport parameters, or undefined. */
export function validateTransport(transport: SubscribeTransport): string | undefined {
  const { usernameFragment, password } = transport.iceParameters;
  if (!isIceUfrag(usernameFragment)) return 'ice ufrag must be 4–256 ice-chars (RFC 8839 §5.4)';
  if (!isIcePwd(password)) return 'ice password must be 22–256 ice-chars (RFC 8839 §5.4)';
  if (
    transport.fingerprint.algorithm !== 'sha-256' ||
    parseFingerprint(`sha-256 ${transport.fingerprint.value}`) === undefined ||
    transport.fingerprint.value.length !== 32 * 3 - 1
  )
    return 'fingerprint must be sha-256: 32 colon-separated hex bytes';
  for (const candidate of transport.candidates)
    if (parseCandidateAddress(candidate) === undefined || /[\r\n\0]/.test(candidate))
      return `not a candidate: ${JSON.stringify(candidate)}`;
  return undefined;
}

function validateMedia(section: SubscribeMediaSection): string | undefined {
  if (section.codecs.length === 0) return 'a media section needs at least one codec';
  const payloadTypes = new Set<number>();
  for (const codec of section.codecs) {
    const slash = codec.mimeType.indexOf('/');
    if (slash <= 0 || codec.mimeType.slice(0, slash).toLowerCase() !== section.kind)
      return `codec ${codec.mimeType} is not ${section.kind}`;
    if (!/^[A-Za-z0-9._+-]+$/.test(codec.mimeType.slice(slash + 1)))
      return `codec ${codec.mimeType}: bad encoding name`;
    if (!Number.isInteger(codec.payloadType) || codec.payloadType < 0 || codec.payloadType > 127)
      return `codec ${codec.mimeType}: payload type must be 0–127`;
    // RFC 5761 §4: 64–95 would collide with RTCP packet types under rtcp-mux.
    if (codec.payloadType >= 64 && codec.payloadType <= 95)
      return `codec ${codec.mimeType}: payload type ${codec.payloadType} collides with RTCP (RFC 5761 §4)`;
    if (payloadTypes.has(codec.payloadType)) return `payload type ${codec.payloadType} appears twice`;
    payloadTypes.add(codec.payloadType);
    if (!Number.isInteger(codec.clockRate) || codec.clockRate <= 0 || codec.clockRate > 0xffffffff)
      return `codec ${codec.mimeType}: bad clock rate`;
    if (codec.channels !== undefined && (!Number.isInteger(codec.channels) || codec.channels < 1))
      return `codec ${codec.mimeType}: bad channel count`;
    for (const [key, value] of Object.entries(codec.parameters))
      if (!/^[\x21-\x7e]+$/.test(key) || /[;=\s]/.test(key) || /[;\s]/.test(String(value)))
        return `codec ${codec.mimeType}: bad fmtp parameter ${JSON.stringify(key)}`;
    for (const feedback of codec.rtcpFeedback)
      if (
        !TOKEN.test(feedback.type) ||
        (feedback.parameter !== undefined && !/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(feedback.parameter))
      )
        return `codec ${codec.mimeType}: bad rtcp-fb`;
  }
  for (const codec of section.codecs.filter(isRtxCodec)) {
    const apt = Number(codec.parameters['apt']);
    if (!payloadTypes.has(apt) || section.codecs.some((c) => c.payloadType === apt && isRtxCodec(c)))
      return `rtx ${codec.payloadType}: apt must name a media codec of the section`;
  }
  const ids = new Set<number>();
  for (const extension of section.headerExtensions) {
    if (!Number.isInteger(extension.id) || extension.id < 1 || extension.id > 255)
      return `header extension ${extension.uri}: id must be 1–255`;
    if (ids.has(extension.id)) return `header extension id ${extension.id} appears twice`;
    ids.add(extension.id);
    if (!TOKEN.test(extension.uri)) return `header extension URI ${JSON.stringify(extension.uri)}`;
  }
  if (section.state !== 'active') return undefined;
  const send = section.send;
  if (send === undefined) return 'an active section needs send';
  if (
    !isSsrc(send.ssrc) ||
    (send.rtxSsrc !== undefined && (!isSsrc(send.rtxSsrc) || send.rtxSsrc === send.ssrc))
  )
    return 'ssrc and rtxSsrc must be distinct 32-bit unsigned integers';
  if (!TOKEN.test(send.cname)) return 'cname must be printable without spaces';
  if (!MSID_PART.test(send.msid.streamId) || !MSID_PART.test(send.msid.trackId))
    return 'msid stream and track ids must be 1–64 token characters (RFC 8830 §2)';
  return undefined;
}

/** How the browser answered one of our sections. */
export interface SubscribeAnswerSection {
  /** The section's mid. */
  mid: string;
  /** Its kind. */
  kind: 'audio' | 'video' | 'application';
  /** False when the answer rejected it (port 0 without bundle-only). */
  accepted: boolean;
  /** The answer's direction, from the browser's point of view (recvonly or inactive for media). */
  direction?: SdpDirection;
  /** Payload types the browser accepted, in its order; empty for data or a rejected section. */
  payloadTypes: number[];
  /** Header extension ids the browser accepted. */
  headerExtensionIds: number[];
}

/** What the browser's answer agreed to. */
export interface SubscribeAnswer {
  /** The parsed answer. */
  description: SessionDescription;
  /** One entry per section, in m= line order. */
  sections: SubscribeAnswerSection[];
  /** The browser's transport, absent when it accepted no section. */
  transport?: {
    /** Its ICE credentials, from the BUNDLE-tagged section. */
    iceParameters: SdpIceParameters;
    /** Hash of its DTLS certificate (sha-256 preferred). */
    fingerprint: SdpFingerprint;
    /** Its a=setup. */
    setup: 'active' | 'passive';
    /** Ours, the other one: `server` when it is active. */
    dtlsRole: 'client' | 'server';
    /** Candidates it listed (an ICE-lite server only learns addresses from checks, but they are kept). */
    candidates: string[];
  };
}

/**
 * Parses the browser's answer to an offer made from `offered` and checks it
 * against that offer (RFC 3264 §6, RFC 8829 §5.3.1): the same number of
 * sections in the same order with the same kinds and mids; a section we
 * closed stays closed; an accepted media section answers recvonly or
 * inactive and only with payload types we offered; every accepted section is
 * in the answer's BUNDLE group; the ICE credentials, fingerprint and a
 * setup of active or passive are present. Never throws.
 */
export function parseSubscribeAnswer(
  answerSdp: string,
  offered: SubscribeSession,
): SdpNegotiationResult<SubscribeAnswer> {
  const parsed = parseSdp(answerSdp);
  if (!parsed.ok) return { ok: false, error: SdpNegotiationError.fromSdpError(parsed.error) };
  const description = parsed.value;
  if (description.media.length !== offered.sections.length)
    return negotiationFail(
      'ERR_SDP_ANSWER_MISMATCH',
      `the answer has ${description.media.length} sections, the offer ${offered.sections.length}`,
    );
  const bundle = description.groups.find((group) => group.semantics === 'BUNDLE');
  const sections: SubscribeAnswerSection[] = [];
  for (let index = 0; index < offered.sections.length; index++) {
    const ours = offered.sections[index];
    const theirs = description.media[index];
    const checked = checkSection(ours, theirs, bundle?.mids);
    if (typeof checked === 'string') return negotiationFail('ERR_SDP_ANSWER_MISMATCH', checked, ours.mid);
    sections.push(checked);
  }

  const accepted = sections.filter((section) => section.accepted);
  if (accepted.length === 0) return { ok: true, value: { description, sections } };
  // The answerer-tagged section (RFC 8843 §7.3) carries the transport: the first accepted mid of the group.
  const tag = bundle?.mids.find((mid) => accepted.some((section) => section.mid === mid)) ?? accepted[0].mid;
  const iceParameters = iceParametersFromDescription(description, tag);
  if (iceParameters === undefined)
    return negotiationFail('ERR_SDP_MISSING_ICE_PARAMETERS', 'the answer has no ice-ufrag/ice-pwd');
  const fingerprint = fingerprintFromDescription(description, tag);
  if (fingerprint === undefined)
    return negotiationFail('ERR_SDP_MISSING_FINGERPRINT', 'the answer has no a=fingerprint');
  // RFC 4145 §4.1: without a=setup the answerer is active. RFC 8842 §5.3 forbids actpass in an answer.
  const setup = setupFromDescription(description, tag) ?? 'active';
  if (setup !== 'active' && setup !== 'passive')
    return negotiationFail('ERR_SDP_INCOMPATIBLE_SETUP', `an answer to actpass cannot be a=setup:${setup}`);
  const tagged = description.media.find((section) => section.mid === tag);
  return {
    ok: true,
    value: {
      description,
      sections,
      transport: {
        iceParameters,
        fingerprint,
        setup,
        dtlsRole: setup === 'active' ? 'server' : 'client',
        candidates: [...(tagged?.candidates ?? [])],
      },
    },
  };
}

/** One answered section checked against ours: the summary, or what is wrong. */
function checkSection(
  ours: SubscribeSection,
  theirs: SdpMediaSection,
  bundleMids: string[] | undefined,
): SubscribeAnswerSection | string {
  if (theirs.media !== ours.kind) return `the answer has m=${theirs.media} where we offered ${ours.kind}`;
  // RFC 3264 §6: a rejected section may come back without its mid; any other must keep ours.
  if (theirs.mid !== ours.mid && !(theirs.port === 0 && theirs.mid === undefined))
    return `the answer has mid ${theirs.mid ?? '(none)'} in its place`;
  const bundleOnly = theirs.attributes.some((attribute) => attribute.name === 'bundle-only');
  const inBundle = bundleMids?.includes(ours.mid) ?? false;
  const accepted = theirs.port !== 0 || (bundleOnly && inBundle);
  const summary: SubscribeAnswerSection = {
    mid: ours.mid,
    kind: ours.kind,
    accepted,
    payloadTypes: [],
    headerExtensionIds: [],
  };
  if (theirs.direction !== undefined) summary.direction = theirs.direction;
  if (ours.state === 'closed') return accepted ? 'a section we closed came back accepted' : summary;
  if (!accepted) return summary;
  if (!inBundle) return 'an accepted section is outside the answer BUNDLE group; we run one transport';
  if (ours.kind === 'application') {
    if (!theirs.formats.includes('webrtc-datachannel'))
      return 'the data channel section lost webrtc-datachannel';
    return summary;
  }
  // RFC 3264 §6.1: the answer to sendonly is recvonly or inactive; to inactive, inactive.
  const direction = theirs.direction ?? 'sendrecv';
  const allowed = ours.state === 'active' ? ['recvonly', 'inactive'] : ['inactive'];
  if (!allowed.includes(direction))
    return `a=${direction} answers our ${ours.state === 'active' ? 'sendonly' : 'inactive'}`;
  const offeredTypes = new Set(ours.codecs.map((codec) => codec.payloadType));
  for (const format of theirs.formats) {
    const payloadType = parseInteger(format, 0, 127);
    if (payloadType === undefined || !offeredTypes.has(payloadType))
      return `the answer lists payload type ${format}, which we did not offer`;
    summary.payloadTypes.push(payloadType);
  }
  const offeredIds = new Map(ours.headerExtensions.map((extension) => [extension.id, extension.uri]));
  for (const extmap of theirs.extmaps) {
    // RFC 8285 §7: the answer keeps the offer's id for each extension it accepts.
    if (offeredIds.get(extmap.id) !== extmap.uri)
      return `the answer maps header extension ${extmap.uri} to id ${extmap.id}, which we did not offer`;
    summary.headerExtensionIds.push(extmap.id);
  }
  return summary;
}
