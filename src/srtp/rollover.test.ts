import { describe, expect, it } from 'vitest';
import { RolloverCounter } from './rollover.js';

describe('RolloverCounter (RFC 3711 Appendix A)', () => {
  it('takes the first packet as is', () => {
    const counter = new RolloverCounter();
    expect(counter.estimate(65000)).toBe(0);
    counter.update(65000, 0);
    expect(counter.highestSequence).toBe(65000);
  });

  it('guesses ROC + 1 across the wrap and ROC - 1 for a late packet from before it', () => {
    const counter = new RolloverCounter();
    counter.update(65530, 0);
    expect(counter.estimate(3)).toBe(1);
    counter.update(3, 1);
    expect(counter.roc).toBe(1);
    expect(counter.estimate(65533)).toBe(0);
    counter.update(65533, 0);
    expect(counter.roc).toBe(1);
    expect(counter.highestSequence).toBe(3);
  });

  it('keeps ROC for ordinary reordering', () => {
    const counter = new RolloverCounter(7);
    counter.update(1000, 7);
    expect(counter.estimate(990)).toBe(7);
    expect(counter.estimate(1010)).toBe(7);
  });
});
