/**
 * Goodbye, BYE (RFC 3550 §6.6).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|    SC   |   PT=BYE=203  |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           SSRC/CSRC                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   :                              ...                              :
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |     length    |               reason for leaving            ... (opt)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The reason is a view into the received packet.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeRtcpBody, RTCP_HEADER_SIZE, RtcpPacketType, writeRtcpHeader } from './header.js';

/** A goodbye packet. */
export interface Goodbye {
  /** Sources leaving, at most 31. */
  sources: number[];
  /** Reason for leaving as UTF-8 bytes (view), or undefined when absent. */
  reason: Uint8Array | undefined;
}

/** Decodes one BYE packet. Never throws. */
export function decodeGoodbye(buf: Uint8Array): RtcpResult<Goodbye> {
  const decoded = decodeRtcpBody(buf, RtcpPacketType.Goodbye);
  if (!decoded.ok) return decoded;
  const { count, body, view } = decoded.value;
  if (count * 4 > body.length)
    return rtcpFail('ERR_RTCP_TOO_SHORT', `${count} sources overrun the BYE`, RTCP_HEADER_SIZE);
  const sources: number[] = [];
  for (let i = 0; i < count; i++) sources.push(view.getUint32(i * 4));
  let reason: Uint8Array | undefined;
  const reasonAt = count * 4;
  if (reasonAt < body.length) {
    const length = body[reasonAt];
    if (reasonAt + 1 + length > body.length)
      return rtcpFail('ERR_RTCP_TOO_SHORT', 'BYE reason overruns the packet', RTCP_HEADER_SIZE + reasonAt);
    reason = body.subarray(reasonAt + 1, reasonAt + 1 + length);
  }
  return { ok: true, value: { sources, reason } };
}

/** Size of the encoded BYE. */
export function goodbyeSize(bye: Goodbye): number {
  const reasonSize = bye.reason ? (1 + bye.reason.length + 3) & ~3 : 0;
  return RTCP_HEADER_SIZE + bye.sources.length * 4 + reasonSize;
}

/** Writes the BYE at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeGoodbyeTo(buf: Uint8Array, offset: number, bye: Goodbye): number {
  if (bye.sources.length > 31) throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'more than 31 BYE sources');
  if (bye.reason && bye.reason.length > 255)
    throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'BYE reason longer than 255 bytes');
  const size = goodbyeSize(bye);
  const view = writeRtcpHeader(buf, offset, bye.sources.length, RtcpPacketType.Goodbye, size);
  let at = offset + RTCP_HEADER_SIZE;
  for (const source of bye.sources) {
    view.setUint32(at, source >>> 0);
    at += 4;
  }
  if (bye.reason) {
    buf[at] = bye.reason.length;
    buf.set(bye.reason, at + 1);
    buf.fill(0, at + 1 + bye.reason.length, offset + size);
  }
  return size;
}
