/**
 * Opus depacketizer (RFC 7587 §4.2): each RTP payload is exactly one Opus
 * packet, so one packet is one frame and every frame stands alone.
 *
 * The packet is checked against its TOC byte (RFC 6716 §3.1–§3.2) so that
 * bytes which cannot be an Opus packet are not stored:
 *
 *     0 1 2 3 4 5 6 7
 *    +-+-+-+-+-+-+-+-+
 *    | config  |s| c |      c = 0: one frame; 1: two equal frames (odd
 *    +-+-+-+-+-+-+-+-+      length after the TOC is invalid, R3); 2: two
 *                           frames, a length follows; 3: a frame count byte
 *                           follows (M ≥ 1, M × duration ≤ 120 ms, R5)
 */
import { opusFrameCount, opusPacketSamples } from '../../rtp/codecs/opus.js';
import { type AssembleResult, malformed, type PayloadDepacketizer } from './types.js';

/** 120 ms at 48 kHz: the longest Opus packet (RFC 6716 §3.2.5). */
const MAX_PACKET_SAMPLES = 5760;

/** Why an Opus packet is invalid by RFC 6716 §3.4 rules R1–R5, or undefined when it is valid as far as the TOC tells. */
export function opusPacketProblem(packet: Uint8Array): string | undefined {
  if (packet.length < 1) return 'empty packet (R1)';
  const code = packet[0] & 0x03;
  if (code === 1 && (packet.length - 1) % 2 !== 0) return 'code 1 with an odd length (R3)';
  if (code === 2 && packet.length < 2) return 'code 2 without a frame length (R4)';
  if (code === 3) {
    if (packet.length < 2) return 'code 3 without a frame count (R5)';
    const count = opusFrameCount(packet);
    if (count === 0 || opusPacketSamples(packet) > MAX_PACKET_SAMPLES)
      return `code 3 with ${count} frames (R5)`;
  }
  return undefined;
}

/** One packet, one Opus frame. */
export class OpusDepacketizer implements PayloadDepacketizer {
  readonly codec = 'opus' as const;
  readonly packetIsFrame = true;

  startsFrame(): boolean {
    return true;
  }

  assemble(payloads: readonly Uint8Array[]): AssembleResult {
    if (payloads.length !== 1) return malformed(`${payloads.length} packets for one Opus frame`);
    const packet = payloads[0];
    const problem = opusPacketProblem(packet);
    if (problem) return malformed(problem);
    return { kind: 'frame', data: packet, keyframe: true };
  }
}
