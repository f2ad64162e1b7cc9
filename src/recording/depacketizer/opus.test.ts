/** Opus depacketizer (RFC 7587 §4.2) and the TOC checks of RFC 6716 §3.4. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpusDepacketizer, opusPacketProblem } from './opus.js';

describe('OpusDepacketizer', () => {
  const depacketizer = new OpusDepacketizer();

  it('passes one packet through as one frame, always a key frame', () => {
    const packet = Uint8Array.of(0x78, 1, 2, 3);
    expect(depacketizer.assemble([packet])).toEqual({ kind: 'frame', data: packet, keyframe: true });
    expect(depacketizer.startsFrame()).toBe(true);
    expect(depacketizer.packetIsFrame).toBe(true);
  });

  it('checks the TOC frame count rules', () => {
    expect(opusPacketProblem(Uint8Array.of(0x79, 1, 2))).toBeUndefined(); // code 1, even
    expect(opusPacketProblem(Uint8Array.of(0x79, 1))).toMatch(/R3/); // code 1, odd
    expect(opusPacketProblem(Uint8Array.of(0x7a))).toMatch(/R4/);
    expect(opusPacketProblem(Uint8Array.of(0x7b))).toMatch(/R5/);
    expect(opusPacketProblem(Uint8Array.of(0x7b, 0x00))).toMatch(/R5/); // zero frames
    expect(opusPacketProblem(Uint8Array.of(0x7b, 0x06))).toBeUndefined(); // 6 × 20 ms = 120 ms
    expect(opusPacketProblem(Uint8Array.of(0x7b, 0x07))).toMatch(/R5/); // 140 ms
    expect(opusPacketProblem(new Uint8Array(0))).toMatch(/R1/);
  });

  it('refuses anything but exactly one packet', () => {
    expect(depacketizer.assemble([]).kind).toBe('malformed');
    expect(depacketizer.assemble([Uint8Array.of(0x78), Uint8Array.of(0x78)]).kind).toBe('malformed');
  });

  it('never throws on garbage and emits only packets that pass the TOC checks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (packet) => {
        const result = depacketizer.assemble([packet]);
        if (result.kind === 'frame') expect(opusPacketProblem(result.data)).toBeUndefined();
      }),
    );
  });
});
