/**
 * Transport attributes: a=group (RFC 5888 §5, BUNDLE per RFC 8843),
 * a=fingerprint (RFC 8122 §5), a=setup (RFC 4145 §4), a=ice-options
 * (RFC 8839 §5.6), the ICE credential grammar (RFC 8839 §5.4) and the few
 * candidate fields the answerer reads (RFC 8839 §5.1).
 */
import { parseInteger, splitFields } from './lines.js';
import type { SdpFingerprint, SdpGroup, SdpSetupRole } from './types.js';

/** a=group:<semantics> *(SP <identification-tag>) */
export function parseGroup(value: string): SdpGroup | undefined {
  const [semantics, ...mids] = splitFields(value);
  return semantics === undefined ? undefined : { semantics, mids };
}

/** The value after `a=group:`. */
export function formatGroup(group: SdpGroup): string {
  return [group.semantics, ...group.mids].join(' ');
}

/**
 *   a=fingerprint:<hash-func> SP <fingerprint>
 *   fingerprint = 2UHEX *(":" 2UHEX)
 *
 * Lower-case hex is accepted too (RFC 8122 §5 asks for upper case, some
 * stacks write lower); the value is kept as written.
 */
export function parseFingerprint(value: string): SdpFingerprint | undefined {
  const fields = splitFields(value);
  if (fields.length !== 2 || !/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/.test(fields[1])) return undefined;
  return { algorithm: fields[0], value: fields[1] };
}

/** The value after `a=fingerprint:`. */
export function formatFingerprint(fingerprint: SdpFingerprint): string {
  return `${fingerprint.algorithm} ${fingerprint.value}`;
}

/** a=setup:<role>, or undefined for a role RFC 4145 does not define. */
export function parseSetup(value: string): SdpSetupRole | undefined {
  const role = value.trim();
  return role === 'actpass' || role === 'active' || role === 'passive' || role === 'holdconn'
    ? role
    : undefined;
}

/** a=ice-options:<token> *(SP <token>) */
export function parseIceOptions(value: string): string[] | undefined {
  const options = splitFields(value);
  return options.length === 0 ? undefined : options;
}

/** An ICE credential value: one token without spaces (the parser does not enforce RFC 8839 lengths). */
export function parseIceCredential(value: string): string | undefined {
  const credential = value.trim();
  return credential === '' || /\s/.test(credential) ? undefined : credential;
}

/** True for a ufrag RFC 8839 §5.4 allows: 4–256 ice-chars (ALPHA / DIGIT / "+" / "/"). */
export function isIceUfrag(text: string): boolean {
  return /^[A-Za-z0-9+/]{4,256}$/.test(text);
}

/** True for a password RFC 8839 §5.4 allows: 22–256 ice-chars. */
export function isIcePwd(text: string): boolean {
  return /^[A-Za-z0-9+/]{22,256}$/.test(text);
}

/** The fields of a candidate the answerer needs for its default address. */
export interface CandidateAddress {
  /** Component id: 1 for RTP (the only one with rtcp-mux). */
  component: number;
  /** Transport, lower-cased: `udp` or `tcp`. */
  transport: string;
  /** Connection address: an IP or an mDNS name. */
  address: string;
  /** Port. */
  port: number;
  /** Candidate type: `host`, `srflx`, `prflx`, `relay`. */
  type: string;
}

/**
 *   candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP
 *                         priority SP connection-address SP port SP "typ" SP cand-type ...
 *
 * Takes the value with or without its `candidate:` (or `a=candidate:`) prefix.
 */
export function parseCandidateAddress(candidate: string): CandidateAddress | undefined {
  const value = stripCandidatePrefix(candidate);
  const fields = splitFields(value);
  if (fields.length < 8 || fields[6] !== 'typ') return undefined;
  const component = parseInteger(fields[1], 1, 256);
  const port = parseInteger(fields[5], 0, 65535);
  if (component === undefined || port === undefined) return undefined;
  return { component, transport: fields[2].toLowerCase(), address: fields[4], port, type: fields[7] };
}

/** A candidate as the value after `a=candidate:`, whichever of the usual prefixes it came with. */
export function stripCandidatePrefix(candidate: string): string {
  let value = candidate.trim();
  if (value.startsWith('a=')) value = value.slice(2);
  if (value.startsWith('candidate:')) value = value.slice('candidate:'.length);
  return value;
}
