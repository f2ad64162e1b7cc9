/**
 * Timers on a virtual clock for the SCTP association (SctpTimers): time
 * moves only when a test runs it, so retransmissions, delayed SACKs and
 * heartbeats happen at the same virtual moments on every run.
 */
import type { SctpTimers } from '../../src/sctp/index.js';

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** A virtual clock with a queue of timers ordered by due time, then by creation. */
export class VirtualTimers implements SctpTimers {
  /** Current virtual time in ms. */
  time = 0;
  #seq = 0;
  #queue: Pending[] = [];

  now = (): number => this.time;

  setTimer = (callback: () => void, ms: number): unknown => {
    const event: Pending = { at: this.time + Math.max(0, ms), seq: this.#seq++, callback, cancelled: false };
    let low = 0;
    let high = this.#queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#queue[mid];
      if (other.at < event.at || (other.at === event.at && other.seq < event.seq)) low = mid + 1;
      else high = mid;
    }
    this.#queue.splice(low, 0, event);
    return event;
  };

  clearTimer = (handle: unknown): void => {
    (handle as Pending).cancelled = true;
  };

  /** Runs timers in time order until done() holds or the clock would pass limitMs; returns done(). */
  runUntil(done: () => boolean, limitMs = 120_000): boolean {
    while (!done()) {
      const event = this.#queue.shift();
      if (!event || event.at > limitMs) return done();
      if (event.cancelled) continue;
      this.time = event.at;
      event.callback();
    }
    return true;
  }

  /** Runs every timer due within ms from now and leaves the clock there. */
  advance(ms: number): void {
    const until = this.time + ms;
    this.runUntil(() => (this.#queue[0]?.at ?? Number.POSITIVE_INFINITY) > until, until);
    this.time = until;
  }
}
