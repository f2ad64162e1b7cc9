/**
 * profile-level-id decoding against the values browsers offer, the RFC 6184
 * default, and malformed text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H264_DEFAULT_PROFILE_LEVEL_ID, parseH264ProfileLevelId } from './h264-profile-level-id.js';

describe('parseH264ProfileLevelId', () => {
  it.each([
    ['42e01f', 'constrained-baseline', 31],
    ['42E01F', 'constrained-baseline', 31],
    ['4de01f', 'constrained-baseline', 31],
    ['58f01f', 'constrained-baseline', 31],
    ['42001f', 'baseline', 31],
    ['58a01f', 'baseline', 31],
    ['4d001f', 'main', 31],
    ['4d0032', 'main', 50],
    ['64001f', 'high', 31],
    ['640c1f', 'constrained-high', 31],
    ['f4001f', 'predictive-high-444', 31],
    ['42f00b', 'constrained-baseline', 0],
    [H264_DEFAULT_PROFILE_LEVEL_ID, 'baseline', 10],
  ])('%s is %s at level_idc %i', (text, profile, level) => {
    expect(parseH264ProfileLevelId(text)).toEqual({ profile, level });
  });

  it.each([
    ['', 'empty'],
    ['42e01', 'five digits'],
    ['42e01f0', 'seven digits'],
    ['42e0zz', 'not hex'],
    [' 42e01f', 'a space'],
    ['42e0ff', 'an unknown level'],
    ['43e01f', 'an unknown profile_idc'],
    ['4d201f', 'main with constraint_set2 but not set0'],
    ['640d1f', 'high with stray constraint flags'],
  ])('refuses %j (%s)', (text) => {
    expect(parseH264ProfileLevelId(text)).toBeUndefined();
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), (text) => {
        parseH264ProfileLevelId(text);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (bytes) => {
        const decoded = parseH264ProfileLevelId(bytes.toString(16).padStart(6, '0'));
        if (decoded !== undefined)
          expect([0, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52]).toContain(
            decoded.level,
          );
      }),
    );
  });
});
