/**
 * The header common to every RTCP packet (RFC 3550 §6.4.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|  count  |      PT       |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * `count` is the report/source/chunk count, or the feedback message type
 * (FMT) for RFC 4585 packets. `length` is the packet size in 32-bit words
 * minus one. When P is set the last octet counts the padding, itself included.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';

/** The only RTCP version (RFC 3550 §6.4.1). */
export const RTCP_VERSION = 2;
/** Size of the common header. */
export const RTCP_HEADER_SIZE = 4;

/** RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1). */
export const RtcpPacketType = {
  SenderReport: 200,
  ReceiverReport: 201,
  SourceDescription: 202,
  Goodbye: 203,
  Application: 204,
  TransportFeedback: 205,
  PayloadFeedback: 206,
} as const;

/** Feedback message types (FMT) of transport-layer feedback, PT 205. */
export const TransportFeedbackFormat = {
  /** Generic NACK (RFC 4585 §6.2.1). */
  Nack: 1,
  /** Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1). */
  TransportCc: 15,
} as const;

/** Feedback message types (FMT) of payload-specific feedback, PT 206. */
export const PayloadFeedbackFormat = {
  /** Picture Loss Indication (RFC 4585 §6.3.1). */
  Pli: 1,
  /** Full Intra Request (RFC 5104 §4.3.1). */
  Fir: 4,
  /** Application layer feedback (RFC 4585 §6.4), which REMB uses. */
  ApplicationLayer: 15,
} as const;

/** A decoded common header. */
export interface RtcpHeader {
  /** P bit. */
  padding: boolean;
  /** The 5-bit count or FMT field. */
  count: number;
  /** Packet type. */
  packetType: number;
  /** Packet size in bytes, header and padding included ((length + 1) × 4). */
  size: number;
}

/**
 * Decodes the common header at offset, checking the version and that the
 * packet fits in buf. Never throws.
 */
export function decodeRtcpHeader(buf: Uint8Array, offset = 0): RtcpResult<RtcpHeader> {
  if (offset + RTCP_HEADER_SIZE > buf.length)
    return rtcpFail('ERR_RTCP_TOO_SHORT', 'truncated RTCP header', offset);
  const first = buf[offset];
  if (first >>> 6 !== RTCP_VERSION)
    return rtcpFail('ERR_RTCP_BAD_VERSION', `version ${first >>> 6} is not 2`, offset);
  const size = (((buf[offset + 2] << 8) | buf[offset + 3]) + 1) * 4;
  if (offset + size > buf.length)
    return rtcpFail('ERR_RTCP_BAD_LENGTH', `a ${size}-byte packet overruns the buffer`, offset);
  return {
    ok: true,
    value: { padding: (first & 0x20) !== 0, count: first & 0x1f, packetType: buf[offset + 1], size },
  };
}

/** The parts of one packet that its specific decoder needs. */
export interface RtcpBody {
  /** The count or FMT field. */
  count: number;
  /** The bytes after the common header, without padding (view). */
  body: Uint8Array;
  /** A DataView over body. */
  view: DataView;
}

/**
 * Checks that buf holds exactly one RTCP packet of the type and returns its
 * body. Never throws.
 */
export function decodeRtcpBody(buf: Uint8Array, packetType: number): RtcpResult<RtcpBody> {
  const header = decodeRtcpHeader(buf);
  if (!header.ok) return header;
  const { padding, count, size } = header.value;
  if (header.value.packetType !== packetType)
    return rtcpFail('ERR_RTCP_WRONG_TYPE', `packet type ${header.value.packetType} is not ${packetType}`, 1);
  if (size !== buf.length)
    return rtcpFail('ERR_RTCP_BAD_LENGTH', `length field says ${size} bytes, buffer has ${buf.length}`, 2);
  let end = size;
  if (padding) {
    const paddingLength = buf[size - 1];
    if (paddingLength === 0 || paddingLength > size - RTCP_HEADER_SIZE)
      return rtcpFail('ERR_RTCP_BAD_PADDING', `padding count ${paddingLength} is invalid`, size - 1);
    end -= paddingLength;
  }
  const body = buf.subarray(RTCP_HEADER_SIZE, end);
  return {
    ok: true,
    value: { count, body, view: new DataView(body.buffer, body.byteOffset, body.byteLength) },
  };
}

/**
 * Checks room for size bytes at offset and writes a common header without
 * padding; returns a DataView over the whole buffer. Throws RtcpError on a
 * buffer that is too small or a size that is not a multiple of 4.
 */
export function writeRtcpHeader(
  buf: Uint8Array,
  offset: number,
  count: number,
  packetType: number,
  size: number,
): DataView {
  if (size % 4 !== 0 || size < RTCP_HEADER_SIZE || size > 0x40000)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `packet size ${size} cannot be encoded`);
  if (count < 0 || count > 31 || !Number.isInteger(count))
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `count ${count} does not fit 5 bits`);
  if (offset < 0 || offset + size > buf.length)
    throw new RtcpError('ERR_RTCP_BUFFER_TOO_SMALL', `${size} bytes do not fit at ${offset}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[offset] = (RTCP_VERSION << 6) | count;
  buf[offset + 1] = packetType;
  view.setUint16(offset + 2, size / 4 - 1);
  return view;
}
