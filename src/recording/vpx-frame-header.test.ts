/**
 * VP8 frame tags (RFC 6386 §9.1) and VP9 uncompressed headers (VP9 spec
 * §6.2) and superframes (Annex B). The VP9 key frame start is what libvpx
 * (FFmpeg 5.1) produced for a 320×240 test pattern.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VP9_KEY_FRAME_320x240,
  vp8InterFrame,
  vp8KeyFrame,
} from '../../test/fixtures/recording/codec-vectors.js';
import {
  buildVp9Superframe,
  parseVp8FrameHeader,
  parseVp9FrameHeader,
  vp9SuperframeSizes,
} from './vpx-frame-header.js';

describe('VP8 frame header', () => {
  it('reads a key frame size and an inter frame', () => {
    expect(parseVp8FrameHeader(vp8KeyFrame())).toEqual({
      keyframe: true,
      showFrame: true,
      firstPartitionSize: 4,
      width: 320,
      height: 240,
    });
    expect(parseVp8FrameHeader(vp8InterFrame())).toMatchObject({ keyframe: false, width: 0 });
  });

  it('refuses a bad start code, a zero size and a first partition that overruns', () => {
    const bad = vp8KeyFrame();
    bad[4] = 0;
    expect(parseVp8FrameHeader(bad)).toBeUndefined();
    expect(parseVp8FrameHeader(vp8KeyFrame(0, 240))).toBeUndefined();
    expect(parseVp8FrameHeader(vp8KeyFrame(320, 240, 2))).toBeUndefined();
    expect(parseVp8FrameHeader(vp8InterFrame(1))).toBeUndefined();
    expect(parseVp8FrameHeader(Uint8Array.of(0x10))).toBeUndefined();
  });
});

describe('VP9 frame header', () => {
  it('reads the size of a libvpx key frame', () => {
    expect(parseVp9FrameHeader(VP9_KEY_FRAME_320x240)).toMatchObject({
      profile: 0,
      keyframe: true,
      showFrame: true,
      width: 320,
      height: 240,
    });
  });

  it('reads inter frames and show-existing frames', () => {
    // frame_marker 10, profile 0, show_existing 0, frame_type 1, show_frame 1, error_res 0.
    expect(parseVp9FrameHeader(Uint8Array.of(0b1000_0110, 0))).toMatchObject({
      keyframe: false,
      showFrame: true,
    });
    expect(parseVp9FrameHeader(Uint8Array.of(0b1000_1010))).toMatchObject({
      showExistingFrame: true,
      keyframe: false,
    });
  });

  it('refuses a wrong frame marker or sync code', () => {
    expect(parseVp9FrameHeader(Uint8Array.of(0x02, 0x49, 0x83, 0x42))).toBeUndefined();
    const bad = VP9_KEY_FRAME_320x240.slice();
    bad[2] = 0;
    expect(parseVp9FrameHeader(bad)).toBeUndefined();
    expect(parseVp9FrameHeader(VP9_KEY_FRAME_320x240.subarray(0, 5))).toBeUndefined();
  });
});

describe('VP9 superframes', () => {
  it('packs frames with an index that reads back, and leaves one frame alone', () => {
    const frames = [new Uint8Array(300).fill(1), new Uint8Array(5).fill(2)];
    const superframe = buildVp9Superframe(frames);
    expect(vp9SuperframeSizes(superframe)).toEqual([300, 5]);
    // 2 bytes per size: marker 0b110_01_001.
    expect(superframe[superframe.length - 1]).toBe(0xc9);
    expect(buildVp9Superframe([frames[1]])).toBe(frames[1]);
    expect(vp9SuperframeSizes(frames[1])).toBeUndefined();
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        parseVp8FrameHeader(bytes);
        parseVp9FrameHeader(bytes);
        const sizes = vp9SuperframeSizes(bytes);
        if (sizes) expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(bytes.length);
      }),
    );
  });
});
