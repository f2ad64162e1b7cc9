/** Codec lookup by MIME type. */
import { describe, expect, it } from 'vitest';
import { h264, keyframeDetectorFor, opus, vp8 } from './index.js';

describe('keyframeDetectorFor', () => {
  it('resolves case-insensitively', () => {
    expect(keyframeDetectorFor('video/VP8')).toBe(vp8.isKeyframe);
    expect(keyframeDetectorFor('VIDEO/h264')).toBe(h264.isKeyframe);
    expect(keyframeDetectorFor('audio/opus')).toBe(opus.isKeyframe);
    expect(keyframeDetectorFor('video/AV1')).toBeDefined();
    expect(keyframeDetectorFor('video/VP9')).toBeDefined();
  });

  it('returns undefined for codecs without a detector', () => {
    expect(keyframeDetectorFor('audio/PCMU')).toBeUndefined();
    expect(keyframeDetectorFor('video/rtx')).toBeUndefined();
  });
});
