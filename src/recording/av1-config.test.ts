/**
 * AV1 OBUs, sequence headers and av1C. The sequence headers are those
 * libaom (FFmpeg 5.1, Debian 12) wrote for a 320×240 test pattern in 8 and
 * 10 bits; the expected av1C bytes are the CodecPrivate FFmpeg's Matroska
 * muxer wrote for the same streams.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AV1_TD_AND_SEQUENCE_HEADER_8BIT } from '../../test/fixtures/recording/codec-vectors.js';
import {
  Av1ObuType,
  av1ObuSize,
  buildAv1CodecConfiguration,
  decodeLeb128,
  encodeAv1ObuTo,
  encodeLeb128To,
  isAv1KeyFrameHeader,
  leb128Size,
  parseAv1SequenceHeader,
  readAv1Obu,
  splitAv1TemporalUnit,
} from './av1-config.js';
import { RecordingError } from './errors.js';

const fromHex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const SEQUENCE_HEADER_10BIT = fromHex('0a0b000000043cffbcdaf94040');

describe('leb128', () => {
  it('reads and writes the AV1 §4.10.5 form', () => {
    expect(decodeLeb128(Uint8Array.of(0x96, 0x01), 0)).toEqual({ value: 150, length: 2 });
    const out = new Uint8Array(5);
    expect(encodeLeb128To(out, 0, 150)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([0x96, 0x01]);
    expect(leb128Size(127)).toBe(1);
    expect(leb128Size(128)).toBe(2);
  });

  it('refuses truncation, more than 8 bytes and values above 2^32 - 1', () => {
    expect(decodeLeb128(Uint8Array.of(0x80), 0)).toBeUndefined();
    expect(decodeLeb128(new Uint8Array(9).fill(0x80), 0)).toBeUndefined();
    expect(decodeLeb128(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), 0)).toBeUndefined();
    expect(() => encodeLeb128To(new Uint8Array(8), 0, 2 ** 32)).toThrow(RecordingError);
  });

  it('round-trips every 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        const out = new Uint8Array(8);
        const end = encodeLeb128To(out, 0, value);
        expect(end).toBe(leb128Size(value));
        expect(decodeLeb128(out, 0)).toEqual({ value, length: end });
      }),
    );
  });
});

describe('OBUs', () => {
  it('splits a temporal unit in the low overhead format', () => {
    const obus = splitAv1TemporalUnit(AV1_TD_AND_SEQUENCE_HEADER_8BIT)!;
    expect(obus.map((obu) => [obu.type, obu.payload.length])).toEqual([
      [Av1ObuType.TemporalDelimiter, 0],
      [Av1ObuType.SequenceHeader, 11],
    ]);
  });

  it('reads an OBU without obu_size to the end, and the extension header', () => {
    // type 6 (frame) with extension: temporal_id 2, spatial_id 1.
    const read = readAv1Obu(Uint8Array.of(0x34, 0x48, 1, 2, 3), 0)!;
    expect(read.obu).toMatchObject({ type: Av1ObuType.Frame, temporalId: 2, spatialId: 1 });
    expect(Array.from(read.obu.payload)).toEqual([1, 2, 3]);
    const out = new Uint8Array(av1ObuSize(read.obu));
    encodeAv1ObuTo(out, 0, read.obu);
    expect(Array.from(out)).toEqual([0x36, 0x48, 3, 1, 2, 3]);
  });

  it('refuses the forbidden bit and sizes that overrun', () => {
    expect(readAv1Obu(Uint8Array.of(0x80, 0), 0)).toBeUndefined();
    expect(readAv1Obu(Uint8Array.of(0x0a, 0x05, 0), 0)).toBeUndefined();
    expect(splitAv1TemporalUnit(Uint8Array.of(0x12, 0x00, 0x0a))).toBeUndefined();
  });
});

describe('sequence header and av1C', () => {
  it('reads profile, level, size and color config of an 8-bit stream', () => {
    const obu = splitAv1TemporalUnit(AV1_TD_AND_SEQUENCE_HEADER_8BIT)![1];
    expect(parseAv1SequenceHeader(obu.payload)).toMatchObject({
      seqProfile: 0,
      seqLevelIdx0: 0,
      seqTier0: 0,
      maxFrameWidth: 320,
      maxFrameHeight: 240,
      highBitdepth: false,
      monochrome: false,
      chromaSubsamplingX: 1,
      chromaSubsamplingY: 1,
    });
  });

  it('builds the av1C FFmpeg writes, 8 and 10 bits', () => {
    const obu8 = splitAv1TemporalUnit(AV1_TD_AND_SEQUENCE_HEADER_8BIT)![1];
    expect(Buffer.from(buildAv1CodecConfiguration(obu8)).toString('hex')).toBe(
      '81000c000a0b000000043cffbcdaf90040',
    );
    const obu10 = readAv1Obu(SEQUENCE_HEADER_10BIT, 0)!.obu;
    expect(parseAv1SequenceHeader(obu10.payload)?.highBitdepth).toBe(true);
    expect(Buffer.from(buildAv1CodecConfiguration(obu10)).toString('hex')).toBe(
      '81004c000a0b000000043cffbcdaf94040',
    );
  });

  it('refuses a reserved profile, truncation and other OBUs', () => {
    expect(parseAv1SequenceHeader(Uint8Array.of(0xe0))).toBeUndefined();
    const obu = splitAv1TemporalUnit(AV1_TD_AND_SEQUENCE_HEADER_8BIT)![1];
    expect(parseAv1SequenceHeader(obu.payload.subarray(0, 5))).toBeUndefined();
    expect(() =>
      buildAv1CodecConfiguration(splitAv1TemporalUnit(AV1_TD_AND_SEQUENCE_HEADER_8BIT)![0]),
    ).toThrow(RecordingError);
  });

  it('tells a shown key frame from the first bits of a frame header', () => {
    const sequence = parseAv1SequenceHeader(
      splitAv1TemporalUnit(AV1_TD_AND_SEQUENCE_HEADER_8BIT)![1].payload,
    )!;
    // show_existing_frame 0, frame_type 00 (KEY_FRAME), show_frame 1.
    expect(isAv1KeyFrameHeader(Uint8Array.of(0b0001_0000), sequence)).toBe(true);
    // frame_type 01 (INTER_FRAME).
    expect(isAv1KeyFrameHeader(Uint8Array.of(0b0011_0000), sequence)).toBe(false);
    // show_existing_frame 1.
    expect(isAv1KeyFrameHeader(Uint8Array.of(0b1000_0000), sequence)).toBe(false);
    // A hidden key frame (show_frame 0) is not where playback can start.
    expect(isAv1KeyFrameHeader(Uint8Array.of(0b0000_0000), sequence)).toBe(false);
    expect(isAv1KeyFrameHeader(new Uint8Array(0), sequence)).toBe(false);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const sequence = parseAv1SequenceHeader(bytes);
        if (sequence) {
          expect(sequence.maxFrameWidth).toBeGreaterThan(0);
          isAv1KeyFrameHeader(bytes, sequence);
        }
        splitAv1TemporalUnit(bytes);
      }),
    );
  });
});
