/**
 * RTX retransmission payload format (RFC 4588 §4): a retransmitted packet
 * travels on its own SSRC, sequence numbers and payload type, with the
 * original sequence number (OSN) before the original payload.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         RTP Header                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            OSN                |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 *   |                  Original RTP Packet Payload                  |
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The RTX header keeps the original marker bit, timestamp, CSRCs and header
 * extensions (§4). These functions work on raw packet bytes, so a packet from
 * the PacketCache can be wrapped without a full decode. To also renumber the
 * header extensions for a subscriber, use writeOutgoingRtp with
 * `originalSequenceNumber` instead.
 */
import { ForwardingError, type ForwardingResult, forwardingFail } from './forwarding-errors.js';

/** Bytes of the OSN field. */
export const RTX_OSN_SIZE = 2;

/**
 * Length of the RTP header (fixed part, CSRCs, extension block) of a raw
 * packet, or -1 when the packet is malformed or truncated. Never throws.
 */
export function rtpHeaderLength(packet: Uint8Array): number {
  if (packet.length < 12 || packet[0] >>> 6 !== 2) return -1;
  let length = 12 + 4 * (packet[0] & 0x0f);
  if (packet[0] & 0x10) {
    if (length + 4 > packet.length) return -1;
    length += 4 + 4 * ((packet[length + 2] << 8) | packet[length + 3]);
  }
  return length <= packet.length ? length : -1;
}

/** Number of padding bytes at the end of a raw packet, or -1 when the count is invalid. */
function paddingLength(packet: Uint8Array, headerLength: number): number {
  if ((packet[0] & 0x20) === 0) return 0;
  const count = packet[packet.length - 1];
  return count === 0 || headerLength + count > packet.length ? -1 : count;
}

/**
 * Wraps the raw packet `original` as RTX into `out` at `offset` and returns
 * the length: same header with the RTX payload type, SSRC and sequence
 * number, then the OSN and the original payload; padding is dropped. Throws
 * ForwardingError when the original is malformed or the buffer too small.
 */
export function encodeRtxPacketTo(
  out: Uint8Array,
  offset: number,
  original: Uint8Array,
  rtxPayloadType: number,
  rtxSsrc: number,
  rtxSequenceNumber: number,
): number {
  const headerLength = rtpHeaderLength(original);
  const padding = headerLength < 0 ? -1 : paddingLength(original, headerLength);
  if (padding < 0)
    throw new ForwardingError('ERR_MEDIA_MALFORMED_PACKET', 'the original is not an RTP packet');
  const payloadEnd = original.length - padding;
  const size = payloadEnd + RTX_OSN_SIZE;
  if (offset < 0 || offset + size > out.length)
    throw new ForwardingError('ERR_MEDIA_BUFFER_TOO_SMALL', `${size} bytes do not fit at ${offset}`);
  out.set(original.subarray(0, headerLength), offset);
  out[offset] &= ~0x20;
  out[offset + 1] = (original[1] & 0x80) | (rtxPayloadType & 0x7f);
  out[offset + 2] = rtxSequenceNumber >>> 8;
  out[offset + 3] = rtxSequenceNumber;
  out[offset + 8] = rtxSsrc >>> 24;
  out[offset + 9] = rtxSsrc >>> 16;
  out[offset + 10] = rtxSsrc >>> 8;
  out[offset + 11] = rtxSsrc;
  const at = offset + headerLength;
  out[at] = original[2];
  out[at + 1] = original[3];
  out.set(original.subarray(headerLength, payloadEnd), at + RTX_OSN_SIZE);
  return size;
}

/** The OSN of an RTX payload, or -1 when the payload is shorter than the OSN. */
export function rtxOriginalSequence(rtxPayload: Uint8Array): number {
  return rtxPayload.length < RTX_OSN_SIZE ? -1 : (rtxPayload[0] << 8) | rtxPayload[1];
}

/** What an RTX payload carries. */
export interface RtxPayload {
  /** The original sequence number. */
  originalSequenceNumber: number;
  /** The original payload: a view into the RTX payload, valid as long as its buffer. */
  payload: Uint8Array;
}

/** Splits an RTX payload (from a decoded packet) into OSN and original payload. Never throws. */
export function decodeRtxPayload(rtxPayload: Uint8Array): ForwardingResult<RtxPayload> {
  if (rtxPayload.length < RTX_OSN_SIZE)
    return forwardingFail('ERR_MEDIA_RTX_TOO_SHORT', `RTX payload of ${rtxPayload.length} bytes has no OSN`);
  return {
    ok: true,
    value: { originalSequenceNumber: (rtxPayload[0] << 8) | rtxPayload[1], payload: rtxPayload.subarray(2) },
  };
}

/**
 * Restores the original packet from a raw RTX packet into `out` at `offset`
 * (header with the OSN, the original payload type and SSRC; padding
 * dropped), so it can enter the producer's path like any packet. Returns the
 * length, or -1 when the RTX packet is malformed or has no OSN. Throws
 * ForwardingError only when the buffer is too small. `out` may be the RTX
 * packet's own buffer at the same offset: the result is written front to back
 * and never ahead of what is still to be read.
 */
export function restoreRtxPacketTo(
  out: Uint8Array,
  offset: number,
  rtx: Uint8Array,
  originalPayloadType: number,
  originalSsrc: number,
): number {
  const headerLength = rtpHeaderLength(rtx);
  const padding = headerLength < 0 ? -1 : paddingLength(rtx, headerLength);
  if (padding < 0 || rtx.length - padding - headerLength < RTX_OSN_SIZE) return -1;
  const payloadEnd = rtx.length - padding;
  const size = payloadEnd - RTX_OSN_SIZE;
  if (offset < 0 || offset + size > out.length)
    throw new ForwardingError('ERR_MEDIA_BUFFER_TOO_SMALL', `${size} bytes do not fit at ${offset}`);
  const osnHigh = rtx[headerLength];
  const osnLow = rtx[headerLength + 1];
  out.set(rtx.subarray(0, headerLength), offset);
  out[offset] &= ~0x20;
  out[offset + 1] = (rtx[1] & 0x80) | (originalPayloadType & 0x7f);
  out[offset + 2] = osnHigh;
  out[offset + 3] = osnLow;
  out[offset + 8] = originalSsrc >>> 24;
  out[offset + 9] = originalSsrc >>> 16;
  out[offset + 10] = originalSsrc >>> 8;
  out[offset + 11] = originalSsrc;
  // copyWithin semantics (memmove) hold for set() on overlapping views of one buffer.
  out.set(rtx.subarray(headerLength + RTX_OSN_SIZE, payloadEnd), offset + headerLength);
  return size;
}
