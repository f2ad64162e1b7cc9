/** VP8 depacketizer (RFC 7741 §4): descriptors, fragments, partitions, key frames, garbage. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vp8InterFrame, vp8KeyFrame } from '../../../test/fixtures/recording/codec-vectors.js';
import { parseVp8FrameHeader } from '../vpx-frame-header.js';
import { Vp8Depacketizer } from './vp8.js';

const depacketizer = new Vp8Depacketizer();
const cat = (...parts: (Uint8Array | number[])[]) =>
  Uint8Array.from(parts.flatMap((part) => Array.from(part)));

describe('Vp8Depacketizer', () => {
  it('strips the minimal descriptor and reports the key frame from the payload header', () => {
    const key = vp8KeyFrame();
    expect(depacketizer.assemble([cat([0x10], key)])).toEqual({ kind: 'frame', data: key, keyframe: true });
    const inter = vp8InterFrame();
    expect(depacketizer.assemble([cat([0x10], inter)])).toEqual({
      kind: 'frame',
      data: inter,
      keyframe: false,
    });
  });

  it('joins fragments with extended descriptors (X, I with a 15-bit picture ID, L, T/K)', () => {
    const key = vp8KeyFrame(640, 480, 20);
    const first = cat([0x90, 0xf0, 0x92, 0x34, 0x07, 0x40], key.subarray(0, 12));
    const second = cat([0x80, 0xf0, 0x92, 0x34, 0x07, 0x40], key.subarray(12));
    const result = depacketizer.assemble([first, second]);
    expect(result).toEqual({ kind: 'frame', data: key, keyframe: true });
    expect(parseVp8FrameHeader(key)).toMatchObject({ width: 640, height: 480 });
  });

  it('joins partitions in order (PID 0, then S = 1 with PID 1)', () => {
    const key = vp8KeyFrame(320, 240, 10);
    const result = depacketizer.assemble([cat([0x10], key.subarray(0, 14)), cat([0x11], key.subarray(14))]);
    expect(result).toMatchObject({ kind: 'frame', keyframe: true, data: key });
  });

  it('refuses frames that do not start partition 0, partitions that go back, empty packets, bad headers', () => {
    const key = vp8KeyFrame();
    expect(depacketizer.assemble([cat([0x00], key)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([cat([0x11], key)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([cat([0x12], key), cat([0x01], key)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([Uint8Array.of(0x10)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([Uint8Array.of(0x90, 0x80)])).toMatchObject({ kind: 'malformed' });
    const badStart = key.slice();
    badStart[3] = 0;
    expect(depacketizer.assemble([cat([0x10], badStart)])).toMatchObject({ kind: 'malformed' });
    expect(depacketizer.assemble([])).toMatchObject({ kind: 'malformed' });
  });

  it('knows a first packet by S = 1 and PID = 0', () => {
    expect(depacketizer.startsFrame(cat([0x10], vp8InterFrame()))).toBe(true);
    expect(depacketizer.startsFrame(cat([0x00], vp8InterFrame()))).toBe(false);
    expect(depacketizer.startsFrame(cat([0x11], vp8InterFrame()))).toBe(false);
    expect(depacketizer.startsFrame(Uint8Array.of(0x10))).toBe(false);
  });

  it('never throws on garbage, and emits only frames with a valid VP8 header from a starting packet', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 4 }), (payloads) => {
        const result = depacketizer.assemble(payloads);
        if (result.kind !== 'frame') return;
        expect(depacketizer.startsFrame(payloads[0])).toBe(true);
        expect(parseVp8FrameHeader(result.data)?.keyframe).toBe(result.keyframe);
      }),
    );
  });
});
