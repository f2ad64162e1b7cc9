/** Bit reading for codec headers: f(n), Exp-Golomb (H.264 §9.1) and uvlc (AV1 §4.10.3). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader } from './bit-reader.js';

describe('BitReader', () => {
  it('reads fixed-width fields MSB first across bytes', () => {
    const reader = new BitReader(Uint8Array.of(0b1010_1100, 0b0101_0011));
    expect(reader.bits(3)).toBe(0b101);
    expect(reader.bits(7)).toBe(0b0110001);
    expect(reader.flag()).toBe(false);
    expect(reader.bitsLeft).toBe(5);
    expect(reader.bits(5)).toBe(0b10011);
    expect(reader.overrun).toBe(false);
  });

  it('reads 32-bit fields exactly', () => {
    expect(new BitReader(Uint8Array.of(0xff, 0xff, 0xff, 0xfe)).bits(32)).toBe(0xfffffffe);
  });

  it('decodes the ue(v) and se(v) table of H.264 §9.1', () => {
    // codeNum 0..4: 1, 010, 011, 00100, 00101 → bits 1010 0110 0100 0010 1
    const reader = new BitReader(Uint8Array.of(0b1010_0110, 0b0100_0010, 0b1000_0000));
    expect([reader.ue(), reader.ue(), reader.ue(), reader.ue(), reader.ue()]).toEqual([0, 1, 2, 3, 4]);
    const signed = new BitReader(Uint8Array.of(0b1010_0110, 0b0100_0010, 0b1000_0000));
    expect([signed.se(), signed.se(), signed.se(), signed.se(), signed.se()]).toEqual([0, 1, -1, 2, -2]);
  });

  it('decodes uvlc and saturates at 32 leading zeros', () => {
    expect(new BitReader(Uint8Array.of(0b0010_1000)).uvlc()).toBe(4);
    const many = new Uint8Array(6);
    many[4] = 0x80;
    expect(new BitReader(many).uvlc()).toBe(0xffffffff);
  });

  it('flags an overrun and returns 0 past the end', () => {
    const reader = new BitReader(Uint8Array.of(0xff));
    expect(reader.bits(12)).toBe(0xff0);
    expect(reader.overrun).toBe(true);
    expect(new BitReader(new Uint8Array(2)).ue()).toBe(0);
    const skip = new BitReader(new Uint8Array(1));
    skip.skip(9);
    expect(skip.overrun).toBe(true);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
        const reader = new BitReader(bytes);
        reader.ue();
        reader.se();
        reader.uvlc();
        reader.bits(17);
        expect(reader.bitPosition).toBeLessThanOrEqual(bytes.length * 8);
      }),
    );
  });
});
