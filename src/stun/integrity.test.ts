import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeIntegrity, INTEGRITY_SIZE, verifyIntegrity } from './integrity.js';

/** The bytes an HMAC covers, built by hand: message up to the attribute, length patched to end after it. */
function covered(message: Buffer, attributeOffset: number, valueLength: number): Buffer {
  const out = Buffer.from(message.subarray(0, attributeOffset));
  out.writeUInt16BE(attributeOffset - 20 + 4 + valueLength, 2);
  return out;
}

const message = fc
  .uint8Array({ minLength: 20, maxLength: 200 })
  .map((bytes) => Buffer.from(bytes.subarray(0, bytes.length & ~3)));

describe('computeIntegrity', () => {
  it('is HMAC-SHA1/SHA256 over the message with the length patched (RFC 8489 §14.5, §14.6)', () => {
    fc.assert(
      fc.property(message, fc.uint8Array({ maxLength: 64 }), fc.constantFrom(16, 20, 32), (m, k, size) => {
        const key = Buffer.from(k);
        const offset = m.length;
        expect(computeIntegrity('sha1', key, m, offset, 20)).toEqual(
          createHmac('sha1', key)
            .update(covered(m, offset, 20))
            .digest(),
        );
        expect(computeIntegrity('sha256', key, m, offset, size)).toEqual(
          createHmac('sha256', key)
            .update(covered(m, offset, size))
            .digest(),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('ignores what follows the attribute offset', () => {
    const key = Buffer.from('k');
    const m = Buffer.alloc(64, 1);
    const other = Buffer.from(m);
    other.fill(2, 40);
    expect(computeIntegrity('sha1', key, m, 40, 20)).toEqual(computeIntegrity('sha1', key, other, 40, 20));
    other[39] = 9;
    expect(computeIntegrity('sha1', key, m, 40, 20)).not.toEqual(
      computeIntegrity('sha1', key, other, 40, 20),
    );
  });

  it('writes full-size values', () => {
    expect(INTEGRITY_SIZE).toEqual({ sha1: 20, sha256: 32 });
  });
});

describe('verifyIntegrity', () => {
  const key = Buffer.from('key');
  const m = Buffer.alloc(48, 7);

  it('accepts SHA-1 values of exactly 20 bytes', () => {
    const value = computeIntegrity('sha1', key, m, 48, 20);
    expect(verifyIntegrity('sha1', key, m, 48, value)).toBe(true);
    expect(verifyIntegrity('sha1', key, m, 48, value.subarray(0, 16))).toBe(false);
    expect(verifyIntegrity('sha1', Buffer.from('other'), m, 48, value)).toBe(false);
  });

  it('accepts SHA-256 values truncated to 16..32 bytes in steps of 4, each computed for its own length', () => {
    for (let size = 0; size <= 36; size++) {
      const value = createHmac('sha256', key)
        .update(covered(m, 48, size))
        .digest()
        .subarray(0, Math.min(size, 32));
      const allowed = size >= 16 && size <= 32 && size % 4 === 0;
      expect(verifyIntegrity('sha256', key, m, 48, value), `size ${size}`).toBe(allowed);
    }
  });

  it('refuses a truncated SHA-256 value computed for the full length', () => {
    // The sender must patch the length for the truncated attribute; a cut full value does not verify.
    const full = computeIntegrity('sha256', key, m, 48, 32);
    expect(verifyIntegrity('sha256', key, m, 48, full)).toBe(true);
    expect(verifyIntegrity('sha256', key, m, 48, full.subarray(0, 16))).toBe(false);
  });

  it('refuses any single flipped bit', () => {
    const value = computeIntegrity('sha256', key, m, 48, 32);
    for (let bit = 0; bit < 256; bit += 7) {
      const damaged = Buffer.from(value);
      damaged[bit >> 3] ^= 1 << (bit & 7);
      expect(verifyIntegrity('sha256', key, m, 48, damaged)).toBe(false);
    }
  });
});
