/** H.264 payload format (RFC 6184): single NAL, STAP-A/B and FU-A/B packets built by hand. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeyframe } from './h264.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('isKeyframe (H.264)', () => {
  it('detects single NAL IDR slices and SPS', () => {
    expect(isKeyframe(bytes(0x65, 0x88, 0x84))).toBe(true); // NRI=3 type 5
    expect(isKeyframe(bytes(0x67, 0x42, 0xc0, 0x1f))).toBe(true); // type 7
  });

  it('rejects non-IDR slices, PPS and SEI', () => {
    expect(isKeyframe(bytes(0x41, 0x9a))).toBe(false); // type 1
    expect(isKeyframe(bytes(0x68, 0xce))).toBe(false); // type 8
    expect(isKeyframe(bytes(0x06, 0x05))).toBe(false); // type 6
  });

  it('looks inside STAP-A: SPS + PPS aggregated, as libwebrtc sends before an IDR', () => {
    const stap = bytes(0x78, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f, 0x00, 0x02, 0x68, 0xce);
    expect(isKeyframe(stap)).toBe(true);
    const onlyPps = bytes(0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x06, 0x05);
    expect(isKeyframe(onlyPps)).toBe(false);
  });

  it('finds an IDR that is not the first aggregated unit', () => {
    expect(isKeyframe(bytes(0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88))).toBe(true);
  });

  it('skips the DON of STAP-B', () => {
    expect(isKeyframe(bytes(0x79, 0x12, 0x34, 0x00, 0x02, 0x65, 0x88))).toBe(true);
  });

  it('stops at a STAP size that overruns the packet', () => {
    expect(isKeyframe(bytes(0x78, 0x00, 0x09, 0x65, 0x88))).toBe(false);
    expect(isKeyframe(bytes(0x78, 0x00))).toBe(false);
  });

  it('accepts only the first fragment of an IDR in FU-A and FU-B', () => {
    expect(isKeyframe(bytes(0x7c, 0x85, 0x88))).toBe(true); // S=1 type 5
    expect(isKeyframe(bytes(0x7c, 0x05, 0x88))).toBe(false); // S=0
    expect(isKeyframe(bytes(0x7c, 0x45, 0x88))).toBe(false); // E=1 only
    expect(isKeyframe(bytes(0x7c, 0x81, 0x88))).toBe(false); // S=1 type 1
    expect(isKeyframe(bytes(0x7d, 0x85, 0x00, 0x01))).toBe(true); // FU-B
    expect(isKeyframe(bytes(0x7c))).toBe(false);
  });

  it('never throws on garbage', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (payload) => void isKeyframe(payload)));
  });
});
