import { describe, expect, it } from 'vitest';
import { rtpPayloadOffset } from './rtp-header.js';

describe('rtpPayloadOffset', () => {
  const fixed = Buffer.from('80e00001000000640000abcd', 'hex');

  it('finds the payload after the fixed header', () => {
    expect(rtpPayloadOffset(fixed, fixed.length)).toBe(12);
  });

  it('skips CSRCs and the header extension', () => {
    // CC = 2, X = 1, extension of one word.
    const packet = Buffer.concat([
      Buffer.from('92e00001000000640000abcd', 'hex'),
      Buffer.alloc(8),
      Buffer.from('bede0001', 'hex'),
      Buffer.alloc(4),
      Buffer.from('ff', 'hex'),
    ]);
    expect(rtpPayloadOffset(packet, packet.length)).toBe(12 + 8 + 4 + 4);
  });

  it('refuses short packets, other versions and headers longer than the packet', () => {
    expect(rtpPayloadOffset(fixed, 11)).toBe(-1);
    expect(rtpPayloadOffset(Buffer.from('40e00001000000640000abcd', 'hex'), 12)).toBe(-1);
    expect(rtpPayloadOffset(Buffer.from('81e00001000000640000abcd', 'hex'), 12)).toBe(-1);
    expect(rtpPayloadOffset(Buffer.from('90e00001000000640000abcdbede', 'hex'), 14)).toBe(-1);
    expect(rtpPayloadOffset(Buffer.from('90e00001000000640000abcdbede0001', 'hex'), 16)).toBe(-1);
  });
});
