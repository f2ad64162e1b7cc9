/** VP9 payload descriptor (RFC 9628 §4.2): hand-built descriptors and garbage. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeyframe, vp9SpatialLayerId, vp9TemporalLayerId } from './vp9.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('isKeyframe (VP9)', () => {
  it('detects the start of a non-predicted frame (B = 1, P = 0)', () => {
    // I=1 P=0 L=0 F=0 B=1 E=0 V=1 | M=1 picture id 0x0102 | payload
    expect(isKeyframe(bytes(0x8a, 0x81, 0x02, 0x00))).toBe(true);
    expect(isKeyframe(bytes(0x08))).toBe(true);
  });

  it('rejects an inter-picture predicted frame (P = 1)', () => {
    expect(isKeyframe(bytes(0xc8, 0x81, 0x02, 0x00))).toBe(false);
  });

  it('rejects a continuation packet of a key frame (B = 0)', () => {
    expect(isKeyframe(bytes(0x80, 0x81, 0x02, 0x00))).toBe(false);
  });

  it('accepts only the base spatial layer when layer indices are present', () => {
    // I=1 L=1 B=1 | M=0 picture id 5 | TID=0 U=0 SID=0 D=0 | TL0PICIDX
    expect(isKeyframe(bytes(0xa8, 0x05, 0x00, 0x07))).toBe(true);
    // SID = 1: an upper layer of the key picture, not where a decoder can start.
    expect(isKeyframe(bytes(0xa8, 0x05, 0x03, 0x07))).toBe(false);
  });

  it('rejects truncated descriptors', () => {
    expect(isKeyframe(new Uint8Array(0))).toBe(false);
    expect(isKeyframe(bytes(0x88))).toBe(false);
    expect(isKeyframe(bytes(0xa8, 0x81))).toBe(false);
    expect(isKeyframe(bytes(0xa8, 0x81, 0x02))).toBe(false);
  });
});

describe('VP9 layer indices', () => {
  it('reads TID and SID', () => {
    // TID=5 U=1 SID=2 D=1 → 101 1 010 1
    const payload = bytes(0xa0, 0x05, 0xb5, 0x00);
    expect(vp9TemporalLayerId(payload)).toBe(5);
    expect(vp9SpatialLayerId(payload)).toBe(2);
  });

  it('reports 0 without layer indices and -1 when truncated', () => {
    expect(vp9SpatialLayerId(bytes(0x08))).toBe(0);
    expect(vp9TemporalLayerId(bytes(0x08))).toBe(0);
    expect(vp9SpatialLayerId(bytes(0xa0, 0x05))).toBe(-1);
    expect(vp9TemporalLayerId(new Uint8Array(0))).toBe(-1);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (payload) => {
        isKeyframe(payload);
        expect(vp9SpatialLayerId(payload)).toBeLessThanOrEqual(7);
        expect(vp9TemporalLayerId(payload)).toBeLessThanOrEqual(7);
      }),
    );
  });
});
