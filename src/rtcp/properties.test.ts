/**
 * Property tests for every RTCP codec: decode(encode(x)) = x, and garbage or
 * damaged packets never make a decoder throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGoodbye, encodeGoodbyeTo, type Goodbye, goodbyeSize } from './bye.js';
import { joinRtcpCompoundTo, rtcpCompoundSize, splitRtcpCompound } from './compound.js';
import type { RtcpResult } from './errors.js';
import {
  decodeFullIntraRequest,
  encodeFullIntraRequestTo,
  type FullIntraRequest,
  fullIntraRequestSize,
} from './fir.js';
import {
  decodeGenericNack,
  encodeGenericNackTo,
  type GenericNack,
  genericNackSize,
  nackPairsFromSequenceNumbers,
  nackSequenceNumbers,
} from './nack.js';
import { decodeRtcpCompound, decodeRtcpPacket } from './packet.js';
import {
  decodePictureLossIndication,
  encodePictureLossIndicationTo,
  type PictureLossIndication,
  PLI_SIZE,
} from './pli.js';
import {
  decodeReceiverReport,
  encodeReceiverReportTo,
  type ReceiverReport,
  receiverReportSize,
} from './receiver-report.js';
import {
  decodeReceiverEstimatedMaximumBitrate,
  encodeReceiverEstimatedMaximumBitrateTo,
  type ReceiverEstimatedMaximumBitrate,
  receiverEstimatedMaximumBitrateSize,
} from './remb.js';
import type { ReportBlock } from './report-block.js';
import {
  decodeSourceDescription,
  encodeSourceDescriptionTo,
  type SourceDescription,
  sourceDescriptionSize,
} from './sdes.js';
import {
  decodeSenderReport,
  encodeSenderReportTo,
  type SenderReport,
  senderReportSize,
} from './sender-report.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const words = (max: number) =>
  fc.integer({ min: 0, max }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 }));

const reportBlock: fc.Arbitrary<ReportBlock> = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  extendedHighestSequence: u32,
  jitter: u32,
  lastSenderReport: u32,
  delaySinceLastSenderReport: u32,
});

const senderReport: fc.Arbitrary<SenderReport> = fc.record({
  ssrc: u32,
  ntpTimestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  rtpTimestamp: u32,
  packetCount: u32,
  octetCount: u32,
  reports: fc.array(reportBlock, { maxLength: 31 }),
  profileExtension: words(4),
});

const receiverReport: fc.Arbitrary<ReceiverReport> = fc.record({
  ssrc: u32,
  reports: fc.array(reportBlock, { maxLength: 31 }),
  profileExtension: words(4),
});

const sourceDescription: fc.Arbitrary<SourceDescription> = fc.record({
  chunks: fc.array(
    fc.record({
      source: u32,
      items: fc.array(
        fc.record({ type: fc.integer({ min: 1, max: 255 }), value: fc.uint8Array({ maxLength: 255 }) }),
        { maxLength: 5 },
      ),
    }),
    { maxLength: 31 },
  ),
});

const goodbye: fc.Arbitrary<Goodbye> = fc.record({
  sources: fc.array(u32, { maxLength: 31 }),
  reason: fc.option(fc.uint8Array({ maxLength: 255 }), { nil: undefined }),
});

const genericNack: fc.Arbitrary<GenericNack> = fc.record({
  senderSsrc: u32,
  mediaSsrc: u32,
  pairs: fc.array(fc.record({ packetId: u16, lostBitmask: u16 }), { minLength: 1, maxLength: 40 }),
});

const pli: fc.Arbitrary<PictureLossIndication> = fc.record({ senderSsrc: u32, mediaSsrc: u32 });

const fir: fc.Arbitrary<FullIntraRequest> = fc.record({
  senderSsrc: u32,
  mediaSsrc: u32,
  entries: fc.array(fc.record({ ssrc: u32, sequenceNumber: fc.integer({ min: 0, max: 255 }) }), {
    minLength: 1,
    maxLength: 10,
  }),
});

const remb: fc.Arbitrary<ReceiverEstimatedMaximumBitrate> = fc.record({
  senderSsrc: u32,
  mediaSsrc: u32,
  bitrate: fc
    .tuple(fc.integer({ min: 0, max: 0x3ffff }), fc.integer({ min: 0, max: 40 }))
    .map(([mantissa, exponent]) => mantissa * 2 ** exponent),
  ssrcs: fc.array(u32, { maxLength: 20 }),
});

/** Typed arrays compared by content, whatever their class. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  return value;
}

interface Codec<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  size: (x: T) => number;
  encode: (buf: Uint8Array, offset: number, x: T) => number;
  decode: (buf: Uint8Array) => RtcpResult<T>;
}

function codec<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  size: (x: T) => number,
  encode: (buf: Uint8Array, offset: number, x: T) => number,
  decode: (buf: Uint8Array) => RtcpResult<T>,
): Codec<unknown> {
  return { name, arbitrary, size, encode, decode } as Codec<unknown>;
}

const codecs = [
  codec('SR', senderReport, senderReportSize, encodeSenderReportTo, decodeSenderReport),
  codec('RR', receiverReport, receiverReportSize, encodeReceiverReportTo, decodeReceiverReport),
  codec('SDES', sourceDescription, sourceDescriptionSize, encodeSourceDescriptionTo, decodeSourceDescription),
  codec('BYE', goodbye, goodbyeSize, encodeGoodbyeTo, decodeGoodbye),
  codec('NACK', genericNack, genericNackSize, encodeGenericNackTo, decodeGenericNack),
  codec('PLI', pli, () => PLI_SIZE, encodePictureLossIndicationTo, decodePictureLossIndication),
  codec('FIR', fir, fullIntraRequestSize, encodeFullIntraRequestTo, decodeFullIntraRequest),
  codec(
    'REMB',
    remb,
    receiverEstimatedMaximumBitrateSize,
    encodeReceiverEstimatedMaximumBitrateTo,
    decodeReceiverEstimatedMaximumBitrate,
  ),
];

function encodeNew(c: Codec<unknown>, x: unknown): Buffer {
  const out = Buffer.alloc(c.size(x));
  expect(c.encode(out, 0, x)).toBe(out.length);
  return out;
}

describe.each(codecs)('$name', (c) => {
  it('decode(encode(x)) = x, and the generic decoder agrees', () => {
    fc.assert(
      fc.property(c.arbitrary, (x) => {
        const bytes = encodeNew(c, x);
        const decoded = c.decode(bytes);
        if (!decoded.ok) throw decoded.error;
        expect(plain(decoded.value)).toEqual(plain(x));
        const generic = decodeRtcpPacket(bytes);
        if (!generic.ok) throw generic.error;
        expect(generic.value.kind).not.toBe('unknown');
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on garbage or on a damaged packet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        c.decode(bytes);
        decodeRtcpPacket(bytes);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        c.arbitrary,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (x, flips, cut) => {
          const bytes = encodeNew(c, x);
          for (const [index, value] of flips) bytes[index % bytes.length] = value;
          const damaged = bytes.subarray(0, bytes.length - (cut % 3 === 0 ? cut % (bytes.length + 1) : 0));
          const result = c.decode(damaged);
          if (!result.ok) expect(result.error.code).toMatch(/^ERR_RTCP_/);
          decodeRtcpCompound(damaged);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('compound', () => {
  const anyPacket = fc.oneof(...codecs.map((c) => c.arbitrary.map((x) => encodeNew(c, x))));

  it('split(join(packets)) gives the packets back', () => {
    fc.assert(
      fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 6 }), (packets) => {
        const out = Buffer.alloc(rtcpCompoundSize(packets));
        joinRtcpCompoundTo(out, 0, packets);
        const split = splitRtcpCompound(out);
        if (!split.ok) throw split.error;
        expect(split.value.map((p) => Buffer.from(p.bytes))).toEqual(packets);
        expect(decodeRtcpCompound(out).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = decodeRtcpCompound(bytes);
        if (!result.ok) expect(result.error.code).toMatch(/^ERR_RTCP_/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('NACK helpers', () => {
  it('expanding the pairs built from a list gives the list back', () => {
    fc.assert(
      fc.property(
        u16,
        fc.uniqueArray(fc.integer({ min: 0, max: 2000 }), { maxLength: 100 }),
        (base, offsets) => {
          const sequences = offsets.sort((a, b) => a - b).map((o) => (base + o) & 0xffff);
          expect(nackSequenceNumbers(nackPairsFromSequenceNumbers(sequences))).toEqual(sequences);
        },
      ),
    );
  });
});
