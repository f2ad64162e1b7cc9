/**
 * Clock and timer plumbing of an SCTP association: the injectable clock
 * (so tests run on virtual time) and a restartable one-shot timer used for
 * T1-init, T2-shutdown, T3-rtx, RE-CONFIG, delayed SACK and HEARTBEAT
 * (RFC 9260 §5.1, §6.2, §6.3, §8.3, §9.2; RFC 6525 §5.1.1).
 */

/** Clock and timers, injectable so tests can run an association on virtual time. */
export interface SctpTimers {
  /** Current time in ms. */
  now: () => number;
  /** Calls callback once after ms; returns a handle for clearTimer. */
  setTimer: (callback: () => void, ms: number) => unknown;
  /** Cancels a pending timer. */
  clearTimer: (handle: unknown) => void;
}

/** Node's clock and timers, unref'd so a pending timer never keeps the process alive. */
export const NODE_SCTP_TIMERS: SctpTimers = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One timer that can be (re)started and stopped. */
export class Timer {
  #handle: unknown;
  readonly #timers: SctpTimers;
  readonly #onExpiry: () => void;

  /** Creates a stopped timer that calls onExpiry each time it runs out. */
  constructor(timers: SctpTimers, onExpiry: () => void) {
    this.#timers = timers;
    this.#onExpiry = onExpiry;
  }

  /** True while the timer is pending. */
  get running(): boolean {
    return this.#handle !== undefined;
  }

  /** Starts the timer, replacing a pending run. */
  start(ms: number): void {
    this.stop();
    this.#handle = this.#timers.setTimer(() => {
      this.#handle = undefined;
      this.#onExpiry();
    }, ms);
  }

  /** Cancels a pending run; does nothing when stopped. */
  stop(): void {
    if (this.#handle === undefined) return;
    this.#timers.clearTimer(this.#handle);
    this.#handle = undefined;
  }
}
