/**
 * Compound RTCP packets (RFC 3550 §6.1): several RTCP packets back to back in
 * one datagram, each with its own common header (see header.ts).
 *
 *   if encrypted: random 32-bit integer
 *   |
 *   |[--------- packet --------][---------- packet ----------][-packet-]
 *   |
 *   |                receiver            chunk        chunk
 *   V                reports           item  item   item  item
 *   --------------------------------------------------------------------
 *   R[SR #sendinfo #site1#site2][SDES #CNAME PHONE #CNAME LOC][BYE##why]
 *   --------------------------------------------------------------------
 *
 * The splitter applies the header checks of Appendix A.2 that do not depend
 * on the session: version 2 everywhere, lengths that add up exactly to the
 * datagram, and padding only on the last packet. It does not insist on SR or
 * RR first, since RFC 5506 reduced-size RTCP sends feedback on its own.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeRtcpHeader, RTCP_HEADER_SIZE } from './header.js';

/** Upper bound on packets in one compound; a datagram of minimal 4-byte packets holds far fewer in practice. */
export const MAX_COMPOUND_PACKETS = 512;

/** One packet found in a compound datagram. */
export interface RtcpPacketView {
  /** Packet type from the common header. */
  packetType: number;
  /** Count or FMT field from the common header. */
  count: number;
  /** The whole packet, header included (view into the datagram). */
  bytes: Uint8Array;
  /** Offset of the packet within the datagram. */
  offset: number;
}

/**
 * Cuts a compound datagram into its packets (views). Fails with a typed error
 * when a header is bad, a length overruns the datagram, or a packet other
 * than the last is padded. Never throws.
 */
export function splitRtcpCompound(buf: Uint8Array): RtcpResult<RtcpPacketView[]> {
  if (buf.length < RTCP_HEADER_SIZE) return rtcpFail('ERR_RTCP_TOO_SHORT', 'empty RTCP datagram', 0);
  const packets: RtcpPacketView[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (packets.length >= MAX_COMPOUND_PACKETS)
      return rtcpFail('ERR_RTCP_BAD_LENGTH', 'too many packets in one compound', offset);
    const header = decodeRtcpHeader(buf, offset);
    if (!header.ok) return header;
    const { padding, count, packetType, size } = header.value;
    const end = offset + size;
    if (padding && end !== buf.length)
      return rtcpFail('ERR_RTCP_BAD_PADDING', 'only the last packet of a compound may be padded', offset);
    packets.push({ packetType, count, bytes: buf.subarray(offset, end), offset });
    offset = end;
  }
  return { ok: true, value: packets };
}

/** Size of the compound made of the packets. */
export function rtcpCompoundSize(packets: readonly Uint8Array[]): number {
  let size = 0;
  for (const packet of packets) size += packet.length;
  return size;
}

/**
 * Copies encoded packets back to back at offset and returns the bytes
 * written. Throws RtcpError when a packet is not a whole number of words or
 * the buffer is too small. To avoid the copy, encode each packet straight
 * into the buffer with its encode…To at the running offset.
 */
export function joinRtcpCompoundTo(buf: Uint8Array, offset: number, packets: readonly Uint8Array[]): number {
  const size = rtcpCompoundSize(packets);
  if (offset < 0 || offset + size > buf.length)
    throw new RtcpError('ERR_RTCP_BUFFER_TOO_SMALL', `${size} bytes do not fit at ${offset}`);
  let at = offset;
  for (const packet of packets) {
    if (packet.length < RTCP_HEADER_SIZE || packet.length % 4 !== 0)
      throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `a ${packet.length}-byte RTCP packet is malformed`);
    buf.set(packet, at);
    at += packet.length;
  }
  return size;
}
