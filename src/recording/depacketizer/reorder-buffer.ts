/**
 * A jitter buffer that puts RTP packets back in sequence number order
 * (RFC 3550 §5.1: "the sequence number increments by one for each RTP data
 * packet sent, and may be used by the receiver to detect packet loss and to
 * restore packet sequence") and decides when a missing one is lost.
 *
 * Packets are released as soon as they are next in order. A missing
 * sequence number is given up (reported as lost) when `maxPackets` packets
 * wait behind it, or when the oldest waiting packet arrived `maxDelayMs`
 * ago; packets that arrive after their number was given up, or twice, are
 * dropped and counted. Sequence numbers are unwrapped past 16 bits the way
 * RFC 3550 Appendix A.1 does (a step of less than half the space is
 * forward). A jump forward of more than `maxJump`, or a run of `maxPackets`
 * packets all older than what was released (a sender that restarted its
 * numbering), resynchronizes on the new numbers after reporting a loss.
 *
 * Time is whatever clock the caller passes (ms); nothing here reads a
 * clock, so tests drive it.
 */
import { sequenceDistance } from '../../rtp/sequence-unwrapper.js';

/** Options of ReorderBuffer. */
export interface ReorderBufferOptions {
  /** Packets held behind a gap before the gap is given up; default 100. */
  maxPackets?: number;
  /** How long the oldest held packet may wait for a gap before, in ms; default 200. */
  maxDelayMs?: number;
  /** A forward jump larger than this many numbers is a restart, not a loss to wait for; default 3000. */
  maxJump?: number;
}

/** Where released packets and losses go, in order. */
export interface ReorderBufferOutput<T> {
  /** The next packet in order. */
  packet(item: T, sequenceNumber: number): void;
  /** `count` sequence numbers were given up just before the next packet. */
  loss(count: number): void;
}

/** What push() did with a packet. */
export type ReorderPushResult = 'accepted' | 'duplicate' | 'late';

/** Counters of a ReorderBuffer. */
export interface ReorderBufferStats {
  accepted: number;
  duplicates: number;
  /** Arrived after their number had been given up or released. */
  late: number;
  /** Sequence numbers given up. */
  lost: number;
  /** Times the numbering was taken up anew after a jump. */
  resyncs: number;
}

interface Held<T> {
  item: T;
  sequenceNumber: number;
  arrivalMs: number;
}

/** Start of the extended numbering, so that stepping back over a wrap stays positive. */
const EXTENDED_BASE = 0x10000 * 1024;

/** Reorders packets by sequence number within a bounded window. */
export class ReorderBuffer<T> {
  readonly #output: ReorderBufferOutput<T>;
  readonly #maxPackets: number;
  readonly #maxDelayMs: number;
  readonly #maxJump: number;
  readonly #held = new Map<number, Held<T>>();
  /** Extended number of the next packet to release; undefined before the first packet. */
  #next: number | undefined;
  #lateRun = 0;
  /** Counters so far. */
  readonly stats: ReorderBufferStats = { accepted: 0, duplicates: 0, late: 0, lost: 0, resyncs: 0 };

  constructor(output: ReorderBufferOutput<T>, options: ReorderBufferOptions = {}) {
    this.#output = output;
    this.#maxPackets = Math.max(1, options.maxPackets ?? 100);
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? 200);
    this.#maxJump = Math.max(this.#maxPackets, options.maxJump ?? 3000);
  }

  /** Packets waiting behind a gap. */
  get size(): number {
    return this.#held.size;
  }

  /** Takes a packet that arrived at `nowMs`; releases whatever is now in order. */
  push(sequenceNumber: number, item: T, nowMs: number): ReorderPushResult {
    const sequence = sequenceNumber & 0xffff;
    if (this.#next === undefined) this.#next = EXTENDED_BASE + sequence;
    const next = this.#next;
    const extended = next + sequenceDistance(next & 0xffff, sequence);
    if (extended < next) {
      if (++this.#lateRun < this.#maxPackets) {
        this.stats.late++;
        return 'late';
      }
      // A whole window of packets from the past: the sender started numbering again.
      this.#resync(extended);
    } else if (this.#held.has(extended)) {
      this.stats.duplicates++;
      return 'duplicate';
    } else if (extended - next > this.#maxJump) {
      this.#resync(extended);
    }
    this.#lateRun = 0;
    this.stats.accepted++;
    this.#held.set(extended, { item, sequenceNumber: sequence, arrivalMs: nowMs });
    this.#drain(nowMs);
    return 'accepted';
  }

  /** Gives up gaps whose wait expired by `nowMs`. Call it on a timer when packets stop. */
  poll(nowMs: number): void {
    this.#drain(nowMs);
  }

  /** Releases every held packet in order, reporting the gaps between them as lost (end of stream). */
  flush(): void {
    while (this.#held.size > 0) this.#giveUpGap();
  }

  /** Forgets everything, as for a new SSRC. */
  reset(): void {
    this.#held.clear();
    this.#next = undefined;
    this.#lateRun = 0;
  }

  #resync(extended: number): void {
    this.flush();
    this.stats.resyncs++;
    // Forward, the numbers in between were skipped; backward, at least one packet is unaccounted for.
    const missing = extended > this.#next! ? extended - this.#next! : 1;
    this.stats.lost += missing;
    this.#output.loss(missing);
    this.#next = extended;
  }

  #drain(nowMs: number): void {
    for (;;) {
      this.#releaseInOrder();
      if (this.#held.size === 0) return;
      if (this.#held.size < this.#maxPackets && this.#oldestArrival() > nowMs - this.#maxDelayMs) return;
      this.#giveUpGap();
    }
  }

  #releaseInOrder(): void {
    let next = this.#next!;
    for (let held = this.#held.get(next); held !== undefined; held = this.#held.get(next)) {
      this.#held.delete(next);
      next++;
      this.#next = next;
      this.#output.packet(held.item, held.sequenceNumber);
    }
  }

  /** Skips to the lowest held number, reporting what was skipped, and releases from there. */
  #giveUpGap(): void {
    let lowest = Number.POSITIVE_INFINITY;
    for (const key of this.#held.keys()) if (key < lowest) lowest = key;
    const missing = lowest - this.#next!;
    if (missing > 0) {
      this.stats.lost += missing;
      this.#output.loss(missing);
    }
    this.#next = lowest;
    this.#releaseInOrder();
  }

  #oldestArrival(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const held of this.#held.values()) if (held.arrivalMs < oldest) oldest = held.arrivalMs;
    return oldest;
  }
}
