import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp, type TransportAddress } from '../util/ip.js';
import { addressSize, decodeAddress, decodeXorAddress, encodeAddressTo } from './address.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// Transaction id of RFC 5769 §2.2 and §2.3.
const transactionId = hex('b7e7a701bc34d686fa87dfae');

function encode(address: TransportAddress, xorWith?: Buffer): Buffer {
  const out = Buffer.alloc(addressSize(address));
  expect(encodeAddressTo(out, 0, address, xorWith)).toBe(out.length);
  return out;
}

describe('XOR addresses (RFC 8489 §14.2)', () => {
  it('decodes the RFC 5769 §2.2 IPv4 value', () => {
    expect(decodeXorAddress(hex('0001 a147 e112a643'), transactionId)).toEqual({
      family: 4,
      address: '192.0.2.1',
      port: 32853,
    });
  });

  it('decodes the RFC 5769 §2.3 IPv6 value', () => {
    expect(decodeXorAddress(hex('0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9'), transactionId)).toEqual({
      family: 6,
      address: '2001:db8:1234:5678:11:2233:4455:6677',
      port: 32853,
    });
  });

  it('encodes the RFC 5769 values byte for byte', () => {
    expect(encode({ family: 4, address: '192.0.2.1', port: 32853 }, transactionId)).toEqual(
      hex('0001a147e112a643'),
    );
    expect(
      encode({ family: 6, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, transactionId),
    ).toEqual(hex('0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9'));
  });

  it('XORs IPv6 with the transaction id, so a different id gives a different address', () => {
    const value = hex('0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9');
    const otherId = Buffer.from(transactionId);
    otherId[11] ^= 0xff;
    expect(decodeXorAddress(value, otherId)?.address).toBe('2001:db8:1234:5678:11:2233:4455:6688');
    // IPv4 uses only the cookie.
    expect(decodeXorAddress(hex('0001a147e112a643'), otherId)?.address).toBe('192.0.2.1');
  });
});

describe('plain addresses (RFC 8489 §14.1)', () => {
  it('decodes and encodes MAPPED-ADDRESS', () => {
    const v4 = hex('0001 0050 c0000201');
    expect(decodeAddress(v4)).toEqual({ family: 4, address: '192.0.2.1', port: 80 });
    expect(encode({ family: 4, address: '192.0.2.1', port: 80 })).toEqual(v4);
    const v6 = hex('0002 ffff 20010db8 00000000 00000000 00000001');
    expect(decodeAddress(v6)).toEqual({ family: 6, address: '2001:db8::1', port: 65535 });
    expect(encode({ family: 6, address: '2001:DB8:0::1', port: 65535 })).toEqual(v6);
  });

  it('ignores the reserved first byte on receipt', () => {
    expect(decodeAddress(hex('ff01 0050 c0000201'))).toEqual({ family: 4, address: '192.0.2.1', port: 80 });
  });

  it('writes at an offset and leaves the rest of the buffer alone', () => {
    const out = Buffer.alloc(28, 0xaa);
    expect(encodeAddressTo(out, 4, { family: 4, address: '10.0.0.1', port: 1 })).toBe(8);
    expect(out.toString('hex')).toBe(`aaaaaaaa${'00010001'}0a000001${'aa'.repeat(16)}`);
  });

  it('keeps IPv4-mapped IPv6 addresses in the IPv6 family', () => {
    const encoded = encode({ family: 6, address: '::ffff:192.0.2.1', port: 3478 });
    expect(encoded.toString('hex')).toBe('00020d9600000000000000000000ffffc0000201');
    expect(decodeAddress(encoded)).toEqual({ family: 6, address: '::ffff:192.0.2.1', port: 3478 });
  });
});

describe('malformed values', () => {
  it.each([
    ['empty', ''],
    ['header only', '00010050'],
    ['family 0', '0000 0050 c0000201'],
    ['family 3', '0003 0050 c0000201'],
    ['IPv4 too short', '0001 0050 c00002'],
    ['IPv4 too long', '0001 0050 c0000201 00000000'],
    ['IPv6 too short', '0002 0050 c0000201'],
    ['IPv6 too long', '0002 0050 20010db8 00000000 00000000 00000001 00'],
  ])('%s is undefined in both forms', (_name, value) => {
    expect(decodeAddress(hex(value))).toBeUndefined();
    expect(decodeXorAddress(hex(value), transactionId)).toBeUndefined();
  });

  it('encoding refuses text that is not an address, a family that disagrees, and bad ports', () => {
    const out = Buffer.alloc(20);
    expect(() => encodeAddressTo(out, 0, { family: 4, address: 'example.org', port: 1 })).toThrow(TypeError);
    expect(() => encodeAddressTo(out, 0, { family: 4, address: '::1', port: 1 })).toThrow(TypeError);
    expect(() => encodeAddressTo(out, 0, { family: 6, address: '1.2.3.4', port: 1 })).toThrow(TypeError);
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      expect(() => encodeAddressTo(out, 0, { family: 4, address: '1.2.3.4', port }, transactionId)).toThrow(
        RangeError,
      );
      expect(() => encodeAddressTo(out, 0, { family: 4, address: '1.2.3.4', port })).toThrow(RangeError);
    }
  });

  it('addressSize is 8 for IPv4 and 20 for IPv6', () => {
    expect(addressSize({ family: 4, address: '1.2.3.4', port: 0 })).toBe(8);
    expect(addressSize({ family: 6, address: '::', port: 0 })).toBe(20);
  });
});

describe('round trip', () => {
  const address: fc.Arbitrary<TransportAddress> = fc.oneof(
    fc.record({
      family: fc.constant(4 as const),
      address: fc.ipV4(),
      port: fc.integer({ min: 0, max: 0xffff }),
    }),
    fc.record({
      family: fc.constant(6 as const),
      address: fc.ipV6().map((text) => canonicalIp(text)!),
      port: fc.integer({ min: 0, max: 0xffff }),
    }),
  );

  it('decodes what it encodes, in both forms, with any transaction id', () => {
    fc.assert(
      fc.property(address, fc.uint8Array({ minLength: 12, maxLength: 12 }), (a, id) => {
        const tid = Buffer.from(id);
        const plain = encode(a);
        const xored = encode(a, tid);
        expect(decodeAddress(plain)).toEqual(a);
        expect(decodeXorAddress(xored, tid)).toEqual(a);
        // The XOR form differs from the plain one in the port at least (0x2112 is never 0).
        expect(xored.readUInt16BE(2) ^ plain.readUInt16BE(2)).toBe(0x2112);
        expect(xored.subarray(0, 2)).toEqual(plain.subarray(0, 2));
      }),
      { numRuns: 500 },
    );
  });
});
