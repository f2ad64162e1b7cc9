/**
 * H.264 parameter sets and avcC (ISO/IEC 14496-15 §5.3.3.1). The SPS/PPS
 * vectors were produced by libx264 (FFmpeg 5.1, Debian 12) for test
 * patterns of the sizes named; the expected avcC is the CodecPrivate
 * FFmpeg's own Matroska muxer wrote for the 320×240 stream.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PPS_320x240_BASELINE, SPS_320x240_BASELINE } from '../../test/fixtures/recording/codec-vectors.js';
import {
  buildAvcDecoderConfiguration,
  nalUnitToRbsp,
  parseH264Sps,
  parseSpropParameterSets,
  splitAvcSample,
} from './avc-config.js';
import { RecordingError } from './errors.js';

const fromHex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

/** High, level 4.0, 1920×1080: 68 macroblock rows cropped by 8 lines. */
const SPS_1920x1080_HIGH = fromHex('67640028acd940780227e5c044000003000400000300f03c60c658');
/** High 4:2:2, 642×362: cropping in 4:2:2 units. */
const SPS_642x362_HIGH422 = fromHex('677a001ebcd940a42fe227c044000003000400000300f03c58b658');
/** High 4:4:4 Predictive, 320×240. */
const SPS_320x240_HIGH444 = fromHex('67f4000d919b28283f6022000003000200000300781e28532c');

describe('parseH264Sps', () => {
  it('reads profile, level and size of a Constrained Baseline SPS', () => {
    expect(parseH264Sps(SPS_320x240_BASELINE)).toMatchObject({
      profileIdc: 66,
      constraintFlags: 0xc0,
      levelIdc: 13,
      chromaFormatIdc: 1,
      width: 320,
      height: 240,
    });
  });

  it('applies frame cropping (1080 lines from 68 macroblock rows)', () => {
    expect(parseH264Sps(SPS_1920x1080_HIGH)).toMatchObject({ profileIdc: 100, width: 1920, height: 1080 });
  });

  it('uses 4:2:2 and 4:4:4 crop units', () => {
    expect(parseH264Sps(SPS_642x362_HIGH422)).toMatchObject({
      profileIdc: 122,
      chromaFormatIdc: 2,
      width: 642,
      height: 362,
    });
    expect(parseH264Sps(SPS_320x240_HIGH444)).toMatchObject({
      profileIdc: 244,
      chromaFormatIdc: 3,
      width: 320,
      height: 240,
    });
  });

  it('refuses other NAL types, truncation and garbage without throwing', () => {
    expect(parseH264Sps(PPS_320x240_BASELINE)).toBeUndefined();
    expect(parseH264Sps(SPS_320x240_BASELINE.subarray(0, 6))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const sps = parseH264Sps(Uint8Array.of(0x67, ...bytes));
        if (sps) {
          expect(sps.width).toBeGreaterThan(0);
          expect(sps.height).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('nalUnitToRbsp', () => {
  it('removes emulation prevention bytes and leaves other bytes alone', () => {
    expect(Array.from(nalUnitToRbsp(Uint8Array.of(0x67, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03)))).toEqual([
      0, 0, 1, 0, 0,
    ]);
    const plain = Uint8Array.of(0x68, 1, 2, 3);
    expect(nalUnitToRbsp(plain).buffer).toBe(plain.buffer);
  });
});

describe('buildAvcDecoderConfiguration', () => {
  it('matches the avcC FFmpeg writes for the same SPS and PPS', () => {
    const avcc = buildAvcDecoderConfiguration([SPS_320x240_BASELINE], [PPS_320x240_BASELINE]);
    expect(Buffer.from(avcc).toString('hex')).toBe(
      '0142c00dffe100186742c00dd90141fb0110000003001000000303c0f142a48001000568cb83cb20',
    );
  });

  it('adds the chroma and bit depth extension for High profiles', () => {
    const avcc = buildAvcDecoderConfiguration([SPS_1920x1080_HIGH], [PPS_320x240_BASELINE]);
    expect(Array.from(avcc.subarray(avcc.length - 4))).toEqual([0xfd, 0xf8, 0xf8, 0x00]);
  });

  it('refuses a missing SPS or PPS', () => {
    expect(() => buildAvcDecoderConfiguration([], [PPS_320x240_BASELINE])).toThrow(RecordingError);
    expect(() => buildAvcDecoderConfiguration([SPS_320x240_BASELINE], [])).toThrow(RecordingError);
  });
});

describe('AVC samples and sprop-parameter-sets', () => {
  it('splits 4-byte length-prefixed samples and refuses overruns', () => {
    const sample = Uint8Array.of(0, 0, 0, 2, 0x67, 0x42, 0, 0, 0, 1, 0x68);
    expect(splitAvcSample(sample)?.map((unit) => Array.from(unit))).toEqual([[0x67, 0x42], [0x68]]);
    expect(splitAvcSample(Uint8Array.of(0, 0, 0, 5, 0x67))).toBeUndefined();
    expect(splitAvcSample(Uint8Array.of(0, 0, 0, 0))).toBeUndefined();
    expect(splitAvcSample(Uint8Array.of(0, 0))).toBeUndefined();
  });

  it('reads the base64 parameter sets of RFC 6184 §8.1 and skips junk', () => {
    const value = `${Buffer.from(SPS_320x240_BASELINE).toString('base64')},${Buffer.from(PPS_320x240_BASELINE).toString('base64')},!!,`;
    const units = parseSpropParameterSets(value);
    expect(units.map((unit) => unit[0])).toEqual([0x67, 0x68]);
  });
});
