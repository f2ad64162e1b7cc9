/**
 * Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2):
 * application-layer feedback (RFC 4585 §6.4), PT 206, FMT 15, media source 0.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P| FMT=15  |   PT=206      |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  SSRC of packet sender                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  SSRC of media source (0)                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Unique identifier 'R' 'E' 'M' 'B'                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Num SSRC     | BR Exp    |  BR Mantissa                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   SSRC feedback                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  ...                                                          |
 *
 * The bitrate in bits per second is mantissa × 2^exp (18-bit mantissa,
 * 6-bit exponent).
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeFeedbackBody, FEEDBACK_HEADER_SIZE, writeFeedbackHeader } from './feedback.js';
import { PayloadFeedbackFormat, RtcpPacketType } from './header.js';

/** The 'REMB' identifier as a 32-bit number. */
const REMB_IDENTIFIER = 0x52454d42;
const MAX_MANTISSA = 0x3ffff;

/** A REMB message. */
export interface ReceiverEstimatedMaximumBitrate {
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** The header's media source SSRC; the draft sets it to 0. */
  mediaSsrc: number;
  /** Estimated total bitrate in bits per second (exactly mantissa × 2^exp when decoded). */
  bitrate: number;
  /** The media sources the estimate applies to, at most 255. */
  ssrcs: number[];
}

/** True when a PT 206 FMT 15 packet carries the 'REMB' identifier (other application feedback exists). */
export function isReceiverEstimatedMaximumBitrate(buf: Uint8Array): boolean {
  return (
    buf.length >= FEEDBACK_HEADER_SIZE + 8 &&
    buf[1] === RtcpPacketType.PayloadFeedback &&
    (buf[0] & 0x1f) === PayloadFeedbackFormat.ApplicationLayer &&
    buf[12] === 0x52 &&
    buf[13] === 0x45 &&
    buf[14] === 0x4d &&
    buf[15] === 0x42
  );
}

/** Decodes one REMB packet. Never throws. */
export function decodeReceiverEstimatedMaximumBitrate(
  buf: Uint8Array,
): RtcpResult<ReceiverEstimatedMaximumBitrate> {
  const decoded = decodeFeedbackBody(
    buf,
    RtcpPacketType.PayloadFeedback,
    PayloadFeedbackFormat.ApplicationLayer,
  );
  if (!decoded.ok) return decoded;
  const { senderSsrc, mediaSsrc, fci, view } = decoded.value;
  if (fci.length < 8) return rtcpFail('ERR_RTCP_TOO_SHORT', 'REMB FCI under 8 bytes', FEEDBACK_HEADER_SIZE);
  if (view.getUint32(0) !== REMB_IDENTIFIER)
    return rtcpFail('ERR_RTCP_BAD_FORMAT', "application feedback is not 'REMB'", FEEDBACK_HEADER_SIZE);
  const count = fci[4];
  if (8 + 4 * count > fci.length)
    return rtcpFail('ERR_RTCP_TOO_SHORT', `${count} REMB SSRCs overrun the packet`, FEEDBACK_HEADER_SIZE + 4);
  const exponent = fci[5] >>> 2;
  const mantissa = ((fci[5] & 3) << 16) | (fci[6] << 8) | fci[7];
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(8 + 4 * i));
  return { ok: true, value: { senderSsrc, mediaSsrc, bitrate: mantissa * 2 ** exponent, ssrcs } };
}

/** Size of the encoded REMB. */
export function receiverEstimatedMaximumBitrateSize(remb: ReceiverEstimatedMaximumBitrate): number {
  return FEEDBACK_HEADER_SIZE + 8 + 4 * remb.ssrcs.length;
}

/**
 * Splits a bitrate into the draft's exponent and mantissa, rounding down so
 * that the encoded estimate never exceeds the one given.
 */
export function rembExponentMantissa(bitrate: number): { exponent: number; mantissa: number } {
  if (!(bitrate >= 0) || !Number.isFinite(bitrate))
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `bitrate ${bitrate} cannot be encoded`);
  let exponent = 0;
  let value = Math.floor(bitrate);
  while (value > MAX_MANTISSA) {
    value = Math.floor(value / 2);
    exponent++;
  }
  if (exponent > 63) throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `bitrate ${bitrate} cannot be encoded`);
  return { exponent, mantissa: value };
}

/** Writes the REMB at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeReceiverEstimatedMaximumBitrateTo(
  buf: Uint8Array,
  offset: number,
  remb: ReceiverEstimatedMaximumBitrate,
): number {
  if (remb.ssrcs.length > 255) throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'more than 255 REMB SSRCs');
  const { exponent, mantissa } = rembExponentMantissa(remb.bitrate);
  const size = receiverEstimatedMaximumBitrateSize(remb);
  const view = writeFeedbackHeader(
    buf,
    offset,
    RtcpPacketType.PayloadFeedback,
    PayloadFeedbackFormat.ApplicationLayer,
    size,
    remb.senderSsrc,
    remb.mediaSsrc,
  );
  let at = offset + FEEDBACK_HEADER_SIZE;
  view.setUint32(at, REMB_IDENTIFIER);
  buf[at + 4] = remb.ssrcs.length;
  buf[at + 5] = (exponent << 2) | (mantissa >>> 16);
  buf[at + 6] = (mantissa >>> 8) & 0xff;
  buf[at + 7] = mantissa & 0xff;
  at += 8;
  for (const ssrc of remb.ssrcs) {
    view.setUint32(at, ssrc >>> 0);
    at += 4;
  }
  return size;
}
