/**
 * Depacketizers: RTP packets of one stream to whole frames, per codec
 * (Opus RFC 7587, VP8 RFC 7741, VP9 RFC 9628, H.264 RFC 6184, AV1 RTP
 * payload format v1.0.0), with reordering and loss handling in
 * FrameAssembler.
 */
import type { RecordingCodecName } from '../codec.js';
import { Av1Depacketizer } from './av1.js';
import { FrameAssembler, type FrameAssemblerOptions } from './frame-assembler.js';
import { H264Depacketizer } from './h264.js';
import { OpusDepacketizer } from './opus.js';
import type { PayloadDepacketizer } from './types.js';
import { Vp8Depacketizer } from './vp8.js';
import { Vp9Depacketizer } from './vp9.js';

export { Av1Depacketizer } from './av1.js';
export {
  FrameAssembler,
  type FrameAssemblerOptions,
  type FrameAssemblerStats,
  type KeyframeRequestReason,
} from './frame-assembler.js';
export { H264Depacketizer } from './h264.js';
export { OpusDepacketizer, opusPacketProblem } from './opus.js';
export {
  ReorderBuffer,
  type ReorderBufferOptions,
  type ReorderBufferOutput,
  type ReorderBufferStats,
  type ReorderPushResult,
} from './reorder-buffer.js';
export type { AssembleResult, DepacketizedFrame, DepacketizerPacket, PayloadDepacketizer } from './types.js';
export { Vp8Depacketizer } from './vp8.js';
export { parseVp9Descriptor, Vp9Depacketizer, type Vp9Descriptor } from './vp9.js';

/** A fresh payload depacketizer for the codec. */
export function createPayloadDepacketizer(codec: RecordingCodecName): PayloadDepacketizer {
  switch (codec) {
    case 'opus':
      return new OpusDepacketizer();
    case 'vp8':
      return new Vp8Depacketizer();
    case 'vp9':
      return new Vp9Depacketizer();
    case 'h264':
      return new H264Depacketizer();
    case 'av1':
      return new Av1Depacketizer();
  }
}

/** A FrameAssembler with a fresh depacketizer for the codec. */
export function createFrameAssembler(
  codec: RecordingCodecName,
  options?: FrameAssemblerOptions,
): FrameAssembler {
  return new FrameAssembler(createPayloadDepacketizer(codec), options);
}
