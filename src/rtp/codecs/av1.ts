/**
 * AV1 RTP payload format ("RTP Payload Format For AV1", AOMedia, §4.4): the
 * aggregation header that starts every payload.
 *
 *     0 1 2 3 4 5 6 7
 *    +-+-+-+-+-+-+-+-+
 *    |Z|Y| W |N|-|-|-|
 *    +-+-+-+-+-+-+-+-+
 *
 * Z: the first OBU element continues an OBU fragment from the previous packet.
 * Y: the last OBU element continues in the next packet.
 * W: number of OBU elements (0: each element carries a length field).
 * N: the packet is the first packet of a coded video sequence, which starts
 *    with a key frame; the sender must set it so (§4.4).
 */

/** True when the packet is the first of a new coded video sequence (N = 1). Never throws. */
export function isKeyframe(payload: Uint8Array): boolean {
  return payload.length >= 1 && (payload[0] & 0x08) !== 0;
}

/** The W field: how many OBU elements the packet holds, 0 when each carries its own length. */
export function av1ObuCount(payload: Uint8Array): number {
  return payload.length >= 1 ? (payload[0] >>> 4) & 0x03 : 0;
}
