/**
 * Reconnection delays: exponential backoff with "full jitter" (a random delay
 * between half and all of the exponential step), so that many clients cut off
 * at once by a server restart do not all come back in the same instant.
 */

/** Options of `Backoff`. */
export interface BackoffOptions {
  /** First delay, ms. */
  initialDelayMs: number;
  /** Largest delay, ms. */
  maxDelayMs: number;
  /** Growth factor per attempt. */
  factor: number;
  /** Returns a number in [0, 1); Math.random by default (tests pass their own). */
  random?: () => number;
}

/** The defaults: 250 ms, doubling, at most 5 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 5_000, factor: 2 };

/** Successive delays for reconnection attempts. */
export class Backoff {
  private readonly options: BackoffOptions;
  private attemptCount = 0;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attemptCount;
  }

  /** The delay before the next attempt, ms; each call counts one attempt. */
  next(): number {
    const { initialDelayMs, maxDelayMs, factor } = this.options;
    const random = this.options.random ?? Math.random;
    const step = Math.min(maxDelayMs, initialDelayMs * factor ** this.attemptCount);
    this.attemptCount += 1;
    return Math.round(step / 2 + (random() * step) / 2);
  }

  /** Starts over from the initial delay (after a successful connection). */
  reset(): void {
    this.attemptCount = 0;
  }
}
