/** KeyframeRequestThrottle with a fake clock. */
import { describe, expect, it } from 'vitest';
import { ForwardingError } from './forwarding-errors.js';
import { KeyframeRequestThrottle } from './keyframe-request-throttle.js';

describe('KeyframeRequestThrottle', () => {
  it('forwards the first request at once', () => {
    const throttle = new KeyframeRequestThrottle();
    expect(throttle.request(1000)).toBe(true);
    expect(throttle.firSequenceNumber).toBe(0);
    expect(throttle.pending).toBe(false);
  });

  it('coalesces requests within the interval into one sent when it ends', () => {
    const throttle = new KeyframeRequestThrottle({ minIntervalMs: 500 });
    throttle.request(1000);
    expect(throttle.request(1100)).toBe(false);
    expect(throttle.request(1300)).toBe(false);
    expect(throttle.due).toBe(1500);
    expect(throttle.poll(1499)).toBe(false);
    expect(throttle.poll(1500)).toBe(true);
    expect(throttle.firSequenceNumber).toBe(1);
    expect(throttle.poll(1600)).toBe(false);
    expect(throttle.requestsForwarded).toBe(2);
    expect(throttle.requestsCoalesced).toBe(2);
    // The interval restarts at the coalesced send.
    expect(throttle.request(1900)).toBe(false);
    expect(throttle.due).toBe(2000);
  });

  it('drops pending requests when a key frame arrives first', () => {
    const throttle = new KeyframeRequestThrottle();
    throttle.request(0);
    throttle.request(100);
    throttle.onKeyframe();
    expect(throttle.pending).toBe(false);
    expect(throttle.poll(10_000)).toBe(false);
    expect(throttle.request(10_000)).toBe(true);
  });

  it('wraps the FIR sequence number at 256 (RFC 5104 §4.3.1.2)', () => {
    const throttle = new KeyframeRequestThrottle({ minIntervalMs: 0 });
    for (let i = 0; i < 257; i++) expect(throttle.request(i)).toBe(true);
    expect(throttle.firSequenceNumber).toBe(0);
  });

  it('rejects a negative interval', () => {
    expect(() => new KeyframeRequestThrottle({ minIntervalMs: -1 })).toThrow(ForwardingError);
  });
});
