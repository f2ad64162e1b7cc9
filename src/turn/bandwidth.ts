/**
 * Byte-rate caps for relayed traffic: a token bucket of bytes per second with
 * a burst of one second's worth. The server charges each relayed datagram to
 * its allocation's bucket, its user's and the server's, and drops it when any
 * of them is empty, as a network link over its rate would.
 */

/** A token bucket of bytes. */
export class ByteRateLimiter {
  /** Bytes per second; the bucket holds at most this many. */
  readonly bytesPerSecond: number;
  private tokens: number;
  private updatedAt: number;
  /** Allocations charging it (per-user buckets are dropped at zero). */
  users = 0;

  constructor(bytesPerSecond: number, now: number) {
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = bytesPerSecond;
    this.updatedAt = now;
  }

  /** Refills for the time elapsed; true when `bytes` are available (and then takes them). */
  take(bytes: number, now: number): boolean {
    if (now > this.updatedAt) {
      this.tokens = Math.min(
        this.bytesPerSecond,
        this.tokens + ((now - this.updatedAt) * this.bytesPerSecond) / 1000,
      );
      this.updatedAt = now;
    }
    if (this.tokens < bytes) return false;
    this.tokens -= bytes;
    return true;
  }

  /** Gives back bytes taken for a datagram that another limiter then refused. */
  refund(bytes: number): void {
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + bytes);
  }
}

/**
 * Charges bytes to every limiter of a list; true when all had room. Nothing is
 * taken from any of them when one is short, so a datagram dropped by the
 * server's cap does not use up its allocation's share.
 */
export function takeAll(limiters: readonly ByteRateLimiter[], bytes: number, now: number): boolean {
  for (let i = 0; i < limiters.length; i++) {
    if (!limiters[i].take(bytes, now)) {
      for (let j = 0; j < i; j++) limiters[j].refund(bytes);
      return false;
    }
  }
  return true;
}
