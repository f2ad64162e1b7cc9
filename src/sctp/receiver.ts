/**
 * The receiving half of an SCTP association: TSN tracking with gap blocks
 * and duplicates (RFC 9260 §6.2), reassembly of fragmented messages (§6.9)
 * and ordered or unordered delivery per stream (§6.5, §6.6), SACK
 * generation (§3.3.4, §6.2), FORWARD TSN handling (RFC 3758 §3.6), I-DATA
 * reassembly by message identifier and I-FORWARD-TSN (RFC 8260 §2.1, §2.3)
 * and the receiver's part of an incoming stream reset (RFC 6525 §5.2.2).
 */
import type { SctpAssociationStats } from './association-types.js';
import type { DataChunk } from './data.js';
import type { ForwardTsnChunk } from './forward-tsn.js';
import type { IDataChunk } from './i-data.js';
import type { IForwardTsnChunk } from './i-forward-tsn.js';
import { COMMON_HEADER_SIZE } from './packet.js';
import { type GapAckBlock, SACK_HEADER_SIZE, type SackChunk } from './sack.js';
import { ssnLt, tsnAdd, tsnDiff, tsnGt, tsnLt, tsnLte } from './serial.js';

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

/** An I-DATA message being reassembled: its fragments by FSN (RFC 8260 §2.1). */
interface InboundIMessage {
  streamId: number;
  unordered: boolean;
  messageId: number;
  /** From the first fragment (FSN 0). */
  ppid: number;
  /** TSN of the first fragment, once it arrived. */
  firstTsn: number | undefined;
  /** FSN of the last fragment, once it arrived. */
  lastFsn: number | undefined;
  fragments: Map<number, Buffer>;
  bytes: number;
}

/** A whole message held until a deferred stream reset is performed. */
interface HeldMessage {
  streamId: number;
  streamSequenceNumber: number;
  ppid: number;
  unordered: boolean;
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
  #windowExhausted = false;
  #inboundStreams = new Map<number, InboundStream>();
  /** An incoming reset waiting for the cumulative TSN (RFC 6525 §5.2.2 E2); undefined when none. */
  #pendingReset: { streamIds: Set<number> | 'all'; senderLastAssignedTsn: number } | undefined;
  /** Messages sent after the pending reset on its streams, in arrival order. */
  #heldForReset: HeldMessage[] = [];
  /** I-DATA was negotiated: messages are numbered by 32-bit identifiers and reassembled by FSN. */
  #interleaving = false;
  /** I-DATA messages being reassembled, by stream, kind and message identifier. */
  #iMessages = new Map<string, InboundIMessage>();

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

  /**
   * True once the window filled up with no gap below: everything held is
   * parts of messages whose rest cannot fit, so nothing will ever be
   * delivered again (a peer sending messages larger than our window).
   */
  get windowExhausted(): boolean {
    return this.#windowExhausted;
  }

  /** True while TSNs beyond the cumulative one are held, i.e. there are gaps. */
  get hasGaps(): boolean {
    return this.#receivedAhead.size > 0;
  }

  /** Starts tracking at the peer's initial TSN from its INIT or INIT ACK. */
  init(peerInitialTsn: number, interleaving = false): void {
    this.#peerCumulativeTsn = tsnAdd(peerInitialTsn, -1);
    this.#highestReceived = this.#peerCumulativeTsn;
    this.#interleaving = interleaving;
  }

  /**
   * Takes one DATA or I-DATA chunk; returns true when it calls for an
   * immediate SACK. With deliverable false only its TSN counts
   * (acknowledged, data dropped).
   */
  onData(chunk: DataChunk | IDataChunk, deliverable = true): boolean {
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
      if (this.#receivedAhead.size === 0) this.#windowExhausted = true;
      return true;
    }
    if (tsnGt(tsn, this.#highestReceived)) this.#highestReceived = tsn;
    if (tsn === tsnAdd(this.#peerCumulativeTsn, 1)) {
      this.#peerCumulativeTsn = tsn;
      this.#advancePeerCumulativeTsn();
    } else {
      this.#receivedAhead.add(tsn);
    }
    if (!deliverable) return true;
    if (chunk.kind === 'i-data') {
      this.#heldBytes += chunk.userData.length;
      this.#onIDataFragment(tsn, chunk);
      return chunk.immediate;
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
  onForwardTsn(chunk: ForwardTsnChunk | IForwardTsnChunk): boolean {
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
    if (chunk.kind === 'i-forward-tsn') {
      // RFC 8260 §2.3.2: drop what is left of the skipped messages; ordered ones also move their stream on.
      for (const skipped of chunk.streams) {
        for (const [key, message] of this.#iMessages) {
          if (
            message.streamId === skipped.streamId &&
            message.unordered === skipped.unordered &&
            !tsnGt(message.messageId, skipped.messageId)
          ) {
            this.#iMessages.delete(key);
            this.#heldBytes -= message.bytes;
          }
        }
        if (!skipped.unordered) this.#skipOrdered(skipped.streamId, skipped.messageId);
      }
      return true;
    }
    for (const skipped of chunk.streams) this.#skipOrdered(skipped.streamId, skipped.streamSequenceNumber);
    return true;
  }

  /**
   * Moves an ordered stream past a skipped SSN (or I-DATA message
   * identifier): whole messages up to it still go out, in order; the gaps
   * are what was abandoned (RFC 3758 §3.6, RFC 8260 §2.3.2).
   */
  #skipOrdered(streamId: number, lastSkipped: number): void {
    const stream = this.#inboundStream(streamId);
    if (this.#sequenceBefore(lastSkipped, stream.nextSequenceNumber)) return;
    const base = stream.nextSequenceNumber;
    const due = [...stream.ready.keys()]
      .filter((sequence) => !this.#sequenceBefore(lastSkipped, sequence))
      .sort((a, b) => this.#sequenceDistance(a, base) - this.#sequenceDistance(b, base));
    for (const sequence of due) {
      const ready = stream.ready.get(sequence)!;
      stream.ready.delete(sequence);
      this.#heldBytes -= ready.data.length;
      this.#deliver(streamId, ready.ppid, ready.data);
    }
    stream.nextSequenceNumber = this.#sequenceAfter(lastSkipped);
    this.#deliverReady(streamId, stream);
  }

  /** SSNs are 16-bit serial numbers, I-DATA message identifiers 32-bit (RFC 8260 §2.1). */
  #sequenceAfter(sequence: number): number {
    return this.#interleaving ? (sequence + 1) >>> 0 : (sequence + 1) & 0xffff;
  }

  #sequenceBefore(a: number, b: number): boolean {
    return this.#interleaving ? tsnLt(a, b) : ssnLt(a, b);
  }

  #sequenceDistance(sequence: number, base: number): number {
    return this.#interleaving ? (sequence - base) >>> 0 : (sequence - base) & 0xffff;
  }

  /**
   * Files an I-DATA fragment under its message (stream, kind, message
   * identifier) and delivers the message once every FSN from 0 to the
   * ending fragment's is there: fragments of a message need not have
   * consecutive TSNs (RFC 8260 §2.1).
   */
  #onIDataFragment(tsn: number, chunk: IDataChunk): void {
    const key = `${chunk.streamId}:${chunk.unordered ? 'u' : 'o'}:${chunk.messageId}`;
    let message = this.#iMessages.get(key);
    if (!message) {
      message = {
        streamId: chunk.streamId,
        unordered: chunk.unordered,
        messageId: chunk.messageId,
        ppid: 0,
        firstTsn: undefined,
        lastFsn: undefined,
        fragments: new Map(),
        bytes: 0,
      };
      this.#iMessages.set(key, message);
    }
    const fsn = chunk.fragmentSequenceNumber;
    if (message.fragments.has(fsn)) {
      // The same fragment under another TSN: a broken sender; keep the first.
      this.#heldBytes -= chunk.userData.length;
      return;
    }
    message.fragments.set(fsn, Buffer.from(chunk.userData));
    message.bytes += chunk.userData.length;
    if (chunk.beginning) {
      message.ppid = chunk.ppid;
      message.firstTsn = tsn;
    }
    if (chunk.ending) message.lastFsn = fsn;
    const { lastFsn, firstTsn } = message;
    if (lastFsn === undefined || firstTsn === undefined || message.fragments.size !== lastFsn + 1) return;
    this.#iMessages.delete(key);
    const parts: Buffer[] = [];
    for (let at = 0; at <= lastFsn; at++) {
      const part = message.fragments.get(at);
      // A hole below the last FSN with as many fragments as FSNs means FSNs past it: drop the message.
      if (!part) {
        this.#heldBytes -= message.bytes;
        return;
      }
      parts.push(part);
    }
    this.#takeWhole(
      {
        streamId: message.streamId,
        streamSequenceNumber: message.messageId,
        ppid: message.ppid,
        unordered: message.unordered,
        data: parts.length === 1 ? parts[0] : Buffer.concat(parts),
      },
      firstTsn,
    );
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
   * Holds back messages on streams the peer asked to reset that were sent
   * after its last assigned TSN, until resetStreams() performs the reset
   * (RFC 6525 §5.2.2 E2): with loss, the first message of a channel that
   * reuses the stream can arrive before the last ones of the old channel,
   * and must count from SSN 0 of the reset stream. An empty list means every stream.
   */
  holdAfterReset(streamIds: readonly number[], senderLastAssignedTsn: number): void {
    this.#pendingReset = {
      streamIds: streamIds.length > 0 ? new Set(streamIds) : 'all',
      senderLastAssignedTsn,
    };
  }

  /**
   * Resets incoming streams (RFC 6525 §5.2.2): they restart at SSN 0 and
   * messages waiting on them are dropped; messages held back for the reset
   * are then taken in as new. An empty list means every stream. Returns the
   * streams reset.
   */
  resetStreams(streamIds: number[]): number[] {
    const ids = streamIds.length > 0 ? streamIds : [...this.#inboundStreams.keys()];
    for (const id of ids) {
      const stream = this.#inboundStreams.get(id);
      if (!stream) continue;
      for (const ready of stream.ready.values()) this.#heldBytes -= ready.data.length;
      this.#inboundStreams.delete(id);
    }
    this.#pendingReset = undefined;
    const held = this.#heldForReset;
    this.#heldForReset = [];
    for (const message of held) this.#dispatch(message);
    return ids;
  }

  /** Drops everything held, when the association closes. */
  clear(): void {
    this.#fragments.clear();
    this.#inboundStreams.clear();
    this.#receivedAhead.clear();
    this.#heldForReset = [];
    this.#pendingReset = undefined;
    this.#iMessages.clear();
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
    // Fragments of one message have consecutive TSNs (§6.9). The end is looked for first:
    // a fragment arriving in order stops there at once, so a message of k fragments
    // costs O(k) look-ups, not O(k²).
    let last = tsn;
    let current = fragment;
    while (!current.ending) {
      const next = this.#fragments.get(tsnAdd(last, 1));
      if (!sameMessage(next) || next.beginning) return;
      last = tsnAdd(last, 1);
      current = next;
    }
    let first = tsn;
    current = fragment;
    while (!current.beginning) {
      const previous = this.#fragments.get(tsnAdd(first, -1));
      if (!sameMessage(previous) || previous.ending) return;
      first = tsnAdd(first, -1);
      current = previous;
    }
    const head = current;
    const parts: Buffer[] = [];
    for (let at = first; ; at = tsnAdd(at, 1)) {
      const part = this.#fragments.get(at)!;
      parts.push(part.data);
      this.#fragments.delete(at);
      if (at === last) break;
    }
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const message: HeldMessage = {
      streamId: head.streamId,
      streamSequenceNumber: head.streamSequenceNumber,
      ppid: head.ppid,
      unordered: fragment.unordered,
      data,
    };
    this.#takeWhole(message, first);
  }

  /** A whole message whose first fragment had firstTsn: held behind a pending reset, or dispatched. */
  #takeWhole(message: HeldMessage, firstTsn: number): void {
    const pending = this.#pendingReset;
    if (
      pending &&
      tsnGt(firstTsn, pending.senderLastAssignedTsn) &&
      (pending.streamIds === 'all' || pending.streamIds.has(message.streamId))
    ) {
      this.#heldForReset.push(message);
      return;
    }
    this.#dispatch(message);
  }

  /** Delivers a whole message: unordered at once, ordered when its SSN is next (§6.5, §6.6). */
  #dispatch(message: HeldMessage): void {
    const { streamId, ppid, data, streamSequenceNumber } = message;
    if (message.unordered) {
      this.#heldBytes -= data.length;
      this.#deliver(streamId, ppid, data);
      return;
    }
    const stream = this.#inboundStream(streamId);
    if (streamSequenceNumber !== stream.nextSequenceNumber) {
      if (this.#sequenceBefore(streamSequenceNumber, stream.nextSequenceNumber))
        this.#heldBytes -= data.length;
      else stream.ready.set(streamSequenceNumber, { ppid, data });
      return;
    }
    this.#heldBytes -= data.length;
    stream.nextSequenceNumber = this.#sequenceAfter(stream.nextSequenceNumber);
    this.#deliver(streamId, ppid, data);
    this.#deliverReady(streamId, stream);
  }

  #deliverReady(streamId: number, stream: InboundStream): void {
    for (;;) {
      const ready = stream.ready.get(stream.nextSequenceNumber);
      if (!ready) return;
      stream.ready.delete(stream.nextSequenceNumber);
      this.#heldBytes -= ready.data.length;
      stream.nextSequenceNumber = this.#sequenceAfter(stream.nextSequenceNumber);
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
