/**
 * The flight retransmission timer (RFC 6347 §4.2.4, §4.2.4.1): an initial
 * timeout of 1 s by default, doubled at each expiry up to 60 s.
 */

/** Upper bound of the backoff (RFC 6347 §4.2.4.1, after RFC 6298). */
export const MAX_RETRANSMIT_MS = 60_000;

/** Timer functions, injectable so tests can drive time. */
export interface TimerFunctions {
  setTimer: (callback: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

/** Node's timers, unref'd so a pending retransmission never keeps the process alive. */
export const NODE_TIMERS: TimerFunctions = {
  setTimer: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Fires `onExpiry` after the current timeout and then again with doubling timeouts until stopped. */
export class RetransmitTimer {
  readonly #initialMs: number;
  readonly #timers: TimerFunctions;
  readonly #onExpiry: () => void;
  #currentMs: number;
  #handle: unknown;

  /** A stopped timer. */
  constructor(initialMs: number, timers: TimerFunctions, onExpiry: () => void) {
    this.#initialMs = initialMs;
    this.#currentMs = initialMs;
    this.#timers = timers;
    this.#onExpiry = onExpiry;
  }

  /** The timeout that the next expiry waits for. */
  get currentMs(): number {
    return this.#currentMs;
  }

  /** True while armed. */
  get running(): boolean {
    return this.#handle !== undefined;
  }

  /** (Re)arms with the initial timeout: a new flight was just sent. */
  start(): void {
    this.stop();
    this.#currentMs = this.#initialMs;
    this.#arm();
  }

  /** Disarms. */
  stop(): void {
    if (this.#handle !== undefined) this.#timers.clearTimer(this.#handle);
    this.#handle = undefined;
  }

  #arm(): void {
    this.#handle = this.#timers.setTimer(() => {
      this.#handle = undefined;
      this.#currentMs = Math.min(this.#currentMs * 2, MAX_RETRANSMIT_MS);
      this.#arm();
      this.#onExpiry();
    }, this.#currentMs);
  }
}
