/**
 * The sending half of an SCTP association: outbound messages cut into DATA
 * chunks with TSNs and SSNs (RFC 9260 §6.5, §6.9), or into I-DATA chunks
 * with message identifiers and FSNs (RFC 8260 §2.1), in-flight tracking, SACK
 * processing with gap ack blocks (§6.2.1), retransmission on T3 expiry
 * (§6.3.3) and fast retransmit (§7.2.4), congestion control with cwnd,
 * ssthresh and the peer's rwnd (§7.2), RTT sampling for the RTO (§6.3.1),
 * and partial reliability: abandoned messages and FORWARD TSN (or
 * I-FORWARD-TSN) generation (RFC 3758 §3.5, RFC 8260 §2.3). Timers stay
 * with the association; the methods here report what it needs to start or
 * stop them.
 */
import type { SctpAssociationStats, SctpSendOptions } from './association-types.js';
import { DATA_HEADER_SIZE, type DataChunk } from './data.js';
import type { ForwardTsnChunk, ForwardTsnStream } from './forward-tsn.js';
import { I_DATA_HEADER_SIZE, type IDataChunk } from './i-data.js';
import type { IForwardTsnChunk, IForwardTsnStream } from './i-forward-tsn.js';
import { COMMON_HEADER_SIZE } from './packet.js';
import type { RtoEstimator } from './rto.js';
import type { SackChunk } from './sack.js';
import { tsnAdd, tsnDiff, tsnGt, tsnLt, tsnLte } from './serial.js';
import type { SctpTimers } from './timer.js';

/** A message accepted by send() and not yet cut into chunks. */
export interface PendingMessage {
  streamId: number;
  ppid: number;
  data: Buffer;
  options: SctpSendOptions;
  queuedAt: number;
}

/** Bytes queued or in flight on one stream, shared by its messages until acknowledged. */
interface StreamBuffer {
  bytes: number;
}

interface OutboundMessage {
  streamId: number;
  /** Its stream's count of unacknowledged bytes. */
  streamBuffer: StreamBuffer;
  ppid: number;
  unordered: boolean;
  /** The SSN with DATA (0 when unordered); with I-DATA the message identifier, ordered or unordered. */
  streamSequenceNumber: number;
  maxRetransmits: number | undefined;
  expiresAt: number | undefined;
  abandoned: boolean;
}

interface OutboundChunk {
  tsn: number;
  message: OutboundMessage;
  payload: Buffer;
  beginning: boolean;
  ending: boolean;
  /** Index of the fragment in its message (I-DATA's FSN, RFC 8260 §2.1). */
  fragmentSequenceNumber: number;
  transmissions: number;
  inFlight: boolean;
  /** Covered by a gap ack block of the latest SACK. */
  acked: boolean;
  missingReports: number;
  retransmit: boolean;
  /** The highest TSN sent when this chunk was last retransmitted (meaningful once transmissions > 1). */
  resentAfterTsn: number;
}

/** What a SACK did: ignored as stale or bogus, or processed with or without a new cumulative ack. */
export type SackOutcome = 'ignored' | 'advanced' | 'not-advanced';

/** A user-data chunk: DATA, or I-DATA once negotiated (RFC 8260 §2.2.1). */
export type UserDataChunk = DataChunk | IDataChunk;

/** FORWARD TSN, or I-FORWARD-TSN with I-DATA (RFC 8260 §2.3). */
export type AnyForwardTsnChunk = ForwardTsnChunk | IForwardTsnChunk;

/** DATA chunks due now, and a FORWARD TSN to send before them when abandoning messages called for one. */
export interface CollectedData {
  data: UserDataChunk[];
  forwardTsn: AnyForwardTsnChunk | undefined;
}

/** What the sender needs from its association. */
export interface SctpSenderOptions {
  /** Largest SCTP packet, which sizes fragments and cwnd steps. */
  maxPacketSize: number;
  /** Clock for message lifetimes and RTT samples. */
  timers: SctpTimers;
  /** The association's RTO estimator, fed with RTT samples. */
  rto: RtoEstimator;
  /** The association's counters. */
  stats: SctpAssociationStats;
}

/** Outbound chunks, congestion state and partial reliability of one association. */
export class SctpSender {
  readonly #maxPacketSize: number;
  readonly #timers: SctpTimers;
  readonly #rto: RtoEstimator;
  readonly #stats: SctpAssociationStats;

  #peerForwardTsn = false;
  /** I-DATA was negotiated: messages carry 32-bit message identifiers and fragment numbers (RFC 8260). */
  #interleaving = false;
  /** Next unordered message identifier per stream (I-DATA only). */
  #outboundUnorderedSequence = new Map<number, number>();
  #nextTsn = 0;
  /** Highest TSN the peer acknowledged cumulatively. */
  #cumulativeTsnAck = 0;
  /** Chunks from cumulativeTsnAck + 1 onward, in TSN order, sent or not. */
  #outbound: OutboundChunk[] = [];
  /** Index in #outbound of the first chunk never sent. */
  #firstUnsent = 0;
  /** Messages on streams being reset, waiting for the reset to finish. */
  #held: PendingMessage[] = [];
  #outboundSequence = new Map<number, number>();
  #flightSize = 0;
  #bufferedAmount = 0;
  /** Unacknowledged bytes per stream, for per-channel bufferedAmount. */
  #streamBuffers = new Map<number, StreamBuffer>();
  #cwnd = 0;
  #ssthresh = 0;
  #partialBytesAcked = 0;
  /** Chunks in #outbound marked acked by gap blocks: while none are, a SACK without blocks skips the scan. */
  #gapAckedCount = 0;
  /** Some chunk may be marked for retransmission; false lets collectData() skip the walk over the window. */
  #retransmitPending = false;
  #peerReceiverWindow = 0;
  #fastRecovery = false;
  #fastRecoveryExit = 0;
  #fastRetransmitBudget = 0;
  #advancedPeerAckPoint = 0;
  #forwardTsnPending = false;
  #rttProbe: { tsn: number; sentAt: number } | undefined;

  /** When DATA was last sent, for the heartbeat's idle check (§8.3). */
  lastDataSentAt = 0;

  /** Creates a sender; setInitialTsn() and adoptPeer() complete it during the handshake. */
  constructor(options: SctpSenderOptions) {
    this.#maxPacketSize = options.maxPacketSize;
    this.#timers = options.timers;
    this.#rto = options.rto;
    this.#stats = options.stats;
  }

  /** The TSN the next new chunk gets. */
  get nextTsn(): number {
    return this.#nextTsn;
  }

  /** Highest TSN the peer acknowledged cumulatively. */
  get cumulativeTsnAck(): number {
    return this.#cumulativeTsnAck;
  }

  /** Bytes of user data queued or sent and not yet acknowledged. */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** Bytes of user data on one stream queued, held or sent and not yet acknowledged. */
  bufferedAmountOf(streamId: number): number {
    return this.#streamBuffers.get(streamId)?.bytes ?? 0;
  }

  /** Bytes in flight (§6.1 flightsize). */
  get flightSize(): number {
    return this.#flightSize;
  }

  /** Congestion window in bytes. */
  get congestionWindow(): number {
    return this.#cwnd;
  }

  /** The peer's receiver window as we currently estimate it. */
  get peerReceiverWindow(): number {
    return this.#peerReceiverWindow;
  }

  /** True when nothing is queued, in flight, or held for a stream reset. */
  get drained(): boolean {
    return this.#outbound.length === 0 && this.#held.length === 0;
  }

  /** Sets our initial TSN; the cumulative ack and advanced peer ack point start just below it. */
  setInitialTsn(tsn: number): void {
    this.#nextTsn = tsn >>> 0;
    this.#cumulativeTsnAck = tsnAdd(tsn, -1);
    this.#advancedPeerAckPoint = this.#cumulativeTsnAck;
  }

  /**
   * Takes the peer's window, whether abandoned messages can be skipped
   * (FORWARD TSN, or I-FORWARD-TSN with I-DATA) and whether I-DATA was
   * negotiated from the handshake, and sets cwnd and ssthresh (§7.2.1).
   */
  adoptPeer(peerReceiverWindow: number, peerForwardTsn: boolean, interleaving = false): void {
    this.#peerReceiverWindow = peerReceiverWindow;
    this.#peerForwardTsn = peerForwardTsn;
    this.#interleaving = interleaving;
    // §7.2.1: initial cwnd and ssthresh.
    const mtu = this.#maxPacketSize;
    this.#cwnd = Math.min(4 * mtu, Math.max(2 * mtu, 4380));
    this.#ssthresh = peerReceiverWindow;
  }

  /** Accepts a message: queues it for sending, or holds it while its stream is being reset. */
  queue(message: PendingMessage, hold: boolean): void {
    this.#bufferedAmount += message.data.length;
    this.#streamBuffer(message.streamId).bytes += message.data.length;
    if (hold) this.#held.push(message);
    else this.#enqueue(message);
  }

  /** Queues the held messages whose streams are no longer being reset, numbered from their stream's next SSN. */
  releaseHeld(stillHeld: (streamId: number) => boolean): void {
    const waiting = this.#held;
    this.#held = [];
    for (const message of waiting) {
      if (stillHeld(message.streamId)) this.#held.push(message);
      else this.#enqueue(message);
    }
  }

  /**
   * Restarts a stream's SSNs (with I-DATA, both its message identifiers) at
   * 0 after its outgoing reset (RFC 6525 §5.1.2).
   */
  resetStreamSequence(streamId: number): void {
    this.#outboundSequence.delete(streamId);
    this.#outboundUnorderedSequence.delete(streamId);
  }

  /**
   * Processes a SACK (§6.2.1): drops what is cumulatively acked, marks gap
   * acks, counts miss indications for fast retransmit (§7.2.4), adjusts
   * cwnd (§7.2.1, §7.2.2) and rwnd, and moves the advanced peer ack point.
   */
  onSack(sack: SackChunk): SackOutcome {
    const cumulative = sack.cumulativeTsnAck;
    // §6.2.1 D: an older cumulative ack arrived out of order; a cumulative ack of data never sent is bogus.
    if (tsnLt(cumulative, this.#cumulativeTsnAck)) return 'ignored';
    if (!tsnLt(cumulative, this.#nextTsn)) return 'ignored';
    const now = this.#timers.now();
    const cumulativeAdvanced = tsnGt(cumulative, this.#cumulativeTsnAck);
    const fullyUtilized = this.#flightSize + this.#maxPacketSize >= this.#cwnd;
    let bytesAcked = 0;
    let removed = 0;
    for (const chunk of this.#outbound) {
      if (!tsnLte(chunk.tsn, cumulative)) break;
      removed++;
      if (chunk.inFlight) this.#flightSize -= chunk.payload.length;
      if (chunk.acked) this.#gapAckedCount--;
      else if (!chunk.message.abandoned) bytesAcked += chunk.payload.length;
      this.#bufferedAmount -= chunk.payload.length;
      chunk.message.streamBuffer.bytes -= chunk.payload.length;
      if (this.#rttProbe && chunk.tsn === this.#rttProbe.tsn) {
        this.#rto.update(now - this.#rttProbe.sentAt);
        this.#rttProbe = undefined;
      }
    }
    if (removed > 0) {
      this.#outbound.splice(0, removed);
      this.#firstUnsent = Math.max(0, this.#firstUnsent - removed);
    }
    this.#cumulativeTsnAck = cumulative;

    // Gap ack blocks (§6.2.1): mark, and unmark what the peer reneged on. Without blocks
    // and with nothing marked there is nothing to do: the common SACK of a loss-free
    // path costs no walk over the whole window.
    let highestNewlyAcked: number | undefined = cumulativeAdvanced ? cumulative : undefined;
    const blocks = sack.gapAckBlocks;
    const scanLimit = blocks.length > 0 || this.#gapAckedCount > 0 ? this.#firstUnsent : 0;
    for (let index = 0; index < scanLimit; index++) {
      const chunk = this.#outbound[index];
      const offset = tsnDiff(chunk.tsn, cumulative);
      let inBlock = false;
      for (const block of blocks) {
        if (offset >= block.start && offset <= block.end) {
          inBlock = true;
          break;
        }
      }
      if (inBlock && !chunk.acked) {
        chunk.acked = true;
        this.#gapAckedCount++;
        chunk.retransmit = false;
        if (chunk.inFlight) {
          chunk.inFlight = false;
          this.#flightSize -= chunk.payload.length;
        }
        if (!chunk.message.abandoned) bytesAcked += chunk.payload.length;
        highestNewlyAcked = chunk.tsn;
      } else if (!inBlock && chunk.acked) {
        chunk.acked = false;
        this.#gapAckedCount--;
      }
    }

    // §7.2.4: three miss indications trigger fast retransmit.
    let fastRetransmit = false;
    if (highestNewlyAcked !== undefined) {
      for (let index = 0; index < this.#firstUnsent; index++) {
        const chunk = this.#outbound[index];
        if (!tsnLt(chunk.tsn, highestNewlyAcked)) break;
        if (chunk.acked || chunk.retransmit || chunk.message.abandoned || chunk.transmissions === 0) continue;
        // A retransmitted chunk is missing only once something sent after its retransmission
        // arrived: until then its new copy is simply still on the way, and counting the SACKs
        // for older data against it would resend it again and again (as FreeBSD's stack reasons).
        if (chunk.transmissions > 1 && !tsnGt(highestNewlyAcked, chunk.resentAfterTsn)) continue;
        if (++chunk.missingReports === 3) {
          chunk.retransmit = true;
          this.#retransmitPending = true;
          chunk.missingReports = 0;
          if (chunk.inFlight) {
            chunk.inFlight = false;
            this.#flightSize -= chunk.payload.length;
          }
          fastRetransmit = true;
          this.#stats.fastRetransmissions++;
        }
      }
    }
    if (this.#fastRecovery && !tsnLt(cumulative, this.#fastRecoveryExit)) this.#fastRecovery = false;
    if (fastRetransmit) {
      if (!this.#fastRecovery) {
        this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), 4 * this.#maxPacketSize);
        this.#cwnd = this.#ssthresh;
        this.#partialBytesAcked = 0;
        this.#fastRecovery = true;
        this.#fastRecoveryExit = tsnAdd(this.#nextTsn, -1);
      }
      this.#fastRetransmitBudget = this.#maxPacketSize;
    }

    // §7.2.1, §7.2.2: grow cwnd on new cumulative acks of a fully used window, outside fast recovery.
    if (cumulativeAdvanced && !this.#fastRecovery && fullyUtilized && bytesAcked > 0) {
      if (this.#cwnd <= this.#ssthresh) {
        this.#cwnd += Math.min(bytesAcked, this.#maxPacketSize);
      } else {
        this.#partialBytesAcked += bytesAcked;
        if (this.#partialBytesAcked >= this.#cwnd) {
          this.#partialBytesAcked -= this.#cwnd;
          this.#cwnd += this.#maxPacketSize;
        }
      }
    }
    if (this.#flightSize === 0) this.#partialBytesAcked = 0;
    // §6.2.1: the peer's window less what is still in flight.
    this.#peerReceiverWindow = Math.max(0, sack.advertisedReceiverWindowCredit - this.#flightSize);
    return cumulativeAdvanced ? 'advanced' : 'not-advanced';
  }

  /**
   * After a SACK, moves the advanced peer ack point over abandoned chunks
   * (RFC 3758 §3.5 C1) when the peer supports FORWARD TSN. Separate from
   * onSack() because the T3 decision is taken on the state before the move.
   */
  updateAdvancedPeerAckPoint(): void {
    if (this.#peerForwardTsn) this.#advancePeerAckPoint();
  }

  /** True while something awaits acknowledgement: data in flight or unacked, or a FORWARD TSN. */
  hasOutstanding(): boolean {
    if (this.#flightSize > 0 || this.#forwardTsnPending) return true;
    for (let index = 0; index < this.#firstUnsent; index++) {
      const chunk = this.#outbound[index];
      if (!chunk.acked && !chunk.message.abandoned) return true;
    }
    return tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck);
  }

  /**
   * Reacts to a T3-rtx expiry (§6.3.3 E1-E3, §7.2.3): collapses cwnd, backs
   * off the RTO, marks every unacked chunk for retransmission and asks for a
   * FORWARD TSN again if one is outstanding.
   */
  onRetransmissionTimeout(): void {
    this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), 4 * this.#maxPacketSize);
    this.#cwnd = this.#maxPacketSize;
    this.#partialBytesAcked = 0;
    this.#fastRecovery = false;
    this.#rto.backoff();
    this.#rttProbe = undefined;
    for (let index = 0; index < this.#firstUnsent; index++) {
      const chunk = this.#outbound[index];
      if (chunk.acked || chunk.message.abandoned) continue;
      chunk.retransmit = true;
      this.#retransmitPending = true;
      if (chunk.inFlight) {
        chunk.inFlight = false;
        this.#flightSize -= chunk.payload.length;
      }
    }
    if (this.#peerForwardTsn && tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck))
      this.#forwardTsnPending = true;
  }

  /** The pending FORWARD TSN (RFC 3758 §3.5 C2), if the peer supports it and it still moves the ack point. */
  takeForwardTsn(): AnyForwardTsnChunk | undefined {
    if (!this.#forwardTsnPending || !this.#peerForwardTsn) return undefined;
    this.#forwardTsnPending = false;
    if (!tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck)) return undefined;
    this.#stats.forwardTsnsSent++;
    return this.#buildForwardTsn();
  }

  /**
   * Picks the DATA chunks to send now: retransmissions first (§6.1 C), then
   * new data within cwnd and rwnd (§6.1 A, B), abandoning expired messages
   * on the way (RFC 3758 §3.5).
   */
  collectData(): CollectedData {
    const now = this.#timers.now();
    const out: UserDataChunk[] = [];
    let abandonedAny = false;
    // Retransmissions first (§6.1 C); a fast retransmit may exceed cwnd by one packet (§7.2.4).
    // The walk over the window happens only when something was marked since the last one
    // that went to the end: on a loss-free path this runs at every send() and SACK.
    const retransmitEnd = this.#retransmitPending ? this.#firstUnsent : 0;
    this.#retransmitPending = false;
    for (let index = 0; index < retransmitEnd; index++) {
      const chunk = this.#outbound[index];
      if (!chunk.retransmit) continue;
      if (this.#shouldAbandon(chunk, now)) {
        this.#abandon(chunk.message);
        abandonedAny = true;
        continue;
      }
      const size = chunk.payload.length;
      const blocked =
        this.#fastRetransmitBudget < size &&
        this.#flightSize + size > this.#cwnd &&
        (this.#flightSize > 0 || out.length > 0);
      if (blocked) {
        // Marked chunks remain from here on.
        this.#retransmitPending = true;
        break;
      }
      if (this.#fastRetransmitBudget >= size) this.#fastRetransmitBudget -= size;
      chunk.retransmit = false;
      this.#stats.retransmissions++;
      out.push(this.#transmit(chunk, now));
    }
    this.#fastRetransmitBudget = 0;
    // New data (§6.1 A, B): within rwnd (one chunk may probe a closed window) and cwnd.
    while (this.#firstUnsent < this.#outbound.length) {
      const chunk = this.#outbound[this.#firstUnsent];
      if (chunk.message.abandoned) {
        this.#firstUnsent++;
        continue;
      }
      if (this.#shouldAbandon(chunk, now)) {
        this.#abandon(chunk.message);
        abandonedAny = true;
        continue;
      }
      const size = chunk.payload.length;
      if (this.#flightSize > 0 && (this.#flightSize + size > this.#cwnd || size > this.#peerReceiverWindow))
        break;
      this.#firstUnsent++;
      if (!this.#rttProbe) this.#rttProbe = { tsn: chunk.tsn, sentAt: now };
      out.push(this.#transmit(chunk, now));
    }
    let forwardTsn: AnyForwardTsnChunk | undefined;
    if (abandonedAny) {
      this.#advancePeerAckPoint();
      if (this.#forwardTsnPending && tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck)) {
        this.#forwardTsnPending = false;
        this.#stats.forwardTsnsSent++;
        forwardTsn = this.#buildForwardTsn();
      }
    }
    return { data: out, forwardTsn };
  }

  /** Drops everything queued and in flight, when the association closes. */
  clear(): void {
    this.#outbound = [];
    this.#gapAckedCount = 0;
    this.#firstUnsent = 0;
    this.#held = [];
    this.#flightSize = 0;
    this.#bufferedAmount = 0;
    this.#streamBuffers.clear();
  }

  #streamBuffer(streamId: number): StreamBuffer {
    let buffer = this.#streamBuffers.get(streamId);
    if (!buffer) {
      buffer = { bytes: 0 };
      this.#streamBuffers.set(streamId, buffer);
    }
    return buffer;
  }

  /** Cuts a message into chunks of one packet each and gives them TSNs (§6.9) and an SSN (§6.5). */
  #enqueue(message: PendingMessage): void {
    const { streamId, data, options } = message;
    const unordered = options.unordered === true;
    let streamSequenceNumber = 0;
    if (this.#interleaving) {
      // RFC 8260 §2.1: ordered and unordered messages each count their own 32-bit identifiers.
      const sequences = unordered ? this.#outboundUnorderedSequence : this.#outboundSequence;
      streamSequenceNumber = sequences.get(streamId) ?? 0;
      sequences.set(streamId, (streamSequenceNumber + 1) >>> 0);
    } else if (!unordered) {
      streamSequenceNumber = this.#outboundSequence.get(streamId) ?? 0;
      this.#outboundSequence.set(streamId, (streamSequenceNumber + 1) & 0xffff);
    }
    const lifetime = options.maxPacketLifeTimeMs;
    const outbound: OutboundMessage = {
      streamId,
      streamBuffer: this.#streamBuffer(streamId),
      ppid: message.ppid,
      unordered,
      streamSequenceNumber,
      maxRetransmits: options.maxRetransmits,
      expiresAt: lifetime === undefined ? undefined : message.queuedAt + lifetime,
      abandoned: false,
    };
    const headerSize = this.#interleaving ? I_DATA_HEADER_SIZE : DATA_HEADER_SIZE;
    const payloadSize = this.#maxPacketSize - COMMON_HEADER_SIZE - headerSize;
    for (let at = 0, fragment = 0; at < data.length; at += payloadSize, fragment++) {
      this.#outbound.push({
        tsn: this.#nextTsn,
        message: outbound,
        payload: data.subarray(at, Math.min(at + payloadSize, data.length)),
        beginning: at === 0,
        ending: at + payloadSize >= data.length,
        fragmentSequenceNumber: fragment,
        transmissions: 0,
        inFlight: false,
        acked: false,
        missingReports: 0,
        retransmit: false,
        resentAfterTsn: 0,
      });
      this.#nextTsn = tsnAdd(this.#nextTsn, 1);
    }
    this.#stats.messagesSent++;
  }

  /** Partial reliability applies only when the peer supports FORWARD TSN. */
  #shouldAbandon(chunk: OutboundChunk, now: number): boolean {
    const message = chunk.message;
    if (!this.#peerForwardTsn) return false;
    if (message.expiresAt !== undefined && now >= message.expiresAt) return true;
    return message.maxRetransmits !== undefined && chunk.transmissions > message.maxRetransmits;
  }

  #abandon(message: OutboundMessage): void {
    if (message.abandoned) return;
    message.abandoned = true;
    this.#stats.messagesAbandoned++;
    for (const chunk of this.#outbound) {
      if (chunk.message !== message) continue;
      if (chunk.inFlight) {
        chunk.inFlight = false;
        this.#flightSize -= chunk.payload.length;
      }
      chunk.retransmit = false;
    }
  }

  /** RFC 3758 §3.5 C1: moves the advanced peer ack point over abandoned chunks. */
  #advancePeerAckPoint(): void {
    if (tsnLt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck))
      this.#advancedPeerAckPoint = this.#cumulativeTsnAck;
    for (const chunk of this.#outbound) {
      if (tsnLte(chunk.tsn, this.#advancedPeerAckPoint)) continue;
      if (chunk.tsn !== tsnAdd(this.#advancedPeerAckPoint, 1) || !chunk.message.abandoned) break;
      this.#advancedPeerAckPoint = chunk.tsn;
    }
    if (tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck)) this.#forwardTsnPending = true;
  }

  #buildForwardTsn(): AnyForwardTsnChunk {
    if (this.#interleaving) return this.#buildIForwardTsn();
    const perStream = new Map<number, number>();
    for (const chunk of this.#outbound) {
      if (tsnGt(chunk.tsn, this.#advancedPeerAckPoint)) break;
      if (!chunk.message.unordered) perStream.set(chunk.message.streamId, chunk.message.streamSequenceNumber);
    }
    const streams: ForwardTsnStream[] = [];
    for (const [streamId, streamSequenceNumber] of perStream)
      streams.push({ streamId, streamSequenceNumber });
    return { kind: 'forward-tsn', newCumulativeTsn: this.#advancedPeerAckPoint, streams };
  }

  /**
   * RFC 8260 §2.3.1: per stream and kind, the last message identifier
   * skipped; unordered messages are named too, so the receiver can drop
   * their fragments.
   */
  #buildIForwardTsn(): IForwardTsnChunk {
    const perStream = new Map<number, IForwardTsnStream>();
    for (const chunk of this.#outbound) {
      if (tsnGt(chunk.tsn, this.#advancedPeerAckPoint)) break;
      const { streamId, unordered, streamSequenceNumber } = chunk.message;
      perStream.set(streamId * 2 + (unordered ? 1 : 0), {
        streamId,
        unordered,
        messageId: streamSequenceNumber,
      });
    }
    return {
      kind: 'i-forward-tsn',
      newCumulativeTsn: this.#advancedPeerAckPoint,
      streams: [...perStream.values()],
    };
  }

  #transmit(chunk: OutboundChunk, now: number): UserDataChunk {
    if (chunk.transmissions > 0) {
      if (this.#rttProbe?.tsn === chunk.tsn) this.#rttProbe = undefined;
      // New data goes out in TSN order, so the last chunk sent holds the highest TSN sent.
      chunk.resentAfterTsn =
        this.#firstUnsent > 0 ? this.#outbound[this.#firstUnsent - 1].tsn : this.#cumulativeTsnAck;
    }
    chunk.transmissions++;
    chunk.inFlight = true;
    chunk.missingReports = 0;
    this.#flightSize += chunk.payload.length;
    this.#peerReceiverWindow = Math.max(0, this.#peerReceiverWindow - chunk.payload.length);
    this.lastDataSentAt = now;
    const message = chunk.message;
    if (this.#interleaving)
      return {
        kind: 'i-data',
        unordered: message.unordered,
        beginning: chunk.beginning,
        ending: chunk.ending,
        immediate: false,
        tsn: chunk.tsn,
        streamId: message.streamId,
        messageId: message.streamSequenceNumber,
        // RFC 8260 §2.1: the first fragment carries the PPID, the others their FSN.
        ppid: chunk.beginning ? message.ppid : 0,
        fragmentSequenceNumber: chunk.fragmentSequenceNumber,
        userData: chunk.payload,
      };
    return {
      kind: 'data',
      unordered: message.unordered,
      beginning: chunk.beginning,
      ending: chunk.ending,
      immediate: false,
      tsn: chunk.tsn,
      streamId: message.streamId,
      streamSequenceNumber: message.streamSequenceNumber,
      ppid: message.ppid,
      userData: chunk.payload,
    };
  }
}
