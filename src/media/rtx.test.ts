/** RTX (RFC 4588 §4): encapsulation, decapsulation, restore, and garbage. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRtpPacket, encodeRtpPacket, type RtpPacket } from '../rtp/packet.js';
import { ForwardingError } from './forwarding-errors.js';
import {
  decodeRtxPayload,
  encodeRtxPacketTo,
  restoreRtxPacketTo,
  rtpHeaderLength,
  rtxOriginalSequence,
} from './rtx.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decoded(buf: Uint8Array): RtpPacket {
  const result = decodeRtpPacket(buf);
  if (!result.ok) throw result.error;
  return result.value;
}

// PT 96, M=1, seq 0x1234, ts 0x11223344, SSRC 0xaabbccdd, one CSRC, one-byte extension, padding 3.
const original = hex(`
  b1 e0 12 34  11 22 33 44  aa bb cc dd  01 02 03 04
  be de 00 01  10 7f 00 00
  01 02 03 04 05  00 00 03
`);

describe('RTX', () => {
  it('wraps a packet: RTX header, OSN, original payload, no padding', () => {
    const out = Buffer.alloc(100);
    const length = encodeRtxPacketTo(out, 2, original, 97, 0x01020304, 0x0009);
    expect(out.subarray(2, 2 + length)).toEqual(
      hex(`
        91 e1 00 09  11 22 33 44  01 02 03 04  01 02 03 04
        be de 00 01  10 7f 00 00
        12 34  01 02 03 04 05
      `),
    );
  });

  it('decodes the RTX payload', () => {
    const result = decodeRtxPayload(Uint8Array.of(0x12, 0x34, 9, 8));
    expect(result.ok && result.value.originalSequenceNumber).toBe(0x1234);
    expect(result.ok && [...result.value.payload]).toEqual([9, 8]);
    const short = decodeRtxPayload(Uint8Array.of(1));
    expect(!short.ok && short.error.code).toBe('ERR_MEDIA_RTX_TOO_SHORT');
    expect(rtxOriginalSequence(Uint8Array.of(0xff, 0xfe))).toBe(0xfffe);
    expect(rtxOriginalSequence(new Uint8Array(0))).toBe(-1);
  });

  it('restores the original packet, in place', () => {
    const rtx = Buffer.alloc(100);
    const length = encodeRtxPacketTo(rtx, 0, original, 97, 0x01020304, 9);
    const restoredLength = restoreRtxPacketTo(rtx, 0, rtx.subarray(0, length), 96, 0xaabbccdd);
    const restored = decoded(rtx.subarray(0, restoredLength));
    const expected = decoded(original);
    expect(restored).toMatchObject({
      marker: true,
      payloadType: 96,
      sequenceNumber: 0x1234,
      timestamp: 0x11223344,
      ssrc: 0xaabbccdd,
      csrcs: [0x01020304],
      paddingLength: 0,
    });
    expect(restored.payload).toEqual(expected.payload);
    expect(restored.extension?.elements).toEqual(expected.extension?.elements);
  });

  it('refuses malformed originals and small buffers with typed errors', () => {
    expect(() => encodeRtxPacketTo(Buffer.alloc(100), 0, original.subarray(0, 10), 97, 1, 1)).toThrow(
      ForwardingError,
    );
    expect(() => encodeRtxPacketTo(Buffer.alloc(20), 0, original, 97, 1, 1)).toThrow(ForwardingError);
  });

  it('round trips any packet, and never throws on garbage', () => {
    const packetArbitrary = fc.record({
      csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 4 }),
      payload: fc.uint8Array({ maxLength: 40 }),
      paddingLength: fc.integer({ min: 0, max: 20 }),
      marker: fc.boolean(),
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      extensionData: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(packetArbitrary, fc.integer({ min: 0, max: 0xffff }), (p, rtxSequence) => {
        const source: RtpPacket = {
          version: 2,
          marker: p.marker,
          payloadType: 100,
          sequenceNumber: p.sequenceNumber,
          timestamp: 123,
          ssrc: 456,
          csrcs: p.csrcs,
          extension: p.extensionData && { profile: 0x1234, elements: [], data: p.extensionData },
          payload: p.payload,
          paddingLength: p.paddingLength,
        };
        const raw = encodeRtpPacket(source);
        expect(rtpHeaderLength(raw)).toBe(raw.length - p.payload.length - p.paddingLength);
        const rtx = Buffer.alloc(200);
        const length = encodeRtxPacketTo(rtx, 0, raw, 101, 789, rtxSequence);
        const rtxPacket = decoded(rtx.subarray(0, length));
        expect(rtxPacket.sequenceNumber).toBe(rtxSequence);
        expect(rtxOriginalSequence(rtxPacket.payload)).toBe(p.sequenceNumber);
        const back = Buffer.alloc(200);
        const backLength = restoreRtxPacketTo(back, 0, rtx.subarray(0, length), 100, 456);
        expect(back.subarray(0, backLength)).toEqual(encodeRtpPacket({ ...source, paddingLength: 0 }));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (garbage) => {
        const header = rtpHeaderLength(garbage);
        expect(header).toBeLessThanOrEqual(garbage.length);
        expect(restoreRtxPacketTo(Buffer.alloc(64), 0, garbage, 1, 2)).toBeLessThanOrEqual(garbage.length);
      }),
    );
  });
});
