/**
 * Transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): hand-written
 * packets for each chunk kind, and the chunking choices of the encoder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRtcpPacket } from './packet.js';
import {
  decodeTransportCcFeedback,
  encodeTransportCcFeedbackTo,
  PacketStatus,
  type TransportCcFeedback,
  transportCcChunks,
  transportCcFeedbackSize,
  transportCcPacketResults,
} from './transport-cc.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decoded(buf: Uint8Array): TransportCcFeedback {
  const result = decodeTransportCcFeedback(buf);
  if (!result.ok) throw result.error;
  return result.value;
}

function encode(feedback: TransportCcFeedback): Buffer {
  const out = Buffer.alloc(transportCcFeedbackSize(feedback));
  expect(encodeTransportCcFeedbackTo(out, 0, feedback)).toBe(out.length);
  return out;
}

describe('transport-cc feedback', () => {
  it('reads and writes a two-bit status vector with a small and a negative delta', () => {
    const bytes = hex(`
      8f cd 00 06  00 00 00 01  11 22 33 44
      00 01 00 03  00 00 01 05
      d2 00  04  ff fc  00 00 00
    `);
    const feedback = decoded(bytes);
    expect(feedback).toEqual({
      senderSsrc: 1,
      mediaSsrc: 0x11223344,
      baseSequenceNumber: 1,
      referenceTime: 1,
      feedbackPacketCount: 5,
      statuses: [1, 0, 2],
      deltas: [4, -4],
    });
    expect(encode(feedback)).toEqual(bytes);
    expect(transportCcPacketResults(feedback)).toEqual([
      { sequenceNumber: 1, arrivalTimeMicroseconds: 64_000 + 1000 },
      { sequenceNumber: 2, arrivalTimeMicroseconds: undefined },
      { sequenceNumber: 3, arrivalTimeMicroseconds: 64_000 },
    ]);
    expect(decodeRtcpPacket(bytes)).toMatchObject({ ok: true, value: { kind: 'transport-cc' } });
  });

  it('reads and writes a run-length chunk', () => {
    const bytes = hex(`
      8f cd 00 0a  00 00 00 01  11 22 33 44
      01 00 00 14  ff ff ff 00
      20 14  ${'01'.repeat(20)}  00 00
    `);
    const feedback = decoded(bytes);
    expect(feedback.baseSequenceNumber).toBe(0x100);
    expect(feedback.referenceTime).toBe(-1);
    expect(feedback.statuses).toEqual(new Array(20).fill(PacketStatus.SmallDelta));
    expect(feedback.deltas).toEqual(new Array(20).fill(1));
    expect(encode(feedback)).toEqual(bytes);
  });

  it('reads a one-bit status vector that holds more symbols than the count needs', () => {
    const bytes = hex(`
      8f cd 00 06  00 00 00 01  11 22 33 44
      ff ff 00 04  00 00 00 00
      b4 00  0a 0b 0c  00 00 00
    `);
    const feedback = decoded(bytes);
    expect(feedback.statuses).toEqual([1, 1, 0, 1]);
    expect(feedback.deltas).toEqual([10, 11, 12]);
    expect(transportCcPacketResults(feedback).map((r) => r.sequenceNumber)).toEqual([65535, 0, 1, 2]);
    expect(encode(feedback).subarray(20, 22)).toEqual(hex('b4 00'));
  });

  it('returns typed errors for truncated chunks or deltas and reserved symbols', () => {
    const code = (text: string) => {
      const result = decodeTransportCcFeedback(hex(text));
      return result.ok ? 'ok' : result.error.code;
    };
    expect(code('8f cd 00 04 00 00 00 01 11 22 33 44 00 01 00 10 00 00 00 00')).toBe('ERR_RTCP_TOO_SHORT');
    expect(code('8f cd 00 05 00 00 00 01 11 22 33 44 00 01 00 03 00 00 00 00 20 03 00 00')).toBe(
      'ERR_RTCP_TOO_SHORT',
    );
    expect(code('8f cd 00 05 00 00 00 01 11 22 33 44 00 01 00 03 00 00 00 00 60 03 00 00')).toBe(
      'ERR_RTCP_BAD_FORMAT',
    );
    expect(code('8f cd 00 03 00 00 00 01 11 22 33 44 00 01 00 03')).toBe('ERR_RTCP_TOO_SHORT');
  });

  it('refuses deltas that do not match the statuses', () => {
    const base = {
      senderSsrc: 1,
      mediaSsrc: 2,
      baseSequenceNumber: 0,
      referenceTime: 0,
      feedbackPacketCount: 0,
    };
    const out = Buffer.alloc(64);
    expect(() => encodeTransportCcFeedbackTo(out, 0, { ...base, statuses: [1], deltas: [] })).toThrow();
    expect(() => encodeTransportCcFeedbackTo(out, 0, { ...base, statuses: [1], deltas: [256] })).toThrow();
    expect(() => encodeTransportCcFeedbackTo(out, 0, { ...base, statuses: [3], deltas: [0] })).toThrow();
    expect(() => encodeTransportCcFeedbackTo(out, 0, { ...base, statuses: [0], deltas: [1] })).toThrow();
  });

  it('chooses run-length, one-bit and two-bit chunks', () => {
    expect(transportCcChunks(new Array(7).fill(0))).toEqual([0x0007]);
    expect(transportCcChunks([1, 0, 1, 0])).toEqual([0x8000 | (1 << 13) | (1 << 11)]);
    expect(transportCcChunks([2, 1])).toEqual([0xc000 | (2 << 12) | (1 << 10)]);
  });
});

const statusArb = fc.array(
  fc.oneof(
    fc.constantFrom(0, 1, 2),
    fc.tuple(fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 40 })).map(([s, n]) => new Array(n).fill(s)),
  ),
  { maxLength: 40 },
);

const feedbackArb: fc.Arbitrary<TransportCcFeedback> = fc
  .tuple(
    statusArb.map((parts) => parts.flat() as number[]),
    fc.infiniteStream(fc.integer({ min: -0x8000, max: 0x7fff })),
  )
  .map(([statuses, stream]) => {
    const deltas: number[] = [];
    for (const status of statuses) {
      const raw = stream.next().value as number;
      if (status === 1) deltas.push(Math.abs(raw) & 0xff);
      else if (status === 2) deltas.push(raw);
    }
    return { statuses, deltas };
  })
  .chain(({ statuses, deltas }) =>
    fc.record({
      senderSsrc: fc.integer({ min: 0, max: 0xffffffff }),
      mediaSsrc: fc.integer({ min: 0, max: 0xffffffff }),
      baseSequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      referenceTime: fc.integer({ min: -0x800000, max: 0x7fffff }),
      feedbackPacketCount: fc.integer({ min: 0, max: 255 }),
      statuses: fc.constant(statuses),
      deltas: fc.constant(deltas),
    }),
  );

describe('transport-cc properties', () => {
  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(feedbackArb, (feedback) => {
        expect(decoded(encode(feedback))).toEqual(feedback);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage or damage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        decodeTransportCcFeedback(Buffer.concat([hex('8f cd'), bytes]));
        decodeTransportCcFeedback(bytes);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        feedbackArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (feedback, flips) => {
          const bytes = encode(feedback);
          for (const [index, value] of flips) bytes[index % bytes.length] = value;
          const result = decodeTransportCcFeedback(bytes);
          if (!result.ok) expect(result.error.code).toMatch(/^ERR_RTCP_/);
        },
      ),
      { numRuns: 500 },
    );
  });
});
