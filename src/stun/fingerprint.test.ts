import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { computeFingerprint, crc32Fallback, FINGERPRINT_XOR } from './fingerprint.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// RFC 5769 §2.2 sample IPv4 response; its FINGERPRINT attribute is at offset 72 with value c07d4c96.
const sampleIpv4Response = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 00 20 00 08
  00 01 a1 47 e1 12 a6 43 00 08 00 14 2b 91 f5 99 fd 9e 90 c3
  8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96`);

describe('CRC-32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['abc', 0x352441c2],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('%j has the well-known CRC-32 in the fallback and in zlib', (text, crc) => {
    expect(crc32Fallback(Buffer.from(text), 0)).toBe(crc);
    expect(zlib.crc32(Buffer.from(text))).toBe(crc);
  });

  it('the fallback agrees with zlib on arbitrary data and chained initial values', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (first, second, initial) => {
          expect(crc32Fallback(first, initial)).toBe(zlib.crc32(first, initial));
          // Feeding a previous result continues the same CRC, as computeFingerprint relies on.
          const whole = Buffer.concat([first, second]);
          expect(crc32Fallback(second, crc32Fallback(first, 0))).toBe(zlib.crc32(whole));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('computeFingerprint', () => {
  it('reproduces the RFC 5769 §2.2 FINGERPRINT', () => {
    expect(computeFingerprint(sampleIpv4Response, 72)).toBe(0xc07d4c96);
  });

  it('is CRC-32 of the message up to the attribute, XOR 0x5354554e, with the length counting it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 200 }),
        fc.integer({ min: 0, max: 0xffff }),
        (bytes, length) => {
          const message = Buffer.from(bytes.subarray(0, bytes.length & ~3));
          // Whatever the length field says now, the fingerprint is computed as if it covered the attribute.
          message.writeUInt16BE(length, 2);
          const expected = Buffer.from(message);
          expected.writeUInt16BE(message.length - 20 + 8, 2);
          expect(computeFingerprint(message, message.length)).toBe(
            (zlib.crc32(expected) ^ FINGERPRINT_XOR) >>> 0,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not modify the message', () => {
    const copy = Buffer.from(sampleIpv4Response);
    copy.writeUInt16BE(0, 2);
    const before = Buffer.from(copy);
    computeFingerprint(copy, 72);
    expect(copy).toEqual(before);
  });
});

describe('without zlib.crc32 (Node before 20.15)', () => {
  afterEach(() => {
    vi.doUnmock('node:zlib');
    vi.resetModules();
  });

  it('falls back to the table and computes the same fingerprints', async () => {
    vi.resetModules();
    vi.doMock('node:zlib', () => ({ crc32: undefined }));
    const fallback = await import('./fingerprint.js');
    expect(fallback.computeFingerprint(sampleIpv4Response, 72)).toBe(0xc07d4c96);
    const message = Buffer.alloc(64, 0x5a);
    expect(fallback.computeFingerprint(message, 64)).toBe(computeFingerprint(message, 64));
  });
});
