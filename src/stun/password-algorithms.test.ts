import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PasswordAlgorithm } from './constants.js';
import {
  decodePasswordAlgorithm,
  decodePasswordAlgorithms,
  encodePasswordAlgorithms,
} from './password-algorithms.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('PASSWORD-ALGORITHMS (RFC 8489 §14.11)', () => {
  it('encodes MD5 and SHA-256 without parameters', () => {
    expect(encodePasswordAlgorithms([PasswordAlgorithm.MD5, PasswordAlgorithm.SHA256])).toEqual(
      hex('0001 0000 0002 0000'),
    );
    expect(encodePasswordAlgorithms([])).toEqual(Buffer.alloc(0));
  });

  it('decodes entries in order', () => {
    const entries = decodePasswordAlgorithms(hex('0002 0000 0001 0000'));
    expect(entries?.map((e) => [e.algorithm, e.parameters.length])).toEqual([
      [PasswordAlgorithm.SHA256, 0],
      [PasswordAlgorithm.MD5, 0],
    ]);
    expect(decodePasswordAlgorithms(Buffer.alloc(0))).toEqual([]);
  });

  it('skips the padding after parameters and returns them as views', () => {
    const value = hex('00ff 0003 616263 00   0001 0000   00fe 0004 01020304');
    const entries = decodePasswordAlgorithms(value)!;
    expect(entries.map((e) => [e.algorithm, e.parameters.toString('hex')])).toEqual([
      [0x00ff, '616263'],
      [0x0001, ''],
      [0x00fe, '01020304'],
    ]);
    expect(entries[0].parameters.buffer).toBe(value.buffer);
  });

  it.each([
    ['a truncated entry header', '0001 00'],
    ['a second truncated header', '0001 0000 0002'],
    ['parameters past the end', '0001 0005 01020304'],
    ['a huge parameter length', '0001 ffff'],
  ])('refuses %s', (_name, value) => {
    expect(decodePasswordAlgorithms(hex(value))).toBeUndefined();
  });

  it('round-trips any list of algorithm numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }), (algorithms) => {
        const value = encodePasswordAlgorithms(algorithms);
        expect(value).toHaveLength(algorithms.length * 4);
        expect(decodePasswordAlgorithms(value)?.map((e) => e.algorithm)).toEqual(algorithms);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes, and what it returns stays inside the value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const value = Buffer.from(bytes);
        for (const entry of decodePasswordAlgorithms(value) ?? []) {
          expect(entry.parameters.byteOffset + entry.parameters.length).toBeLessThanOrEqual(
            value.byteOffset + value.length,
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('PASSWORD-ALGORITHM (RFC 8489 §14.12)', () => {
  it('is exactly one entry', () => {
    expect(decodePasswordAlgorithm(hex('0002 0000'))).toMatchObject({ algorithm: PasswordAlgorithm.SHA256 });
    expect(decodePasswordAlgorithm(hex('0001 0000'))).toMatchObject({ algorithm: PasswordAlgorithm.MD5 });
    expect(decodePasswordAlgorithm(Buffer.alloc(0))).toBeUndefined();
    expect(decodePasswordAlgorithm(hex('0001 0000 0002 0000'))).toBeUndefined();
    expect(decodePasswordAlgorithm(hex('0001 00'))).toBeUndefined();
  });
});
