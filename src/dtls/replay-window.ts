/**
 * Anti-replay window for record sequence numbers (RFC 6347 §4.1.2.6, the
 * sliding window of RFC 4303 §3.4.3). A record is checked before it is
 * decrypted and marked only once it authenticated, so forged records cannot
 * move the window. Sequence numbers are 48 bits, exact in a double.
 */

/** Width of the window: RFC 6347 §4.1.2.6 requires at least 32, 64 is preferred. */
export const DTLS_REPLAY_WINDOW_SIZE = 64;

/** A 64-entry sliding window kept as two 32-bit words. */
export class DtlsReplayWindow {
  #highest = -1;
  /** Bit i set = highest - i was received; bit 0 is the highest itself. */
  #low = 0;
  #high = 0;

  /** The highest sequence number marked, or -1 before the first. */
  get highest(): number {
    return this.#highest;
  }

  /** True when `sequenceNumber` is new and not too old to tell. */
  check(sequenceNumber: number): boolean {
    if (sequenceNumber > this.#highest) return true;
    const age = this.#highest - sequenceNumber;
    if (age >= DTLS_REPLAY_WINDOW_SIZE) return false;
    const word = age < 32 ? this.#low : this.#high;
    return (word & (1 << (age & 31))) === 0;
  }

  /** Marks `sequenceNumber` as received; call after `check` passed and the record authenticated. */
  accept(sequenceNumber: number): void {
    if (sequenceNumber > this.#highest) {
      const shift = this.#highest < 0 ? DTLS_REPLAY_WINDOW_SIZE : sequenceNumber - this.#highest;
      this.#shift(shift);
      this.#highest = sequenceNumber;
      this.#low |= 1;
      return;
    }
    const age = this.#highest - sequenceNumber;
    if (age >= DTLS_REPLAY_WINDOW_SIZE) return;
    if (age < 32) this.#low |= 1 << age;
    else this.#high |= 1 << (age - 32);
  }

  #shift(count: number): void {
    if (count >= 64) {
      this.#low = 0;
      this.#high = 0;
    } else if (count >= 32) {
      this.#high = count === 32 ? this.#low : this.#low << (count - 32);
      this.#low = 0;
    } else if (count > 0) {
      this.#high = (this.#high << count) | (this.#low >>> (32 - count));
      this.#low = this.#low << count;
    }
  }
}
