/**
 * Outgoing RTP writer: a hand-checked vector, the two-byte fallback, RTX, and
 * a property test that the output always parses with src/rtp and carries
 * exactly the extensions the subscriber negotiated.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRtpPacket, encodeRtpPacket, getRtpExtension, type RtpPacket } from '../rtp/packet.js';
import { ForwardingError } from './forwarding-errors.js';
import {
  absSendTime,
  createOutgoingRtpParams,
  ExtensionMap,
  outgoingRtpSize,
  RtpExtensionKind,
  writeOutgoingRtp,
} from './outgoing-rtp.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decoded(buf: Uint8Array): RtpPacket {
  const result = decodeRtpPacket(buf);
  if (!result.ok) throw result.error;
  return result.value;
}

// Chrome-style Opus: audio-level id 1 (voice, -0x10 dBov), abs-send-time id 2, transport-cc id 3,
// plus mid id 4 "0", and 2 bytes of padding.
const incoming = hex(`
  b0 6f 1a 2b  00 01 e2 40  11 22 33 44
  be de 00 04  10 90 22 12 34 56 31 00 2a 40 30 00 00 00 00 00
  de ad be ef  00 02
`);

const producerExtmap = [
  { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
  { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
  { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
  { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
];

describe('writeOutgoingRtp', () => {
  it('rewrites the header and renumbers extensions for the subscriber', () => {
    const map = ExtensionMap.fromMappings(producerExtmap, [
      { id: 9, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
      { id: 10, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
      { id: 5, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
      { id: 6, uri: 'urn:example:unknown' },
    ]);
    const params = createOutgoingRtpParams();
    Object.assign(params, {
      payloadType: 100,
      marker: true,
      sequenceNumber: 0xabcd,
      timestamp: 0x01020304,
      ssrc: 0xcafebabe,
      mid: Buffer.from('a1'),
      transportSequenceNumber: 0x0102,
    });
    const out = Buffer.alloc(1500);
    const length = writeOutgoingRtp(out, 0, decoded(incoming), map, params);
    // Order: audio-level (id 10), mid (id 9), transport-cc (id 5); no abs-send-time (not negotiated).
    const expected = hex(`
      90 e4 ab cd  01 02 03 04  ca fe ba be
      be de 00 02  a0 90 91 61 31 51 01 02
      de ad be ef
    `);
    expect(out.subarray(0, length)).toEqual(expected);
    expect(outgoingRtpSize(decoded(incoming), map, params)).toBe(length);
  });

  it('writes abs-send-time from the clock and nothing when nothing is negotiated', () => {
    const params = createOutgoingRtpParams();
    params.absSendTime = absSendTime(1500);
    const map = new ExtensionMap();
    const out = Buffer.alloc(100);
    const plain = writeOutgoingRtp(out, 0, decoded(incoming), map, params);
    expect(plain).toBe(16);
    expect(out[0]).toBe(0x80);
    map.setOutgoing(RtpExtensionKind.AbsSendTime, 3);
    const length = writeOutgoingRtp(out, 0, decoded(incoming), map, params);
    const value = getRtpExtension(decoded(out.subarray(0, length)), 3)!;
    // 1.5 s in 6.18 fixed point = 0x060000.
    expect([...value]).toEqual([0x06, 0x00, 0x00]);
  });

  it('falls back to the two-byte form for an id above 14', () => {
    const map = ExtensionMap.fromMappings(producerExtmap, [
      { id: 20, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
    ]);
    const out = Buffer.alloc(100);
    const length = writeOutgoingRtp(out, 0, decoded(incoming), map, createOutgoingRtpParams());
    const packet = decoded(out.subarray(0, length));
    expect(packet.extension!.profile).toBe(0x1000);
    expect([...getRtpExtension(packet, 20)!]).toEqual([0x90]);
  });

  it('inserts the original sequence number for RTX', () => {
    const params = createOutgoingRtpParams();
    params.originalSequenceNumber = 0x1a2b;
    const out = Buffer.alloc(100);
    const length = writeOutgoingRtp(out, 0, decoded(incoming), new ExtensionMap(), params);
    expect([...decoded(out.subarray(0, length)).payload]).toEqual([0x1a, 0x2b, 0xde, 0xad, 0xbe, 0xef]);
  });

  it('throws a typed error when the buffer is too small', () => {
    const out = Buffer.alloc(15);
    expect(() =>
      writeOutgoingRtp(out, 0, decoded(incoming), new ExtensionMap(), createOutgoingRtpParams()),
    ).toThrow(ForwardingError);
  });

  it('rejects ids outside 1–255 when building the map', () => {
    expect(() => new ExtensionMap().setIncoming(0, RtpExtensionKind.Mid)).toThrow(ForwardingError);
    expect(() => new ExtensionMap().setOutgoing(RtpExtensionKind.Mid, 256)).toThrow(ForwardingError);
  });

  it('always produces a packet src/rtp parses, with the specified extensions', () => {
    const kinds = fc.constantFrom(1, 2, 3, 4, 5, 6, 7) as fc.Arbitrary<RtpExtensionKind>;
    const ids = fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 7, maxLength: 7 });
    fc.assert(
      fc.property(
        ids,
        ids,
        fc.array(fc.tuple(kinds, fc.uint8Array({ minLength: 1, maxLength: 16 })), { maxLength: 6 }),
        fc.subarray([1, 2, 3, 4, 5, 6, 7] as RtpExtensionKind[]),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 3 }),
        fc.uint8Array({ minLength: 0, maxLength: 20 }),
        fc.integer({ min: -1, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        (inIds, outIds, elements, negotiated, payload, csrcs, mid, twcc, paddingLength) => {
          // Incoming: kind k (1–7) uses id inIds[k-1]; the subscriber negotiated some kinds.
          const map = new ExtensionMap();
          for (let kind = 1; kind <= 7; kind++) map.setIncoming(inIds[kind - 1], kind as RtpExtensionKind);
          for (const kind of negotiated) map.setOutgoing(kind, outIds[kind - 1]);
          const unique = new Map<RtpExtensionKind, Uint8Array>();
          for (const [kind, value] of elements) if (!unique.has(kind)) unique.set(kind, value);
          const source: RtpPacket = {
            version: 2,
            marker: false,
            payloadType: 96,
            sequenceNumber: 1,
            timestamp: 2,
            ssrc: 3,
            csrcs,
            extension:
              unique.size === 0
                ? undefined
                : {
                    profile: 0x1000,
                    elements: [...unique].map(([kind, value]) => ({ id: inIds[kind - 1], value })),
                    data: new Uint8Array(0),
                  },
            payload,
            paddingLength: paddingLength === 0 ? 0 : paddingLength,
          };
          const params = createOutgoingRtpParams();
          Object.assign(params, {
            payloadType: 101,
            sequenceNumber: 77,
            timestamp: 88,
            ssrc: 99,
            mid,
            absSendTime: 0x123456,
            transportSequenceNumber: twcc,
          });
          const out = Buffer.alloc(2000);
          const length = writeOutgoingRtp(out, 3, decoded(encodeRtpPacket(source)), map, params);
          expect(length).toBe(outgoingRtpSize(decoded(encodeRtpPacket(source)), map, params));
          const result = decoded(out.subarray(3, 3 + length));
          expect(result.payloadType).toBe(101);
          expect(result.sequenceNumber).toBe(77);
          expect(result.ssrc).toBe(99);
          expect(result.csrcs).toEqual(csrcs);
          expect(result.paddingLength).toBe(0);
          expect(Buffer.from(result.payload)).toEqual(Buffer.from(payload));
          const expected = new Map<number, number[]>();
          for (const kind of negotiated) {
            const id = outIds[kind - 1];
            if (kind <= RtpExtensionKind.RepairedRtpStreamId) {
              const value = unique.get(kind);
              if (value) expected.set(id, [...value]);
            } else if (kind === RtpExtensionKind.Mid) {
              if (mid.length > 0) expected.set(id, [...mid]);
            } else if (kind === RtpExtensionKind.AbsSendTime) {
              expected.set(id, [0x12, 0x34, 0x56]);
            } else if (twcc >= 0) {
              expected.set(id, [twcc >>> 8, twcc & 0xff]);
            }
          }
          const actual = new Map((result.extension?.elements ?? []).map((e) => [e.id, [...e.value]]));
          expect(actual).toEqual(expected);
          if (result.extension) {
            const oneByte = [...expected].every(([id, v]) => id <= 14 && v.length >= 1 && v.length <= 16);
            expect(result.extension.profile).toBe(oneByte ? 0xbede : 0x1000);
          }
        },
      ),
    );
  });
});
