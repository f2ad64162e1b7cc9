/**
 * What the SFU knows about each stream it receives: RFC 3550 reception
 * statistics for receiver reports, and the NACK generator that asks the
 * publisher for lost packets (RFC 4585 §6.2.1).
 *
 * ReceiveStatistics follows RFC 3550 Appendix A: sequence number tracking
 * with the dropout/misorder rules of A.1, loss counts of A.3 and the jitter
 * estimate of A.8, and turns them into a report block (§6.4.1).
 *
 * Times are passed in by the caller in milliseconds (any monotonic origin),
 * so tests drive the clock.
 */
import type { ReportBlock } from '../rtcp/report-block.js';
import { SequenceUnwrapper } from '../rtp/sequence-unwrapper.js';
import { ForwardingError } from './forwarding-errors.js';

const SEQ_MOD = 0x10000;
/** A.1: a forward jump of at most this many packets is a gap, not a restart. */
const MAX_DROPOUT = 3000;
/** A.1: a packet at most this many behind the highest is a reordered one, not a restart. */
const MAX_MISORDER = 100;

/** Reception statistics of one incoming SSRC (RFC 3550 Appendix A). */
export class ReceiveStatistics {
  /** The SSRC reported on. */
  readonly ssrc: number;
  /** RTP clock rate, Hz. */
  readonly clockRate: number;
  /** Packets received, duplicates included (A.3 counts them too). */
  packetsReceived = 0;
  /** Interarrival jitter estimate in timestamp units, unrounded (A.8). */
  jitter = 0;

  private started = false;
  private baseSequence = 0;
  private maxSequence = 0;
  private cycles = 0;
  private badSequence = SEQ_MOD + 1;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private lastTimestamp = 0;
  private lastArrivalMs = 0;
  private lastSenderReport = 0;
  private lastSenderReportArrivalMs = -1;

  constructor(ssrc: number, clockRate: number) {
    if (!(clockRate > 0)) throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `clock rate ${clockRate}`);
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
  }

  /** Extended highest sequence number received (cycles × 2^16 + highest). */
  get extendedHighestSequence(): number {
    return this.cycles + this.maxSequence;
  }

  /** Packets expected since the first one (A.3). */
  get packetsExpected(): number {
    return this.started ? this.extendedHighestSequence - this.baseSequence + 1 : 0;
  }

  /** Cumulative packets lost (A.3); negative when duplicates outnumber losses. */
  get cumulativeLost(): number {
    return this.packetsExpected - this.packetsReceived;
  }

  /**
   * Records one packet. Returns false when A.1 discards it: a jump too far
   * from the highest number seen, which is taken as a restart of the stream
   * only when the next packet follows it.
   */
  onPacket(sequenceNumber: number, timestamp: number, arrivalMs: number): boolean {
    const sequence = sequenceNumber & 0xffff;
    if (!this.started) {
      this.restart(sequence);
      this.started = true;
    } else {
      const delta = (sequence - this.maxSequence) & 0xffff;
      if (delta < MAX_DROPOUT) {
        if (delta === 0) {
          // A duplicate of the highest: counted, nothing else changes.
          this.packetsReceived++;
          return true;
        }
        if (sequence < this.maxSequence) this.cycles += SEQ_MOD;
        this.maxSequence = sequence;
      } else if (delta <= SEQ_MOD - MAX_MISORDER) {
        if (sequence !== this.badSequence) {
          this.badSequence = (sequence + 1) & 0xffff;
          return false;
        }
        // Two sequential packets after a big jump: the source restarted (A.1).
        this.restart(sequence);
      } else {
        // Reordered or duplicate: counted, no jitter sample (its transit says nothing about the path now).
        this.packetsReceived++;
        return true;
      }
    }
    this.packetsReceived++;
    this.updateJitter(timestamp >>> 0, arrivalMs);
    return true;
  }

  /**
   * Records a sender report from this source: the middle 32 bits of its NTP
   * timestamp become LSR, and its arrival time the start of DLSR (§6.4.1).
   */
  onSenderReport(ntpTimestamp: bigint, arrivalMs: number): void {
    this.lastSenderReport = Number((ntpTimestamp >> 16n) & 0xffffffffn);
    this.lastSenderReportArrivalMs = arrivalMs;
  }

  /**
   * Builds the report block for an RR or SR at `nowMs`, into `out` when
   * given, and starts a new interval for the fraction lost (A.3). Returns
   * undefined before the first packet.
   */
  buildReportBlock(nowMs: number, out?: ReportBlock): ReportBlock | undefined {
    if (!this.started) return undefined;
    const expected = this.packetsExpected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.packetsReceived - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.packetsReceived;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    // §6.4.1: the cumulative count is a signed 24-bit field; clamp rather than wrap.
    const cumulativeLost = Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost));
    const delay =
      this.lastSenderReportArrivalMs < 0
        ? 0
        : Math.max(0, Math.round(((nowMs - this.lastSenderReportArrivalMs) * 65536) / 1000));
    const block = out ?? ({} as ReportBlock);
    block.ssrc = this.ssrc;
    block.fractionLost = Math.min(255, fractionLost);
    block.cumulativeLost = cumulativeLost;
    block.extendedHighestSequence = this.extendedHighestSequence >>> 0;
    block.jitter = Math.floor(this.jitter) >>> 0;
    block.lastSenderReport = this.lastSenderReportArrivalMs < 0 ? 0 : this.lastSenderReport;
    block.delaySinceLastSenderReport = delay >>> 0;
    return block;
  }

  private restart(sequence: number): void {
    this.baseSequence = sequence;
    this.maxSequence = sequence;
    this.badSequence = SEQ_MOD + 1;
    this.cycles = 0;
    this.packetsReceived = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.lastArrivalMs = Number.NaN;
  }

  /**
   * A.8: J += (|D| − J) / 16, where D compares the spacing of arrivals with
   * the spacing of timestamps. Like libwebrtc, only packets that advance the
   * highest sequence number and carry a new timestamp are sampled, so the
   * packets of one video frame (sent in a burst) do not count as jitter.
   */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    if (Number.isNaN(this.lastArrivalMs)) {
      this.lastArrivalMs = arrivalMs;
      this.lastTimestamp = timestamp;
      return;
    }
    if (timestamp === this.lastTimestamp) return;
    const arrivalDelta = ((arrivalMs - this.lastArrivalMs) * this.clockRate) / 1000;
    const timestampDelta = (timestamp - this.lastTimestamp) | 0;
    this.lastArrivalMs = arrivalMs;
    this.lastTimestamp = timestamp;
    const d = Math.abs(arrivalDelta - timestampDelta);
    this.jitter += (d - this.jitter) / 16;
  }
}

/** Options of a NackGenerator. */
export interface NackGeneratorOptions {
  /** How many sequence numbers back a loss is tracked; rounded up to a power of two. Default 1024. */
  windowSize?: number;
  /** NACKs sent per lost packet before giving up. Default 10. */
  maxRetries?: number;
  /** Wait after detecting a gap before the first NACK, for packets merely reordered. Default 0. */
  reorderDelayMs?: number;
  /** Round-trip time to the publisher until setRtt() is called. Default 100. */
  initialRttMs?: number;
}

/**
 * Tracks missing sequence numbers of one incoming stream and says which to
 * NACK when (RFC 4585 §6.2.1). A packet is asked for again only after one
 * round trip, so a retransmission in flight is not requested twice, and at
 * most maxRetries times. State lives in typed arrays sized once: no
 * allocation per packet.
 */
export class NackGenerator {
  /** NACK requests issued so far (one per sequence number per round). */
  requestsSent = 0;
  /** Lost packets given up on after maxRetries requests or pushed out of the window. */
  packetsAbandoned = 0;

  private readonly mask: number;
  private readonly maxRetries: number;
  private readonly reorderDelayMs: number;
  private rttMs: number;
  private readonly unwrapper = new SequenceUnwrapper();
  /** Extended number of the missing packet a slot tracks, -1 when none. */
  private readonly missing: Float64Array;
  private readonly retries: Uint8Array;
  private readonly detectedAt: Float64Array;
  private readonly sentAt: Float64Array;
  private missingTotal = 0;

  constructor(options: NackGeneratorOptions = {}) {
    const requested = options.windowSize ?? 1024;
    if (!(requested >= 2 && requested <= 0x8000))
      throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `window ${requested} is not 2–32768`);
    let size = 2;
    while (size < requested) size <<= 1;
    this.mask = size - 1;
    this.maxRetries = Math.max(1, Math.min(255, options.maxRetries ?? 10));
    this.reorderDelayMs = options.reorderDelayMs ?? 0;
    this.rttMs = options.initialRttMs ?? 100;
    this.missing = new Float64Array(size).fill(-1);
    this.retries = new Uint8Array(size);
    this.detectedAt = new Float64Array(size);
    this.sentAt = new Float64Array(size);
  }

  /** Packets currently considered lost and not yet given up on. */
  get missingCount(): number {
    return this.missingTotal;
  }

  /** Updates the round-trip time that spaces repeated requests. */
  setRtt(rttMs: number): void {
    if (rttMs > 0) this.rttMs = rttMs;
  }

  /**
   * Records a received packet (original or restored retransmission). Returns
   * true when a gap was too wide for the window: those packets cannot be
   * recovered by NACK, and the caller should ask for a key frame instead.
   */
  onPacket(sequenceNumber: number, nowMs: number): boolean {
    const highest = this.unwrapper.highestExtended;
    const extended = this.unwrapper.unwrap(sequenceNumber);
    if (highest === undefined) return false;
    const size = this.mask + 1;
    if (extended <= highest) {
      if (extended < 0) return false;
      const slot = extended & this.mask;
      if (this.missing[slot] === extended) this.release(slot);
      return false;
    }
    let first = highest + 1;
    let overflow = false;
    if (extended - first >= size) {
      // Everything before the window is lost for good.
      overflow = true;
      first = extended - size + 1;
    }
    for (let lost = first; lost < extended; lost++) this.markMissing(lost, nowMs);
    const slot = extended & this.mask;
    if (this.missing[slot] >= 0) this.abandon(slot);
    return overflow;
  }

  /**
   * Fills `out` (cleared first) with the sequence numbers to NACK now, oldest
   * first, ready for nackPairsFromSequenceNumbers(); returns how many.
   */
  collect(nowMs: number, out: number[]): number {
    out.length = 0;
    if (this.missingTotal === 0) return 0;
    const highest = this.unwrapper.highestExtended!;
    const start = Math.max(0, highest - this.mask);
    for (let extended = start; extended < highest; extended++) {
      const slot = extended & this.mask;
      if (this.missing[slot] !== extended) continue;
      if (nowMs - this.detectedAt[slot] < this.reorderDelayMs) continue;
      if (this.retries[slot] > 0 && nowMs - this.sentAt[slot] < this.rttMs) continue;
      out.push(extended & 0xffff);
      this.requestsSent++;
      this.sentAt[slot] = nowMs;
      if (++this.retries[slot] >= this.maxRetries) {
        // This was the last request for it: stop tracking, count it as given up.
        this.abandon(slot);
      }
    }
    return out.length;
  }

  /**
   * Stops asking for every packet before `sequenceNumber`, e.g. once a key
   * frame starting there arrived and nothing older is needed.
   */
  forgetBefore(sequenceNumber: number): void {
    if (this.missingTotal === 0) return;
    const target = this.unwrapper.peek(sequenceNumber);
    const highest = this.unwrapper.highestExtended!;
    const start = Math.max(0, highest - this.mask);
    for (let extended = start; extended < target && extended < highest; extended++) {
      const slot = extended & this.mask;
      if (this.missing[slot] === extended) this.release(slot);
    }
  }

  /** Forgets everything, as for a new SSRC. */
  reset(): void {
    this.unwrapper.reset();
    this.missing.fill(-1);
    this.missingTotal = 0;
  }

  private markMissing(extended: number, nowMs: number): void {
    const slot = extended & this.mask;
    if (this.missing[slot] >= 0) this.abandon(slot);
    this.missing[slot] = extended;
    this.retries[slot] = 0;
    this.detectedAt[slot] = nowMs;
    this.missingTotal++;
  }

  private release(slot: number): void {
    this.missing[slot] = -1;
    this.missingTotal--;
  }

  private abandon(slot: number): void {
    this.release(slot);
    this.packetsAbandoned++;
  }
}
