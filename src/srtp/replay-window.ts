/**
 * The replay list of RFC 3711 §3.3.2: a sliding window of the last `size`
 * indices below the highest one received and authenticated. A packet is
 * checked before its tag is verified and recorded only after, so forged
 * packets cannot move the window.
 *
 * The window is a ring of bits: index i owns bit (i mod size). Indices are at
 * most 48 bits (SRTP) or 31 bits (SRTCP), exact in a double.
 */

/** Smallest window size allowed: RFC 3711 §3.3.2 requires at least 64. */
export const MIN_REPLAY_WINDOW_SIZE = 64;

/** A sliding replay window over packet indices. */
export class ReplayWindow {
  /** Number of indices tracked below the highest one. */
  readonly size: number;
  readonly #bits: Uint32Array;
  #highest = -1;

  /** A window of `size` indices: a multiple of 32, at least 64. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < MIN_REPLAY_WINDOW_SIZE || size % 32 !== 0) {
      throw new RangeError(`replay window size must be a multiple of 32 of at least 64, not ${size}`);
    }
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  /** The highest index recorded, or -1 before the first. */
  get highest(): number {
    return this.#highest;
  }

  /** True when `index` has not been seen and is not too old to tell. */
  check(index: number): boolean {
    if (index < 0) return false;
    if (index > this.#highest) return true;
    if (this.#highest - index >= this.size) return false;
    const bit = index % this.size;
    return (this.#bits[bit >>> 5] & (1 << (bit & 31))) === 0;
  }

  /** Records `index` as received; call only after `check` passed and the packet authenticated. */
  accept(index: number): void {
    if (index > this.#highest) {
      const advance = this.#highest < 0 ? this.size : index - this.#highest;
      if (advance >= this.size) {
        this.#bits.fill(0);
      } else {
        for (let i = this.#highest + 1; i <= index; i++) {
          const bit = i % this.size;
          this.#bits[bit >>> 5] &= ~(1 << (bit & 31));
        }
      }
      this.#highest = index;
    }
    const bit = index % this.size;
    this.#bits[bit >>> 5] |= 1 << (bit & 31);
  }
}
