/**
 * VP9 depacketizer (RFC 9628 §4.2): every descriptor field, layer frames
 * and superframes, key frames confirmed by the bitstream, garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VP9_KEY_FRAME_320x240, vp9InterFrame } from '../../../test/fixtures/recording/codec-vectors.js';
import { parseVp9FrameHeader, vp9SuperframeSizes } from '../vpx-frame-header.js';
import { parseVp9Descriptor, Vp9Depacketizer } from './vp9.js';

const depacketizer = new Vp9Depacketizer();
const cat = (...parts: (Uint8Array | number[])[]) =>
  Uint8Array.from(parts.flatMap((part) => Array.from(part)));

describe('parseVp9Descriptor', () => {
  it('reads non-flexible mode: picture ID, layer indices, TL0PICIDX', () => {
    // I L B | M=1 pid 0x0102 | TID=2 U=1 SID=1 D=1 | TL0PICIDX 9
    expect(parseVp9Descriptor(Uint8Array.of(0xa8, 0x81, 0x02, 0x53, 0x09, 0xff))).toMatchObject({
      pictureId: 0x102,
      temporalId: 2,
      spatialId: 1,
      interLayerDependency: true,
      tl0PicIdx: 9,
      flexible: false,
      startOfLayerFrame: true,
      descriptorLength: 5,
    });
  });

  it('reads flexible mode reference diffs chained by N, at most three', () => {
    // I P L F B | pid 3 | TID 0 SID 0 | P_DIFF 1 N | P_DIFF 4
    const descriptor = parseVp9Descriptor(Uint8Array.of(0xf8, 0x03, 0x00, 0x03, 0x08, 0xff))!;
    expect(descriptor.referenceDiffs).toEqual([1, 4]);
    expect(descriptor.tl0PicIdx).toBe(-1);
    expect(descriptor.descriptorLength).toBe(5);
    expect(parseVp9Descriptor(Uint8Array.of(0x58, 0x03, 0x03, 0x03, 0x03, 0xff))).toBeUndefined();
  });

  it('reads a scalability structure with resolutions and picture groups', () => {
    // B V | N_S=1 Y G | 320×240, 640×480 | N_G=1 | TID 0 U 0 R=1 | P_DIFF 1
    const payload = Uint8Array.of(
      0x0a,
      0x38,
      0x01,
      0x40,
      0x00,
      0xf0,
      0x02,
      0x80,
      0x01,
      0xe0,
      0x01,
      0x04,
      0x01,
      0xaa,
    );
    const descriptor = parseVp9Descriptor(payload)!;
    expect(descriptor.resolutions).toEqual([
      { width: 320, height: 240 },
      { width: 640, height: 480 },
    ]);
    expect(descriptor.descriptorLength).toBe(13);
  });

  it('returns undefined for every truncation and never throws on garbage', () => {
    const payload = Uint8Array.of(0xaa, 0x81, 0x02, 0x53, 0x09, 0x30, 0x01, 0x40, 0x00, 0xf0, 0x00);
    for (let length = 0; length < payload.length - 1; length++)
      expect(parseVp9Descriptor(payload.subarray(0, length))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        const descriptor = parseVp9Descriptor(bytes);
        if (descriptor) expect(descriptor.descriptorLength).toBeLessThanOrEqual(bytes.length);
      }),
    );
  });
});

describe('Vp9Depacketizer', () => {
  it('confirms a key frame from the bitstream when the descriptor leaves P clear on every packet (FFmpeg)', () => {
    const key = cat(VP9_KEY_FRAME_320x240, [1, 2, 3]);
    const halves = [cat([0x08], key.subarray(0, 10)), cat([0x04], key.subarray(10))];
    expect(depacketizer.assemble(halves)).toEqual({ kind: 'frame', data: key, keyframe: true });
    const inter = vp9InterFrame();
    expect(depacketizer.assemble([cat([0x0c], inter)])).toEqual({
      kind: 'frame',
      data: inter,
      keyframe: false,
    });
  });

  it('never calls a frame with P = 1 or in an upper spatial layer a key frame', () => {
    const key = cat(VP9_KEY_FRAME_320x240, [1]);
    expect(depacketizer.assemble([cat([0x4c], key)])).toMatchObject({ keyframe: false });
    // L with SID = 1 on the first layer frame.
    expect(depacketizer.assemble([cat([0x2c, 0x02, 0x00], key)])).toMatchObject({ keyframe: false });
  });

  it('packs the spatial layer frames of a picture into a superframe', () => {
    const base = cat(VP9_KEY_FRAME_320x240, [7, 7]);
    const upper = vp9InterFrame(3);
    const result = depacketizer.assemble([
      cat([0x2c, 0x00, 0x00], base),
      cat([0x28, 0x03, 0x00], upper.subarray(0, 2)),
      cat([0x24, 0x03, 0x00], upper.subarray(2)),
    ]);
    expect(result.kind).toBe('frame');
    if (result.kind !== 'frame') return;
    expect(result.keyframe).toBe(true);
    expect(vp9SuperframeSizes(result.data)).toEqual([base.length, upper.length]);
  });

  it('refuses B/E sequences that do not pair up, empty packets and invalid headers', () => {
    const inter = vp9InterFrame();
    expect(depacketizer.assemble([cat([0x00], inter)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([cat([0x08], inter)])).toMatchObject({
      kind: 'malformed',
      reason: 'last packet without E',
    });
    expect(depacketizer.assemble([cat([0x08], inter), cat([0x0c], inter)])).toMatchObject({
      kind: 'malformed',
    });
    expect(depacketizer.assemble([cat([0x0c], inter), cat([0x04], inter)])).toMatchObject({
      kind: 'malformed',
    });
    expect(depacketizer.assemble([Uint8Array.of(0x0c)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([Uint8Array.of(0x0c, 0x00, 0x00)])).toMatchObject({ kind: 'malformed' });
  });

  it('knows a first packet by B = 1 in the base layer', () => {
    expect(depacketizer.startsFrame(cat([0x08], vp9InterFrame()))).toBe(true);
    expect(depacketizer.startsFrame(cat([0x00], vp9InterFrame()))).toBe(false);
    expect(depacketizer.startsFrame(cat([0x28, 0x02, 0x00], vp9InterFrame()))).toBe(false);
  });

  it('never throws on garbage, and emits only frames whose first layer frame has a valid header', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 4 }), (payloads) => {
        const result = depacketizer.assemble(payloads);
        if (result.kind !== 'frame') return;
        expect(parseVp9FrameHeader(result.data)).toBeDefined();
        expect(depacketizer.startsFrame(payloads[0]) || parseVp9Descriptor(payloads[0])!.spatialId > 0).toBe(
          true,
        );
      }),
    );
  });
});
