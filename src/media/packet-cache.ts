/**
 * Retransmission cache of one producer's stream, for answering generic NACKs
 * (RFC 4585 §6.2.1) from subscribers.
 *
 * Copies of the last `capacity` packets sit in slots of one preallocated
 * buffer, indexed by extended sequence number, with their arrival time; a
 * packet older than `maxAgeMs` is not returned, since retransmitting it
 * would arrive after the receiver has given up on it. Defaults: 1000 packets
 * or 2 s, whichever is reached first — video at 500 packets/s fills 1000
 * slots in 2 s. The slot memory (capacity × slotSize) is allocated at the
 * first insert.
 */
import { SequenceUnwrapper } from '../rtp/sequence-unwrapper.js';
import { ForwardingError } from './forwarding-errors.js';

/** Options of a PacketCache. */
export interface PacketCacheOptions {
  /** Number of packets kept. Default 1000. */
  capacity?: number;
  /** Oldest packet returned, in milliseconds. Default 2000. */
  maxAgeMs?: number;
  /** Largest packet stored, in bytes; longer ones are not cached. Default 1500. */
  slotSize?: number;
}

/** The last packets of a stream, by sequence number, for retransmission. */
export class PacketCache {
  /** Capacity in packets. */
  readonly capacity: number;
  /** Maximum age of a returned packet, in milliseconds. */
  readonly maxAgeMs: number;
  /** Largest packet stored, in bytes. */
  readonly slotSize: number;
  private readonly unwrapper = new SequenceUnwrapper();
  private readonly extendedSequences: Float64Array;
  private readonly lengths: Uint16Array;
  private readonly arrivals: Float64Array;
  private arena: Buffer | undefined;

  constructor(options: PacketCacheOptions = {}) {
    const capacity = options.capacity ?? 1000;
    const slotSize = options.slotSize ?? 1500;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x8000)
      throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `capacity ${capacity} is not 1–32768`);
    if (!Number.isInteger(slotSize) || slotSize < 12 || slotSize > 0xffff)
      throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `slot size ${slotSize} is not 12–65535`);
    this.capacity = capacity;
    this.slotSize = slotSize;
    this.maxAgeMs = options.maxAgeMs ?? 2000;
    this.extendedSequences = new Float64Array(capacity).fill(-1);
    this.lengths = new Uint16Array(capacity);
    this.arrivals = new Float64Array(capacity);
  }

  /**
   * Stores a copy of `packet` (the whole RTP packet) under its sequence
   * number. Returns false when it is not stored: longer than a slot, or older
   * than everything the cache can hold.
   */
  insert(sequenceNumber: number, packet: Uint8Array, nowMs: number): boolean {
    if (packet.length > this.slotSize) return false;
    const highest = this.unwrapper.highestExtended;
    const extended = this.unwrapper.unwrap(sequenceNumber);
    if (highest !== undefined && extended <= highest - this.capacity) return false;
    if (extended < 0) return false;
    const slot = extended % this.capacity;
    this.arena ??= Buffer.allocUnsafe(this.capacity * this.slotSize);
    this.arena.set(packet, slot * this.slotSize);
    this.extendedSequences[slot] = extended;
    this.lengths[slot] = packet.length;
    this.arrivals[slot] = nowMs;
    return true;
  }

  /**
   * The stored packet for a sequence number, or undefined when it is absent,
   * overwritten or older than maxAgeMs. The view points into the cache's
   * memory: it stays valid until the slot is reused (`capacity` inserts
   * later), so send or copy it before inserting again.
   */
  get(sequenceNumber: number, nowMs: number): Uint8Array | undefined {
    const slot = this.slotOf(sequenceNumber, nowMs);
    if (slot < 0) return undefined;
    const start = slot * this.slotSize;
    return this.arena!.subarray(start, start + this.lengths[slot]);
  }

  /** Arrival time of the stored packet in milliseconds, or -1 (same rules as get()). */
  arrivalTime(sequenceNumber: number, nowMs: number): number {
    const slot = this.slotOf(sequenceNumber, nowMs);
    return slot < 0 ? -1 : this.arrivals[slot];
  }

  /** Forgets every packet, as for a new SSRC; keeps the memory. */
  clear(): void {
    this.unwrapper.reset();
    this.extendedSequences.fill(-1);
  }

  private slotOf(sequenceNumber: number, nowMs: number): number {
    if (this.unwrapper.highestExtended === undefined) return -1;
    const extended = this.unwrapper.peek(sequenceNumber);
    if (extended < 0) return -1;
    const slot = extended % this.capacity;
    if (this.extendedSequences[slot] !== extended) return -1;
    if (nowMs - this.arrivals[slot] > this.maxAgeMs) return -1;
    return slot;
  }
}
