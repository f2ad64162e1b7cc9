/**
 * Rewrites one forwarded stream's sequence numbers and timestamps so that a
 * subscriber sees a single continuous RTP stream (RFC 3550 §5.1: sequence
 * numbers increase by one per packet, timestamps follow the sampling clock)
 * even when the SFU switches what it forwards: another simulcast layer,
 * another producer, or the same one after a pause.
 *
 *   out seq = in seq + sequenceOffset (mod 2^16)
 *   out ts  = in ts  + timestampOffset (mod 2^32)
 *
 * On a switch, the offsets are chosen at the next packet so that it gets the
 * sequence number after the last one sent and a timestamp advanced by the
 * wall-clock time since then (at least one tick). Packets of the new source
 * that are older than that first packet are dropped: their numbers would
 * collide with ones already sent.
 *
 * Results are left in fields instead of a returned object, so the packet path
 * allocates nothing.
 */
import { SequenceUnwrapper } from '../rtp/sequence-unwrapper.js';
import { ForwardingError } from './forwarding-errors.js';

/** Options of an RtpStreamRewriter. */
export interface RtpStreamRewriterOptions {
  /** RTP clock rate of the outgoing stream, in Hz (90000 for video, 48000 for Opus). */
  clockRate: number;
  /** Outgoing sequence numbers remembered for NACK translation; rounded up to a power of two. Default 1024. */
  historySize?: number;
}

/** Maps an incoming stream's sequence numbers and timestamps onto one continuous outgoing stream. */
export class RtpStreamRewriter {
  /** Outgoing sequence number of the packet last accepted by rewrite(). */
  sequence = 0;
  /** Outgoing timestamp of the packet last accepted by rewrite(). */
  timestamp = 0;
  /** Newest outgoing sequence number sent (where the stream continues after a switch). */
  lastSequence = 0;
  /** Outgoing timestamp of the newest packet sent. */
  lastTimestamp = 0;
  /** Counts switchSource() calls; lookup() reports which generation an outgoing number belongs to. */
  generation = 0;
  /** Generation of the packet found by the last successful lookup(). */
  lookupGeneration = 0;
  /** Packets dropped because they were older than a switch point. */
  droppedPackets = 0;

  private readonly clockRate: number;
  private readonly unwrapper = new SequenceUnwrapper();
  private sequenceOffset = 0;
  private timestampOffset = 0;
  /** The extended incoming number of the first packet after a switch; older ones are dropped. */
  private switchPoint = 0;
  private pendingSwitch = true;
  private started = false;
  private lastSentAtMs = 0;
  private readonly historyMask: number;
  /** Outgoing sequence number each slot holds, -1 when empty. */
  private readonly historyOutgoing: Int32Array;
  private readonly historyIncoming: Uint16Array;
  private readonly historyGeneration: Uint32Array;

  constructor(options: RtpStreamRewriterOptions) {
    const { clockRate } = options;
    if (!(clockRate > 0)) throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `clock rate ${clockRate}`);
    const requested = options.historySize ?? 1024;
    if (!(requested >= 1 && requested <= 0x10000))
      throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `history size ${requested} is not 1–65536`);
    let size = 1;
    while (size < requested) size <<= 1;
    this.clockRate = clockRate;
    this.historyMask = size - 1;
    this.historyOutgoing = new Int32Array(size).fill(-1);
    this.historyIncoming = new Uint16Array(size);
    this.historyGeneration = new Uint32Array(size);
  }

  /** True once a packet has been sent. */
  get hasSent(): boolean {
    return this.started;
  }

  /**
   * Starts a new source: the next packet passed to rewrite() continues the
   * outgoing stream after the last one sent. Call it when another producer or
   * layer takes over, or when a paused stream resumes.
   */
  switchSource(): void {
    this.pendingSwitch = true;
    this.generation++;
  }

  /**
   * Maps an incoming packet. Returns false when it must be dropped (older
   * than the current switch point); otherwise true, with the outgoing values
   * in `sequence` and `timestamp`. `nowMs` is the wall clock, used only to
   * advance the timestamp across a switch.
   */
  rewrite(sequenceNumber: number, timestamp: number, nowMs: number): boolean {
    if (this.pendingSwitch) {
      this.pendingSwitch = false;
      this.unwrapper.reset();
      this.switchPoint = this.unwrapper.unwrap(sequenceNumber);
      if (this.started) {
        const elapsedTicks = Math.round(((nowMs - this.lastSentAtMs) * this.clockRate) / 1000);
        const nextTimestamp = this.lastTimestamp + Math.max(1, elapsedTicks);
        this.sequenceOffset = (this.lastSequence + 1 - sequenceNumber) & 0xffff;
        this.timestampOffset = (nextTimestamp - timestamp) >>> 0;
      } else {
        this.sequenceOffset = 0;
        this.timestampOffset = 0;
      }
      return this.accept(sequenceNumber, timestamp, nowMs, true);
    }
    const highestBefore = this.unwrapper.highestExtended!;
    const extended = this.unwrapper.unwrap(sequenceNumber);
    if (extended < this.switchPoint) {
      this.droppedPackets++;
      return false;
    }
    return this.accept(sequenceNumber, timestamp, nowMs, extended > highestBefore);
  }

  /**
   * The incoming sequence number an outgoing one was rewritten from (for a
   * subscriber's NACK), or -1 when it is no longer (or never was) in the
   * history. On success `lookupGeneration` says which source it came from.
   */
  lookup(outgoingSequence: number): number {
    const sequence = outgoingSequence & 0xffff;
    const slot = sequence & this.historyMask;
    if (this.historyOutgoing[slot] !== sequence) return -1;
    this.lookupGeneration = this.historyGeneration[slot];
    return this.historyIncoming[slot];
  }

  private accept(sequenceNumber: number, timestamp: number, nowMs: number, newest: boolean): boolean {
    const outSequence = (sequenceNumber + this.sequenceOffset) & 0xffff;
    const outTimestamp = (timestamp + this.timestampOffset) >>> 0;
    this.sequence = outSequence;
    this.timestamp = outTimestamp;
    if (newest) {
      this.lastSequence = outSequence;
      this.lastTimestamp = outTimestamp;
      this.lastSentAtMs = nowMs;
      this.started = true;
    }
    const slot = outSequence & this.historyMask;
    this.historyOutgoing[slot] = outSequence;
    this.historyIncoming[slot] = sequenceNumber & 0xffff;
    this.historyGeneration[slot] = this.generation;
    return true;
  }
}
