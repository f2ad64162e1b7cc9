/**
 * RTCP codecs against hand-written packets (RFC 3550 §6.4–6.6, RFC 4585,
 * RFC 5104, draft-alvestrand-rmcat-remb), shaped like what Chrome sends.
 * Expected bytes are written out from the RFC diagrams, not produced by the
 * encoders under test; each vector is decoded, then re-encoded byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { decodeGoodbye, encodeGoodbyeTo, goodbyeSize } from './bye.js';
import type { RtcpResult } from './errors.js';
import { decodeFullIntraRequest, encodeFullIntraRequestTo, fullIntraRequestSize } from './fir.js';
import {
  decodeGenericNack,
  encodeGenericNackTo,
  genericNackSize,
  nackPairsFromSequenceNumbers,
  nackSequenceNumbers,
} from './nack.js';
import { decodePictureLossIndication, encodePictureLossIndicationTo, PLI_SIZE } from './pli.js';
import { decodeReceiverReport, encodeReceiverReportTo, receiverReportSize } from './receiver-report.js';
import {
  decodeReceiverEstimatedMaximumBitrate,
  encodeReceiverEstimatedMaximumBitrateTo,
  receiverEstimatedMaximumBitrateSize,
  rembExponentMantissa,
} from './remb.js';
import {
  decodeSourceDescription,
  encodeSourceDescriptionTo,
  sdesCname,
  sourceDescriptionSize,
} from './sdes.js';
import { decodeSenderReport, encodeSenderReportTo, senderReportSize } from './sender-report.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function value<T>(result: RtcpResult<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

function encoded<T>(size: number, encode: (buf: Uint8Array, offset: number, x: T) => number, x: T): Buffer {
  const out = Buffer.alloc(size + 8, 0xee);
  expect(encode(out, 4, x)).toBe(size);
  expect(out[3]).toBe(0xee);
  expect(out[4 + size]).toBe(0xee);
  return out.subarray(4, 4 + size);
}

const senderReportBytes = hex(`
  81 c8 00 0c  00 00 04 d2
  e3 4f 5b 2a  80 00 00 00  00 01 5f 90  00 00 00 64  00 00 27 10
  00 00 16 2e  40 ff ff fe  00 01 00 05  00 00 00 20  5b 2a 80 00  00 01 00 00
`);

describe('sender report', () => {
  it('reads and writes an SR with one report block', () => {
    const sr = value(decodeSenderReport(senderReportBytes));
    expect(sr).toMatchObject({
      ssrc: 1234,
      ntpTimestamp: 0xe34f5b2a80000000n,
      rtpTimestamp: 90000,
      packetCount: 100,
      octetCount: 10000,
    });
    expect(sr.reports).toEqual([
      {
        ssrc: 5678,
        fractionLost: 0x40,
        cumulativeLost: -2,
        extendedHighestSequence: 0x10005,
        jitter: 32,
        lastSenderReport: 0x5b2a8000,
        delaySinceLastSenderReport: 0x10000,
      },
    ]);
    expect(sr.profileExtension.length).toBe(0);
    expect(encoded(senderReportSize(sr), encodeSenderReportTo, sr)).toEqual(senderReportBytes);
  });

  it('rejects a report count that overruns the packet and the wrong type', () => {
    const bad = Buffer.from(senderReportBytes);
    bad[0] = 0x82;
    expect(decodeSenderReport(bad)).toMatchObject({ ok: false, error: { code: 'ERR_RTCP_TOO_SHORT' } });
    expect(decodeSenderReport(hex('80 c9 00 01 00 00 00 01'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_WRONG_TYPE' },
    });
  });
});

describe('receiver report', () => {
  it("reads and writes Chrome's empty RR and one with a block and an extension", () => {
    const empty = hex('80 c9 00 01 11 22 33 44');
    const rr = value(decodeReceiverReport(empty));
    expect(rr).toMatchObject({ ssrc: 0x11223344, reports: [] });
    expect(rr.profileExtension.length).toBe(0);
    expect(encoded(receiverReportSize(rr), encodeReceiverReportTo, rr)).toEqual(empty);

    const full = hex(`
      81 c9 00 08  11 22 33 44
      00 00 16 2e  00 00 00 00  00 00 ff ff  00 00 00 00  00 00 00 00  00 00 00 00
      ca fe ba be
    `);
    const withBlock = value(decodeReceiverReport(full));
    expect(withBlock.reports[0].extendedHighestSequence).toBe(0xffff);
    expect(Buffer.from(withBlock.profileExtension)).toEqual(hex('cafebabe'));
    expect(encoded(receiverReportSize(withBlock), encodeReceiverReportTo, withBlock)).toEqual(full);
  });

  it('strips padding and rejects a bad padding count', () => {
    const padded = value(decodeReceiverReport(hex('a0 c9 00 02 11 22 33 44 00 00 00 04')));
    expect(padded.profileExtension.length).toBe(0);
    expect(decodeReceiverReport(hex('a0 c9 00 02 11 22 33 44 00 00 00 00'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_BAD_PADDING' },
    });
    expect(decodeReceiverReport(hex('a0 c9 00 01 11 22 33 09'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_BAD_PADDING' },
    });
  });
});

describe('source description', () => {
  const sdes = hex(`81 ca 00 06 11 22 33 44 01 10 ${Buffer.from('4TOk42mSjXCkVIa6').toString('hex')} 00 00`);

  it("reads and writes Chrome's CNAME-only SDES", () => {
    const description = value(decodeSourceDescription(sdes));
    expect(description.chunks.length).toBe(1);
    expect(description.chunks[0].source).toBe(0x11223344);
    expect(sdesCname(description.chunks[0])).toBe('4TOk42mSjXCkVIa6');
    expect(encoded(sourceDescriptionSize(description), encodeSourceDescriptionTo, description)).toEqual(sdes);
  });

  it('keeps every item of several chunks, including an empty chunk', () => {
    const bytes = hex(`
      82 ca 00 05
      00 00 00 01  01 01 61 06  02 74 6f 00
      00 00 00 02  00 00 00 00
    `);
    const description = value(decodeSourceDescription(bytes));
    expect(
      description.chunks.map((c) => [
        c.source,
        c.items.map((i) => [i.type, Buffer.from(i.value).toString()]),
      ]),
    ).toEqual([
      [
        1,
        [
          [1, 'a'],
          [6, 'to'],
        ],
      ],
      [2, []],
    ]);
    expect(sdesCname(description.chunks[1])).toBeUndefined();
    expect(encoded(sourceDescriptionSize(description), encodeSourceDescriptionTo, description)).toEqual(
      bytes,
    );
  });

  it('rejects a chunk without its end item or with an overrunning item', () => {
    expect(decodeSourceDescription(hex('81 ca 00 02 00 00 00 01 01 02 61 62'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_BAD_FORMAT' },
    });
    expect(decodeSourceDescription(hex('81 ca 00 02 00 00 00 01 01 09 61 00'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_TOO_SHORT' },
    });
  });
});

describe('goodbye', () => {
  it('reads and writes a BYE with a reason, and one without', () => {
    const bytes = hex(`81 cb 00 03 11 22 33 44 07 ${Buffer.from('goodbye').toString('hex')}`);
    const bye = value(decodeGoodbye(bytes));
    expect(bye.sources).toEqual([0x11223344]);
    expect(Buffer.from(bye.reason ?? []).toString()).toBe('goodbye');
    expect(encoded(goodbyeSize(bye), encodeGoodbyeTo, bye)).toEqual(bytes);
    const plain = hex('82 cb 00 02 00 00 00 01 00 00 00 02');
    expect(value(decodeGoodbye(plain))).toEqual({ sources: [1, 2], reason: undefined });
    expect(decodeGoodbye(hex('81 cb 00 02 00 00 00 01 09 61 62 63'))).toMatchObject({ ok: false });
  });
});

describe('generic NACK', () => {
  const bytes = hex('81 cd 00 03 00 00 00 01 11 22 33 44 00 64 00 05');

  it('reads PID and BLP and expands them', () => {
    const nack = value(decodeGenericNack(bytes));
    expect(nack).toEqual({
      senderSsrc: 1,
      mediaSsrc: 0x11223344,
      pairs: [{ packetId: 100, lostBitmask: 5 }],
    });
    expect(nackSequenceNumbers(nack.pairs)).toEqual([100, 101, 103]);
    expect(encoded(genericNackSize(nack), encodeGenericNackTo, nack)).toEqual(bytes);
  });

  it('builds pairs from a list, across the wrap', () => {
    expect(nackPairsFromSequenceNumbers([100, 101, 103])).toEqual([{ packetId: 100, lostBitmask: 5 }]);
    expect(nackPairsFromSequenceNumbers([65534, 0, 14, 17])).toEqual([
      { packetId: 65534, lostBitmask: 0b10 | (1 << 15) },
      { packetId: 17, lostBitmask: 0 },
    ]);
    expect(nackPairsFromSequenceNumbers([])).toEqual([]);
  });

  it('rejects an empty or ragged FCI', () => {
    expect(decodeGenericNack(hex('81 cd 00 02 00 00 00 01 11 22 33 44'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_BAD_FORMAT' },
    });
    expect(decodeGenericNack(hex('8f cd 00 03 00 00 00 01 11 22 33 44 00 64 00 05'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_WRONG_TYPE' },
    });
  });
});

describe('PLI and FIR', () => {
  it('reads and writes a PLI', () => {
    const bytes = hex('81 ce 00 02 00 00 00 01 11 22 33 44');
    const pli = value(decodePictureLossIndication(bytes));
    expect(pli).toEqual({ senderSsrc: 1, mediaSsrc: 0x11223344 });
    expect(encoded(PLI_SIZE, encodePictureLossIndicationTo, pli)).toEqual(bytes);
    expect(decodePictureLossIndication(hex('81 ce 00 01 00 00 00 01'))).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_TOO_SHORT' },
    });
  });

  it('reads and writes a FIR', () => {
    const bytes = hex('84 ce 00 04 00 00 00 01 00 00 00 00 11 22 33 44 07 00 00 00');
    const fir = value(decodeFullIntraRequest(bytes));
    expect(fir).toEqual({ senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 0x11223344, sequenceNumber: 7 }] });
    expect(encoded(fullIntraRequestSize(fir), encodeFullIntraRequestTo, fir)).toEqual(bytes);
  });
});

describe('REMB', () => {
  const bytes = hex('8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 0b d0 90 11 22 33 44');

  it('reads and writes 1 Mbit/s as mantissa 250000, exponent 2', () => {
    const remb = value(decodeReceiverEstimatedMaximumBitrate(bytes));
    expect(remb).toEqual({ senderSsrc: 1, mediaSsrc: 0, bitrate: 1_000_000, ssrcs: [0x11223344] });
    expect(rembExponentMantissa(1_000_000)).toEqual({ exponent: 2, mantissa: 250000 });
    expect(
      encoded(receiverEstimatedMaximumBitrateSize(remb), encodeReceiverEstimatedMaximumBitrateTo, remb),
    ).toEqual(bytes);
  });

  it('rejects other application feedback and an overrunning SSRC count', () => {
    const other = Buffer.from(bytes);
    other[12] = 0x41;
    expect(decodeReceiverEstimatedMaximumBitrate(other)).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_BAD_FORMAT' },
    });
    const overrun = Buffer.from(bytes);
    overrun[16] = 2;
    expect(decodeReceiverEstimatedMaximumBitrate(overrun)).toMatchObject({
      ok: false,
      error: { code: 'ERR_RTCP_TOO_SHORT' },
    });
  });

  it('rounds down and refuses what cannot be encoded', () => {
    expect(rembExponentMantissa(262143)).toEqual({ exponent: 0, mantissa: 262143 });
    expect(rembExponentMantissa(262145)).toEqual({ exponent: 1, mantissa: 131072 });
    expect(() => rembExponentMantissa(-1)).toThrow();
    expect(() => rembExponentMantissa(Number.NaN)).toThrow();
  });
});
