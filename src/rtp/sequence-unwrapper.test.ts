/** Sequence number unwrapping (RFC 3550 §6.4.1, Appendix A.1). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNewerSequence, SequenceUnwrapper, sequenceDistance } from './sequence-unwrapper.js';

describe('SequenceUnwrapper', () => {
  it('counts wraps forward', () => {
    const unwrapper = new SequenceUnwrapper();
    expect([65534, 65535, 0, 1, 2].map((seq) => unwrapper.unwrap(seq))).toEqual([
      65534, 65535, 65536, 65537, 65538,
    ]);
    expect(unwrapper.highestExtended).toBe(65538);
  });

  it('places late packets before the highest, across a wrap, without moving it', () => {
    const unwrapper = new SequenceUnwrapper();
    unwrapper.unwrap(65530);
    unwrapper.unwrap(3);
    expect(unwrapper.unwrap(65533)).toBe(65533);
    expect(unwrapper.unwrap(2)).toBe(65538);
    expect(unwrapper.highestExtended).toBe(65539);
    expect(unwrapper.peek(10)).toBe(65546);
    expect(unwrapper.highestExtended).toBe(65539);
  });

  it('gives negative values for packets older than the first across a wrap, and resets', () => {
    const unwrapper = new SequenceUnwrapper();
    unwrapper.unwrap(1);
    expect(unwrapper.unwrap(65535)).toBe(-1);
    unwrapper.reset();
    expect(unwrapper.highestExtended).toBeUndefined();
    expect(unwrapper.unwrap(65535)).toBe(65535);
  });

  it('follows any walk of steps under half the space exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.integer({ min: -1000, max: 3000 }), { maxLength: 200 }),
        (start, steps) => {
          const unwrapper = new SequenceUnwrapper();
          let truth = start;
          let highest = start;
          expect(unwrapper.unwrap(start)).toBe(start);
          for (const step of steps) {
            // Keep the true value within half the space of the highest, as the algorithm needs.
            if (truth + step <= highest - 0x8000) continue;
            truth += step;
            highest = Math.max(highest, truth);
            expect(unwrapper.unwrap(truth & 0xffff)).toBe(truth);
          }
          expect(unwrapper.highestExtended).toBe(highest);
        },
      ),
    );
  });
});

describe('sequenceDistance', () => {
  it('is signed and wraps', () => {
    expect(sequenceDistance(65535, 0)).toBe(1);
    expect(sequenceDistance(0, 65535)).toBe(-1);
    expect(sequenceDistance(0, 0x7fff)).toBe(0x7fff);
    expect(sequenceDistance(0, 0x8000)).toBe(-0x8000);
    expect(isNewerSequence(1, 65535)).toBe(true);
    expect(isNewerSequence(65535, 1)).toBe(false);
    expect(isNewerSequence(5, 5)).toBe(false);
  });
});
