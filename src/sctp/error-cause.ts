/**
 * Error causes carried by ABORT and ERROR chunks (RFC 9260 §3.3.10).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Cause Code          |         Cause Length          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                    Cause-Specific Information                 /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The layout is the parameter TLV of parameter.ts; the cause-specific
 * information stays raw, with helpers for the causes this layer sends.
 */
import type { SctpErrorSite, SctpResult } from './errors.js';
import {
  decodeParameters,
  encodeParametersTo,
  parameterPadding,
  parametersSize,
  type RawParameter,
} from './parameter.js';

/** Cause codes (RFC 9260 §3.3.10, RFC 6525 has none of its own). */
export const ErrorCauseCode = {
  InvalidStreamIdentifier: 1,
  MissingMandatoryParameter: 2,
  StaleCookie: 3,
  OutOfResource: 4,
  UnresolvableAddress: 5,
  UnrecognizedChunkType: 6,
  InvalidMandatoryParameter: 7,
  UnrecognizedParameters: 8,
  NoUserData: 9,
  CookieReceivedWhileShuttingDown: 10,
  RestartWithNewAddresses: 11,
  UserInitiatedAbort: 12,
  ProtocolViolation: 13,
} as const;

/** One error cause; info is a view valid as long as the packet buffer. */
export interface ErrorCause {
  /** Cause code. */
  code: number;
  /** Cause-specific information. */
  info: Uint8Array;
}

/** Decodes the causes that fill buf. Never throws. */
export function decodeErrorCauses(buf: Uint8Array, site: SctpErrorSite): SctpResult<ErrorCause[]> {
  const parameters = decodeParameters(buf, site);
  if (!parameters.ok) return parameters;
  return { ok: true, value: parameters.value.map((p) => ({ code: p.type, info: p.value })) };
}

function asParameters(causes: readonly ErrorCause[]): RawParameter[] {
  return causes.map((cause) => ({ type: cause.code, value: cause.info }));
}

/** Encoded size of a cause list, padding included. */
export function errorCausesSize(causes: readonly ErrorCause[]): number {
  return parametersSize(asParameters(causes));
}

/** Padding after the last cause, which a chunk's length leaves out (§3.2). */
export function errorCausesTailPadding(causes: readonly ErrorCause[]): number {
  return causes.length === 0 ? 0 : parameterPadding(causes[causes.length - 1].info.length);
}

/** Writes a cause list at offset and returns the bytes written. */
export function encodeErrorCausesTo(
  buf: Uint8Array,
  offset: number,
  causes: readonly ErrorCause[],
  site: SctpErrorSite,
): number {
  return encodeParametersTo(buf, offset, asParameters(causes), site);
}

/** A User-Initiated Abort cause (§3.3.10.12) carrying a UTF-8 reason. */
export function userInitiatedAbort(reason: string): ErrorCause {
  // Keep the reason short enough that the ABORT fits any packet.
  return { code: ErrorCauseCode.UserInitiatedAbort, info: Buffer.from(reason.slice(0, 256), 'utf8') };
}

/** A Protocol Violation cause (§3.3.10.13) carrying a UTF-8 description. */
export function protocolViolation(description: string): ErrorCause {
  return { code: ErrorCauseCode.ProtocolViolation, info: Buffer.from(description.slice(0, 256), 'utf8') };
}

/** A No User Data cause (§3.3.10.9) naming the TSN of the empty DATA chunk. */
export function noUserData(tsn: number): ErrorCause {
  const info = Buffer.alloc(4);
  info.writeUInt32BE(tsn >>> 0, 0);
  return { code: ErrorCauseCode.NoUserData, info };
}

/** An Invalid Stream Identifier cause (§3.3.10.1): the stream id and two reserved bytes. */
export function invalidStreamIdentifier(streamId: number): ErrorCause {
  const info = Buffer.alloc(4);
  info.writeUInt16BE(streamId & 0xffff, 0);
  return { code: ErrorCauseCode.InvalidStreamIdentifier, info };
}

/** An Unrecognized Chunk Type cause (§3.3.10.6) carrying the whole chunk, header included. */
export function unrecognizedChunkType(chunkBytes: Uint8Array): ErrorCause {
  return { code: ErrorCauseCode.UnrecognizedChunkType, info: chunkBytes };
}
