/**
 * The SDP parser (RFC 8866 §5): text in, SessionDescription or SdpError out,
 * never an exception.
 *
 *   session-description = v= o= s= [i=] [u=] *e= *p= [c=] *b= 1*(t= *r=) [z=] [k=] *a=
 *                         *(m= [i=] [c=] *b= [k=] *a=)
 *
 * Lines end in CRLF; a bare LF is accepted too (RFC 8866 §5 asks parsers to
 * be lenient here), as is a missing final line end. Empty lines are skipped.
 * v= must come first; other session lines may come in any order, but a line
 * that may appear once must not appear twice. A type letter that RFC 8866
 * does not define makes the whole description invalid: §5 has parsers
 * ignore or reject such a description rather than skip the line.
 */
import { type SdpResult, sdpFail } from './errors.js';
import { parseBandwidth, parseConnection, parseMediaLine, parseOrigin, parseTiming } from './lines.js';
import {
  applyMediaLine,
  bad,
  duplicate,
  type LineFailure,
  newSection,
  newSectionState,
  type SectionState,
  splitAttribute,
} from './media-section-parser.js';
import {
  parseFingerprint,
  parseGroup,
  parseIceCredential,
  parseIceOptions,
  parseSetup,
} from './transport.js';
import type { SessionDescription } from './types.js';

/** Longest text parseSdp accepts, in UTF-8 bytes. */
export const SDP_MAX_TEXT_BYTES = 256 * 1024;
/** Longest line parseSdp accepts, in UTF-8 bytes, without its line end. */
export const SDP_MAX_LINE_BYTES = 4 * 1024;
/** Most media sections parseSdp accepts. */
export const SDP_MAX_MEDIA_SECTIONS = 64;

const SESSION_LINE_TYPES = new Set(['v', 'o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a']);
const MEDIA_LINE_TYPES = new Set(['i', 'c', 'b', 'k', 'a']);

/** Session-level line types that may appear once. */
const SESSION_SINGLE = new Set(['v', 'o', 's', 'i', 'u', 'z', 'k', 'c']);
/** Media-level line types that may appear once. */
const MEDIA_SINGLE = new Set(['i', 'c', 'k']);

/** Parses a whole session description. Never throws. */
export function parseSdp(text: string): SdpResult<SessionDescription> {
  if (typeof text !== 'string') return sdpFail('ERR_SDP_INVALID_ARGUMENT', 'the description is not a string');
  // Characters never outnumber UTF-8 bytes, so the cheap test goes first.
  if (text.length > SDP_MAX_TEXT_BYTES || Buffer.byteLength(text, 'utf8') > SDP_MAX_TEXT_BYTES)
    return sdpFail('ERR_SDP_TOO_LARGE', `the description is longer than ${SDP_MAX_TEXT_BYTES} bytes`);

  const session = newSession();
  let section: SectionState | undefined;
  const seenSession = new Set<string>();
  let lineNumber = 0;

  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') continue;
    if (line.length > SDP_MAX_LINE_BYTES / 3 && Buffer.byteLength(line, 'utf8') > SDP_MAX_LINE_BYTES)
      return sdpFail('ERR_SDP_LINE_TOO_LONG', `line longer than ${SDP_MAX_LINE_BYTES} bytes`, lineNumber);
    // RFC 8866 §5: no field may hold NUL, CR or LF.
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0]) || /[\r\0]/.test(line))
      return sdpFail('ERR_SDP_BAD_LINE', 'not a <type>=<value> line', lineNumber);
    const type = line[0];
    const value = line.slice(2);

    if (seenSession.size === 0 && type !== 'v')
      return sdpFail('ERR_SDP_MISSING_LINE', 'the description must start with v=', lineNumber);

    let failure: LineFailure | undefined;
    if (type === 'm') {
      if (session.media.length >= SDP_MAX_MEDIA_SECTIONS)
        return sdpFail(
          'ERR_SDP_TOO_MANY_MEDIA',
          `more than ${SDP_MAX_MEDIA_SECTIONS} media sections`,
          lineNumber,
        );
      const mediaLine = parseMediaLine(value);
      if (mediaLine === undefined) return sdpFail('ERR_SDP_BAD_MEDIA', 'malformed m= line', lineNumber);
      section = newSectionState({ ...newSection(), ...mediaLine });
      session.media.push(section.section);
    } else if (section === undefined) {
      if (!SESSION_LINE_TYPES.has(type))
        return sdpFail('ERR_SDP_UNEXPECTED_LINE', `${type}= is not a session-level line`, lineNumber);
      if (SESSION_SINGLE.has(type) && seenSession.has(type))
        return sdpFail('ERR_SDP_DUPLICATE_LINE', `a second ${type}= line`, lineNumber);
      seenSession.add(type);
      failure = applySessionLine(session, type, value, seenSession);
    } else {
      if (!MEDIA_LINE_TYPES.has(type))
        return sdpFail('ERR_SDP_UNEXPECTED_LINE', `${type}= is not a media-level line`, lineNumber);
      if (MEDIA_SINGLE.has(type) && section.seen.has(type))
        return sdpFail('ERR_SDP_DUPLICATE_LINE', `a second ${type}= line in a media section`, lineNumber);
      section.seen.add(type);
      failure = applyMediaLine(section, type, value);
    }
    if (failure !== undefined) return sdpFail(failure.code, failure.message, lineNumber);
  }

  if (!seenSession.has('v')) return sdpFail('ERR_SDP_MISSING_LINE', 'no v= line');
  if (!seenSession.has('o')) return sdpFail('ERR_SDP_MISSING_LINE', 'no o= line');
  if (!seenSession.has('s')) return sdpFail('ERR_SDP_MISSING_LINE', 'no s= line');
  if (session.timing.length === 0) return sdpFail('ERR_SDP_MISSING_LINE', 'no t= line');
  return { ok: true, value: session };
}

function newSession(): SessionDescription {
  return {
    version: 0,
    origin: {
      username: '-',
      sessionId: '0',
      sessionVersion: '0',
      netType: 'IN',
      addrType: 'IP4',
      unicastAddress: '',
    },
    sessionName: '',
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [],
    groups: [],
    iceLite: false,
    fingerprints: [],
    attributes: [],
    media: [],
  };
}

function applySessionLine(
  session: SessionDescription,
  type: string,
  value: string,
  seen: Set<string>,
): LineFailure | undefined {
  switch (type) {
    case 'v':
      // RFC 8866 §5.1: the only version is 0.
      return value === '0' ? undefined : { code: 'ERR_SDP_BAD_VERSION', message: `v=${value}` };
    case 'o': {
      const origin = parseOrigin(value);
      if (origin === undefined) return { code: 'ERR_SDP_BAD_ORIGIN', message: 'malformed o= line' };
      session.origin = origin;
      return undefined;
    }
    case 's':
      session.sessionName = value;
      return undefined;
    case 'i':
      session.information = value;
      return undefined;
    case 'u':
      session.uri = value;
      return undefined;
    case 'e':
      session.emails.push(value);
      return undefined;
    case 'p':
      session.phones.push(value);
      return undefined;
    case 'z':
      session.timeZones = value;
      return undefined;
    case 'k':
      session.encryptionKey = value;
      return undefined;
    case 'c': {
      const connection = parseConnection(value);
      if (connection === undefined) return { code: 'ERR_SDP_BAD_CONNECTION', message: 'malformed c= line' };
      session.connection = connection;
      return undefined;
    }
    case 'b': {
      const bandwidth = parseBandwidth(value);
      if (bandwidth === undefined) return { code: 'ERR_SDP_BAD_BANDWIDTH', message: 'malformed b= line' };
      session.bandwidths.push(bandwidth);
      return undefined;
    }
    case 't': {
      const timing = parseTiming(value);
      if (timing === undefined) return { code: 'ERR_SDP_BAD_TIMING', message: 'malformed t= line' };
      session.timing.push({ ...timing, repeats: [] });
      return undefined;
    }
    case 'r': {
      // RFC 8866 §5.10: r= belongs to the t= before it.
      const last = session.timing.at(-1);
      if (last === undefined || value.trim() === '')
        return { code: 'ERR_SDP_BAD_TIMING', message: 'r= without a t= before it' };
      last.repeats.push(value);
      return undefined;
    }
    default:
      return applySessionAttribute(session, value, seen);
  }
}

function applySessionAttribute(
  session: SessionDescription,
  text: string,
  seen: Set<string>,
): LineFailure | undefined {
  const { name, value } = splitAttribute(text);
  const once = (): boolean => {
    const key = `a=${name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  switch (name) {
    case 'group': {
      const group = value === undefined ? undefined : parseGroup(value);
      if (group === undefined) return bad('malformed a=group');
      session.groups.push(group);
      return undefined;
    }
    case 'ice-lite':
      if (value !== undefined) return bad('a=ice-lite takes no value');
      if (!once()) return duplicate(name);
      session.iceLite = true;
      return undefined;
    case 'ice-ufrag':
    case 'ice-pwd': {
      const credential = value === undefined ? undefined : parseIceCredential(value);
      if (credential === undefined) return bad(`malformed a=${name}`);
      if (!once()) return duplicate(name);
      if (name === 'ice-ufrag') session.iceUfrag = credential;
      else session.icePwd = credential;
      return undefined;
    }
    case 'ice-options': {
      const options = value === undefined ? undefined : parseIceOptions(value);
      if (options === undefined) return bad('malformed a=ice-options');
      if (!once()) return duplicate(name);
      session.iceOptions = options;
      return undefined;
    }
    case 'fingerprint': {
      const fingerprint = value === undefined ? undefined : parseFingerprint(value);
      if (fingerprint === undefined) return bad('malformed a=fingerprint');
      session.fingerprints.push(fingerprint);
      return undefined;
    }
    case 'setup': {
      const setup = value === undefined ? undefined : parseSetup(value);
      if (setup === undefined) return bad('malformed a=setup');
      if (!once()) return duplicate(name);
      session.setup = setup;
      return undefined;
    }
    default:
      session.attributes.push(value === undefined ? { name } : { name, value });
      return undefined;
  }
}
