/**
 * H.264 depacketizer (RFC 6184): single NAL units, STAP-A, FU-A, the
 * parameter sets kept across frames, what is refused, and garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PPS_320x240_BASELINE,
  SPS_320x240_BASELINE,
} from '../../../test/fixtures/recording/codec-vectors.js';
import { splitAvcSample } from '../avc-config.js';
import { describeVideoKeyframe } from '../video-track.js';
import { H264Depacketizer } from './h264.js';

const cat = (...parts: (Uint8Array | number[])[]) =>
  Uint8Array.from(parts.flatMap((part) => Array.from(part)));
const stapA = (...units: Uint8Array[]) =>
  cat([0x78], ...units.flatMap((unit) => [[unit.length >>> 8, unit.length & 0xff], unit]));
const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x00, 0x33, 0x44, 0x55);
const SLICE = Uint8Array.of(0x41, 0x9a, 0x02, 0x03);

function units(result: ReturnType<H264Depacketizer['assemble']>): number[][] {
  if (result.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(result)}`);
  return splitAvcSample(result.data)!.map((unit) => Array.from(unit));
}

describe('H264Depacketizer', () => {
  it('builds an AVC sample from STAP-A (SPS, PPS) and an IDR in FU-A, as libwebrtc and FFmpeg send it', () => {
    const depacketizer = new H264Depacketizer();
    const fuIndicator = (IDR[0] & 0xe0) | 28;
    const result = depacketizer.assemble([
      stapA(SPS_320x240_BASELINE, PPS_320x240_BASELINE),
      cat([fuIndicator, 0x85], IDR.subarray(1, 3)),
      cat([fuIndicator, 0x05], IDR.subarray(3, 5)),
      cat([fuIndicator, 0x45], IDR.subarray(5)),
    ]);
    expect(result).toMatchObject({ kind: 'frame', keyframe: true });
    expect(units(result)).toEqual([
      Array.from(SPS_320x240_BASELINE),
      Array.from(PPS_320x240_BASELINE),
      Array.from(IDR),
    ]);
    if (result.kind === 'frame')
      expect(describeVideoKeyframe('h264', result.data)).toMatchObject({ width: 320, height: 240 });
    expect(depacketizer.parameterSets.sps).toHaveLength(1);
  });

  it('passes single NAL unit packets through', () => {
    const result = new H264Depacketizer().assemble([Uint8Array.of(0x09, 0xf0), SLICE]);
    expect(result).toMatchObject({ kind: 'frame', keyframe: false });
    expect(units(result)).toEqual([[0x09, 0xf0], Array.from(SLICE)]);
  });

  it('puts the kept SPS and PPS before an IDR that comes without them', () => {
    const depacketizer = new H264Depacketizer();
    expect(depacketizer.assemble([IDR])).toMatchObject({ kind: 'frame', keyframe: false });
    depacketizer.addParameterSets([SPS_320x240_BASELINE, PPS_320x240_BASELINE, Uint8Array.of(0x06, 0x00)]);
    const result = depacketizer.assemble([IDR]);
    expect(result).toMatchObject({ kind: 'frame', keyframe: true });
    expect(units(result).map((unit) => unit[0] & 0x1f)).toEqual([7, 8, 5]);
  });

  it('keeps parameter sets that come alone and stores nothing for them', () => {
    const depacketizer = new H264Depacketizer();
    expect(depacketizer.assemble([stapA(SPS_320x240_BASELINE, PPS_320x240_BASELINE)])).toEqual({
      kind: 'empty',
    });
    expect(depacketizer.assemble([IDR])).toMatchObject({ keyframe: true });
  });

  it('refuses broken fragmentation and interleaved-mode packets', () => {
    const depacketizer = new H264Depacketizer();
    const cases: Uint8Array[][] = [
      [cat([0x7c, 0x05], [1, 2])], // continuation without start
      [cat([0x7c, 0x85], [1]), SLICE], // unit ends while FU open
      [cat([0x7c, 0x85], [1])], // FU never ended
      [cat([0x7c, 0xc5], [1])], // S and E together
      [cat([0x7c, 0x85], [1]), cat([0x7c, 0x41], [2])], // type changes mid-FU
      [cat([0x7c, 0x98], [1])], // FU of type 24
      [Uint8Array.of(0x79, 0, 0, 0, 1, 0x41)], // STAP-B
      [Uint8Array.of(0x7d, 0x85, 0, 0, 1)], // FU-B
      [Uint8Array.of(0x7a, 0, 0)], // MTAP16
      [Uint8Array.of(0x78, 0x00, 0x09, 0x41)], // STAP-A size overruns
      [Uint8Array.of(0x78, 0x00, 0x01, 0x78)], // STAP-A holding STAP-A
      [Uint8Array.of(0xc1, 0x9a)], // forbidden bit
      [Uint8Array.of(0x00, 0x01)], // type 0
      [new Uint8Array(0)],
    ];
    for (const payloads of cases) expect(depacketizer.assemble(payloads).kind).toBe('malformed');
  });

  it('treats only an AUD or an SPS as proof that an access unit starts', () => {
    const depacketizer = new H264Depacketizer();
    expect(depacketizer.startsFrame(stapA(SPS_320x240_BASELINE, PPS_320x240_BASELINE))).toBe(true);
    expect(depacketizer.startsFrame(Uint8Array.of(0x09, 0xf0))).toBe(true);
    expect(depacketizer.startsFrame(SPS_320x240_BASELINE)).toBe(true);
    expect(depacketizer.startsFrame(cat([0x7c, 0x87], [1]))).toBe(true);
    // An IDR slice may have lost its SPS/PPS in front of it.
    expect(depacketizer.startsFrame(IDR)).toBe(false);
    expect(depacketizer.startsFrame(cat([0x7c, 0x85], [0x88]))).toBe(false);
    expect(depacketizer.startsFrame(PPS_320x240_BASELINE)).toBe(false);
    expect(depacketizer.startsFrame(Uint8Array.of(0x78, 0x00))).toBe(false);
  });

  it('never throws on garbage and emits only samples of whole NAL units holding a slice', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 5 }), (payloads) => {
        const result = new H264Depacketizer().assemble(payloads);
        if (result.kind !== 'frame') return;
        const sample = splitAvcSample(result.data)!;
        expect(
          sample.every((unit) => (unit[0] & 0x80) === 0 && (unit[0] & 0x1f) >= 1 && (unit[0] & 0x1f) <= 23),
        ).toBe(true);
        expect(sample.some((unit) => (unit[0] & 0x1f) >= 1 && (unit[0] & 0x1f) <= 5)).toBe(true);
        if (result.keyframe) expect(sample.some((unit) => (unit[0] & 0x1f) === 5)).toBe(true);
      }),
    );
  });
});
