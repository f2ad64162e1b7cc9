/**
 * Opus RTP payload (RFC 7587): the payload is one Opus packet, which starts
 * with a TOC byte (RFC 6716 §3.1):
 *
 *     0 1 2 3 4 5 6 7
 *    +-+-+-+-+-+-+-+-+
 *    | config  |s| c |
 *    +-+-+-+-+-+-+-+-+
 *
 * config (0–31) selects mode, bandwidth and frame duration; c (0–3) says how
 * many frames the packet holds (code 3 stores the count in the next byte).
 * Every Opus packet decodes on its own, so each non-empty one counts as a
 * key frame: a subscriber can start anywhere.
 */

/** Frame duration in 48 kHz samples for each TOC config value (RFC 6716 Table 2). */
const FRAME_SAMPLES = new Uint16Array([
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960, 120, 240, 480, 960,
  120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
]);

/** True for any non-empty Opus packet: each is independently decodable. Never throws. */
export function isKeyframe(payload: Uint8Array): boolean {
  return payload.length > 0;
}

/** Number of frames in the packet (RFC 6716 §3.2), or -1 when the TOC or frame count byte is missing. */
export function opusFrameCount(payload: Uint8Array): number {
  if (payload.length < 1) return -1;
  const code = payload[0] & 0x03;
  if (code === 0) return 1;
  if (code !== 3) return 2;
  if (payload.length < 2) return -1;
  return payload[1] & 0x3f;
}

/** Duration of the packet in 48 kHz samples (the RTP clock of RFC 7587 §4.1), or -1 when malformed. */
export function opusPacketSamples(payload: Uint8Array): number {
  const frames = opusFrameCount(payload);
  if (frames < 0) return -1;
  return frames * FRAME_SAMPLES[payload[0] >>> 3];
}
