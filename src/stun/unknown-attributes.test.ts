import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUnknownAttributes, encodeUnknownAttributes } from './unknown-attributes.js';

describe('UNKNOWN-ATTRIBUTES (RFC 8489 §14.9)', () => {
  it('encodes and decodes 16-bit types in network order', () => {
    expect(encodeUnknownAttributes([0x0031, 0x8001, 0xffff]).toString('hex')).toBe('00318001ffff');
    expect(decodeUnknownAttributes(Buffer.from('00318001ffff', 'hex'))).toEqual([0x0031, 0x8001, 0xffff]);
    expect(encodeUnknownAttributes([])).toHaveLength(0);
    expect(decodeUnknownAttributes(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses an odd length', () => {
    expect(decodeUnknownAttributes(Buffer.from('003180', 'hex'))).toBeUndefined();
    expect(decodeUnknownAttributes(Buffer.from('00', 'hex'))).toBeUndefined();
  });

  it('round-trips any list', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }), (types) => {
        expect(decodeUnknownAttributes(encodeUnknownAttributes(types))).toEqual(types);
      }),
      { numRuns: 300 },
    );
  });
});
