/**
 * ChannelData codec (RFC 8656 §12.4, §12.5): round trips, padding, malformed
 * datagrams and the RFC 7983 first-byte demultiplexing rule. Expected bytes are
 * written out by hand rather than produced by the encoder under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_DATA_HEADER_SIZE,
  channelDataSize,
  decodeChannelData,
  encodeChannelData,
  encodeChannelDataTo,
  isChannelData,
  isValidChannel,
  MAX_CHANNEL,
  MIN_CHANNEL,
} from './channel-data.js';

const channelArb = fc.integer({ min: MIN_CHANNEL, max: MAX_CHANNEL });
const dataArb = fc.uint8Array({ minLength: 0, maxLength: 1500 });

describe('channel numbers', () => {
  it('accepts 0x4000 through 0x7fff (RFC 5766, which coturn clients use) and nothing around them', () => {
    expect(MIN_CHANNEL).toBe(0x4000);
    expect(MAX_CHANNEL).toBe(0x4fff);
    expect(isValidChannel(0x4000)).toBe(true);
    expect(isValidChannel(0x4fff)).toBe(true);
    expect(isValidChannel(0x3fff)).toBe(false);
    expect(isValidChannel(0x5000)).toBe(true);
    expect(isValidChannel(0x7fff)).toBe(true);
    expect(isValidChannel(0x8000)).toBe(false);
    expect(isValidChannel(0)).toBe(false);
    expect(isValidChannel(0xffff)).toBe(false);
  });
});

describe('encodeChannelData', () => {
  it('writes channel, length and data in network order', () => {
    const out = encodeChannelData(0x4001, Buffer.from([0xaa, 0xbb, 0xcc]));
    expect(out.toString('hex')).toBe('40010003aabbcc');
  });

  it('pads to a multiple of 4 with zero bytes for stream transports, length field unpadded', () => {
    const out = encodeChannelData(0x4abc, Buffer.from([1, 2, 3, 4, 5]), true);
    expect(out.toString('hex')).toBe('4abc0005' + '0102030405000000');
    expect(encodeChannelData(0x4000, Buffer.alloc(0), true).toString('hex')).toBe('40000000');
    expect(encodeChannelData(0x4000, Buffer.from([9, 9, 9, 9]), true)).toHaveLength(8);
  });

  it('channelDataSize rounds up only when padded', () => {
    expect(channelDataSize(0, false)).toBe(4);
    expect(channelDataSize(1, false)).toBe(5);
    expect(channelDataSize(1, true)).toBe(8);
    expect(channelDataSize(4, true)).toBe(8);
    expect(channelDataSize(5, true)).toBe(12);
    expect(channelDataSize(1500, true)).toBe(1504);
  });

  it('encodeChannelDataTo writes at the offset, zeroes the padding and leaves the rest alone', () => {
    const buf = Buffer.alloc(16, 0xee);
    const written = encodeChannelDataTo(buf, 2, 0x4002, Buffer.from([7]), true);
    expect(written).toBe(8);
    expect(buf.toString('hex')).toBe(['eeee', '40020001', '07000000', 'eeeeeeeeeeee'].join(''));
  });
});

describe('decodeChannelData', () => {
  it('round-trips any channel and 0–1500 bytes of data, padded or not', () => {
    fc.assert(
      fc.property(channelArb, dataArb, fc.boolean(), (channel, data, padded) => {
        const encoded = encodeChannelData(channel, data, padded);
        expect(encoded.length).toBe(channelDataSize(data.length, padded));
        if (padded) expect(encoded.length % 4).toBe(0);
        else expect(encoded.length).toBe(CHANNEL_DATA_HEADER_SIZE + data.length);
        const decoded = decodeChannelData(encoded);
        expect(decoded).toBeDefined();
        expect(decoded!.channel).toBe(channel);
        expect(Buffer.from(decoded!.data).equals(Buffer.from(data))).toBe(true);
      }),
    );
  });

  it('returns a view into the datagram, not a copy', () => {
    const datagram = Buffer.from('40000002abcd', 'hex');
    const decoded = decodeChannelData(datagram)!;
    expect(decoded.data.buffer).toBe(datagram.buffer);
    datagram[4] = 0x11;
    expect(decoded.data[0]).toBe(0x11);
  });

  it('never throws on arbitrary bytes, and what it accepts is consistent with the header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const decoded = decodeChannelData(buf);
        if (decoded === undefined) return;
        expect(buf.length).toBeGreaterThanOrEqual(4);
        expect(decoded.channel).toBe(buf.readUInt16BE(0));
        expect(isValidChannel(decoded.channel)).toBe(true);
        expect(decoded.data.length).toBe(buf.readUInt16BE(2));
      }),
    );
  });

  it('never throws on arbitrary bytes that start like ChannelData', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0x40, max: 0x7f }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        (first, rest) => {
          const buf = Buffer.concat([Buffer.from([first]), rest]);
          const decoded = decodeChannelData(buf);
          const fits = buf.length >= 4 && 4 + buf.readUInt16BE(2) <= buf.length;
          expect(decoded !== undefined).toBe(fits);
        },
      ),
    );
  });

  it('refuses datagrams shorter than the header', () => {
    expect(decodeChannelData(Buffer.alloc(0))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('4000', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('400000', 'hex'))).toBeUndefined();
  });

  it('accepts an empty message', () => {
    const decoded = decodeChannelData(Buffer.from('40000000', 'hex'));
    expect(decoded).toEqual({ channel: 0x4000, data: Buffer.alloc(0) });
  });

  it('refuses a length that claims more than the datagram holds', () => {
    expect(decodeChannelData(Buffer.from('40000004aabbcc', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('40000001', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from(`4000ffff${'00'.repeat(100)}`, 'hex'))).toBeUndefined();
    // One byte less than claimed is still refused; exactly as claimed is accepted.
    expect(decodeChannelData(Buffer.from('40000003aabb', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('40000003aabbcc', 'hex'))).toBeDefined();
  });

  it('refuses channel numbers outside 0x4000–0x7fff', () => {
    expect(decodeChannelData(Buffer.from('3fff0001aa', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('80000001aa', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('7fff0001aa', 'hex'))?.channel).toBe(0x7fff);
    expect(decodeChannelData(Buffer.from('ffff0001aa', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('00010001aa', 'hex'))).toBeUndefined();
    expect(decodeChannelData(Buffer.from('4fff0001aa', 'hex'))?.channel).toBe(0x4fff);
  });

  it('takes only the length field worth of data from a UDP datagram with trailing padding', () => {
    // 5 data bytes padded to 12 as a TCP-style sender would, then received as one datagram.
    const datagram = Buffer.from('4123' + '0005' + '0102030405' + '000000', 'hex');
    const decoded = decodeChannelData(datagram)!;
    expect(decoded.channel).toBe(0x4123);
    expect(decoded.data.toString('hex')).toBe('0102030405');
    // Non-zero junk after the data is ignored too.
    const junk = Buffer.from('41230002' + 'abcd' + 'ffffffffff', 'hex');
    expect(decodeChannelData(junk)!.data.toString('hex')).toBe('abcd');
  });
});

describe('isChannelData', () => {
  it('goes by the first byte: 0x40–0x7f only', () => {
    expect(isChannelData(Buffer.from('3f000000', 'hex'))).toBe(false);
    expect(isChannelData(Buffer.from('40000000', 'hex'))).toBe(true);
    expect(isChannelData(Buffer.from('4f000000', 'hex'))).toBe(true);
    expect(isChannelData(Buffer.from('50000000', 'hex'))).toBe(true);
    expect(isChannelData(Buffer.from('7f000000', 'hex'))).toBe(true);
    // A STUN message starts with 0b00; DTLS with 20–63; RTP with 128–191.
    expect(isChannelData(Buffer.from('00010000', 'hex'))).toBe(false);
    expect(isChannelData(Buffer.from('16fefd00', 'hex'))).toBe(false);
    expect(isChannelData(Buffer.from('80000000', 'hex'))).toBe(false);
  });

  it('needs a whole header', () => {
    expect(isChannelData(Buffer.from('400000', 'hex'))).toBe(false);
    expect(isChannelData(Buffer.alloc(0))).toBe(false);
  });

  it('agrees with the channel range for every first byte', () => {
    for (let first = 0; first < 256; first++) {
      const buf = Buffer.from([first, 0, 0, 0]);
      expect(isChannelData(buf)).toBe(isValidChannel(first << 8));
    }
  });
});
