import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derImplicit,
  derInteger,
  derLength,
  derNamedBits,
  derNull,
  derObjectIdentifier,
  derOctetString,
  derSequence,
  derSetOf,
  derTlv,
  derUtcTime,
  derUtf8String,
} from './der.js';
import { UtilError } from './errors.js';

function hex(buffer: Uint8Array): string {
  return Buffer.from(buffer).toString('hex');
}

function bytes(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function expectInvalid(encode: () => unknown): void {
  try {
    encode();
  } catch (error) {
    expect(error).toBeInstanceOf(UtilError);
    expect((error as UtilError).code).toBe('ERR_DER_INVALID_VALUE');
    return;
  }
  expect.fail('expected ERR_DER_INVALID_VALUE');
}

/** Reads a definite length back, independently of the encoder, to check it round-trips. */
function readLength(encoded: Uint8Array): { length: number; size: number } {
  if (encoded[0] < 0x80) return { length: encoded[0], size: 1 };
  const count = encoded[0] & 0x7f;
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + encoded[i];
  return { length, size: 1 + count };
}

describe('derLength', () => {
  it('uses the short form below 128 and the shortest long form from 128 on (X.690 §8.1.3, §10.1)', () => {
    expect(hex(derLength(0))).toBe('00');
    expect(hex(derLength(127))).toBe('7f');
    expect(hex(derLength(128))).toBe('8180');
    expect(hex(derLength(255))).toBe('81ff');
    expect(hex(derLength(256))).toBe('820100');
    expect(hex(derLength(65_535))).toBe('82ffff');
    expect(hex(derLength(65_536))).toBe('83010000');
  });

  it('round-trips any length with no leading zero byte in the long form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (length) => {
        const encoded = derLength(length);
        const read = readLength(encoded);
        expect(read).toEqual({ length, size: encoded.length });
        if (encoded.length > 1) {
          expect(encoded[1]).not.toBe(0);
          expect(length).toBeGreaterThanOrEqual(128);
        }
      }),
    );
  });

  it('refuses negative and fractional lengths', () => {
    expectInvalid(() => derLength(-1));
    expectInvalid(() => derLength(1.5));
  });
});

describe('derTlv and constructed types', () => {
  it('puts a long-form length in front of contents of 128 bytes or more', () => {
    const contents = Buffer.alloc(200, 0xab);
    const encoded = derOctetString(contents);
    expect(hex(encoded.subarray(0, 3))).toBe('0481c8');
    expect(encoded.subarray(3)).toEqual(contents);
    expect(hex(derSequence(Buffer.alloc(300)).subarray(0, 4))).toBe('3082012c');
  });

  it('nests SEQUENCE in order and sorts SET OF by encoding (X.690 §11.6)', () => {
    expect(hex(derSequence(derInteger(2), derInteger(1)))).toBe('3006020102020101');
    expect(hex(derSetOf(derInteger(2), derInteger(1)))).toBe('3106020101020102');
    expect(hex(derSequence())).toBe('3000');
  });

  it('refuses tags that would need the multi-byte form', () => {
    expectInvalid(() => derTlv(0x1f, Buffer.alloc(0)));
    expectInvalid(() => derExplicit(31, Buffer.alloc(0)));
  });

  it('writes context-specific explicit (constructed) and implicit (primitive) tags', () => {
    expect(hex(derExplicit(0, derInteger(2)))).toBe('a003020102');
    expect(hex(derExplicit(3, derSequence()))).toBe('a3023000');
    expect(hex(derImplicit(7, bytes('7f000001')))).toBe('87047f000001');
  });
});

describe('derInteger', () => {
  it('encodes non-negative numbers in the fewest octets, padding when the top bit is set', () => {
    expect(hex(derInteger(0))).toBe('020100');
    expect(hex(derInteger(2))).toBe('020102');
    expect(hex(derInteger(127))).toBe('02017f');
    expect(hex(derInteger(128))).toBe('02020080');
    expect(hex(derInteger(256))).toBe('02020100');
    expect(hex(derInteger(65_535))).toBe('020300ffff');
  });

  it('strips redundant leading zeros from magnitude bytes and keeps the value positive', () => {
    expect(hex(derInteger(bytes('000000')))).toBe('020100');
    expect(hex(derInteger(bytes('00007f')))).toBe('02017f');
    expect(hex(derInteger(bytes('0080')))).toBe('02020080');
    expect(hex(derInteger(bytes('ff01')))).toBe('020300ff01');
    expect(hex(derInteger(Buffer.alloc(0)))).toBe('020100');
  });

  it('agrees with BigInt for any magnitude', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (magnitude) => {
        const encoded = derInteger(magnitude);
        const { length, size } = readLength(encoded.subarray(1));
        const contents = encoded.subarray(1 + size);
        expect(contents.length).toBe(length);
        // Minimal: never a leading 0x00 followed by a byte that would already read as positive.
        if (contents.length > 1) expect(contents[0] === 0 && contents[1] < 0x80).toBe(false);
        expect(contents[0] & 0x80).toBe(0);
        const expected = BigInt(`0x${hex(magnitude) || '0'}`);
        expect(BigInt(`0x${hex(contents)}`)).toBe(expected);
      }),
    );
  });

  it('refuses negative and unsafe numbers', () => {
    expectInvalid(() => derInteger(-1));
    expectInvalid(() => derInteger(2 ** 53));
  });
});

describe('derObjectIdentifier', () => {
  it('encodes id-ecPublicKey 1.2.840.10045.2.1 as 06 07 2a 86 48 ce 3d 02 01', () => {
    expect(hex(derObjectIdentifier('1.2.840.10045.2.1'))).toBe('06072a8648ce3d0201');
  });

  it('encodes the other identifiers a certificate uses', () => {
    expect(hex(derObjectIdentifier('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(derObjectIdentifier('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(hex(derObjectIdentifier('2.5.4.3'))).toBe('0603550403');
    expect(hex(derObjectIdentifier('2.5.29.17'))).toBe('0603551d11');
  });

  it('combines the first two arcs, allowing a second arc above 39 only under 2 (X.690 §8.19.4)', () => {
    // The X.690 §8.19.5 example: {2 100 3} encodes as 81 34 03.
    expect(hex(derObjectIdentifier('2.100.3'))).toBe('0603813403');
    // 40 × 2 + 999 = 1079 = 8 × 128 + 55.
    expect(hex(derObjectIdentifier('2.999.3'))).toBe('0603883703');
    expect(hex(derObjectIdentifier('0.0'))).toBe('060100');
    expectInvalid(() => derObjectIdentifier('1.40'));
    expectInvalid(() => derObjectIdentifier('3.1'));
  });

  it('refuses malformed text', () => {
    for (const text of ['', '1', '1.', '.1.2', '1..2', '1.2.a', '1.2.-3'])
      expectInvalid(() => derObjectIdentifier(text));
  });
});

describe('bit strings', () => {
  it('prefixes whole-byte content with a zero unused-bit count', () => {
    expect(hex(derBitString(bytes('0a0b')))).toBe('0303000a0b');
    expect(hex(derBitString(Buffer.alloc(0)))).toBe('030100');
    expectInvalid(() => derBitString(Buffer.alloc(1), 8));
    expectInvalid(() => derBitString(Buffer.alloc(0), 1));
  });

  it('drops trailing zero bits of a named bit list (X.690 §11.2.2)', () => {
    // keyUsage digitalSignature: 03 02 07 80, the encoding every CA issues.
    expect(hex(derNamedBits([0]))).toBe('03020780');
    // digitalSignature + keyEncipherment: 03 02 05 a0.
    expect(hex(derNamedBits([0, 2]))).toBe('030205a0');
    // keyCertSign + cRLSign (5, 6): 03 02 01 06.
    expect(hex(derNamedBits([5, 6]))).toBe('03020106');
    // decipherOnly (8) spills into a second byte.
    expect(hex(derNamedBits([8]))).toBe('0303070080');
    expect(hex(derNamedBits([]))).toBe('030100');
  });
});

describe('simple types', () => {
  it('encodes BOOLEAN TRUE as ff, NULL, UTF8String and OCTET STRING', () => {
    expect(hex(derBoolean(true))).toBe('0101ff');
    expect(hex(derBoolean(false))).toBe('010100');
    expect(hex(derNull())).toBe('0500');
    expect(hex(derUtf8String('localhost'))).toBe(`0c09${Buffer.from('localhost').toString('hex')}`);
    expect(hex(derUtf8String('é'))).toBe('0c02c3a9');
    expect(hex(derOctetString(bytes('0102')))).toBe('04020102');
  });
});

describe('times', () => {
  it('encodes UTCTime with a two-digit year in 1950..2049, whole seconds, Z', () => {
    expect(derUtcTime(new Date('2049-12-31T23:59:59.999Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(derUtcTime(new Date('1950-01-01T00:00:00Z')).toString('latin1')).toBe('\x17\x0d500101000000Z');
    expect(derUtcTime(new Date('2024-03-05T07:08:09Z')).toString('latin1')).toBe('\x17\x0d240305070809Z');
    expectInvalid(() => derUtcTime(new Date('2050-01-01T00:00:00Z')));
    expectInvalid(() => derUtcTime(new Date('1949-12-31T23:59:59Z')));
    expectInvalid(() => derUtcTime(new Date(Number.NaN)));
  });

  it('encodes GeneralizedTime with a four-digit year and no fractional seconds', () => {
    expect(derGeneralizedTime(new Date('2050-01-01T00:00:00.500Z')).toString('latin1')).toBe(
      '\x18\x0f20500101000000Z',
    );
    expect(derGeneralizedTime(new Date('9999-12-31T23:59:59Z')).toString('latin1')).toBe(
      '\x18\x0f99991231235959Z',
    );
    expect(derGeneralizedTime(new Date('0800-06-01T12:00:00Z')).toString('latin1')).toBe(
      '\x18\x0f08000601120000Z',
    );
    expectInvalid(() => derGeneralizedTime(new Date('+010000-01-01T00:00:00Z')));
  });
});
