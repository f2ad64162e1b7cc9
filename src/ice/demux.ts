/**
 * Demultiplexing of the packets that share one ICE 5-tuple (RFC 7983 §7,
 * updating RFC 5764 §5.1.2), by the first byte:
 *
 *                  +----------------+
 *                  |        [0..3] -+--> STUN
 *                  |      [16..19] -+--> ZRTP
 *   packet -->     |      [20..63] -+--> DTLS
 *                  |      [64..79] -+--> TURN Channel
 *                  |    [128..191] -+--> RTP/RTCP
 *                  +----------------+
 *
 * RTP and RTCP on one port are told apart by the second byte (RFC 5761 §4):
 * with the marker bit masked off, payload types 64–95 are RTCP (SR 200, RR
 * 201, … minus 128), so a second byte of 192–223 means RTCP.
 */

/** What a packet on an ICE 5-tuple carries. */
export type PacketClass = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'rtcp' | 'unknown';

/** The classes an agent hands to its user: what DTLS and SRTP consume. */
export type MediaPacketKind = 'dtls' | 'rtp' | 'rtcp';

/** Classifies a packet by its first byte (and second for RTP/RTCP). Never throws; reads at most 2 bytes. */
export function classifyPacket(buf: Uint8Array): PacketClass {
  if (buf.length === 0) return 'unknown';
  const first = buf[0];
  if (first <= 3) return 'stun';
  if (first >= 16 && first <= 19) return 'zrtp';
  if (first >= 20 && first <= 63) return 'dtls';
  if (first >= 64 && first <= 79) return 'turn-channel';
  if (first >= 128 && first <= 191) {
    if (buf.length < 2) return 'unknown';
    const second = buf[1];
    return second >= 192 && second <= 223 ? 'rtcp' : 'rtp';
  }
  return 'unknown';
}

/** True for the classes an agent delivers as 'packet' events. */
export function isMediaPacketKind(kind: PacketClass): kind is MediaPacketKind {
  return kind === 'dtls' || kind === 'rtp' || kind === 'rtcp';
}
