import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap, each delay between half and all of its step', () => {
    const highest = new Backoff({
      initialDelayMs: 100,
      maxDelayMs: 1_000,
      factor: 2,
      random: () => 0.999999,
    });
    expect(Array.from({ length: 6 }, () => highest.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    const lowest = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, random: () => 0 });
    expect(Array.from({ length: 6 }, () => lowest.next())).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('spreads delays with jitter', () => {
    const backoff = new Backoff({ initialDelayMs: 1_000, maxDelayMs: 1_000 });
    const delays = new Set(Array.from({ length: 50 }, () => backoff.next()));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });

  it('counts attempts and starts over after reset', () => {
    const backoff = new Backoff({ initialDelayMs: 100, random: () => 0.999999 });
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(100);
  });
});
