/** Opus TOC byte (RFC 6716 §3.1). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeyframe, opusFrameCount, opusPacketSamples } from './opus.js';

describe('Opus', () => {
  it('treats every non-empty packet as a key frame', () => {
    expect(isKeyframe(Uint8Array.of(0x78))).toBe(true);
    expect(isKeyframe(new Uint8Array(0))).toBe(false);
  });

  it('reads frame counts for codes 0–3', () => {
    expect(opusFrameCount(Uint8Array.of(0x78))).toBe(1);
    expect(opusFrameCount(Uint8Array.of(0x79))).toBe(2);
    expect(opusFrameCount(Uint8Array.of(0x7a))).toBe(2);
    expect(opusFrameCount(Uint8Array.of(0x7b, 0x85))).toBe(5);
    expect(opusFrameCount(Uint8Array.of(0x7b))).toBe(-1);
    expect(opusFrameCount(new Uint8Array(0))).toBe(-1);
  });

  it('computes durations at 48 kHz', () => {
    // config 15 (hybrid FB, 20 ms), code 0: what browsers send.
    expect(opusPacketSamples(Uint8Array.of(0x78))).toBe(960);
    // config 19 (CELT NB 20 ms), code 1: two frames.
    expect(opusPacketSamples(Uint8Array.of(0x99))).toBe(1920);
    // config 16 (CELT NB 2.5 ms), code 3 with 3 frames.
    expect(opusPacketSamples(Uint8Array.of(0x83, 0x03))).toBe(360);
    // config 3 (SILK NB 60 ms).
    expect(opusPacketSamples(Uint8Array.of(0x18))).toBe(2880);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3 }), (payload) => {
        expect(opusPacketSamples(payload)).toBeGreaterThanOrEqual(-1);
      }),
    );
  });
});
