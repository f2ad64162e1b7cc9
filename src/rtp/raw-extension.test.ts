/**
 * findRtpExtension against the full decoder: for any packet the encoder can
 * write, both find the same value; garbage never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ONE_BYTE_PROFILE, type RtpExtensionElement, TWO_BYTE_PROFILE } from './header-extension.js';
import { decodeRtpPacket, encodeRtpPacket, getRtpExtension } from './packet.js';
import { findRtpExtension } from './raw-extension.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Chrome-style Opus: audio-level (1), abs-send-time (2), transport-cc (3), one padding byte per RFC 8285. */
const chromeOpus = hex(`
  90 6f 1a 2b  00 01 e2 40  11 22 33 44
  be de 00 03  10 80 22 12 34 56 31 00 2a 00 00 00
  de ad be ef
`);

describe('findRtpExtension', () => {
  it('reads one-byte elements from a Chrome-style packet', () => {
    expect(Buffer.from(findRtpExtension(chromeOpus, 1) ?? [])).toEqual(hex('80'));
    expect(Buffer.from(findRtpExtension(chromeOpus, 2) ?? [])).toEqual(hex('123456'));
    expect(Buffer.from(findRtpExtension(chromeOpus, 3) ?? [])).toEqual(hex('002a'));
    expect(findRtpExtension(chromeOpus, 4)).toBeUndefined();
  });

  it('stops at ID 15 and at a block that overruns the packet', () => {
    const stop = hex('90 6f 00 01 00 00 00 01 00 00 00 01  be de 00 01 f0 10 80 00');
    expect(findRtpExtension(stop, 1)).toBeUndefined();
    const overrun = hex('90 6f 00 01 00 00 00 01 00 00 00 01  be de 00 05 10 80 00 00');
    expect(findRtpExtension(overrun, 1)).toBeUndefined();
    const noExtension = hex('80 6f 00 01 00 00 00 01 00 00 00 01 de ad');
    expect(findRtpExtension(noExtension, 1)).toBeUndefined();
  });

  const elements = (oneByte: boolean): fc.Arbitrary<RtpExtensionElement[]> =>
    fc.uniqueArray(
      fc.record({
        id: oneByte ? fc.integer({ min: 1, max: 14 }) : fc.integer({ min: 1, max: 255 }),
        value: oneByte ? fc.uint8Array({ minLength: 1, maxLength: 16 }) : fc.uint8Array({ maxLength: 40 }),
      }),
      { selector: (element) => element.id, maxLength: 8 },
    );

  it('agrees with the full decoder on every packet the encoder writes', () => {
    fc.assert(
      fc.property(
        fc.boolean().chain((oneByte) => fc.tuple(fc.constant(oneByte), elements(oneByte))),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 1, max: 255 }),
        ([oneByte, list], csrcs, payload, probe) => {
          const buf = encodeRtpPacket({
            version: 2,
            marker: false,
            payloadType: 96,
            sequenceNumber: 1,
            timestamp: 2,
            ssrc: 3,
            csrcs,
            extension: {
              profile: oneByte ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE,
              elements: list,
              data: new Uint8Array(),
            },
            payload,
            paddingLength: 0,
          });
          const decoded = decodeRtpPacket(buf);
          if (!decoded.ok) throw decoded.error;
          for (const id of [...list.map((element) => element.id), probe]) {
            const expected = getRtpExtension(decoded.value, id);
            const found = findRtpExtension(buf, id);
            expect(found === undefined ? undefined : Buffer.from(found)).toEqual(
              expected === undefined ? undefined : Buffer.from(expected),
            );
          }
        },
      ),
    );
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (bytes, id) => {
        if (bytes.length > 0) bytes[0] |= 0x10;
        findRtpExtension(bytes, id);
      }),
      { numRuns: 2000 },
    );
  });
});
