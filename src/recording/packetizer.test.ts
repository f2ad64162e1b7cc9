/**
 * Packetizers against depacketizers: every synthetic frame, split with
 * random descriptor options and payload sizes, is rebuilt exactly, and the
 * descriptors carry what the RFCs say (first-packet bits, marker on the
 * last packet only).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticFrame } from '../../test/fixtures/recording/synthetic-streams.js';
import type { RecordingCodecName } from './codec.js';
import { createPayloadDepacketizer } from './depacketizer/index.js';
import { RecordingError } from './errors.js';
import { packetizeAv1, packetizeH264, packetizeVp8, packetizeVp9 } from './packetizer.js';

const CODECS: RecordingCodecName[] = ['opus', 'vp8', 'vp9', 'h264', 'av1'];

describe('packetize → assemble', () => {
  for (const codec of CODECS) {
    it(`${codec}: rebuilds every frame, key frames start a frame, the marker is on the last packet`, () => {
      fc.assert(
        fc.property(
          fc.boolean().chain((key) => syntheticFrame[codec](key)),
          (frame) => {
            const depacketizer = createPayloadDepacketizer(codec);
            const result = depacketizer.assemble(frame.payloads.map((p) => p.payload));
            expect(result).toEqual({ kind: 'frame', data: frame.expected, keyframe: frame.keyframe });
            if (frame.keyframe) expect(depacketizer.startsFrame(frame.payloads[0].payload)).toBe(true);
            if (codec !== 'opus')
              expect(frame.payloads.map((p) => p.marker)).toEqual(
                frame.payloads.map((_, i) => i === frame.payloads.length - 1),
              );
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});

describe('descriptors', () => {
  it('VP8: S only on the first packet, 7- and 15-bit picture IDs (RFC 7741 §4.2)', () => {
    const payloads = packetizeVp8(new Uint8Array(30), { pictureId: 5, maxPayloadSize: 13 });
    expect(payloads.map((p) => p.payload[0])).toEqual([0x90, 0x80, 0x80]);
    expect(Array.from(payloads[0].payload.subarray(0, 3))).toEqual([0x90, 0x80, 0x05]);
    expect(
      Array.from(packetizeVp8(new Uint8Array(4), { pictureId: 0x1234 })[0].payload.subarray(0, 4)),
    ).toEqual([0x90, 0x80, 0x92, 0x34]);
  });

  it('VP9: B on the first, E on the last, SS and flexible references (RFC 9628 §4.2)', () => {
    const payloads = packetizeVp9(new Uint8Array(25), { maxPayloadSize: 11 });
    expect(payloads.map((p) => p.payload[0])).toEqual([0x08, 0x00, 0x04]);
    const flexible = packetizeVp9(new Uint8Array(4), {
      pictureId: 1,
      flexible: true,
      interPicturePredicted: true,
      referenceDiffs: [1, 2],
      layer: { temporalId: 1, spatialId: 0 },
    });
    // I P L F B E | pid 1 | TID=1 | P_DIFF 1 with N | P_DIFF 2
    expect(Array.from(flexible[0].payload.subarray(0, 5))).toEqual([0xfc, 0x01, 0x20, 0x03, 0x04]);
    expect(() => packetizeVp9(new Uint8Array(4), { flexible: true, interPicturePredicted: true })).toThrow(
      RecordingError,
    );
  });

  it('H.264: single NAL units, STAP-A for small ones, FU-A with S and E (RFC 6184 §5.6–§5.8)', () => {
    const big = new Uint8Array(50).fill(0x11);
    big[0] = 0x65;
    const payloads = packetizeH264([Uint8Array.of(0x67, 1), Uint8Array.of(0x68, 2), big], {
      maxPayloadSize: 20,
    });
    expect(payloads.map((p) => p.payload[0] & 0x1f)).toEqual([24, 28, 28, 28]);
    expect(payloads.slice(1).map((p) => p.payload[1] & 0xe0)).toEqual([0x80, 0x00, 0x40]);
    expect(packetizeH264([Uint8Array.of(0x41, 9)], { aggregate: false })[0].payload).toEqual(
      Uint8Array.of(0x41, 9),
    );
  });

  it('AV1: Z/Y on fragments, W when it fits, N before a sequence header (AV1 RTP §4.4)', () => {
    // A sequence header OBU and a 40-byte frame OBU, in payloads of at most 16 bytes.
    const unit = Uint8Array.of(0x0a, 0x02, 0xaa, 0xbb, 0x32, 40, ...new Uint8Array(40));
    const payloads = packetizeAv1(unit, { maxPayloadSize: 16 });
    const headers = payloads.map((p) => p.payload[0]);
    expect(headers[0] & 0x08).toBe(0x08);
    expect(headers[0] & 0xc0).toBe(0x40);
    expect(headers[headers.length - 1] & 0xc0).toBe(0x80);
    expect(() => packetizeAv1(Uint8Array.of(0x0a, 0x09))).toThrow(RecordingError);
    expect(() => packetizeVp8(new Uint8Array(4), { maxPayloadSize: 1 })).toThrow(RecordingError);
  });
});
