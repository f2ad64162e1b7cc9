/**
 * A round-trip-time histogram with logarithmic buckets: each bucket is 1 %
 * wider than the one below, from 1 µs to about 10 s. A percentile is
 * therefore known to within 1 %, whatever the scale, in a fixed 13 KiB, and
 * histograms from several load processes merge by adding counts (a list of
 * raw samples would have to cross the IPC channel, a million per run).
 */

/** Ratio between the upper bounds of two neighbouring buckets. */
const GROWTH = 1.01;
const INVERSE_LOG_GROWTH = 1 / Math.log(GROWTH);
/** Enough buckets to reach GROWTH^1620 µs ≈ 10 s; slower samples land in the last one. */
const BUCKET_COUNT = 1621;

/** Non-empty buckets as [index, count] pairs, the form that crosses process boundaries. */
export type SparseBuckets = [index: number, count: number][];

/** Counts of round-trip times in 1 %-wide buckets. */
export class RttHistogram {
  private readonly buckets = new Uint32Array(BUCKET_COUNT);
  /** Samples recorded. */
  count = 0;

  /** Records one round-trip time, in milliseconds. */
  record(milliseconds: number): void {
    const microseconds = milliseconds * 1000;
    // Bucket i holds (GROWTH^(i-1), GROWTH^i] µs; bucket 0 everything up to 1 µs.
    const index = microseconds <= 1 ? 0 : Math.ceil(Math.log(microseconds) * INVERSE_LOG_GROWTH);
    this.buckets[index < BUCKET_COUNT ? index : BUCKET_COUNT - 1]++;
    this.count++;
  }

  /**
   * The p-th percentile (0 < p ≤ 100) in milliseconds: the upper bound of the
   * bucket holding that sample, so at most 1 % above the true value.
   * NaN when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.buckets[index];
      if (seen >= rank) return GROWTH ** index / 1000;
    }
    return GROWTH ** (BUCKET_COUNT - 1) / 1000;
  }

  /** Forgets every sample. */
  clear(): void {
    this.buckets.fill(0);
    this.count = 0;
  }

  /** The non-empty buckets, for sending to another process. */
  toSparse(): SparseBuckets {
    const sparse: SparseBuckets = [];
    for (let index = 0; index < BUCKET_COUNT; index++) {
      if (this.buckets[index] !== 0) sparse.push([index, this.buckets[index]]);
    }
    return sparse;
  }

  /** Adds the counts of another histogram given in sparse form; ignores out-of-range entries. */
  addSparse(sparse: SparseBuckets): void {
    for (const [index, count] of sparse) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKET_COUNT || !(count > 0)) continue;
      this.buckets[index] += count;
      this.count += count;
    }
  }
}
