import { describe, expect, it } from 'vitest';
import { resolveThreadCount, reusePortSupported, splitPortRange } from './turn-threads.js';

describe('reusePortSupported', () => {
  it('needs Node 22.12+ or 23.1+ on Linux', () => {
    expect(reusePortSupported('20.20.2', 'linux')).toBe(false);
    expect(reusePortSupported('22.11.0', 'linux')).toBe(false);
    expect(reusePortSupported('22.12.0', 'linux')).toBe(true);
    expect(reusePortSupported('23.0.0', 'linux')).toBe(false);
    expect(reusePortSupported('23.1.0', 'linux')).toBe(true);
    expect(reusePortSupported('24.11.1', 'linux')).toBe(true);
    expect(reusePortSupported('24.11.1', 'darwin')).toBe(false);
  });
});

describe('resolveThreadCount', () => {
  it('is 1 without SO_REUSEPORT, else the setting, with 0 meaning one per core', () => {
    expect(resolveThreadCount(4, false)).toBe(1);
    expect(resolveThreadCount(4, true)).toBe(4);
    expect(resolveThreadCount(0, true)).toBeGreaterThanOrEqual(1);
  });
});

describe('splitPortRange', () => {
  it('covers the range with contiguous slices, none overlapping', () => {
    expect(splitPortRange(49152, 65535, 2)).toEqual([
      { min: 49152, max: 57343 },
      { min: 57344, max: 65535 },
    ]);
    const slices = splitPortRange(1000, 1010, 3);
    expect(slices[0].min).toBe(1000);
    expect(slices.at(-1)!.max).toBe(1010);
    for (let i = 1; i < slices.length; i++) expect(slices[i].min).toBe(slices[i - 1].max + 1);
  });
});
