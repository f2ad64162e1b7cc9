/**
 * Per-source token buckets. The TURN server answers some requests before
 * authentication (Binding, 401/438 challenges, 400s); those answers are larger
 * than the requests, so without a limit a spoofed source address could use the
 * server to amplify traffic toward a victim, or grind through passwords. Each
 * source IP gets `burst` tokens refilled at `perSecond`.
 */

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token buckets keyed by source address text. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: { perSecond: number; burst: number; now?: () => number }) {
    this.perSecond = options.perSecond;
    this.burst = options.burst;
    this.now = options.now ?? Date.now;
  }

  /** Number of sources tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for the source; false when it has none left. A limit of 0 disables limiting. */
  take(source: string): boolean {
    if (this.perSecond <= 0) return true;
    const now = this.now();
    let bucket = this.buckets.get(source);
    if (!bucket) {
      bucket = { tokens: this.burst, updatedAt: now };
      this.buckets.set(source, bucket);
    } else {
      // A clock that steps backwards (NTP, tests) refills nothing rather than draining the bucket.
      const elapsedMs = Math.max(0, now - bucket.updatedAt);
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsedMs / 1000) * this.perSecond);
      bucket.updatedAt = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets sources whose buckets have refilled, so the map does not grow without bound. */
  prune(): void {
    const now = this.now();
    for (const [source, bucket] of this.buckets) {
      if (bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * this.perSecond >= this.burst) {
        this.buckets.delete(source);
      }
    }
  }
}
