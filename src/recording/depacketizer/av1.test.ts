/**
 * AV1 depacketizer (AV1 RTP payload format §4.4–§5): aggregation headers,
 * elements with and without lengths, fragments, OBUs with and without
 * obu_size, what is dropped, key frames, and garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AV1_SEQUENCE_HEADER_8BIT } from '../../../test/fixtures/recording/codec-vectors.js';
import { Av1ObuType, splitAv1TemporalUnit } from '../av1-config.js';
import { describeVideoKeyframe } from '../video-track.js';
import { Av1Depacketizer } from './av1.js';

const cat = (...parts: (Uint8Array | number[])[]) =>
  Uint8Array.from(parts.flatMap((part) => Array.from(part)));
/** The sequence header as an RTP OBU element: obu_has_size_field cleared. */
const SH_ELEMENT = cat([AV1_SEQUENCE_HEADER_8BIT[0] & ~0x02], AV1_SEQUENCE_HEADER_8BIT.subarray(2));
/** OBU_FRAME elements without obu_size: a shown key frame and an inter frame. */
const KEY_FRAME_ELEMENT = Uint8Array.of(0x30, 0b0001_0000, 0xaa, 0xbb);
const INTER_FRAME_ELEMENT = Uint8Array.of(0x30, 0b0011_0000, 0xcc);

function types(result: ReturnType<Av1Depacketizer['assemble']>): number[] {
  if (result.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(result)}`);
  return splitAv1TemporalUnit(result.data)!.map((obu) => obu.type);
}

describe('Av1Depacketizer', () => {
  it('reads W = 2 (first element with a length, last without) and writes OBUs with obu_size', () => {
    const depacketizer = new Av1Depacketizer();
    const payload = cat([0x28, SH_ELEMENT.length], SH_ELEMENT, KEY_FRAME_ELEMENT);
    const result = depacketizer.assemble([payload]);
    expect(result).toMatchObject({ kind: 'frame', keyframe: true });
    expect(types(result)).toEqual([Av1ObuType.SequenceHeader, Av1ObuType.Frame]);
    if (result.kind === 'frame') {
      expect(Array.from(result.data.subarray(0, AV1_SEQUENCE_HEADER_8BIT.length))).toEqual(
        Array.from(AV1_SEQUENCE_HEADER_8BIT),
      );
      expect(describeVideoKeyframe('av1', result.data)).toMatchObject({ width: 320, height: 240 });
    }
  });

  it('reads W = 0 (every element with a length) and joins fragments across packets (Y, then Z)', () => {
    const depacketizer = new Av1Depacketizer();
    const frame = Uint8Array.of(0x30, 0b0001_0000, ...new Uint8Array(10).fill(9));
    const first = cat([0x48, SH_ELEMENT.length], SH_ELEMENT, [4], frame.subarray(0, 4));
    const middle = cat([0xc0, 3], frame.subarray(4, 7));
    const last = cat([0x80, frame.length - 7], frame.subarray(7));
    const result = depacketizer.assemble([first, middle, last]);
    expect(result).toMatchObject({ kind: 'frame', keyframe: true });
    if (result.kind === 'frame')
      expect(splitAv1TemporalUnit(result.data)![1].payload).toEqual(frame.subarray(1));
  });

  it('accepts elements that keep obu_size when it ends the element exactly', () => {
    const depacketizer = new Av1Depacketizer();
    const sized = cat([0x32, 3], KEY_FRAME_ELEMENT.subarray(1));
    expect(
      depacketizer.assemble([cat([0x28, AV1_SEQUENCE_HEADER_8BIT.length], AV1_SEQUENCE_HEADER_8BIT, sized)]),
    ).toMatchObject({
      kind: 'frame',
      keyframe: true,
    });
    const short = cat([0x32, 2], KEY_FRAME_ELEMENT.subarray(1));
    expect(depacketizer.assemble([cat([0x10], short)])).toMatchObject({ kind: 'malformed' });
  });

  it('drops temporal delimiters, tile lists and padding', () => {
    const depacketizer = new Av1Depacketizer();
    const payload = cat([0x00, 1, 0x10, 1, 0x40, 2, 0x78, 0x00, 2], INTER_FRAME_ELEMENT.subarray(0, 2));
    depacketizer.assemble([cat([0x28, SH_ELEMENT.length], SH_ELEMENT, KEY_FRAME_ELEMENT)]);
    expect(types(depacketizer.assemble([payload]))).toEqual([Av1ObuType.Frame]);
  });

  it('puts the kept sequence header before a key frame that comes without one', () => {
    const depacketizer = new Av1Depacketizer();
    expect(depacketizer.assemble([cat([0x10], KEY_FRAME_ELEMENT)])).toMatchObject({ keyframe: false });
    expect(depacketizer.assemble([cat([0x10], SH_ELEMENT)])).toEqual({ kind: 'empty' });
    const result = depacketizer.assemble([cat([0x10], KEY_FRAME_ELEMENT)]);
    expect(result).toMatchObject({ keyframe: true });
    expect(types(result)).toEqual([Av1ObuType.SequenceHeader, Av1ObuType.Frame]);
    expect(depacketizer.assemble([cat([0x10], INTER_FRAME_ELEMENT)])).toMatchObject({ keyframe: false });
  });

  it('refuses Z on the first packet, Y on the last, a wrong W, overruns and forbidden bits', () => {
    const depacketizer = new Av1Depacketizer();
    const cases: Uint8Array[][] = [
      [cat([0x90], INTER_FRAME_ELEMENT)],
      [cat([0x50], INTER_FRAME_ELEMENT)],
      [cat([0x50], INTER_FRAME_ELEMENT), cat([0x10], INTER_FRAME_ELEMENT)], // Y, then Z = 0
      [cat([0x30, 3], INTER_FRAME_ELEMENT)],
      [cat([0x00, 9], INTER_FRAME_ELEMENT)],
      [Uint8Array.of(0x10, 0xb0, 0x10)],
      [Uint8Array.of(0x10)],
      [Uint8Array.of(0x00, 0x00)],
      [cat([0x10], [0x28])], // metadata alone: nothing to store
    ];
    for (const payloads of cases) expect(depacketizer.assemble(payloads).kind).not.toBe('frame');
  });

  it('knows a first packet by N, or by a sequence header or temporal delimiter first', () => {
    const depacketizer = new Av1Depacketizer();
    expect(depacketizer.startsFrame(cat([0x18], KEY_FRAME_ELEMENT))).toBe(true);
    expect(depacketizer.startsFrame(cat([0x10], SH_ELEMENT))).toBe(true);
    expect(depacketizer.startsFrame(cat([0x00, 1, 0x12], [1]))).toBe(true);
    expect(depacketizer.startsFrame(cat([0x10], KEY_FRAME_ELEMENT))).toBe(false);
    expect(depacketizer.startsFrame(cat([0x98], KEY_FRAME_ELEMENT))).toBe(false);
    expect(depacketizer.startsFrame(Uint8Array.of(0x00, 0x00, 0x0a))).toBe(false);
  });

  it('never throws on garbage and emits only temporal units of whole OBUs with a frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 4 }), (payloads) => {
        const result = new Av1Depacketizer().assemble(payloads);
        if (result.kind !== 'frame') return;
        const obus = splitAv1TemporalUnit(result.data)!;
        expect(obus.some((obu) => obu.type === Av1ObuType.Frame || obu.type === Av1ObuType.FrameHeader)).toBe(
          true,
        );
        expect(obus.every((obu) => obu.type !== Av1ObuType.TemporalDelimiter)).toBe(true);
        if (result.keyframe) expect(obus[0].type).toBe(Av1ObuType.SequenceHeader);
      }),
    );
  });
});
