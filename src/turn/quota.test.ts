import { describe, expect, it } from 'vitest';
import { LocalQuota } from './quota.js';

describe('LocalQuota', () => {
  it('refuses past the user limit (486) before the total limit (508)', () => {
    const quota = new LocalQuota(2, 3);
    expect(quota.acquire('alice')).toBeUndefined();
    expect(quota.acquire('alice')).toBeUndefined();
    expect(quota.acquire('alice')).toBe('user');
    expect(quota.acquire('bob')).toBeUndefined();
    expect(quota.acquire('carol')).toBe('total');
    quota.release('alice');
    expect(quota.acquire('carol')).toBeUndefined();
    expect(quota.taken).toBe(3);
  });

  it('has no limit at 0 and ignores a release it never granted', () => {
    const quota = new LocalQuota(0, 0);
    for (let i = 0; i < 1000; i++) expect(quota.acquire('alice')).toBeUndefined();
    quota.release('nobody');
    expect(quota.taken).toBe(1000);
  });
});
