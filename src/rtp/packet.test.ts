/**
 * RTP packet codec (RFC 3550 §5.1, RFC 8285): hand-written vectors, round
 * trips and garbage. Expected bytes are written out from the RFC diagrams, not
 * produced by the encoder under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ONE_BYTE_PROFILE, type RtpExtensionElement, TWO_BYTE_PROFILE } from './header-extension.js';
import {
  decodeRtpPacket,
  encodeRtpPacket,
  encodeRtpPacketTo,
  getRtpExtension,
  type RtpPacket,
  removeRtpExtension,
  rtpPacketSize,
  setRtpExtension,
} from './packet.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decoded(buf: Uint8Array): RtpPacket {
  const result = decodeRtpPacket(buf);
  if (!result.ok) throw result.error;
  return result.value;
}

/** An Opus packet shaped like Chrome's: audio-level (id 1), abs-send-time (id 2), transport-cc (id 3). */
const chromeOpus = hex(`
  90 6f 1a 2b  00 01 e2 40  11 22 33 44
  be de 00 03  10 80 22 12 34 56 31 00 2a 00 00 00
  de ad be ef
`);

describe('decodeRtpPacket', () => {
  it('reads a Chrome-style Opus packet with one-byte extensions', () => {
    const packet = decoded(chromeOpus);
    expect(packet.version).toBe(2);
    expect(packet.marker).toBe(false);
    expect(packet.payloadType).toBe(111);
    expect(packet.sequenceNumber).toBe(0x1a2b);
    expect(packet.timestamp).toBe(123456);
    expect(packet.ssrc).toBe(0x11223344);
    expect(packet.csrcs).toEqual([]);
    expect(packet.extension?.profile).toBe(ONE_BYTE_PROFILE);
    expect(Buffer.from(getRtpExtension(packet, 1) ?? [])).toEqual(hex('80'));
    expect(Buffer.from(getRtpExtension(packet, 2) ?? [])).toEqual(hex('123456'));
    expect(Buffer.from(getRtpExtension(packet, 3) ?? [])).toEqual(hex('002a'));
    expect(getRtpExtension(packet, 4)).toBeUndefined();
    expect(Buffer.from(packet.payload)).toEqual(hex('deadbeef'));
    expect(packet.paddingLength).toBe(0);
  });

  it('returns views into the datagram, not copies', () => {
    const buf = Buffer.from(chromeOpus);
    const packet = decoded(buf);
    buf[buf.length - 1] = 0x00;
    expect(packet.payload[3]).toBe(0x00);
  });

  it('reads marker, CSRCs, two-byte extensions and padding', () => {
    const buf = hex(`
      b2 e0 ff ff  ff ff ff ff  00 00 00 01
      00 00 00 0a  00 00 00 0b
      10 05 00 02  01 00 20 03 aa bb cc 00
      55 66  00 00 03
    `);
    const packet = decoded(buf);
    expect(packet.marker).toBe(true);
    expect(packet.payloadType).toBe(96);
    expect(packet.sequenceNumber).toBe(0xffff);
    expect(packet.timestamp).toBe(0xffffffff);
    expect(packet.csrcs).toEqual([10, 11]);
    expect(packet.extension?.profile).toBe(0x1005);
    expect(packet.extension?.elements.map((e) => [e.id, Buffer.from(e.value).toString('hex')])).toEqual([
      [1, ''],
      [32, 'aabbcc'],
    ]);
    expect(Buffer.from(packet.payload)).toEqual(hex('5566'));
    expect(packet.paddingLength).toBe(3);
  });

  it('stops one-byte parsing at ID 15 and keeps a foreign profile as raw data', () => {
    const stop = decoded(hex('90 00 00 01 00 00 00 00 00 00 00 00 be de 00 01 10 01 f0 22'));
    expect(stop.extension?.elements.map((e) => e.id)).toEqual([1]);
    const foreign = decoded(hex('90 00 00 01 00 00 00 00 00 00 00 00 ab cd 00 01 01 02 03 04'));
    expect(foreign.extension?.elements).toEqual([]);
    expect(Buffer.from(foreign.extension?.data ?? [])).toEqual(hex('01020304'));
  });

  it('returns typed errors for malformed packets', () => {
    const code = (text: string) => {
      const result = decodeRtpPacket(hex(text));
      return result.ok ? 'ok' : result.error.code;
    };
    expect(code('80 00 00 01 00 00 00 00 00 00 00')).toBe('ERR_RTP_TOO_SHORT');
    expect(code('40 00 00 01 00 00 00 00 00 00 00 00')).toBe('ERR_RTP_BAD_VERSION');
    expect(code('81 00 00 01 00 00 00 00 00 00 00 00')).toBe('ERR_RTP_TOO_SHORT');
    expect(code('90 00 00 01 00 00 00 00 00 00 00 00 be de')).toBe('ERR_RTP_TOO_SHORT');
    expect(code('90 00 00 01 00 00 00 00 00 00 00 00 be de 00 02 10 01 00 00')).toBe('ERR_RTP_BAD_EXTENSION');
    expect(code('90 00 00 01 00 00 00 00 00 00 00 00 be de 00 01 13 01 00 00')).toBe('ERR_RTP_BAD_EXTENSION');
    expect(code('90 00 00 01 00 00 00 00 00 00 00 00 10 00 00 01 00 00 00 07')).toBe('ERR_RTP_BAD_EXTENSION');
    expect(code('a0 00 00 01 00 00 00 00 00 00 00 00 aa 00')).toBe('ERR_RTP_BAD_PADDING');
    expect(code('a0 00 00 01 00 00 00 00 00 00 00 00 aa 03')).toBe('ERR_RTP_BAD_PADDING');
    expect(code('a0 00 00 01 00 00 00 00 00 00 00 00')).toBe('ERR_RTP_BAD_PADDING');
  });
});

describe('encodeRtpPacketTo', () => {
  it('writes the Chrome-style packet byte for byte', () => {
    const packet: RtpPacket = {
      version: 2,
      marker: false,
      payloadType: 111,
      sequenceNumber: 0x1a2b,
      timestamp: 123456,
      ssrc: 0x11223344,
      csrcs: [],
      extension: undefined,
      payload: hex('deadbeef'),
      paddingLength: 0,
    };
    setRtpExtension(packet, 1, hex('80'));
    setRtpExtension(packet, 2, hex('123456'));
    setRtpExtension(packet, 3, hex('002a'));
    expect(encodeRtpPacket(packet)).toEqual(chromeOpus);
  });

  it('writes at an offset into a caller buffer and reports the size', () => {
    const packet = decoded(chromeOpus);
    const out = Buffer.alloc(rtpPacketSize(packet) + 10, 0xee);
    expect(encodeRtpPacketTo(out, 5, packet)).toBe(chromeOpus.length);
    expect(out.subarray(5, 5 + chromeOpus.length)).toEqual(chromeOpus);
    expect(out[4]).toBe(0xee);
    expect(out[5 + chromeOpus.length]).toBe(0xee);
    expect(() => encodeRtpPacketTo(Buffer.alloc(10), 0, packet)).toThrow(/do not fit/);
  });

  it('writes padding with its count in the last byte', () => {
    const packet = decoded(hex('80 00 00 01 00 00 00 02 00 00 00 03 aa'));
    packet.paddingLength = 4;
    expect(encodeRtpPacket(packet)).toEqual(hex('a0 00 00 01 00 00 00 02 00 00 00 03 aa 00 00 00 04'));
  });
});

describe('setRtpExtension', () => {
  it('replaces an element, switches to two-byte form when needed and removes', () => {
    const packet = decoded(chromeOpus);
    setRtpExtension(packet, 2, hex('abcdef'));
    expect(Buffer.from(getRtpExtension(packet, 2) ?? [])).toEqual(hex('abcdef'));
    expect(packet.extension?.profile).toBe(ONE_BYTE_PROFILE);
    setRtpExtension(packet, 20, hex('01'));
    expect(packet.extension?.profile).toBe(TWO_BYTE_PROFILE);
    const again = decoded(encodeRtpPacket(packet));
    expect(Buffer.from(getRtpExtension(again, 20) ?? [])).toEqual(hex('01'));
    expect(Buffer.from(getRtpExtension(again, 3) ?? [])).toEqual(hex('002a'));
    expect(removeRtpExtension(packet, 20)).toBe(true);
    expect(removeRtpExtension(packet, 20)).toBe(false);
    expect(() => setRtpExtension(packet, 0, hex('01'))).toThrow();
    expect(() => setRtpExtension(packet, 256, hex('01'))).toThrow();
  });
});

const elementsArb = (oneByte: boolean): fc.Arbitrary<RtpExtensionElement[]> =>
  fc.uniqueArray(
    fc.record({
      id: oneByte ? fc.integer({ min: 1, max: 14 }) : fc.integer({ min: 1, max: 255 }),
      value: oneByte ? fc.uint8Array({ minLength: 1, maxLength: 16 }) : fc.uint8Array({ maxLength: 40 }),
    }),
    { selector: (e) => e.id, maxLength: 6 },
  );

const extensionArb = fc.oneof(
  fc.constant(undefined),
  elementsArb(true).map((elements) => ({ profile: ONE_BYTE_PROFILE, elements, data: new Uint8Array(0) })),
  fc
    .tuple(fc.integer({ min: 0, max: 15 }), elementsArb(false))
    .map(([appBits, elements]) => ({ profile: 0x1000 | appBits, elements, data: new Uint8Array(0) })),
  fc.tuple(fc.integer({ min: 0, max: 0x0fff }), fc.integer({ min: 0, max: 5 })).chain(([profile, words]) =>
    fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }).map((data) => ({
      profile: 0x2000 | profile,
      elements: [] as RtpExtensionElement[],
      data,
    })),
  ),
);

const packetArb: fc.Arbitrary<RtpPacket> = fc.record({
  version: fc.constant(2),
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  extension: extensionArb,
  payload: fc.uint8Array({ maxLength: 300 }),
  paddingLength: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
});

/** Comparable form: typed arrays as hex, raw extension data only where it is what gets encoded. */
function normalize(packet: RtpPacket) {
  const extension = packet.extension;
  return {
    ...packet,
    payload: Buffer.from(packet.payload).toString('hex'),
    extension: extension && {
      profile: extension.profile,
      elements: extension.elements.map((e) => [e.id, Buffer.from(e.value).toString('hex')]),
      data:
        extension.elements.length === 0
          ? Buffer.from(extension.data)
              .toString('hex')
              .replace(/(00)+$/, '')
          : '',
    },
  };
}

describe('properties', () => {
  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        const bytes = encodeRtpPacket(packet);
        expect(bytes.length).toBe(rtpPacketSize(packet));
        expect(normalize(decoded(bytes))).toEqual(normalize(packet));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodeRtpPacket(bytes);
        decodeRtpPacket(Buffer.concat([hex('90'), bytes]));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on a mutated or truncated valid packet', () => {
    fc.assert(
      fc.property(
        packetArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (packet, flips, cut) => {
          const bytes = encodeRtpPacket(packet);
          for (const [index, value] of flips) bytes[index % bytes.length] = value;
          const result = decodeRtpPacket(bytes.subarray(0, bytes.length - (cut % (bytes.length + 1))));
          if (!result.ok) expect(result.error.code).toMatch(/^ERR_RTP_/);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
