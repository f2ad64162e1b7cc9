/**
 * ICE candidates: priority (RFC 8445 §5.1.2), and the SDP attribute value
 * (RFC 8839 §5.1, with the tcptype extension of RFC 6544 §4.5):
 *
 *   candidate-attribute = "candidate" ":" foundation SP component-id SP
 *                         transport SP priority SP connection-address SP
 *                         port SP "typ" SP cand-type
 *                         [SP "raddr" SP connection-address]
 *                         [SP "rport" SP port]
 *                         *(SP extension-att-name SP extension-att-value)
 *
 * e.g. "candidate:1 1 udp 2130706431 203.0.113.7 7882 typ host" and
 * "candidate:2 1 tcp 1684798975 203.0.113.7 7881 typ host tcptype passive".
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { IceError } from './errors.js';

/** Candidate types of RFC 8445 §5.1.1. */
export type IceCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** TCP candidate types of RFC 6544 §4.5. */
export type IceTcpType = 'active' | 'passive' | 'so';

/** One ICE candidate as signalled in SDP. */
export interface IceCandidate {
  /** 1–32 ice-chars; equal for candidates that share type, base and transport (RFC 8445 §5.1.1.3). */
  foundation: string;
  /** 1 (RTP; RTCP is multiplexed, RFC 8843). */
  component: number;
  protocol: 'udp' | 'tcp';
  /** 1 to 2^31 − 1 (RFC 8445 §5.1.2.1). */
  priority: number;
  /** IP literal, or a host name (an mDNS ".local" name from a browser). */
  address: string;
  port: number;
  type: IceCandidateType;
  /** For TCP candidates (RFC 6544 §4.5); a server only offers 'passive'. */
  tcpType?: IceTcpType;
  /** raddr of a srflx, prflx or relay candidate. */
  relatedAddress?: string;
  /** rport of a srflx, prflx or relay candidate. */
  relatedPort?: number;
  /** Extension attributes in order (generation, ufrag, network-id, …), kept for re-signalling. */
  extensions?: [name: string, value: string][];
}

/** Result of parsing a candidate: a value or a typed error, never an exception. */
export type ParseCandidateResult = { ok: true; candidate: IceCandidate } | { ok: false; error: IceError };

/** Recommended type preference of host candidates (RFC 8445 §5.1.2.2). */
export const HOST_TYPE_PREFERENCE = 126;

/**
 * Priority of a candidate (RFC 8445 §5.1.2.1):
 * 2^24 × type preference + 2^8 × local preference + (256 − component id).
 */
export function computePriority(typePreference: number, localPreference: number, component = 1): number {
  return typePreference * 0x1000000 + localPreference * 0x100 + (256 - component);
}

/**
 * Local preference of one of our host candidates. UDP candidates get the top
 * of the range; TCP ones follow RFC 6544 §4.2, (2^13 × direction-pref +
 * other-pref) with direction-pref 4 for passive host candidates, which keeps
 * every TCP candidate below every UDP one while the type preference is the
 * same 126. Within a transport, IPv4 comes first: a server's IPv4 address is
 * the one most clients can reach (RFC 8421's IPv6 preference is for clients
 * choosing among their own interfaces).
 */
export function hostLocalPreference(protocol: 'udp' | 'tcp', family: 4 | 6): number {
  const familyPreference = family === 4 ? 1 : 0;
  if (protocol === 'udp') return 65534 + familyPreference;
  return (4 << 13) + 8190 + familyPreference;
}

/** Priority of one of our host candidates, component 1. */
export function hostCandidatePriority(protocol: 'udp' | 'tcp', family: 4 | 6): number {
  return computePriority(HOST_TYPE_PREFERENCE, hostLocalPreference(protocol, family));
}

/**
 * A foundation for a host candidate: the same for the same base address and
 * transport (RFC 8445 §5.1.1.3), 8 hex characters, so that it reveals nothing.
 */
export function hostFoundation(protocol: 'udp' | 'tcp', address: string): string {
  return createHash('sha256').update(`host|${protocol}|${address}`).digest('hex').slice(0, 8);
}

/** Formats a candidate as the value of an a=candidate attribute, starting "candidate:". */
export function formatCandidate(candidate: IceCandidate): string {
  let text = `candidate:${candidate.foundation} ${candidate.component} ${candidate.protocol} ${candidate.priority} ${candidate.address} ${candidate.port} typ ${candidate.type}`;
  if (candidate.relatedAddress !== undefined) text += ` raddr ${candidate.relatedAddress}`;
  if (candidate.relatedPort !== undefined) text += ` rport ${candidate.relatedPort}`;
  if (candidate.tcpType !== undefined) text += ` tcptype ${candidate.tcpType}`;
  for (const [name, value] of candidate.extensions ?? []) text += ` ${name} ${value}`;
  return text;
}

/** Longest attribute we parse; real ones are under 200 characters. */
const MAX_CANDIDATE_LENGTH = 1024;
const FOUNDATION = /^[A-Za-z0-9+/]{1,32}$/;
const DIGITS = /^[0-9]{1,10}$/;
/** A host name (mDNS names included): letters, digits, dots and hyphens. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
/** RFC 8839 §5.1 token characters, for extension names and values. */
const TOKEN = /^[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7e]+$/;
const TYPES: ReadonlySet<string> = new Set(['host', 'srflx', 'prflx', 'relay']);
const TCP_TYPES: ReadonlySet<string> = new Set(['active', 'passive', 'so']);

function bad(message: string): ParseCandidateResult {
  return { ok: false, error: new IceError('ERR_ICE_BAD_CANDIDATE', message) };
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

function isConnectionAddress(text: string): boolean {
  return isIP(text) !== 0 || HOST_NAME.test(text);
}

/**
 * Parses an a=candidate value, with or without the leading "a=" and
 * "candidate:". Transport and type names are matched case-insensitively and
 * returned in lower case. Candidates of transports other than UDP and TCP
 * are refused. Never throws.
 */
export function parseCandidate(text: string): ParseCandidateResult {
  if (typeof text !== 'string') return bad('not a string');
  if (text.length > MAX_CANDIDATE_LENGTH) return bad(`longer than ${MAX_CANDIDATE_LENGTH} characters`);
  let rest = text.trim();
  if (rest.startsWith('a=')) rest = rest.slice(2);
  if (rest.startsWith('candidate:')) rest = rest.slice('candidate:'.length);
  const fields = rest.split(/[ \t]+/);
  if (fields.length < 8) return bad('fewer than 8 fields');
  const [foundation, componentText, transportText, priorityText, address, portText, typ, typeText] = fields;
  if (!FOUNDATION.test(foundation)) return bad('foundation is not 1 to 32 ice-chars');
  if (!/^[0-9]{1,3}$/.test(componentText)) return bad('bad component id');
  const component = Number(componentText);
  if (component < 1 || component > 256) return bad('component id out of 1–256');
  const transport = transportText.toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') return bad(`unsupported transport "${transportText}"`);
  if (!DIGITS.test(priorityText)) return bad('bad priority');
  const priority = Number(priorityText);
  if (priority < 1 || priority > 0x7fffffff) return bad('priority out of 1 to 2^31 − 1');
  if (!isConnectionAddress(address)) return bad('bad connection address');
  const port = parsePort(portText);
  if (port === undefined) return bad('bad port');
  if (typ !== 'typ') return bad('missing "typ"');
  const type = typeText.toLowerCase();
  if (!TYPES.has(type)) return bad(`unknown candidate type "${typeText}"`);
  const candidate: IceCandidate = {
    foundation,
    component,
    protocol: transport,
    priority,
    address,
    port,
    type: type as IceCandidateType,
  };
  // The rest comes in name/value pairs (RFC 8839 §5.1).
  if ((fields.length - 8) % 2 !== 0) return bad('an extension attribute without a value');
  for (let i = 8; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name === 'raddr' && candidate.relatedAddress === undefined) {
      if (!isConnectionAddress(value)) return bad('bad raddr');
      candidate.relatedAddress = value;
    } else if (name === 'rport' && candidate.relatedPort === undefined) {
      const relatedPort = parsePort(value);
      if (relatedPort === undefined) return bad('bad rport');
      candidate.relatedPort = relatedPort;
    } else if (name === 'tcptype' && candidate.tcpType === undefined) {
      const tcpType = value.toLowerCase();
      if (!TCP_TYPES.has(tcpType)) return bad(`unknown tcptype "${value}"`);
      candidate.tcpType = tcpType as IceTcpType;
    } else {
      if (!TOKEN.test(name) || !TOKEN.test(value)) return bad('bad extension attribute');
      candidate.extensions ??= [];
      candidate.extensions.push([name, value]);
    }
  }
  if (candidate.protocol === 'tcp' && candidate.tcpType === undefined)
    return bad('TCP candidate without tcptype');
  if (candidate.protocol === 'udp' && candidate.tcpType !== undefined)
    return bad('tcptype on a UDP candidate');
  return { ok: true, candidate };
}
