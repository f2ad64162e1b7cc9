/**
 * Just enough of the RTP header (RFC 3550 §5.1) to find where the payload
 * starts: SRTP encrypts from there and authenticates the header before it.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |            contributing source (CSRC) identifiers             |
 *   |                             ....                              |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |  defined by profile           |           length              |  (when X = 1, RFC 3550 §5.3.1)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 header extension (length words)               |
 *
 * The full RTP codec lives in src/rtp/; this stays local so the security
 * layer depends on nothing above it.
 */

/** Size of the fixed RTP header. */
export const RTP_FIXED_HEADER_SIZE = 12;

/**
 * The offset of the payload in an RTP packet, or -1 when the bytes are not a
 * version-2 RTP header that fits in `packetLength` bytes of `packet`.
 */
export function rtpPayloadOffset(packet: Uint8Array, packetLength: number): number {
  if (packetLength < RTP_FIXED_HEADER_SIZE) return -1;
  const first = packet[0];
  if (first >> 6 !== 2) return -1;
  let offset = RTP_FIXED_HEADER_SIZE + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (offset + 4 > packetLength) return -1;
    offset += 4 + ((packet[offset + 2] << 8) | packet[offset + 3]) * 4;
  }
  return offset > packetLength ? -1 : offset;
}
