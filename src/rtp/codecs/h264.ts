/**
 * H.264 RTP payload format (RFC 6184 §5.2–5.8), as far as key frame
 * detection needs it.
 *
 * Every payload starts with a NAL unit header (§5.3):
 *
 *      +---------------+
 *      |0|1|2|3|4|5|6|7|
 *      +-+-+-+-+-+-+-+-+
 *      |F|NRI|  Type   |
 *      +---------------+
 *
 * Type 1–23 is a single NAL unit packet (§5.6); 24 is STAP-A and 25 STAP-B
 * (§5.7.1: a 16-bit size before each aggregated NAL unit, STAP-B with a
 * 16-bit DON first); 28 is FU-A and 29 FU-B (§5.8), whose second byte is the
 * FU header:
 *
 *      +---------------+
 *      |0|1|2|3|4|5|6|7|
 *      +-+-+-+-+-+-+-+-+
 *      |S|E|R|  Type   |
 *      +---------------+
 *
 * A key frame is an IDR slice (NAL type 5) or the SPS (type 7) that libwebrtc
 * sends right before it, seen in a single NAL unit packet, inside a STAP, or
 * at the start (S = 1) of a fragmented unit.
 */

/** NAL unit types this module looks at (ITU-T H.264 Table 7-1, RFC 6184 Table 1). */
export const H264NalType = {
  /** Coded slice of an IDR picture. */
  Idr: 5,
  /** Sequence parameter set. */
  Sps: 7,
  /** Picture parameter set. */
  Pps: 8,
  /** Single-time aggregation packet. */
  StapA: 24,
  /** Single-time aggregation packet with decoding order number. */
  StapB: 25,
  /** Fragmentation unit. */
  FuA: 28,
  /** Fragmentation unit with decoding order number. */
  FuB: 29,
} as const;

function isKeyframeNal(type: number): boolean {
  return type === H264NalType.Idr || type === H264NalType.Sps;
}

/** True when the packet carries (the start of) an IDR slice or an SPS. Never throws. */
export function isKeyframe(payload: Uint8Array): boolean {
  const length = payload.length;
  if (length < 1) return false;
  const type = payload[0] & 0x1f;
  if (type === H264NalType.StapA || type === H264NalType.StapB) {
    let at = type === H264NalType.StapB ? 3 : 1;
    // Each aggregated unit: 16-bit size, then the NAL unit (header first).
    while (at + 2 < length) {
      const size = (payload[at] << 8) | payload[at + 1];
      at += 2;
      if (size === 0 || at + size > length) return false;
      if (isKeyframeNal(payload[at] & 0x1f)) return true;
      at += size;
    }
    return false;
  }
  if (type === H264NalType.FuA || type === H264NalType.FuB) {
    if (length < 2) return false;
    const header = payload[1];
    return (header & 0x80) !== 0 && isKeyframeNal(header & 0x1f);
  }
  return isKeyframeNal(type);
}
