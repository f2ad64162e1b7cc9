/**
 * The receiving half of an SCTP association: TSN tracking with gap blocks
 * and duplicates (RFC 9260 §6.2), reassembly of fragmented messages (§6.9)
 * and ordered or unordered delivery per stream (§6.5, §6.6), SACK
 * generation (§3.3.4, §6.2), FORWARD TSN handling (RFC 3758 §3.6) and the
 * receiver's part of an incoming stream reset (RFC 6525 §5.2.2).
 */
import type { SctpAssociationStats } from './association-types.js';
import type { DataChunk } from './data.js';
import type { ForwardTsnChunk } from './forward-tsn.js';
import { COMMON_HEADER_SIZE } from './packet.js';
import { type GapAckBlock, SACK_HEADER_SIZE, type SackChunk } from './sack.js';
import { ssnLt, tsnAdd, tsnDiff, tsnGt, tsnLte } from './serial.js';

/** Duplicate TSNs reported per SACK; more tells the sender nothing new. */
const MAX_REPORTED_DUPLICATES = 16;
/** Gap ack block offsets are 16-bit (§3.3.4): data further ahead cannot be reported. */
const MAX_TSN_AHEAD = 0xffff;

interface InboundFragment {
  streamId: number;
  streamSequenceNumber: number;
  ppid: number;
  unordered: boolean;
  beginning: boolean;
  ending: boolean;
  data: Buffer;
}

interface InboundStream {
  nextSequenceNumber: number;
  /** Whole ordered messages waiting for an earlier SSN. */
  ready: Map<number, { ppid: number; data: Buffer }>;
}

/** What the receiver needs from its association. */
export interface SctpReceiverOptions {
  /** Receive buffer, which a_rwnd advertises. */
  receiveBufferSize: number;
  /** The association's counters. */
  stats: SctpAssociationStats;
  /** Hands a whole message to the application. */
  deliver: (streamId: number, ppid: number, data: Buffer) => void;
}

/** Inbound TSNs, fragments and streams of one association. */
export class SctpReceiver {
  readonly #receiveBufferSize: number;
  readonly #stats: SctpAssociationStats;
  readonly #deliver: (streamId: number, ppid: number, data: Buffer) => void;

  #peerCumulativeTsn = 0;
  #receivedAhead = new Set<number>();
  #highestReceived = 0;
  #duplicates: number[] = [];
  #fragments = new Map<number, InboundFragment>();
  #heldBytes = 0;
  #inboundStreams = new Map<number, InboundStream>();

  /** Creates a receiver; init() sets its starting TSN. */
  constructor(options: SctpReceiverOptions) {
    this.#receiveBufferSize = options.receiveBufferSize;
    this.#stats = options.stats;
    this.#deliver = options.deliver;
  }

  /** Highest TSN received with everything before it (our cumulative TSN ack). */
  get cumulativeTsn(): number {
    return this.#peerCumulativeTsn;
  }

  /** True while TSNs beyond the cumulative one are held, i.e. there are gaps. */
  get hasGaps(): boolean {
    return this.#receivedAhead.size > 0;
  }

  /** Starts tracking at the peer's initial TSN from its INIT or INIT ACK. */
  init(peerInitialTsn: number): void {
    this.#peerCumulativeTsn = tsnAdd(peerInitialTsn, -1);
    this.#highestReceived = this.#peerCumulativeTsn;
  }

  /** Takes one DATA chunk; returns true when it calls for an immediate SACK. */
  onData(chunk: DataChunk): boolean {
    this.#stats.dataChunksReceived++;
    const tsn = chunk.tsn;
    if (tsnLte(tsn, this.#peerCumulativeTsn) || this.#receivedAhead.has(tsn)) {
      this.#stats.duplicateTsnsReceived++;
      if (this.#duplicates.length < MAX_REPORTED_DUPLICATES) this.#duplicates.push(tsn);
      return true;
    }
    if (tsnDiff(tsn, this.#peerCumulativeTsn) > MAX_TSN_AHEAD) {
      this.#stats.chunksDropped++;
      return true;
    }
    // §6.2: with the window full, drop data beyond the highest TSN seen but still fill holes.
    if (
      this.#heldBytes + chunk.userData.length > this.#receiveBufferSize &&
      tsnGt(tsn, this.#highestReceived)
    ) {
      this.#stats.chunksDropped++;
      return true;
    }
    if (tsnGt(tsn, this.#highestReceived)) this.#highestReceived = tsn;
    if (tsn === tsnAdd(this.#peerCumulativeTsn, 1)) {
      this.#peerCumulativeTsn = tsn;
      this.#advancePeerCumulativeTsn();
    } else {
      this.#receivedAhead.add(tsn);
    }
    this.#fragments.set(tsn, {
      streamId: chunk.streamId,
      streamSequenceNumber: chunk.streamSequenceNumber,
      ppid: chunk.ppid,
      unordered: chunk.unordered,
      beginning: chunk.beginning,
      ending: chunk.ending,
      data: Buffer.from(chunk.userData),
    });
    this.#heldBytes += chunk.userData.length;
    this.#reassemble(tsn);
    return chunk.immediate;
  }

  /**
   * Applies a FORWARD TSN (RFC 3758 §3.6): moves the cumulative TSN, drops
   * fragments of abandoned messages and delivers what the skipped SSNs release.
   * Returns false when it was stale or too far ahead and changed nothing.
   */
  onForwardTsn(chunk: ForwardTsnChunk): boolean {
    const target = chunk.newCumulativeTsn;
    if (tsnLte(target, this.#peerCumulativeTsn)) return false;
    if (tsnDiff(target, this.#peerCumulativeTsn) > MAX_TSN_AHEAD) return false;
    // RFC 3758 §3.6: everything up to the new cumulative TSN counts as received.
    for (const tsn of this.#receivedAhead) if (tsnLte(tsn, target)) this.#receivedAhead.delete(tsn);
    this.#peerCumulativeTsn = target;
    if (tsnGt(target, this.#highestReceived)) this.#highestReceived = target;
    this.#advancePeerCumulativeTsn();
    // Fragments of abandoned messages will never be completed.
    for (const [tsn, fragment] of this.#fragments) {
      if (tsnLte(tsn, target)) {
        this.#fragments.delete(tsn);
        this.#heldBytes -= fragment.data.length;
      }
    }
    for (const skipped of chunk.streams) {
      const stream = this.#inboundStream(skipped.streamId);
      if (ssnLt(skipped.streamSequenceNumber, stream.nextSequenceNumber)) continue;
      // Whole messages up to the skipped SSN still go out, in order; the gaps are what was abandoned.
      const base = stream.nextSequenceNumber;
      const due = [...stream.ready.keys()]
        .filter((ssn) => !ssnLt(skipped.streamSequenceNumber, ssn))
        .sort((a, b) => ((a - base) & 0xffff) - ((b - base) & 0xffff));
      for (const ssn of due) {
        const ready = stream.ready.get(ssn)!;
        stream.ready.delete(ssn);
        this.#heldBytes -= ready.data.length;
        this.#deliver(skipped.streamId, ready.ppid, ready.data);
      }
      stream.nextSequenceNumber = (skipped.streamSequenceNumber + 1) & 0xffff;
      this.#deliverReady(skipped.streamId, stream);
    }
    return true;
  }

  /**
   * Builds a SACK (§3.3.4) of the current state, with as many gap ack blocks
   * as fit one packet of maxPacketSize, and forgets the reported duplicates.
   */
  buildSack(maxPacketSize: number): SackChunk {
    const cumulative = this.#peerCumulativeTsn;
    const offsets = [...this.#receivedAhead].map((tsn) => tsnDiff(tsn, cumulative)).sort((a, b) => a - b);
    const duplicates = this.#duplicates;
    this.#duplicates = [];
    const maxBlocks = Math.max(
      0,
      Math.floor((maxPacketSize - COMMON_HEADER_SIZE - SACK_HEADER_SIZE) / 4) - duplicates.length,
    );
    const blocks: GapAckBlock[] = [];
    for (const offset of offsets) {
      const last = blocks[blocks.length - 1];
      if (last && last.end + 1 === offset) last.end = offset;
      else if (blocks.length < maxBlocks) blocks.push({ start: offset, end: offset });
      else break;
    }
    return {
      kind: 'sack',
      cumulativeTsnAck: cumulative,
      advertisedReceiverWindowCredit: Math.max(0, this.#receiveBufferSize - this.#heldBytes),
      gapAckBlocks: blocks,
      duplicateTsns: duplicates,
    };
  }

  /**
   * Resets incoming streams (RFC 6525 §5.2.2): they restart at SSN 0 and
   * messages waiting on them are dropped. An empty list means every stream.
   * Returns the streams reset.
   */
  resetStreams(streamIds: number[]): number[] {
    const ids = streamIds.length > 0 ? streamIds : [...this.#inboundStreams.keys()];
    for (const id of ids) {
      const stream = this.#inboundStreams.get(id);
      if (!stream) continue;
      for (const ready of stream.ready.values()) this.#heldBytes -= ready.data.length;
      this.#inboundStreams.delete(id);
    }
    return ids;
  }

  /** Drops everything held, when the association closes. */
  clear(): void {
    this.#fragments.clear();
    this.#inboundStreams.clear();
    this.#receivedAhead.clear();
    this.#heldBytes = 0;
  }

  #advancePeerCumulativeTsn(): void {
    for (;;) {
      const next = tsnAdd(this.#peerCumulativeTsn, 1);
      if (!this.#receivedAhead.delete(next)) return;
      this.#peerCumulativeTsn = next;
    }
  }

  /** Delivers the message the fragment at tsn belongs to, if it is now whole. */
  #reassemble(tsn: number): void {
    const fragment = this.#fragments.get(tsn);
    if (!fragment) return;
    const sameMessage = (other: InboundFragment | undefined): other is InboundFragment =>
      other !== undefined &&
      other.streamId === fragment.streamId &&
      other.unordered === fragment.unordered &&
      (fragment.unordered || other.streamSequenceNumber === fragment.streamSequenceNumber);
    // Fragments of one message have consecutive TSNs (§6.9).
    let first = tsn;
    let current = fragment;
    while (!current.beginning) {
      const previous = this.#fragments.get(tsnAdd(first, -1));
      if (!sameMessage(previous) || previous.ending) return;
      first = tsnAdd(first, -1);
      current = previous;
    }
    const head = current;
    let last = tsn;
    current = fragment;
    while (!current.ending) {
      const next = this.#fragments.get(tsnAdd(last, 1));
      if (!sameMessage(next) || next.beginning) return;
      last = tsnAdd(last, 1);
      current = next;
    }
    const parts: Buffer[] = [];
    for (let at = first; ; at = tsnAdd(at, 1)) {
      const part = this.#fragments.get(at)!;
      parts.push(part.data);
      this.#fragments.delete(at);
      if (at === last) break;
    }
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const { streamId, ppid: firstPpid, streamSequenceNumber } = head;
    if (fragment.unordered) {
      this.#heldBytes -= data.length;
      this.#deliver(streamId, firstPpid, data);
      return;
    }
    const stream = this.#inboundStream(streamId);
    if (streamSequenceNumber !== stream.nextSequenceNumber) {
      if (ssnLt(streamSequenceNumber, stream.nextSequenceNumber)) this.#heldBytes -= data.length;
      else stream.ready.set(streamSequenceNumber, { ppid: firstPpid, data });
      return;
    }
    this.#heldBytes -= data.length;
    stream.nextSequenceNumber = (stream.nextSequenceNumber + 1) & 0xffff;
    this.#deliver(streamId, firstPpid, data);
    this.#deliverReady(streamId, stream);
  }

  #deliverReady(streamId: number, stream: InboundStream): void {
    for (;;) {
      const ready = stream.ready.get(stream.nextSequenceNumber);
      if (!ready) return;
      stream.ready.delete(stream.nextSequenceNumber);
      this.#heldBytes -= ready.data.length;
      stream.nextSequenceNumber = (stream.nextSequenceNumber + 1) & 0xffff;
      this.#deliver(streamId, ready.ppid, ready.data);
    }
  }

  #inboundStream(streamId: number): InboundStream {
    let stream = this.#inboundStreams.get(streamId);
    if (!stream) {
      stream = { nextSequenceNumber: 0, ready: new Map() };
      this.#inboundStreams.set(streamId, stream);
    }
    return stream;
  }
}
