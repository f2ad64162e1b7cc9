/**
 * Rollover counter tracking and packet index estimation, RFC 3711 §3.3.1 and
 * Appendix A. The SRTP index is i = 2^16 * ROC + SEQ (48 bits); only SEQ is
 * on the wire, so each side keeps ROC and the highest SEQ seen (s_l) per SSRC.
 */

/** Half the sequence number space: the distance that decides which ROC a SEQ belongs to. */
const HALF_SEQUENCE_SPACE = 0x8000;

/** Largest rollover counter value (32 bits). */
export const MAX_ROLLOVER_COUNTER = 0xffffffff;

/** Per-SSRC index state of one side of an SRTP stream. */
export class RolloverCounter {
  /** The rollover counter: how many times SEQ has wrapped. */
  roc: number;
  /** s_l: the highest sequence number accepted so far (meaningless before the first). */
  highestSequence = 0;
  #started = false;

  /** Starts with `initialRoc` (normally 0, RFC 3711 §3.3.1). */
  constructor(initialRoc = 0) {
    this.roc = initialRoc;
  }

  /**
   * The guessed ROC v for `sequence` (RFC 3711 Appendix A); may be -1 or
   * 2^32 at the ends of the range, which callers treat as unusable.
   */
  estimate(sequence: number): number {
    if (!this.#started) return this.roc;
    const last = this.highestSequence;
    if (last < HALF_SEQUENCE_SPACE) {
      return sequence - last > HALF_SEQUENCE_SPACE ? this.roc - 1 : this.roc;
    }
    return last - HALF_SEQUENCE_SPACE > sequence ? this.roc + 1 : this.roc;
  }

  /** Updates ROC and s_l once a packet with `sequence` and guessed ROC `v` is accepted (§3.3.1). */
  update(sequence: number, v: number): void {
    if (!this.#started) {
      this.#started = true;
      this.roc = v;
      this.highestSequence = sequence;
    } else if (v === this.roc + 1) {
      this.roc = v;
      this.highestSequence = sequence;
    } else if (v === this.roc && sequence > this.highestSequence) {
      this.highestSequence = sequence;
    }
  }
}
