/**
 * An SCTP association (RFC 9260) with the extensions WebRTC data channels
 * use: partial reliability (RFC 3758), stream reset (RFC 6525) and, when
 * both sides offer it, I-DATA (RFC 8260). A peer's protocol violation ends
 * it with an ABORT naming the cause. It is transport-agnostic: packets come in through handlePacket() and leave
 * through the send callback, normally as DTLS application data (RFC 8261).
 * One path, no multihoming, no restart.
 *
 * Timer values differ from RFC 9260 §16 on purpose. RTO.Initial is 1 s there
 * and RTO.Min 1 s: sized for any Internet path and for stacks that ack every
 * 500 ms. Data channels run over a path ICE has just proved working, usually
 * well under 200 ms RTT, and a first loss costing a whole second stalls the
 * channel visibly. RTO.Initial is 500 ms (the first sample replaces it
 * anyway); RTO.Min is 300 ms, which keeps the retransmission timer above our
 * own 200 ms delayed-SACK timer plus a LAN round trip so a lone packet waiting
 * for its delayed SACK is not resent spuriously; RTO.Max is 10 s rather than
 * 60 s because a data channel that cannot get a packet through for that long
 * is better reported dead (ICE consent freshness gives up after 30 s anyway).
 *
 * This file is the state machine (§4): packet intake and chunk dispatch, the
 * handshake (§5) and shutdown (§9.2) states, the timers, bundling what is due
 * into packets, and heartbeats (§8.3). The rest lives beside it:
 * - sender.ts: outbound chunks, SACK processing, retransmission, congestion
 *   control, abandoned messages and FORWARD TSN (§6, §7, RFC 3758);
 * - receiver.ts: inbound TSNs, reassembly, delivery and SACKs (§6.2, §6.9);
 * - stream-reset.ts: RE-CONFIG requests and responses (RFC 6525);
 * - rto.ts: the RTT/RTO estimator (§6.3);
 * - handshake.ts: INIT, INIT ACK and State Cookie contents and checks (§5.1);
 * - association-options.ts, association-types.ts, timer.ts, packet-bundler.ts.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type ResolvedAssociationOptions, resolveAssociationOptions } from './association-options.js';
import {
  emptySctpAssociationStats,
  type SctpAssociationEvents,
  type SctpAssociationOptions,
  type SctpAssociationState,
  type SctpAssociationStats,
  type SctpSendOptions,
} from './association-types.js';
import type { SctpChunk } from './chunk.js';
import { decodeChunk } from './chunk.js';
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, unknownChunkAction } from './chunk-header.js';
import { DATA_HEADER_SIZE, type DataChunk } from './data.js';
import {
  type ErrorCause,
  invalidStreamIdentifier,
  noUserData,
  protocolViolation,
  unrecognizedChunkType,
  userInitiatedAbort,
} from './error-cause.js';
import { SctpError } from './errors.js';
import type { ForwardTsnChunk } from './forward-tsn.js';
import {
  buildInitChunk,
  cookieAccepted,
  isValidInit,
  isValidInitAck,
  MAX_STREAMS,
  type PeerParameters,
  peerParametersOf,
  randomInitialTsn,
  randomNonZeroUint32,
  stateCookieFor,
} from './handshake.js';
import { I_DATA_HEADER_SIZE, type IDataChunk } from './i-data.js';
import type { IForwardTsnChunk } from './i-forward-tsn.js';
import type { InitChunk } from './init.js';
import { decodeSctpPacket, encodeSctpPacketTo, sctpPacketSize } from './packet.js';
import { bundleChunks } from './packet-bundler.js';
import { type ReConfigChunk, ReconfigResult } from './re-config.js';
import { SctpReceiver } from './receiver.js';
import { RtoEstimator } from './rto.js';
import type { SackChunk } from './sack.js';
import { type PendingMessage, SctpSender, type UserDataChunk } from './sender.js';
import { tsnAdd, tsnLt } from './serial.js';
import { decodeStateCookie, encodeStateCookie } from './state-cookie.js';
import { StreamResetState } from './stream-reset.js';
import { type SctpTimers, Timer } from './timer.js';

export type {
  SctpAssociationEvents,
  SctpAssociationOptions,
  SctpAssociationState,
  SctpAssociationStats,
  SctpSendOptions,
} from './association-types.js';
export type { SctpRtoOptions } from './rto.js';
export { NODE_SCTP_TIMERS, type SctpTimers } from './timer.js';

/** Max.Init.Retransmits (§16). */
const MAX_INIT_RETRANSMISSIONS = 8;

/** An SCTP association over an unreliable datagram transport. */
export class SctpAssociation extends EventEmitter<SctpAssociationEvents> {
  readonly #options: SctpAssociationOptions;
  /** The options with defaults filled in. */
  readonly #config: ResolvedAssociationOptions;
  readonly #timers: SctpTimers;
  readonly #rto: RtoEstimator;

  #state: SctpAssociationState = 'new';
  #localTag = 0;
  #peerTag = 0;
  #outboundStreamCount = MAX_STREAMS;
  /** Streams the peer may send on: our inbound streams capped by its outbound ones (§5.1.1). */
  #inboundStreamCount = MAX_STREAMS;
  #peerReconfig = false;
  /** Both sides offered I-DATA: user messages travel in I-DATA chunks (RFC 8260 §2.2.1). */
  #interleaving = false;

  readonly #sender: SctpSender;
  readonly #receiver: SctpReceiver;
  readonly #streamReset: StreamResetState;
  /** Consecutive T3 expiries and unanswered HEARTBEATs (§8.1, §8.3), reset by any new ack. */
  #errorCount = 0;
  #sackPending = false;
  #packetsSinceSack = 0;

  // Handshake and shutdown.
  #handshakeChunk: SctpChunk | undefined;
  #handshakeAttempts = 0;
  #shutdownAttempts = 0;
  #heartbeat: { nonce: number; sentAt: number } | undefined;

  readonly #t1: Timer;
  readonly #t2: Timer;
  readonly #t3: Timer;
  readonly #reconfigTimer: Timer;
  readonly #delayedAck: Timer;
  readonly #heartbeatTimer: Timer;

  /** Counters. */
  readonly stats: SctpAssociationStats = emptySctpAssociationStats();

  /** Creates an association; it answers an INIT as the passive side or starts one with connect(). */
  constructor(options: SctpAssociationOptions) {
    super();
    this.#options = options;
    this.#config = resolveAssociationOptions(options);
    this.#timers = this.#config.timers;
    this.#rto = new RtoEstimator(this.#config.rto);
    this.#t1 = new Timer(this.#timers, () => this.#guard(() => this.#onT1Expiry()));
    this.#t2 = new Timer(this.#timers, () => this.#guard(() => this.#onT2Expiry()));
    this.#t3 = new Timer(this.#timers, () => this.#guard(() => this.#onT3Expiry()));
    this.#reconfigTimer = new Timer(this.#timers, () => this.#guard(() => this.#onReconfigExpiry()));
    this.#delayedAck = new Timer(this.#timers, () => this.#guard(() => this.#onDelayedAck()));
    this.#heartbeatTimer = new Timer(this.#timers, () => this.#guard(() => this.#onHeartbeatTimer()));
    this.#sender = new SctpSender({
      maxPacketSize: this.#config.maxPacketSize,
      timers: this.#timers,
      rto: this.#rto,
      stats: this.stats,
    });
    this.#receiver = new SctpReceiver({
      receiveBufferSize: this.#config.receiveBufferSize,
      stats: this.stats,
      deliver: (streamId, ppid, data) => this.#deliver(streamId, ppid, data),
    });
    this.#streamReset = new StreamResetState(this.#reconfigTimer, this.#rto);
  }

  /** Current state. */
  get state(): SctpAssociationState {
    return this.#state;
  }

  /** Bytes of user data queued or sent and not yet acknowledged. */
  get bufferedAmount(): number {
    return this.#sender.bufferedAmount;
  }

  /** Bytes of user data on one stream queued or sent and not yet acknowledged. */
  bufferedAmountOf(streamId: number): number {
    return this.#sender.bufferedAmountOf(streamId);
  }

  /** Largest message send() accepts. */
  get maxMessageSize(): number {
    return this.#config.maxMessageSize;
  }

  /** True once both sides offered I-DATA and user messages travel in I-DATA chunks (RFC 8260). */
  get messageInterleaving(): boolean {
    return this.#interleaving;
  }

  /** Current retransmission timeout in ms. */
  get rtoMs(): number {
    return this.#rto.rtoMs;
  }

  /** Current congestion window in bytes. */
  get congestionWindow(): number {
    return this.#sender.congestionWindow;
  }

  /** Starts the handshake as the active side by sending INIT (§5.1). Throws unless the association is new. */
  connect(): void {
    if (this.#state !== 'new')
      throw new SctpError('ERR_SCTP_INVALID_STATE', 'association', `connect() in state ${this.#state}`);
    this.#localTag = randomNonZeroUint32();
    this.#setLocalInitialTsn(randomInitialTsn());
    this.#state = 'cookie-wait';
    this.#handshakeChunk = buildInitChunk(
      'init',
      this.#localTag,
      this.#sender.nextTsn,
      this.#config.receiveBufferSize,
      undefined,
      this.#config.messageInterleaving,
    );
    this.#handshakeAttempts = 0;
    this.#sendPacket([this.#handshakeChunk], 0);
    this.#t1.start(this.#rto.rtoMs);
  }

  /**
   * Processes one received SCTP packet. Never throws: anything malformed,
   * misaddressed or unexpected is counted in stats and dropped. Views into
   * buf are not kept past the call.
   */
  handlePacket(buf: Uint8Array): void {
    this.#guard(() => this.#handlePacket(buf));
  }

  /**
   * Queues a message on a stream. Throws SctpError on an association that is
   * not established, an empty or too large message, or a stream out of range.
   * The data is copied.
   */
  send(streamId: number, ppid: number, data: Uint8Array, options: SctpSendOptions = {}): void {
    if (this.#state !== 'established')
      throw new SctpError('ERR_SCTP_INVALID_STATE', 'association', `send() in state ${this.#state}`);
    if (!Number.isInteger(streamId) || streamId < 0 || streamId >= this.#outboundStreamCount)
      throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', `stream ${streamId} is out of range`);
    // §3.3.1: a DATA chunk carries at least one byte; empty messages are the upper layer's to encode.
    if (data.length === 0)
      throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', 'a message needs at least one byte');
    if (data.length > this.#config.maxMessageSize)
      throw new SctpError(
        'ERR_SCTP_MESSAGE_TOO_LARGE',
        'association',
        `${data.length} bytes exceed the ${this.#config.maxMessageSize}-byte limit`,
      );
    const message: PendingMessage = {
      streamId,
      ppid: ppid >>> 0,
      data: Buffer.from(data),
      options,
      queuedAt: this.#timers.now(),
    };
    this.#sender.queue(message, this.#streamReset.isResetting(streamId));
    this.#flush();
  }

  /**
   * Resets the outgoing side of streams (RFC 6525 §5.1.2): the peer resets
   * its incoming side once it has everything sent before, and both restart
   * SSNs at 0. Messages sent on those streams meanwhile wait for the reset.
   * 'streamreset' with direction 'outgoing' reports completion.
   */
  resetStreams(streamIds: readonly number[]): void {
    if (this.#state !== 'established')
      throw new SctpError('ERR_SCTP_INVALID_STATE', 'association', `resetStreams() in state ${this.#state}`);
    if (!this.#peerReconfig)
      throw new SctpError('ERR_SCTP_INVALID_STATE', 'association', 'the peer does not support RE-CONFIG');
    if (!this.#streamReset.request(streamIds, tsnAdd(this.#sender.nextTsn, -1))) return;
    this.#streamReset.startNext(this.#sender.cumulativeTsnAck);
    this.#flush();
  }

  /**
   * Closes gracefully (§9.2): sends what is queued, then SHUTDOWN. 'close'
   * follows when the peer completes. Idempotent.
   */
  shutdown(): void {
    switch (this.#state) {
      case 'new':
      case 'cookie-wait':
      case 'cookie-echoed':
        this.#close(undefined);
        return;
      case 'established':
        this.#state = 'shutdown-pending';
        this.#checkShutdownProgress();
        return;
      default:
        return;
    }
  }

  /** Ends at once with an ABORT carrying a User-Initiated Abort cause (§9.1). Idempotent. */
  abort(reason = ''): void {
    if (this.#state === 'closed') return;
    if (this.#peerTag !== 0)
      this.#sendPacket([{ kind: 'abort', reflectedTag: false, causes: [userInitiatedAbort(reason)] }]);
    this.#close(undefined);
  }

  // ---------------------------------------------------------------- receive

  #handlePacket(buf: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.stats.packetsReceived++;
    const decoded = decodeSctpPacket(buf);
    if (!decoded.ok) {
      this.stats.packetsDropped++;
      if (decoded.error.code === 'ERR_SCTP_BAD_CHECKSUM') this.stats.badChecksums++;
      else this.stats.malformedPackets++;
      return;
    }
    const packet = decoded.value;
    if (packet.chunks.length === 0) {
      this.stats.packetsDropped++;
      this.stats.malformedPackets++;
      return;
    }
    if (
      packet.destinationPort !== this.#options.localPort ||
      packet.sourcePort !== this.#options.remotePort ||
      !this.#verificationTagAccepted(packet.verificationTag, packet.chunks)
    ) {
      this.stats.packetsDropped++;
      this.stats.misaddressedPackets++;
      return;
    }
    let dataSeen = false;
    let immediateSack = false;
    const hadGaps = this.#receiver.hasGaps;
    /** Causes for one ERROR chunk answering this packet. */
    const unrecognized: ErrorCause[] = [];
    for (let index = 0; index < packet.chunks.length; index++) {
      if (this.#isClosed()) return;
      const raw = packet.chunks[index];
      const chunk = decodeChunk(raw);
      if (!chunk.ok) {
        if (isEmptyUserDataChunk(raw) && this.#isEstablishedLike()) {
          // RFC 9260 §6.2: a DATA chunk without user data MUST be answered with an ABORT.
          const tsn =
            ((raw.value[0] << 24) | (raw.value[1] << 16) | (raw.value[2] << 8) | raw.value[3]) >>> 0;
          this.#abortForViolation(noUserData(tsn), `${describeChunk(raw.type)} chunk without user data`);
          return;
        }
        this.stats.chunksDropped++;
        continue;
      }
      const value = chunk.value;
      if (value.kind === 'unknown') {
        // §3.2: the upper two bits of the type say whether to go on and whether to report.
        const action = unknownChunkAction(value.type);
        if (action.report) unrecognized.push(unrecognizedChunkType(rawChunkBytes(raw)));
        this.stats.chunksDropped++;
        this.stats.unrecognizedChunks++;
        if (action.stop) break;
        continue;
      }
      if (value.kind === 'data' || value.kind === 'i-data') {
        if (this.#isEstablishedLike() && (value.kind === 'i-data') !== this.#interleaving) {
          // RFC 8260 §2.2.1: one kind of user-data chunk per association, as negotiated.
          const expected = this.#interleaving ? 'I-DATA' : 'DATA';
          this.#abortForViolation(
            protocolViolation(`${describeChunk(raw.type)} chunk where ${expected} was negotiated`),
            `${describeChunk(raw.type)} chunk where ${expected} was negotiated`,
          );
          return;
        }
        dataSeen = true;
        const validStream = value.streamId < this.#inboundStreamCount;
        if (!validStream && this.#isEstablishedLike()) {
          // §6.5: acknowledge the TSN as usual, report an Invalid Stream Identifier, drop the data.
          this.stats.invalidStreamChunks++;
          unrecognized.push(invalidStreamIdentifier(value.streamId));
        }
        if (this.#onData(value, validStream)) immediateSack = true;
        if (this.#receiver.windowExhausted) {
          // RFC 8841 §6.1: the peer sends more than our a=max-message-size; waiting cannot help.
          this.#abortForViolation(
            protocolViolation('a message larger than the receive window'),
            'a message larger than the receive window',
          );
          return;
        }
        continue;
      }
      // Chunks that must travel alone or first (§6.10) end the packet for us.
      if (!this.#onControlChunk(value, index, packet.verificationTag)) break;
    }
    if (this.#isClosed()) return;
    if (unrecognized.length > 0 && this.#peerTag !== 0) {
      this.stats.errorChunksSent++;
      this.#sendPacket([{ kind: 'error', reflectedTag: false, causes: unrecognized }]);
    }
    if (dataSeen) {
      this.#performDeferredReset();
      this.#packetsSinceSack++;
      // §6.2: SACK at once on gaps (new or just filled), duplicates or every second packet.
      if (immediateSack || hadGaps || this.#receiver.hasGaps || this.#packetsSinceSack >= 2) {
        this.#sackPending = true;
        this.#delayedAck.stop();
      } else if (!this.#delayedAck.running) {
        this.#delayedAck.start(this.#config.delayedAckMs);
      }
    }
    this.#flush();
  }

  #verificationTagAccepted(tag: number, chunks: RawChunk[]): boolean {
    const first = chunks[0].type;
    // §8.5.1: INIT travels alone with tag 0; COOKIE ECHO is checked against its cookie.
    if (first === ChunkType.Init) return tag === 0 && chunks.length === 1;
    if (first === ChunkType.CookieEcho) return true;
    if (this.#localTag === 0) return false;
    if (tag === this.#localTag) return true;
    // §8.5.1 B, C: ABORT and SHUTDOWN COMPLETE with the T bit carry the peer's own tag.
    if ((first === ChunkType.Abort || first === ChunkType.ShutdownComplete) && (chunks[0].flags & 1) !== 0)
      return this.#peerTag !== 0 && tag === this.#peerTag;
    return false;
  }

  /** Handles one control chunk; returns false when the rest of the packet is to be ignored. */
  #onControlChunk(chunk: Exclude<SctpChunk, UserDataChunk>, index: number, tag: number): boolean {
    switch (chunk.kind) {
      case 'init':
        this.#onInit(chunk);
        return false;
      case 'init-ack':
        this.#onInitAck(chunk);
        return false;
      case 'cookie-echo':
        if (index !== 0) {
          this.stats.chunksDropped++;
          return false;
        }
        return this.#onCookieEcho(chunk.cookie, tag);
      case 'cookie-ack':
        if (this.#state === 'cookie-echoed') this.#establish();
        return true;
      case 'sack':
        if (this.#isEstablishedLike()) this.#onSack(chunk);
        return true;
      case 'heartbeat':
        if (this.#peerTag !== 0) this.#sendPacket([{ kind: 'heartbeat-ack', info: chunk.info }]);
        return true;
      case 'heartbeat-ack':
        this.#onHeartbeatAck(chunk.info);
        return true;
      case 'abort':
        this.#close(
          new SctpError('ERR_SCTP_ABORTED', 'association', `peer aborted${describeCauses(chunk.causes)}`),
        );
        return false;
      case 'error':
        return true;
      case 'shutdown':
        this.#onShutdown(chunk.cumulativeTsnAck);
        return true;
      case 'shutdown-ack':
        if (this.#state === 'shutdown-sent' || this.#state === 'shutdown-ack-sent') {
          this.#sendPacket([{ kind: 'shutdown-complete', reflectedTag: false }]);
          this.#close(undefined);
          return false;
        }
        return true;
      case 'shutdown-complete':
        if (this.#state === 'shutdown-ack-sent') this.#close(undefined);
        return false;
      case 'forward-tsn':
      case 'i-forward-tsn':
        if (!this.#isEstablishedLike()) return true;
        if ((chunk.kind === 'i-forward-tsn') !== this.#interleaving) {
          // RFC 8260 §2.3.1: I-FORWARD-TSN goes with I-DATA, FORWARD TSN with DATA.
          const name = chunk.kind === 'i-forward-tsn' ? 'I-FORWARD-TSN' : 'FORWARD TSN';
          this.#abortForViolation(
            protocolViolation(`${name} chunk that does not match the negotiated data chunk`),
            `${name} chunk that does not match the negotiated data chunk`,
          );
          return false;
        }
        this.#onForwardTsn(chunk);
        return true;
      case 're-config':
        if (this.#isEstablishedLike()) this.#onReconfig(chunk);
        return true;
      case 'unknown':
        return true;
    }
  }

  /** Reads the state afresh: handlers called in between may have closed the association. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #isEstablishedLike(): boolean {
    return (
      this.#state === 'established' ||
      this.#state === 'shutdown-pending' ||
      this.#state === 'shutdown-sent' ||
      this.#state === 'shutdown-received' ||
      this.#state === 'shutdown-ack-sent'
    );
  }

  // -------------------------------------------------------------- handshake

  #onInit(init: InitChunk): void {
    if (!isValidInit(init)) {
      this.stats.chunksDropped++;
      return;
    }
    let localTag: number;
    let localInitialTsn: number;
    if (this.#state === 'new') {
      // §5.1.3: answer statelessly; everything needed comes back in the cookie.
      localTag = randomNonZeroUint32();
      localInitialTsn = randomInitialTsn();
    } else if (this.#state === 'cookie-wait' || this.#state === 'cookie-echoed') {
      // §5.2.1: an INIT crossing ours is answered with our own tag and TSN.
      localTag = this.#localTag;
      localInitialTsn = this.#sender.nextTsn;
    } else {
      // Restart (§5.2.2) is not supported: a WebRTC peer that restarts makes a new DTLS session.
      this.stats.chunksDropped++;
      return;
    }
    const cookie = encodeStateCookie(
      stateCookieFor(init, {
        createdAtMs: this.#timers.now(),
        localTag,
        localInitialTsn,
        localPort: this.#options.localPort,
        remotePort: this.#options.remotePort,
      }),
      this.#config.cookieSecret,
    );
    const initAck = buildInitChunk(
      'init-ack',
      localTag,
      localInitialTsn,
      this.#config.receiveBufferSize,
      cookie,
      this.#config.messageInterleaving,
    );
    this.#sendPacket([initAck], init.initiateTag);
  }

  #onInitAck(initAck: InitChunk): void {
    if (this.#state !== 'cookie-wait') return;
    if (!isValidInitAck(initAck)) {
      this.stats.chunksDropped++;
      return;
    }
    this.#adoptPeer(peerParametersOf(initAck));
    this.#state = 'cookie-echoed';
    this.#handshakeChunk = { kind: 'cookie-echo', cookie: Buffer.from(initAck.stateCookie!) };
    this.#handshakeAttempts = 0;
    this.#sendPacket([this.#handshakeChunk]);
    this.#t1.start(this.#rto.rtoMs);
  }

  #onCookieEcho(cookieBytes: Uint8Array, tag: number): boolean {
    const decoded = decodeStateCookie(cookieBytes, this.#config.cookieSecret);
    if (!decoded.ok) {
      this.stats.chunksDropped++;
      return false;
    }
    const cookie = decoded.value;
    const accepted = cookieAccepted(cookie, {
      tag,
      localPort: this.#options.localPort,
      remotePort: this.#options.remotePort,
      nowMs: this.#timers.now(),
      lifetimeMs: this.#config.cookieLifetimeMs,
    });
    if (!accepted) {
      this.stats.chunksDropped++;
      return false;
    }
    switch (this.#state) {
      case 'new':
        this.#localTag = cookie.localTag;
        this.#setLocalInitialTsn(cookie.localInitialTsn);
        this.#adoptPeer(cookie);
        break;
      case 'cookie-wait':
      case 'cookie-echoed':
        // §5.2.4 table: our tag in the cookie means the INITs crossed; take the peer's side from it.
        if (cookie.localTag !== this.#localTag) {
          this.stats.chunksDropped++;
          return false;
        }
        this.#adoptPeer(cookie);
        break;
      default:
        // §5.2.4 case D: a retransmitted COOKIE ECHO for this very association; ack it again.
        if (cookie.localTag !== this.#localTag || cookie.peerTag !== this.#peerTag) {
          this.stats.chunksDropped++;
          return false;
        }
        this.#sendPacket([{ kind: 'cookie-ack', reflectedTag: false }]);
        return true;
    }
    this.#sendPacket([{ kind: 'cookie-ack', reflectedTag: false }]);
    this.#establish();
    return true;
  }

  #adoptPeer(peer: PeerParameters): void {
    this.#peerTag = peer.peerTag;
    this.#interleaving = this.#config.messageInterleaving && peer.peerIData;
    this.#receiver.init(peer.peerInitialTsn, this.#interleaving);
    this.#streamReset.setExpectedPeerRequest(peer.peerInitialTsn);
    this.#outboundStreamCount = Math.min(MAX_STREAMS, peer.peerInboundStreams);
    this.#inboundStreamCount = Math.min(MAX_STREAMS, peer.peerOutboundStreams);
    this.#peerReconfig = peer.peerReconfig;
    // With I-DATA, abandoned messages are skipped by I-FORWARD-TSN only (RFC 8260 §2.3.1).
    const skipping = this.#interleaving ? peer.peerIForwardTsn : peer.peerForwardTsn;
    this.#sender.adoptPeer(peer.peerReceiverWindow, skipping, this.#interleaving);
  }

  #setLocalInitialTsn(tsn: number): void {
    this.#sender.setInitialTsn(tsn);
    this.#streamReset.setInitialRequestSequence(tsn);
  }

  #establish(): void {
    this.#t1.stop();
    this.#handshakeChunk = undefined;
    this.#state = 'established';
    this.#sender.lastDataSentAt = this.#timers.now();
    this.#heartbeatTimer.start(this.#config.heartbeatIntervalMs);
    this.#safeEmit('open');
  }

  #onT1Expiry(): void {
    if ((this.#state !== 'cookie-wait' && this.#state !== 'cookie-echoed') || !this.#handshakeChunk) return;
    if (++this.#handshakeAttempts > MAX_INIT_RETRANSMISSIONS) {
      this.#close(new SctpError('ERR_SCTP_TIMEOUT', 'association', 'handshake timed out'));
      return;
    }
    this.#rto.backoff();
    this.#sendPacket([this.#handshakeChunk], this.#state === 'cookie-wait' ? 0 : this.#peerTag);
    this.#t1.start(this.#rto.rtoMs);
  }

  // ------------------------------------------------------------- receive data

  /** Takes one DATA or I-DATA chunk (only its TSN unless deliverable); returns true when it calls for an immediate SACK. */
  #onData(chunk: DataChunk | IDataChunk, deliverable: boolean): boolean {
    if (
      !this.#isEstablishedLike() ||
      this.#state === 'shutdown-received' ||
      this.#state === 'shutdown-ack-sent'
    ) {
      this.stats.chunksDropped++;
      return false;
    }
    return this.#receiver.onData(chunk, deliverable);
  }

  #deliver(streamId: number, ppid: number, data: Buffer): void {
    this.stats.messagesReceived++;
    this.#safeEmit('message', streamId, ppid, data);
  }

  #onForwardTsn(chunk: ForwardTsnChunk | IForwardTsnChunk): void {
    this.#sackPending = true;
    if (this.#receiver.onForwardTsn(chunk)) this.#performDeferredReset();
  }

  #onDelayedAck(): void {
    if (!this.#isEstablishedLike()) return;
    this.#sackPending = true;
    this.#flush();
  }

  // -------------------------------------------------------------- send data

  #onSack(sack: SackChunk): void {
    const bufferedBefore = this.#sender.bufferedAmount;
    const outcome = this.#sender.onSack(sack);
    if (outcome === 'ignored') return;
    if (outcome === 'advanced') {
      this.#errorCount = 0;
      if (this.#sender.hasOutstanding()) this.#t3.start(this.#rto.rtoMs);
      else this.#t3.stop();
    } else if (!this.#sender.hasOutstanding()) {
      this.#t3.stop();
    }
    this.#sender.updateAdvancedPeerAckPoint();
    // A stream reset request waits for the data sent before it to be acknowledged (StreamResetState.startNext).
    if (outcome === 'advanced' && this.#streamReset.waiting)
      this.#streamReset.startNext(this.#sender.cumulativeTsnAck);
    this.#checkShutdownProgress();
    if (this.#sender.bufferedAmount < bufferedBefore) this.#safeEmit('bufferedamountdecrease');
  }

  #onT3Expiry(): void {
    if (!this.#isEstablishedLike()) return;
    this.stats.t3Expirations++;
    if (++this.#errorCount > this.#config.maxRetransmissions) {
      this.#abortForTimeout();
      return;
    }
    // §6.3.3 E1-E3 and §7.2.3.
    this.#sender.onRetransmissionTimeout();
    this.#flush();
    if (!this.#t3.running && this.#sender.hasOutstanding()) this.#t3.start(this.#rto.rtoMs);
  }

  /**
   * Ends the association over the peer's protocol violation: an ABORT with
   * the cause (§9.1), then 'close' with ERR_SCTP_PROTOCOL_VIOLATION.
   */
  #abortForViolation(cause: ErrorCause, message: string): void {
    this.stats.protocolViolations++;
    if (this.#peerTag !== 0) this.#sendPacket([{ kind: 'abort', reflectedTag: false, causes: [cause] }]);
    this.#close(new SctpError('ERR_SCTP_PROTOCOL_VIOLATION', 'association', message));
  }

  #abortForTimeout(): void {
    this.#sendPacket([
      { kind: 'abort', reflectedTag: false, causes: [userInitiatedAbort('retransmission limit reached')] },
    ]);
    this.#close(new SctpError('ERR_SCTP_TIMEOUT', 'association', 'peer stopped acknowledging'));
  }

  // ------------------------------------------------------------------ flush

  /** Sends what is due: control chunks, retransmissions, then new data within cwnd and rwnd. */
  #flush(): void {
    if (!this.#isEstablishedLike()) return;
    const control: SctpChunk[] = [];
    if (this.#sackPending) {
      this.#sackPending = false;
      this.#packetsSinceSack = 0;
      this.#delayedAck.stop();
      control.push(this.#receiver.buildSack(this.#config.maxPacketSize));
    }
    const forwardTsn = this.#sender.takeForwardTsn();
    if (forwardTsn) {
      control.push(forwardTsn);
      if (!this.#t3.running) this.#t3.start(this.#rto.rtoMs);
    }
    const parameters = this.#streamReset.takeParameters();
    if (parameters.length > 0) {
      const chunk: ReConfigChunk = { kind: 're-config', parameters };
      control.push(chunk);
    }
    const data = this.#collectData();
    if (control.length === 0 && data.length === 0) return;
    for (const packet of bundleChunks([...control, ...data], this.#config.maxPacketSize))
      this.#sendPacket(packet);
    if (data.length > 0) {
      this.#sender.lastDataSentAt = this.#timers.now();
      if (!this.#t3.running) this.#t3.start(this.#rto.rtoMs);
    }
    this.#checkShutdownProgress();
  }

  /** New and retransmitted DATA due now; a FORWARD TSN that abandoning messages called for goes out first. */
  #collectData(): UserDataChunk[] {
    if (this.#state === 'shutdown-ack-sent') return [];
    const { data, forwardTsn } = this.#sender.collectData();
    if (forwardTsn) {
      this.#sendPacket([forwardTsn]);
      if (!this.#t3.running) this.#t3.start(this.#rto.rtoMs);
    }
    return data;
  }

  #sendPacket(chunks: SctpChunk[], verificationTag = this.#peerTag): void {
    const size = sctpPacketSize(chunks);
    const packet = Buffer.allocUnsafe(size);
    encodeSctpPacketTo(
      packet,
      0,
      { sourcePort: this.#options.localPort, destinationPort: this.#options.remotePort, verificationTag },
      chunks,
    );
    this.stats.packetsSent++;
    this.#options.send(packet);
  }

  // -------------------------------------------------------------- heartbeat

  #onHeartbeatTimer(): void {
    if (!this.#isEstablishedLike()) return;
    const now = this.#timers.now();
    if (this.#heartbeat) {
      // The last HEARTBEAT went unanswered for a whole interval (§8.3).
      this.#heartbeat = undefined;
      if (++this.#errorCount > this.#config.maxRetransmissions) {
        this.#abortForTimeout();
        return;
      }
    }
    if (
      now - this.#sender.lastDataSentAt >= this.#config.heartbeatIntervalMs &&
      this.#sender.flightSize === 0
    ) {
      const info = Buffer.alloc(12);
      const nonce = randomBytes(4).readUInt32BE(0);
      info.writeUInt32BE(nonce, 0);
      info.writeDoubleBE(now, 4);
      this.#heartbeat = { nonce, sentAt: now };
      this.#sendPacket([{ kind: 'heartbeat', info }]);
    }
    this.#heartbeatTimer.start(this.#config.heartbeatIntervalMs);
  }

  #onHeartbeatAck(info: Uint8Array): void {
    const pending = this.#heartbeat;
    if (!pending || info.length !== 12) return;
    const nonce = ((info[0] << 24) | (info[1] << 16) | (info[2] << 8) | info[3]) >>> 0;
    if (nonce !== pending.nonce) return;
    this.#heartbeat = undefined;
    this.#errorCount = 0;
    this.#rto.update(this.#timers.now() - pending.sentAt);
  }

  // ------------------------------------------------------------ stream reset

  #onReconfigExpiry(): void {
    if (!this.#isEstablishedLike()) return;
    if (!this.#streamReset.retransmit()) return;
    this.#flush();
  }

  #onReconfig(chunk: ReConfigChunk): void {
    for (const parameter of chunk.parameters) {
      switch (parameter.kind) {
        case 'outgoing-ssn-reset':
          // RFC 6525 §5.2.2: perform now if everything up to the sender's last TSN has arrived, else
          // later, holding back what the peer sent on those streams after it (E2).
          if (!this.#streamReset.onIncomingRequest(parameter)) break;
          this.#receiver.holdAfterReset(parameter.streamIds, parameter.senderLastAssignedTsn);
          if (!this.#performDeferredReset())
            this.#streamReset.respond(parameter.requestSequenceNumber, ReconfigResult.InProgress);
          break;
        case 'response':
          this.#onResetResponse(parameter.responseSequenceNumber, parameter.result);
          break;
        case 'incoming-ssn-reset':
          // RFC 6525 §5.2.3: the peer asks us to reset our outgoing side; do it as our own request.
          this.#streamReset.onIncomingSsnResetRequest(parameter.requestSequenceNumber);
          if (this.#state === 'established') {
            const ids = parameter.streamIds.filter((id) => !this.#streamReset.isResetting(id));
            if (ids.length > 0) this.resetStreams(ids);
          }
          break;
        default:
          this.#streamReset.deny();
      }
    }
  }

  /** Performs a deferred incoming reset once the cumulative TSN covers it; true when done. */
  #performDeferredReset(): boolean {
    const deferred = this.#streamReset.takeDueIncomingReset(this.#receiver.cumulativeTsn);
    if (!deferred) return false;
    const ids = this.#receiver.resetStreams(deferred.streamIds);
    this.#streamReset.completeIncomingReset(deferred.requestSequenceNumber);
    this.#sackPending = true;
    this.#safeEmit('streamreset', ids, 'incoming');
    return true;
  }

  #onResetResponse(sequence: number, result: number): void {
    const completed = this.#streamReset.onResponse(sequence, result);
    if (!completed) return;
    if (completed.performed) for (const id of completed.streamIds) this.#sender.resetStreamSequence(id);
    // Messages sent on the streams meanwhile go out now, numbered from SSN 0.
    this.#sender.releaseHeld((streamId) => this.#streamReset.isResetting(streamId));
    if (completed.performed) this.#safeEmit('streamreset', completed.streamIds, 'outgoing');
    this.#streamReset.startNext(this.#sender.cumulativeTsnAck);
  }

  // --------------------------------------------------------------- shutdown

  #onShutdown(cumulativeTsnAck: number): void {
    if (!this.#isEstablishedLike()) return;
    // §9.2: the SHUTDOWN's cumulative TSN ack acts as a SACK without gap blocks.
    this.#onSack({
      kind: 'sack',
      cumulativeTsnAck: tsnLt(cumulativeTsnAck, this.#sender.cumulativeTsnAck)
        ? this.#sender.cumulativeTsnAck
        : cumulativeTsnAck,
      advertisedReceiverWindowCredit: this.#sender.peerReceiverWindow + this.#sender.flightSize,
      gapAckBlocks: [],
      duplicateTsns: [],
    });
    if (this.#state === 'shutdown-sent') {
      // Both sides shut down at once (§9.2): answer with SHUTDOWN ACK.
      this.#state = 'shutdown-ack-sent';
      this.#shutdownAttempts = 0;
      this.#sendPacket([{ kind: 'shutdown-ack', reflectedTag: false }]);
      this.#t2.start(this.#rto.rtoMs);
      return;
    }
    if (this.#state === 'established' || this.#state === 'shutdown-pending')
      this.#state = 'shutdown-received';
    this.#checkShutdownProgress();
  }

  #checkShutdownProgress(): void {
    if (!this.#sender.drained) return;
    if (this.#state === 'shutdown-pending') {
      this.#state = 'shutdown-sent';
      this.#shutdownAttempts = 0;
      this.#sendShutdownChunk();
      this.#t2.start(this.#rto.rtoMs);
    } else if (this.#state === 'shutdown-received') {
      this.#state = 'shutdown-ack-sent';
      this.#shutdownAttempts = 0;
      this.#sendShutdownChunk();
      this.#t2.start(this.#rto.rtoMs);
    }
  }

  #sendShutdownChunk(): void {
    if (this.#state === 'shutdown-sent')
      this.#sendPacket([{ kind: 'shutdown', cumulativeTsnAck: this.#receiver.cumulativeTsn }]);
    else if (this.#state === 'shutdown-ack-sent')
      this.#sendPacket([{ kind: 'shutdown-ack', reflectedTag: false }]);
  }

  #onT2Expiry(): void {
    if (this.#state !== 'shutdown-sent' && this.#state !== 'shutdown-ack-sent') return;
    if (++this.#shutdownAttempts > this.#config.maxRetransmissions) {
      this.#abortForTimeout();
      return;
    }
    this.#rto.backoff();
    this.#sendShutdownChunk();
    this.#t2.start(this.#rto.rtoMs);
  }

  // ----------------------------------------------------------------- common

  #close(error: SctpError | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const timer of [
      this.#t1,
      this.#t2,
      this.#t3,
      this.#reconfigTimer,
      this.#delayedAck,
      this.#heartbeatTimer,
    ])
      timer.stop();
    this.#sender.clear();
    this.#receiver.clear();
    this.#safeEmit('close', error);
  }

  /** Runs a callback at the boundary: exceptions are counted, never thrown to the caller. */
  #guard(callback: () => void): void {
    try {
      callback();
    } catch {
      this.stats.internalErrors++;
    }
  }

  #safeEmit<K extends keyof SctpAssociationEvents>(name: K, ...args: SctpAssociationEvents[K]): void {
    try {
      (this.emit as (name: K, ...args: SctpAssociationEvents[K]) => boolean)(name, ...args);
    } catch {
      this.stats.internalErrors++;
    }
  }
}

/** A DATA or I-DATA chunk whose value stops at the end of its header: no user data (RFC 9260 §6.2). */
function isEmptyUserDataChunk(raw: RawChunk): boolean {
  return (
    (raw.type === ChunkType.Data && raw.value.length === DATA_HEADER_SIZE - CHUNK_HEADER_SIZE) ||
    (raw.type === ChunkType.IData && raw.value.length === I_DATA_HEADER_SIZE - CHUNK_HEADER_SIZE)
  );
}

function describeChunk(type: number): string {
  return type === ChunkType.IData ? 'I-DATA' : 'DATA';
}

/** The bytes of a raw chunk, header included, for an Unrecognized Chunk Type cause. */
function rawChunkBytes(raw: RawChunk): Uint8Array {
  const bytes = new Uint8Array(CHUNK_HEADER_SIZE + raw.value.length);
  bytes[0] = raw.type;
  bytes[1] = raw.flags;
  bytes[2] = bytes.length >>> 8;
  bytes[3] = bytes.length & 0xff;
  bytes.set(raw.value, CHUNK_HEADER_SIZE);
  return bytes;
}

function describeCauses(causes: readonly ErrorCause[]): string {
  if (causes.length === 0) return '';
  return `: ${causes.map((cause) => `cause ${cause.code}`).join(', ')}`;
}
