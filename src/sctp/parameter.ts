/**
 * The type-length-value layout shared by INIT parameters (RFC 9260 §3.2.1),
 * error causes (§3.3.10), HEARTBEAT info (§3.3.5) and RE-CONFIG parameters
 * (RFC 6525 §4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Parameter Type       |       Parameter Length        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                       Parameter Value                         /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Parameter Length counts the 4-byte header and the value, not the padding
 * to a multiple of 4. The last parameter of a chunk may omit its padding.
 */
import { padded, viewOf } from './chunk-header.js';
import { checkRoom, SctpError, type SctpErrorSite, type SctpResult, sctpFail } from './errors.js';

/** Size of a parameter header. */
export const PARAMETER_HEADER_SIZE = 4;

/** A parameter (or cause) as found in a chunk: its type and a view of its value. */
export interface RawParameter {
  /** Parameter type (or cause code). */
  type: number;
  /** The value, without header or padding (a view into the packet). */
  value: Uint8Array;
}

/** Decodes the parameters that fill buf. Never throws. */
export function decodeParameters(buf: Uint8Array, site: SctpErrorSite): SctpResult<RawParameter[]> {
  const parameters: RawParameter[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + PARAMETER_HEADER_SIZE > buf.length)
      return sctpFail('ERR_SCTP_TOO_SHORT', site, 'truncated parameter header', at);
    const type = (buf[at] << 8) | buf[at + 1];
    const length = (buf[at + 2] << 8) | buf[at + 3];
    if (length < PARAMETER_HEADER_SIZE || at + length > buf.length)
      return sctpFail('ERR_SCTP_BAD_LENGTH', site, `parameter length ${length} is invalid`, at + 2);
    parameters.push({ type, value: buf.subarray(at + PARAMETER_HEADER_SIZE, at + length) });
    at += padded(length);
  }
  return { ok: true, value: parameters };
}

/** Encoded size of one parameter, padding included. */
export function parameterSize(valueLength: number): number {
  return padded(PARAMETER_HEADER_SIZE + valueLength);
}

/** Encoded size of a parameter list, padding included. */
export function parametersSize(parameters: readonly RawParameter[]): number {
  let size = 0;
  for (const parameter of parameters) size += parameterSize(parameter.value.length);
  return size;
}

/**
 * Writes a parameter header for a value of valueLength bytes and zeroes the
 * padding; returns a DataView over the buffer. Throws SctpError when it does
 * not fit.
 */
export function writeParameterHeader(
  buf: Uint8Array,
  offset: number,
  type: number,
  valueLength: number,
  site: SctpErrorSite,
): DataView {
  const length = PARAMETER_HEADER_SIZE + valueLength;
  if (length > 0xffff || type < 0 || type > 0xffff)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', site, `parameter ${type} of ${length} bytes`);
  checkRoom(buf, offset, padded(length), site);
  const view = viewOf(buf);
  view.setUint16(offset, type);
  view.setUint16(offset + 2, length);
  buf.fill(0, offset + length, offset + padded(length));
  return view;
}

/** Writes one raw parameter at offset and returns the bytes written, padding included. */
export function encodeParameterTo(
  buf: Uint8Array,
  offset: number,
  parameter: RawParameter,
  site: SctpErrorSite,
): number {
  writeParameterHeader(buf, offset, parameter.type, parameter.value.length, site);
  buf.set(parameter.value, offset + PARAMETER_HEADER_SIZE);
  return parameterSize(parameter.value.length);
}

/** Writes a parameter list at offset and returns the bytes written. */
export function encodeParametersTo(
  buf: Uint8Array,
  offset: number,
  parameters: readonly RawParameter[],
  site: SctpErrorSite,
): number {
  let at = offset;
  for (const parameter of parameters) at += encodeParameterTo(buf, at, parameter, site);
  return at - offset;
}

/** Padding after a parameter whose value is valueLength bytes long. */
export function parameterPadding(valueLength: number): number {
  return parameterSize(valueLength) - PARAMETER_HEADER_SIZE - valueLength;
}
