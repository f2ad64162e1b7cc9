/** CRC32c against the test vectors of RFC 3720 Appendix B.4. */
import { describe, expect, it } from 'vitest';
import { CRC32C_INITIAL, crc32c, crc32cFinal, crc32cUpdate } from './crc32c.js';

function hex(text: string): Uint8Array {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

describe('crc32c (RFC 3720 B.4)', () => {
  // The RFC prints the CRC bytes as they appear on the wire, least significant first.
  const vectors: Array<[string, Uint8Array, string]> = [
    ['32 bytes of zeroes', new Uint8Array(32), 'aa36918a'],
    ['32 bytes of ones', new Uint8Array(32).fill(0xff), '43aba862'],
    ['32 bytes incrementing', Uint8Array.from({ length: 32 }, (_, i) => i), '4e79dd46'],
    ['32 bytes decrementing', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), '5cdb3f11'],
    [
      'an iSCSI read PDU',
      hex(`01c00000 00000000 00000000 00000000 14000000 00000400 00000014 00000018
           28000000 00000000 02000000 00000000`),
      '563a96d9',
    ],
  ];
  for (const [name, input, wire] of vectors) {
    it(name, () => {
      const value = crc32c(input);
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32LE(value);
      expect(bytes.toString('hex')).toBe(wire);
    });
  }

  it('gives the same value fed in pieces', () => {
    const input = Uint8Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff);
    let register = crc32cUpdate(CRC32C_INITIAL, input, 0, 33);
    register = crc32cUpdate(register, input, 33, 100);
    expect(crc32cFinal(register)).toBe(crc32c(input));
  });

  it('agrees with the bitwise definition at every length, offset and split', () => {
    // The polynomial applied one bit at a time: no tables to get wrong.
    const bitwise = (bytes: Uint8Array): number => {
      let c = 0xffffffff;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const input = Uint8Array.from({ length: 80 }, (_, i) => (i * 151 + 89) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= input.length; end++) {
        const expected = bitwise(input.subarray(start, end));
        expect(crc32c(input, start, end)).toBe(expected);
        const split = start + ((end - start) >> 1);
        const register = crc32cUpdate(crc32cUpdate(CRC32C_INITIAL, input, start, split), input, split, end);
        expect(crc32cFinal(register)).toBe(expected);
      }
    }
  });

  it('is 0xe3069283 for "123456789", the Castagnoli check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});
