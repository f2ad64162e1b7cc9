/**
 * The media-level half of the parser: the lines of one media section after
 * its m= line (RFC 8866 §5.14), with the per-section rules: which attributes
 * may appear once, and how a=rtpmap, a=fmtp and a=rtcp-fb of one payload
 * type join into one SdpCodec.
 */
import { parseFmtp, parseRtcpFeedback, parseRtpmap, type Rtpmap } from './codec.js';
import type { SdpErrorCode } from './errors.js';
import { isDirection, parseExtmap } from './extmap.js';
import { parseBandwidth, parseConnection, parseInteger } from './lines.js';
import { parseRid, parseSimulcast } from './simulcast.js';
import { parseMsid, parseSsrcAttribute, parseSsrcGroup } from './ssrc.js';
import { parseFingerprint, parseIceCredential, parseIceOptions, parseSetup } from './transport.js';
import type { SdpCodec, SdpMediaSection } from './types.js';

/** A failure found while parsing, before it becomes an SdpError. */
export interface LineFailure {
  /** Code for the SdpError. */
  code: SdpErrorCode;
  /** What was wrong, without the line number. */
  message: string;
}

/** An empty media section, filled in by parseMediaLine and the lines that follow. */
export function newSection(): SdpMediaSection {
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

/** A media section being filled, with what the parser must remember about it. */
export interface SectionState {
  /** The section being filled. */
  section: SdpMediaSection;
  /** Line types seen (for the once-only ones). */
  seen: Set<string>;
  /** Attributes seen that may appear once per section. */
  singleAttributes: Set<string>;
  /** Codec entry per payload type. */
  codecs: Map<number, SdpCodec>;
  /** Payload types that already had an a=rtpmap. */
  rtpmapSeen: Set<number>;
  /** Payload types that already had an a=fmtp. */
  fmtpSeen: Set<number>;
}

/** The state for a section that has just started. */
export function newSectionState(section: SdpMediaSection): SectionState {
  return {
    section,
    seen: new Set(),
    singleAttributes: new Set(),
    codecs: new Map(),
    rtpmapSeen: new Set(),
    fmtpSeen: new Set(),
  };
}

/** `name[:value]` split at the first colon (RFC 8866 §5.13). */
export function splitAttribute(value: string): { name: string; value?: string } {
  const colon = value.indexOf(':');
  return colon < 0 ? { name: value } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
}

/** A malformed known attribute. */
export const bad = (message: string): LineFailure => ({ code: 'ERR_SDP_BAD_ATTRIBUTE', message });
/** A known attribute that may appear once, seen again. */
export const duplicate = (name: string): LineFailure => ({
  code: 'ERR_SDP_DUPLICATE_ATTRIBUTE',
  message: `a second a=${name}`,
});

/** Applies one i=, c=, b=, k= or a= line to the section; a failure when it is malformed. */
export function applyMediaLine(state: SectionState, type: string, value: string): LineFailure | undefined {
  const section = state.section;
  switch (type) {
    case 'i':
      section.information = value;
      return undefined;
    case 'k':
      section.encryptionKey = value;
      return undefined;
    case 'c': {
      const connection = parseConnection(value);
      if (connection === undefined) return { code: 'ERR_SDP_BAD_CONNECTION', message: 'malformed c= line' };
      section.connection = connection;
      return undefined;
    }
    case 'b': {
      const bandwidth = parseBandwidth(value);
      if (bandwidth === undefined) return { code: 'ERR_SDP_BAD_BANDWIDTH', message: 'malformed b= line' };
      section.bandwidths.push(bandwidth);
      return undefined;
    }
    default:
      return applyMediaAttribute(state, value);
  }
}

function codecFor(state: SectionState, payloadType: number): SdpCodec {
  let codec = state.codecs.get(payloadType);
  if (codec === undefined) {
    codec = { payloadType, rtcpFeedback: [] };
    state.codecs.set(payloadType, codec);
    state.section.codecs.push(codec);
  }
  return codec;
}

function applyRtpmap(state: SectionState, rtpmap: Rtpmap): LineFailure | undefined {
  if (state.rtpmapSeen.has(rtpmap.payloadType)) return duplicate(`rtpmap:${rtpmap.payloadType}`);
  state.rtpmapSeen.add(rtpmap.payloadType);
  const codec = codecFor(state, rtpmap.payloadType);
  codec.name = rtpmap.name;
  codec.clockRate = rtpmap.clockRate;
  if (rtpmap.channels !== undefined) codec.channels = rtpmap.channels;
  return undefined;
}

/** Attributes that are flags (no value) and may appear once per media section. */
const MEDIA_FLAGS = new Set([
  'rtcp-mux',
  'rtcp-rsize',
  'end-of-candidates',
  'sendrecv',
  'sendonly',
  'recvonly',
  'inactive',
]);

function applyMediaAttribute(state: SectionState, text: string): LineFailure | undefined {
  const section = state.section;
  const { name, value } = splitAttribute(text);
  const once = (key: string): boolean => {
    if (state.singleAttributes.has(key)) return false;
    state.singleAttributes.add(key);
    return true;
  };

  if (MEDIA_FLAGS.has(name)) {
    if (value !== undefined) return bad(`a=${name} takes no value`);
    if (isDirection(name)) {
      if (!once('direction')) return duplicate('direction attribute');
      section.direction = name;
      return undefined;
    }
    if (!once(name)) return duplicate(name);
    if (name === 'rtcp-mux') section.rtcpMux = true;
    else if (name === 'rtcp-rsize') section.rtcpRsize = true;
    else section.endOfCandidates = true;
    return undefined;
  }

  if (value === undefined) {
    // Every other known attribute has a value; without one it stays unknown.
    section.attributes.push({ name });
    return undefined;
  }

  switch (name) {
    case 'mid': {
      // RFC 5888 §4: identification-tag = token.
      const mid = parseIceCredential(value);
      if (mid === undefined) return bad('malformed a=mid');
      if (!once(name)) return duplicate(name);
      section.mid = mid;
      return undefined;
    }
    case 'ice-ufrag':
    case 'ice-pwd': {
      const credential = parseIceCredential(value);
      if (credential === undefined) return bad(`malformed a=${name}`);
      if (!once(name)) return duplicate(name);
      if (name === 'ice-ufrag') section.iceUfrag = credential;
      else section.icePwd = credential;
      return undefined;
    }
    case 'ice-options': {
      const options = parseIceOptions(value);
      if (options === undefined) return bad('malformed a=ice-options');
      if (!once(name)) return duplicate(name);
      section.iceOptions = options;
      return undefined;
    }
    case 'candidate':
      if (value.trim() === '') return bad('empty a=candidate');
      section.candidates.push(value);
      return undefined;
    case 'fingerprint': {
      const fingerprint = parseFingerprint(value);
      if (fingerprint === undefined) return bad('malformed a=fingerprint');
      section.fingerprints.push(fingerprint);
      return undefined;
    }
    case 'setup': {
      const setup = parseSetup(value);
      if (setup === undefined) return bad('malformed a=setup');
      if (!once(name)) return duplicate(name);
      section.setup = setup;
      return undefined;
    }
    case 'rtpmap': {
      const rtpmap = parseRtpmap(value);
      return rtpmap === undefined ? bad('malformed a=rtpmap') : applyRtpmap(state, rtpmap);
    }
    case 'fmtp': {
      const fmtp = parseFmtp(value);
      if (fmtp === undefined) return bad('malformed a=fmtp');
      if (state.fmtpSeen.has(fmtp.payloadType)) return duplicate(`fmtp:${fmtp.payloadType}`);
      state.fmtpSeen.add(fmtp.payloadType);
      codecFor(state, fmtp.payloadType).fmtp = fmtp.parameters;
      return undefined;
    }
    case 'rtcp-fb': {
      const parsed = parseRtcpFeedback(value);
      if (parsed === undefined) return bad('malformed a=rtcp-fb');
      // The wildcard applies to every payload type; it stays as written.
      if (parsed.payloadType === '*') section.attributes.push({ name, value });
      else codecFor(state, parsed.payloadType).rtcpFeedback.push(parsed.feedback);
      return undefined;
    }
    case 'extmap': {
      const extmap = parseExtmap(value);
      if (extmap === undefined) return bad('malformed a=extmap');
      section.extmaps.push(extmap);
      return undefined;
    }
    case 'ssrc': {
      const ssrc = parseSsrcAttribute(value);
      if (ssrc === undefined) return bad('malformed a=ssrc');
      section.ssrcs.push(ssrc);
      return undefined;
    }
    case 'ssrc-group': {
      const group = parseSsrcGroup(value);
      if (group === undefined) return bad('malformed a=ssrc-group');
      section.ssrcGroups.push(group);
      return undefined;
    }
    case 'msid': {
      const msid = parseMsid(value);
      if (msid === undefined) return bad('malformed a=msid');
      section.msids.push(msid);
      return undefined;
    }
    case 'rid': {
      const rid = parseRid(value);
      if (rid === undefined) return bad('malformed a=rid');
      section.rids.push(rid);
      return undefined;
    }
    case 'simulcast': {
      const simulcast = parseSimulcast(value);
      if (simulcast === undefined) return bad('malformed a=simulcast');
      if (!once(name)) return duplicate(name);
      section.simulcast = simulcast;
      return undefined;
    }
    case 'sctp-port': {
      const port = parseInteger(value.trim(), 0, 65535);
      if (port === undefined) return bad('malformed a=sctp-port');
      if (!once(name)) return duplicate(name);
      section.sctpPort = port;
      return undefined;
    }
    case 'max-message-size': {
      const size = parseInteger(value.trim(), 0, Number.MAX_SAFE_INTEGER);
      if (size === undefined) return bad('malformed a=max-message-size');
      if (!once(name)) return duplicate(name);
      section.maxMessageSize = size;
      return undefined;
    }
    default:
      section.attributes.push({ name, value });
      return undefined;
  }
}
