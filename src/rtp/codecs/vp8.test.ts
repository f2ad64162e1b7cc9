/**
 * VP8 payload descriptor (RFC 7741 §4.2): vectors written out bit by bit from
 * the RFC diagrams, and garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVp8Descriptor, describeVp8, isKeyframe, rewriteVp8Descriptor } from './vp8.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

// A key frame's payload header: P = 0 (bit 0), show_frame H = 1, then the RFC 6386 start code.
const KEY_HEADER = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
// An inter frame's payload header: P = 1.
const DELTA_HEADER = [0x11, 0x02, 0x00];

describe('isKeyframe (VP8)', () => {
  it('detects a key frame with the minimal descriptor (S = 1, PID = 0, P = 0)', () => {
    expect(isKeyframe(bytes(0x10, ...KEY_HEADER))).toBe(true);
  });

  it('rejects an inter frame (P = 1)', () => {
    expect(isKeyframe(bytes(0x10, ...DELTA_HEADER))).toBe(false);
  });

  it('rejects a key frame continuation (S = 0) and a later partition (PID = 1)', () => {
    expect(isKeyframe(bytes(0x00, ...KEY_HEADER))).toBe(false);
    expect(isKeyframe(bytes(0x11, ...KEY_HEADER))).toBe(false);
  });

  it('skips the extended descriptor: X, I with M (15-bit picture ID), L, T and K', () => {
    // X=1 S=1 | I L T K | M=1 pictureId 0x1234 | TL0PICIDX 0x56 | TID=2 Y=1 KEYIDX=3
    const payload = bytes(0x90, 0xf0, 0x92, 0x34, 0x56, 0xa3, ...KEY_HEADER);
    expect(isKeyframe(payload)).toBe(true);
    payload[6] |= 1;
    expect(isKeyframe(payload)).toBe(false);
  });

  it('never reports a key frame when the payload header is missing', () => {
    expect(isKeyframe(bytes(0x10))).toBe(false);
    expect(isKeyframe(bytes(0x90, 0x80, 0x12))).toBe(false);
    expect(isKeyframe(new Uint8Array(0))).toBe(false);
  });
});

describe('describeVp8', () => {
  it('reads a 15-bit picture ID, TL0PICIDX and the temporal layer', () => {
    const payload = bytes(0x90, 0xf0, 0x92, 0x34, 0x56, 0xa3, ...DELTA_HEADER);
    const d = describeVp8(payload)!;
    expect(d).toMatchObject({
      startOfPartition: true,
      partitionIndex: 0,
      nonReference: false,
      pictureId: 0x1234,
      pictureIdBits: 15,
      tl0PicIdx: 0x56,
      temporalLayerId: 2,
      layerSync: true,
      keyIndex: 3,
      descriptorLength: 6,
      pictureIdOffset: 2,
      tl0PicIdxOffset: 4,
      keyframe: false,
    });
  });

  it('reads a 7-bit picture ID and leaves absent fields at -1', () => {
    // X=1 N=1 S=0 PID=2 | I only | M=0 pictureId 0x45
    const d = describeVp8(bytes(0xa2, 0x80, 0x45, 0xff))!;
    expect(d.nonReference).toBe(true);
    expect(d.startOfPartition).toBe(false);
    expect(d.partitionIndex).toBe(2);
    expect(d.pictureId).toBe(0x45);
    expect(d.pictureIdBits).toBe(7);
    expect(d.tl0PicIdx).toBe(-1);
    expect(d.temporalLayerId).toBe(-1);
    expect(d.keyIndex).toBe(-1);
    expect(d.descriptorLength).toBe(3);
  });

  it('reads K without T: KEYIDX only, no temporal layer', () => {
    const d = describeVp8(bytes(0x90, 0x10, 0x1f, ...DELTA_HEADER))!;
    expect(d.keyIndex).toBe(0x1f);
    expect(d.temporalLayerId).toBe(-1);
  });

  it('returns undefined for every truncation of an extended descriptor', () => {
    const full = bytes(0x90, 0xf0, 0x92, 0x34, 0x56, 0xa3);
    for (let n = 0; n < full.length; n++) expect(describeVp8(full.subarray(0, n))).toBeUndefined();
    expect(describeVp8(full)).toBeDefined();
  });

  it('fills a caller-owned object', () => {
    const out = createVp8Descriptor();
    expect(describeVp8(bytes(0x10, ...KEY_HEADER), out)).toBe(out);
    expect(out.keyframe).toBe(true);
  });

  it('never throws on garbage, and the descriptor never overruns the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (payload) => {
        const d = describeVp8(payload);
        if (d) expect(d.descriptorLength).toBeLessThanOrEqual(payload.length);
        expect(typeof isKeyframe(payload)).toBe('boolean');
      }),
    );
  });
});

describe('rewriteVp8Descriptor', () => {
  it('rewrites fields in place and keeps their widths', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 0x7fff }),
        fc.integer({ min: 0, max: 255 }),
        (long, pictureId, tl0) => {
          const payload = long
            ? bytes(0x90, 0xe0, 0x80, 0x01, 0x02, 0x40, ...DELTA_HEADER)
            : bytes(0x90, 0xe0, 0x01, 0x02, 0x40, ...DELTA_HEADER);
          const d = describeVp8(payload)!;
          rewriteVp8Descriptor(payload, d, pictureId, tl0);
          const after = describeVp8(payload)!;
          expect(after.pictureId).toBe(long ? pictureId : pictureId & 0x7f);
          expect(after.pictureIdBits).toBe(long ? 15 : 7);
          expect(after.tl0PicIdx).toBe(tl0);
          expect(after.temporalLayerId).toBe(1);
          expect(after.descriptorLength).toBe(d.descriptorLength);
        },
      ),
    );
  });

  it('leaves absent fields alone', () => {
    const payload = bytes(0x10, ...DELTA_HEADER);
    const copy = payload.slice();
    rewriteVp8Descriptor(payload, describeVp8(payload)!, 5, 6);
    expect(payload).toEqual(copy);
  });
});
