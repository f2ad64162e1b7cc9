/** AV1 aggregation header (AV1 RTP payload format §4.4). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { av1ObuCount, isKeyframe } from './av1.js';

describe('isKeyframe (AV1)', () => {
  it('follows the N bit of the aggregation header', () => {
    // Z=0 Y=0 W=2 N=1: first packet of a coded video sequence.
    expect(isKeyframe(Uint8Array.of(0x28, 0x0a, 0x0b))).toBe(true);
    // Same packet without N.
    expect(isKeyframe(Uint8Array.of(0x20, 0x0a, 0x0b))).toBe(false);
    // Z=1 Y=1 W=1: a middle fragment.
    expect(isKeyframe(Uint8Array.of(0xd0, 0x00))).toBe(false);
    expect(isKeyframe(new Uint8Array(0))).toBe(false);
  });

  it('reads W', () => {
    expect(av1ObuCount(Uint8Array.of(0x28))).toBe(2);
    expect(av1ObuCount(Uint8Array.of(0x08))).toBe(0);
    expect(av1ObuCount(new Uint8Array(0))).toBe(0);
  });

  it('never throws on garbage', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4 }), (payload) => void isKeyframe(payload)));
  });
});
