/**
 * Extends 16-bit RTP sequence numbers to a monotonic counter (RFC 3550
 * §6.4.1 "extended highest sequence number", Appendix A.1).
 *
 * Appendix A.1 keeps a count of wraps ("cycles") and the highest number seen;
 * a step forward of less than half the space is taken as new, anything else
 * as late or reordered. This does the same with a JavaScript number, which
 * holds extended values exactly up to 2^53 (centuries of packets).
 */

/** Half the sequence space: steps below this are forward, above it backward. */
const HALF = 0x8000;
const SPACE = 0x10000;

/** Signed distance from a to b in 16-bit sequence space, in [-32768, 32767]. */
export function sequenceDistance(a: number, b: number): number {
  const delta = (b - a) & 0xffff;
  return delta < HALF ? delta : delta - SPACE;
}

/** True when b is newer than a in 16-bit sequence space (RFC 1982 style). */
export function isNewerSequence(b: number, a: number): boolean {
  return sequenceDistance(a, b) > 0;
}

/**
 * Turns 16-bit sequence numbers into extended ones. The first number seen is
 * taken as-is (cycle 0); a packet from before it that crosses back over a wrap
 * unwraps to a negative value, which callers may treat as too old.
 */
export class SequenceUnwrapper {
  private highest: number | undefined;

  /** The highest extended sequence number seen, or undefined before the first packet. */
  get highestExtended(): number | undefined {
    return this.highest;
  }

  /** The extended number for seq; advances the highest when seq is newer. */
  unwrap(seq: number): number {
    const sequence = seq & 0xffff;
    if (this.highest === undefined) {
      this.highest = sequence;
      return sequence;
    }
    const extended = this.highest + sequenceDistance(this.highest & 0xffff, sequence);
    if (extended > this.highest) this.highest = extended;
    return extended;
  }

  /** The extended number seq would get, without recording it. */
  peek(seq: number): number {
    const sequence = seq & 0xffff;
    if (this.highest === undefined) return sequence;
    return this.highest + sequenceDistance(this.highest & 0xffff, sequence);
  }

  /** Forgets everything, as for a new SSRC. */
  reset(): void {
    this.highest = undefined;
  }
}
