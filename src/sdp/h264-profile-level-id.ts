/**
 * The H264 profile-level-id fmtp parameter (RFC 6184 §8.1): three bytes in
 * six hex digits.
 *
 *    0                   1                   2
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  profile_idc  |  profile-iop  |   level_idc   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * profile-iop holds the constraint_set0..5 flags of H.264 §7.4.2.1.1. The
 * same profile can be written with several profile_idc/profile-iop pairs
 * (constrained baseline is 42e0, 4de0 or 58f0…); two codecs are the same
 * profile when the pairs decode to the same name (RFC 6184 §8.2.2 offers
 * and answers keep the profile and let the level differ). The table is the
 * one every WebRTC stack uses, so our matching agrees with theirs.
 */

/** The H264 profiles WebRTC stacks tell apart. */
export type H264Profile =
  | 'constrained-baseline'
  | 'baseline'
  | 'main'
  | 'constrained-high'
  | 'high'
  | 'predictive-high-444';

/** A decoded profile-level-id. */
export interface H264ProfileLevelId {
  /** The profile. */
  profile: H264Profile;
  /** level_idc (10 for 1.0 … 52 for 5.2); 0 stands for level 1b. */
  level: number;
}

/** RFC 6184 §8.1: the value assumed when profile-level-id is absent (baseline, level 1.0). */
export const H264_DEFAULT_PROFILE_LEVEL_ID = '42000a';

/** H.264 Table A-1 levels, as level_idc. */
const LEVELS = new Set([10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52]);

/** A profile-iop pattern, most significant bit first: `x` matches either bit. */
function pattern(bits: string): { mask: number; value: number } {
  let mask = 0;
  let value = 0;
  for (const bit of bits) {
    mask = (mask << 1) | (bit === 'x' ? 0 : 1);
    value = (value << 1) | (bit === '1' ? 1 : 0);
  }
  return { mask, value };
}

/** profile_idc, the profile-iop pattern and the profile they mean; the first match wins. */
const PROFILE_PATTERNS: Array<{
  profileIdc: number;
  iop: { mask: number; value: number };
  profile: H264Profile;
}> = [
  { profileIdc: 0x42, iop: pattern('x1xx0000'), profile: 'constrained-baseline' },
  { profileIdc: 0x4d, iop: pattern('1xxx0000'), profile: 'constrained-baseline' },
  { profileIdc: 0x58, iop: pattern('11xx0000'), profile: 'constrained-baseline' },
  { profileIdc: 0x42, iop: pattern('x0xx0000'), profile: 'baseline' },
  { profileIdc: 0x58, iop: pattern('10xx0000'), profile: 'baseline' },
  { profileIdc: 0x4d, iop: pattern('0x0x0000'), profile: 'main' },
  { profileIdc: 0x64, iop: pattern('00000000'), profile: 'high' },
  { profileIdc: 0x64, iop: pattern('00001100'), profile: 'constrained-high' },
  { profileIdc: 0xf4, iop: pattern('00000000'), profile: 'predictive-high-444' },
];

/**
 * Decodes a profile-level-id; undefined for anything but six hex digits
 * naming a known profile and level. Never throws.
 */
export function parseH264ProfileLevelId(text: string): H264ProfileLevelId | undefined {
  if (typeof text !== 'string' || !/^[0-9A-Fa-f]{6}$/.test(text)) return undefined;
  const bytes = Number.parseInt(text, 16);
  const profileIdc = bytes >>> 16;
  const profileIop = (bytes >>> 8) & 0xff;
  const levelIdc = bytes & 0xff;
  let level: number;
  // H.264 §A.3.1: level_idc 11 with constraint_set3 is level 1b in the baseline-family profiles.
  if (levelIdc === 11 && (profileIop & 0x10) !== 0 && profileIdc !== 0x64 && profileIdc !== 0xf4) level = 0;
  else if (LEVELS.has(levelIdc)) level = levelIdc;
  else return undefined;
  for (const entry of PROFILE_PATTERNS)
    if (entry.profileIdc === profileIdc && (profileIop & entry.iop.mask) === entry.iop.value)
      return { profile: entry.profile, level };
  return undefined;
}
