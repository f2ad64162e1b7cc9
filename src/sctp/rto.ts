/**
 * Round-trip time and retransmission timeout estimation (RFC 9260 §6.3.1,
 * RTO.Alpha 1/8 and RTO.Beta 1/4) with exponential back-off on timer expiry
 * (§6.3.3 E2). The bounds are the association's; see association.ts for why
 * they differ from the defaults of §16.
 */

/** Retransmission timeout bounds in ms (RFC 9260 §6.3.1; see the file comment of association.ts for the values). */
export interface SctpRtoOptions {
  initialMs: number;
  minMs: number;
  maxMs: number;
}

/** Smoothed RTT, RTT variation and the RTO derived from them. */
export class RtoEstimator {
  readonly #bounds: SctpRtoOptions;
  #srtt: number | undefined;
  #rttvar = 0;
  #rto: number;

  /** Starts at bounds.initialMs with no RTT measured yet. */
  constructor(bounds: SctpRtoOptions) {
    this.#bounds = bounds;
    this.#rto = bounds.initialMs;
  }

  /** Current retransmission timeout in ms. */
  get rtoMs(): number {
    return this.#rto;
  }

  /** Takes one RTT measurement (§6.3.1 C1-C3) and recomputes the RTO within the bounds. */
  update(rttMs: number): void {
    const rtt = Math.max(0, rttMs);
    // §6.3.1 C2, C3 with RTO.Alpha 1/8 and RTO.Beta 1/4.
    if (this.#srtt === undefined) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    const rto = this.#srtt + 4 * this.#rttvar;
    this.#rto = Math.min(this.#bounds.maxMs, Math.max(this.#bounds.minMs, rto));
  }

  /** Doubles the RTO after a timer expiry, up to the maximum (§6.3.3 E2). */
  backoff(): void {
    this.#rto = Math.min(this.#rto * 2, this.#bounds.maxMs);
  }
}
