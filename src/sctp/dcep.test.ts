/**
 * DCEP messages (RFC 8832): a hand-built DATA_CHANNEL_OPEN from §5.1, round
 * trips of every kind of channel, refusals, and garbage that never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DataChannelOpen,
  decodeDataChannelOpen,
  encodeDataChannelAck,
  encodeDataChannelOpen,
  isDataChannelAck,
} from './dcep.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('DATA_CHANNEL_OPEN', () => {
  it('reads an unordered channel with at most 3 retransmissions, label "chat", protocol "json"', () => {
    // type 03, channel type 0x81 (unordered | max-retransmits), priority 256, parameter 3,
    // label length 4, protocol length 4, "chat", "json".
    const message = hex('03 81 0100 00000003 0004 0004 63686174 6a736f6e');
    const decoded = decodeDataChannelOpen(message);
    expect(decoded).toEqual({
      ok: true,
      value: {
        unordered: true,
        reliability: 'max-retransmits',
        reliabilityParameter: 3,
        priority: 256,
        label: 'chat',
        protocol: 'json',
      },
    });
    if (decoded.ok) expect(encodeDataChannelOpen(decoded.value)).toEqual(message);
  });

  it('refuses a wrong type, an unknown channel type, lengths that do not add up, and bad UTF-8', () => {
    const codes = [
      hex('02'),
      hex('02 00 0100 00000000 0000 0000'),
      hex('03 05 0100 00000000 0000 0000'),
      hex('03 00 0100 00000000 0005 0000 6162'),
      hex('03 00 0100 00000000 0002 0000 ff fe'),
    ].map((message) => {
      const result = decodeDataChannelOpen(message);
      return result.ok ? 'ok' : result.error.code;
    });
    expect(codes).toEqual([
      'ERR_SCTP_TOO_SHORT',
      'ERR_SCTP_WRONG_TYPE',
      'ERR_SCTP_BAD_FORMAT',
      'ERR_SCTP_BAD_LENGTH',
      'ERR_SCTP_BAD_FORMAT',
    ]);
  });

  it('round-trips every kind of channel, and garbage never throws', () => {
    const openArb: fc.Arbitrary<DataChannelOpen> = fc
      .record({
        unordered: fc.boolean(),
        reliability: fc.constantFrom(
          'reliable' as const,
          'max-retransmits' as const,
          'max-lifetime' as const,
        ),
        reliabilityParameter: fc.integer({ min: 0, max: 0xffffffff }),
        priority: fc.integer({ min: 0, max: 0xffff }),
        label: fc.string({ maxLength: 40, unit: 'grapheme' }),
        protocol: fc.string({ maxLength: 20, unit: 'grapheme' }),
      })
      .map((open) => (open.reliability === 'reliable' ? { ...open, reliabilityParameter: 0 } : open));
    fc.assert(
      fc.property(openArb, (open) => {
        expect(decodeDataChannelOpen(encodeDataChannelOpen(open))).toEqual({ ok: true, value: open });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        decodeDataChannelOpen(bytes);
        isDataChannelAck(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DATA_CHANNEL_ACK', () => {
  it('is the single byte 0x02', () => {
    expect(encodeDataChannelAck()).toEqual(hex('02'));
    expect(isDataChannelAck(hex('02'))).toBe(true);
    expect(isDataChannelAck(hex('0200'))).toBe(false);
    expect(isDataChannelAck(hex('03'))).toBe(false);
  });
});
