/**
 * Throttles key frame requests toward one publisher. Subscribers send PLI
 * (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1), and a new subscriber needs a
 * key frame too; every one of them forwarded would make the encoder emit key
 * frames back to back and starve the bitrate. So at most one request per
 * `minIntervalMs` reaches the publisher; requests in between are coalesced
 * into one that is sent when the interval ends, unless a key frame arrives
 * first.
 *
 * The caller owns the timer: request() says whether to send now; otherwise
 * `due` says when to call poll().
 */
import { ForwardingError } from './forwarding-errors.js';

/** Options of a KeyframeRequestThrottle. */
export interface KeyframeRequestThrottleOptions {
  /** Least time between two requests forwarded to the publisher. Default 500 ms. */
  minIntervalMs?: number;
}

/** Key frame request throttle for one producer (or one of its simulcast streams). */
export class KeyframeRequestThrottle {
  /** Least time between two forwarded requests, in milliseconds. */
  readonly minIntervalMs: number;
  /** When a coalesced request may be sent (milliseconds), or -1 when none is pending. */
  due = -1;
  /**
   * FIR command sequence number (RFC 5104 §4.3.1.2) to put in the request
   * being forwarded now: one more (mod 256) for every new request.
   */
  firSequenceNumber = -1;
  /** Requests forwarded to the publisher. */
  requestsForwarded = 0;
  /** Requests absorbed into another. */
  requestsCoalesced = 0;

  private lastSentMs = Number.NEGATIVE_INFINITY;

  constructor(options: KeyframeRequestThrottleOptions = {}) {
    const interval = options.minIntervalMs ?? 500;
    if (!(interval >= 0)) throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `interval ${interval}`);
    this.minIntervalMs = interval;
  }

  /** True while a coalesced request waits for `due`. */
  get pending(): boolean {
    return this.due >= 0;
  }

  /**
   * A subscriber asked for a key frame. Returns true when the caller should
   * send a PLI/FIR to the publisher now (with `firSequenceNumber` for a FIR);
   * false when it was coalesced, to be sent at `due` via poll().
   */
  request(nowMs: number): boolean {
    if (nowMs - this.lastSentMs >= this.minIntervalMs) {
      this.send(nowMs);
      return true;
    }
    if (this.due < 0) this.due = this.lastSentMs + this.minIntervalMs;
    this.requestsCoalesced++;
    return false;
  }

  /** Returns true (and counts the request as sent) when a coalesced request is due at `nowMs`. */
  poll(nowMs: number): boolean {
    if (this.due < 0 || nowMs < this.due) return false;
    this.send(nowMs);
    return true;
  }

  /**
   * A key frame arrived from the publisher: requests waiting are satisfied by
   * it, as every subscriber that asked will receive it.
   */
  onKeyframe(): void {
    this.due = -1;
  }

  private send(nowMs: number): void {
    this.lastSentMs = nowMs;
    this.due = -1;
    this.firSequenceNumber = (this.firSequenceNumber + 1) & 0xff;
    this.requestsForwarded++;
  }
}
