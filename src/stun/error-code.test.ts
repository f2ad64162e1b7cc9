import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, errorReasons } from './constants.js';
import { decodeErrorCode, encodeErrorCode } from './error-code.js';

describe('encodeErrorCode', () => {
  it('splits the code into class and number (RFC 8489 §14.8)', () => {
    expect(encodeErrorCode(401, 'x').toString('hex')).toBe('0000040178');
    expect(encodeErrorCode(300, '').toString('hex')).toBe('00000300');
    expect(encodeErrorCode(699, '').toString('hex')).toBe('00000663');
    expect(encodeErrorCode(508, '').toString('hex')).toBe('00000508');
  });

  it.each([299, 700, 0, -400, 400.5, Number.NaN, 1000])('refuses %d', (code) => {
    expect(() => encodeErrorCode(code)).toThrow(RangeError);
  });

  it('uses the RFC reason phrase when none is given', () => {
    const reason = (code: number) => decodeErrorCode(encodeErrorCode(code))?.reason;
    expect(reason(ErrorCode.TryAlternate)).toBe('Try Alternate');
    expect(reason(ErrorCode.BadRequest)).toBe('Bad Request');
    expect(reason(ErrorCode.Unauthorized)).toBe('Unauthenticated');
    expect(reason(ErrorCode.UnknownAttribute)).toBe('Unknown Attribute');
    expect(reason(ErrorCode.StaleNonce)).toBe('Stale Nonce');
    expect(reason(ErrorCode.AllocationMismatch)).toBe('Allocation Mismatch');
    expect(reason(ErrorCode.RoleConflict)).toBe('Role Conflict');
    expect(reason(ErrorCode.InsufficientCapacity)).toBe('Insufficient Capacity');
    // Every code of the table has a phrase of its own.
    for (const code of Object.values(ErrorCode)) expect(reason(code)).toBe(errorReasons.get(code));
    // Codes without one get a generic phrase.
    expect(reason(599)).toBe('Error');
  });

  it('keeps an explicit reason, even an empty one', () => {
    expect(decodeErrorCode(encodeErrorCode(438, 'Nonce expired'))).toEqual({
      code: 438,
      reason: 'Nonce expired',
    });
    expect(decodeErrorCode(encodeErrorCode(438, ''))).toEqual({ code: 438, reason: '' });
  });

  it('cuts an over-long reason to 127 whole characters (RFC 8489 §14.8)', () => {
    const ascii = decodeErrorCode(encodeErrorCode(400, 'a'.repeat(1000)))!;
    expect(ascii.reason).toBe('a'.repeat(127));
    // Four-byte characters: a byte cut would leave a broken sequence (U+FFFD) at the end.
    const emoji = '😀'.repeat(300);
    const encoded = encodeErrorCode(400, emoji);
    expect(encoded.length).toBe(4 + 127 * 4);
    expect(decodeErrorCode(encoded)!.reason).toBe('😀'.repeat(127));
    const mixed = `é${'😀'.repeat(200)}`;
    expect(Array.from(decodeErrorCode(encodeErrorCode(400, mixed))!.reason)).toHaveLength(127);
    expect(decodeErrorCode(encodeErrorCode(400, mixed))!.reason).not.toContain('\ufffd');
  });
});

describe('decodeErrorCode', () => {
  it('decodes class and number, ignoring the reserved bits', () => {
    expect(decodeErrorCode(Buffer.from('00000401', 'hex'))).toEqual({ code: 401, reason: '' });
    expect(decodeErrorCode(Buffer.from('fffffc264f4b', 'hex'))).toEqual({ code: 438, reason: 'OK' });
  });

  it.each([
    ['too short', '000004'],
    ['class 2', '00000263'],
    ['class 7', '00000700'],
    ['class 0', '00000000'],
    ['number 100', '00000464'],
    ['number 255', '000004ff'],
  ])('refuses %s', (_name, value) => {
    expect(decodeErrorCode(Buffer.from(value, 'hex'))).toBeUndefined();
  });

  it('accepts reasons up to 763 bytes and refuses longer ones', () => {
    const header = Buffer.from('00000400', 'hex');
    expect(decodeErrorCode(Buffer.concat([header, Buffer.alloc(763, 0x61)]))?.reason).toHaveLength(763);
    expect(decodeErrorCode(Buffer.concat([header, Buffer.alloc(764, 0x61)]))).toBeUndefined();
  });

  it('round-trips every code 300..699 with any reason', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 699 }),
        // RFC 8489 §14.8 allows fewer than 128 characters; longer reasons are cut (tested above).
        fc.string({ unit: 'grapheme', maxLength: 60 }).filter((reason) => Array.from(reason).length < 128),
        (code, reason) => {
          const value = encodeErrorCode(code, reason);
          expect(value.readUInt16BE(0)).toBe(0);
          expect(decodeErrorCode(value)).toEqual({ code, reason });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 800 }), (bytes) => {
        const decoded = decodeErrorCode(Buffer.from(bytes));
        if (decoded) {
          expect(decoded.code).toBeGreaterThanOrEqual(300);
          expect(decoded.code).toBeLessThanOrEqual(699);
        }
      }),
      { numRuns: 500 },
    );
  });
});
