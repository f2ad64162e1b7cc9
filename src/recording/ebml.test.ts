/**
 * EBML variable-size integers and elements (RFC 8794 §4–§7): the examples
 * of §4.4, the length boundaries, the reserved all-ones value, round trips
 * and garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEbmlElementHeader,
  decodeUint,
  decodeVint,
  EBML_UNKNOWN_SIZE,
  ebmlFloat,
  ebmlIdSize,
  ebmlMaster,
  ebmlString,
  ebmlUint,
  ebmlUnknownSizeHeader,
  ebmlVoid,
  encodeEbmlElementHeaderTo,
  encodeVintTo,
  uintSize,
  vintSize,
} from './ebml.js';
import { RecordingError } from './errors.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('variable-size integers', () => {
  it('encodes the value 2 in every length as RFC 8794 §4.4 shows', () => {
    const expected = ['82', '4002', '200002', '10000002'];
    expected.forEach((text, index) => {
      const out = new Uint8Array(index + 1);
      expect(encodeVintTo(out, 0, 2, index + 1)).toBe(index + 1);
      expect(hex(out)).toBe(text);
      expect(decodeVint(out, 0)).toEqual({ value: 2, length: index + 1 });
    });
  });

  it('moves to the next length at 2^(7n) - 1, which is reserved for unknown size', () => {
    expect(vintSize(0)).toBe(1);
    expect(vintSize(126)).toBe(1);
    expect(vintSize(127)).toBe(2);
    expect(vintSize(16_382)).toBe(2);
    expect(vintSize(16_383)).toBe(3);
    expect(vintSize(2 ** 49 - 2)).toBe(7);
    expect(vintSize(2 ** 49 - 1)).toBe(8);
    expect(vintSize(Number.MAX_SAFE_INTEGER)).toBe(8);
  });

  it('decodes all value bits set as unknown size, in any length', () => {
    expect(decodeVint(Uint8Array.of(0xff), 0)).toEqual({ value: EBML_UNKNOWN_SIZE, length: 1 });
    expect(decodeVint(Uint8Array.of(0x7f, 0xff), 0)).toEqual({ value: EBML_UNKNOWN_SIZE, length: 2 });
    expect(decodeVint(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0)).toEqual({
      value: EBML_UNKNOWN_SIZE,
      length: 8,
    });
  });

  it('refuses values that do not fit the requested length', () => {
    expect(() => encodeVintTo(new Uint8Array(1), 0, 127, 1)).toThrow(RecordingError);
    expect(() => encodeVintTo(new Uint8Array(9), 0, 1, 9)).toThrow(RecordingError);
    expect(() => vintSize(-1)).toThrow(RecordingError);
    expect(() => vintSize(1.5)).toThrow(RecordingError);
  });

  it('returns undefined for a zero first byte and for truncation', () => {
    expect(decodeVint(Uint8Array.of(0x00, 0x01), 0)).toBeUndefined();
    expect(decodeVint(Uint8Array.of(0x40), 0)).toBeUndefined();
    expect(decodeVint(new Uint8Array(0), 0)).toBeUndefined();
    expect(decodeVint(Uint8Array.of(0x81), 1)).toBeUndefined();
  });

  it('round-trips any size in any length that holds it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 7 }),
        (value, extra) => {
          const length = Math.min(8, vintSize(value) + extra);
          const out = new Uint8Array(length + 2);
          expect(encodeVintTo(out, 1, value, length)).toBe(1 + length);
          expect(decodeVint(out, 1)).toEqual({ value, length });
        },
      ),
    );
  });
});

describe('elements', () => {
  it('sizes IDs by their magnitude, marker bits included', () => {
    expect(ebmlIdSize(0xa3)).toBe(1);
    expect(ebmlIdSize(0x4286)).toBe(2);
    expect(ebmlIdSize(0x2ad7b1)).toBe(3);
    expect(ebmlIdSize(0x1a45dfa3)).toBe(4);
  });

  it('writes unsigned integers in the shortest form, or padded when asked', () => {
    expect(hex(ebmlUint(0x4286, 1))).toBe('428681' + '01');
    expect(hex(ebmlUint(0xe7, 0))).toBe('e78100');
    expect(hex(ebmlUint(0x2ad7b1, 1_000_000))).toBe('2ad7b1830f4240');
    expect(hex(ebmlUint(0x53ac, 300, 8))).toBe('53ac88000000000000012c');
    expect(uintSize(2 ** 32)).toBe(5);
    expect(decodeUint(Uint8Array.of(0, 0, 1, 0, 0), 0, 5)).toBe(65_536);
    expect(() => ebmlUint(0x53ac, 300, 1)).toThrow(RecordingError);
  });

  it('writes binary64 floats and strings', () => {
    expect(hex(ebmlFloat(0x4489, 1.5))).toBe('4489883ff8000000000000');
    expect(hex(ebmlString(0x4282, 'webm'))).toBe('42828477656' + '26d');
  });

  it('nests masters with exact sizes that the header decoder reads back', () => {
    const inner = ebmlUint(0xd7, 1);
    const outer = ebmlMaster(0xae, [inner, ebmlString(0x86, 'V_VP8')]);
    const header = decodeEbmlElementHeader(outer, 0)!;
    expect(header).toEqual({ id: 0xae, size: outer.length - 2, headerLength: 2 });
    expect(decodeEbmlElementHeader(outer, 2)).toEqual({ id: 0xd7, size: 1, headerLength: 2 });
  });

  it('writes the unknown-size header a live Segment starts with', () => {
    expect(hex(ebmlUnknownSizeHeader(0x18538067))).toBe('1853806701ffffffffffffff');
    expect(decodeEbmlElementHeader(ebmlUnknownSizeHeader(0x18538067), 0)).toEqual({
      id: 0x18538067,
      size: EBML_UNKNOWN_SIZE,
      headerLength: 12,
    });
  });

  it('writes header sizes of a forced length, for fields patched later', () => {
    const out = new Uint8Array(12);
    expect(encodeEbmlElementHeaderTo(out, 0, 0x18538067, 5, 8)).toBe(12);
    expect(hex(out)).toBe('185380670100000000000005');
  });

  it('makes Voids of every total size from 2 bytes', () => {
    for (let total = 2; total < 300; total++) {
      const element = ebmlVoid(total);
      expect(element.length).toBe(total);
      const header = decodeEbmlElementHeader(element, 0)!;
      expect(header.id).toBe(0xec);
      expect(header.headerLength + header.size).toBe(total);
    }
    expect(() => ebmlVoid(1)).toThrow(RecordingError);
  });

  it('never throws on garbage headers and never reads past the end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.nat(20), (bytes, offset) => {
        const header = decodeEbmlElementHeader(bytes, offset);
        if (header) expect(offset + header.headerLength).toBeLessThanOrEqual(bytes.length);
        const vint = decodeVint(bytes, offset);
        if (vint) expect(offset + vint.length).toBeLessThanOrEqual(bytes.length);
      }),
    );
  });
});
