/**
 * An MSB-first bit reader for codec headers: H.264 SPS (ITU-T H.264 §7.2,
 * Exp-Golomb ue(v)/se(v) of §9.1), the AV1 sequence and frame headers (AV1
 * §4.10 f(n), uvlc()) and the VP9 uncompressed header.
 *
 * Reads past the end do not throw: they return 0 and set `overrun`, so a
 * parser reads a whole structure and checks `overrun` once at the end (the
 * result is discarded when it is set). Values up to 32 bits are exact.
 */

/** Reads bits from a byte view, most significant bit first. */
export class BitReader {
  readonly #bytes: Uint8Array;
  #bit = 0;
  /** True once a read went past the end; every later read returns 0. */
  overrun = false;

  /** Reads `bytes` from bit 0; the view is read, never copied. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bits consumed so far. */
  get bitPosition(): number {
    return this.#bit;
  }

  /** Bits left before the end. */
  get bitsLeft(): number {
    return this.#bytes.length * 8 - this.#bit;
  }

  /** One bit as 0 or 1. */
  bit(): number {
    if (this.#bit >= this.#bytes.length * 8) {
      this.overrun = true;
      return 0;
    }
    const value = (this.#bytes[this.#bit >>> 3] >>> (7 - (this.#bit & 7))) & 1;
    this.#bit++;
    return value;
  }

  /** One bit as a boolean. */
  flag(): boolean {
    return this.bit() === 1;
  }

  /** f(n): an unsigned number of `count` bits, 0 ≤ count ≤ 32. */
  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }

  /** Skips `count` bits. */
  skip(count: number): void {
    const end = this.#bit + count;
    if (end > this.#bytes.length * 8) {
      this.overrun = true;
      this.#bit = this.#bytes.length * 8;
      return;
    }
    this.#bit = end;
  }

  /** ue(v): unsigned Exp-Golomb (H.264 §9.1); more than 31 leading zeros is an overrun. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (this.overrun || ++zeros > 31) {
        this.overrun = true;
        return 0;
      }
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v): signed Exp-Golomb (H.264 §9.1.1). */
  se(): number {
    const code = this.ue();
    return code & 1 ? (code + 1) / 2 : code === 0 ? 0 : -(code / 2);
  }

  /** uvlc(): AV1 §4.10.3; 32 or more leading zeros gives 2^32 - 1. */
  uvlc(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (this.overrun) return 0;
      zeros++;
    }
    if (zeros >= 32) return 0xffffffff;
    return this.bits(zeros) + 2 ** zeros - 1;
  }
}
