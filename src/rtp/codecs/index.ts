/**
 * RTP payload descriptors per codec: key frame detection and the fields the
 * SFU rewrites. Each codec keeps its own `isKeyframe`, so they are exported
 * as namespaces; `keyframeDetectorFor` picks one by MIME type once per stream
 * so the packet path never compares strings.
 */
import { isKeyframe as isAv1Keyframe } from './av1.js';
import { isKeyframe as isH264Keyframe } from './h264.js';
import { isKeyframe as isOpusKeyframe } from './opus.js';
import { isKeyframe as isVp8Keyframe } from './vp8.js';
import { isKeyframe as isVp9Keyframe } from './vp9.js';

export * as av1 from './av1.js';
export * as h264 from './h264.js';
export * as opus from './opus.js';
export type { Vp8Descriptor } from './vp8.js';
export * as vp8 from './vp8.js';
export * as vp9 from './vp9.js';

/** A codec's key frame test over an RTP payload. */
export type KeyframeDetector = (payload: Uint8Array) => boolean;

/**
 * The key frame test for a MIME type such as `video/VP8` (case-insensitive),
 * or undefined for a codec without one. Resolve it once per stream.
 */
export function keyframeDetectorFor(mimeType: string): KeyframeDetector | undefined {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return isVp8Keyframe;
    case 'video/vp9':
      return isVp9Keyframe;
    case 'video/h264':
      return isH264Keyframe;
    case 'video/av1':
      return isAv1Keyframe;
    case 'audio/opus':
      return isOpusKeyframe;
    default:
      return undefined;
  }
}
