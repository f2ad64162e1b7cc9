import { describe, expect, it } from 'vitest';
import { ByteRateLimiter, takeAll } from './bandwidth.js';

describe('ByteRateLimiter', () => {
  it('starts with one second of bytes and refills at its rate', () => {
    const limiter = new ByteRateLimiter(1000, 0);
    expect(limiter.take(600, 0)).toBe(true);
    expect(limiter.take(600, 0)).toBe(false);
    expect(limiter.take(400, 0)).toBe(true);
    expect(limiter.take(100, 50)).toBe(false); // 50 ms refill 50 bytes
    expect(limiter.take(100, 100)).toBe(true);
  });

  it('never holds more than one second of bytes, however long it idles', () => {
    const limiter = new ByteRateLimiter(1000, 0);
    expect(limiter.take(1000, 0)).toBe(true);
    expect(limiter.take(1001, 3_600_000)).toBe(false);
    expect(limiter.take(1000, 3_600_000)).toBe(true);
  });
});

describe('takeAll', () => {
  it('takes from every limiter or from none', () => {
    const allocation = new ByteRateLimiter(10_000, 0);
    const server = new ByteRateLimiter(500, 0);
    expect(takeAll([allocation, server], 400, 0)).toBe(true);
    expect(takeAll([allocation, server], 400, 0)).toBe(false);
    // The refusal by the server's bucket gave the allocation's bytes back.
    expect(allocation.take(10_000 - 400, 0)).toBe(true);
  });
});
