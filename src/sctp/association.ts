/**
 * An SCTP association (RFC 9260) with the extensions WebRTC data channels
 * use: partial reliability (RFC 3758) and stream reset (RFC 6525). It is
 * transport-agnostic: packets come in through handlePacket() and leave
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
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { SctpChunk } from './chunk.js';
import { decodeChunk } from './chunk.js';
import { CHUNK_HEADER_SIZE, ChunkType, padded, type RawChunk, unknownChunkAction } from './chunk-header.js';
import { DATA_HEADER_SIZE, type DataChunk } from './data.js';
import { type ErrorCause, unrecognizedChunkType, userInitiatedAbort } from './error-cause.js';
import { SctpError } from './errors.js';
import type { ForwardTsnChunk, ForwardTsnStream } from './forward-tsn.js';
import type { InitChunk } from './init.js';
import { COMMON_HEADER_SIZE, decodeSctpPacket, encodeSctpPacketTo, sctpPacketSize } from './packet.js';
import { type ReConfigChunk, type ReconfigParameter, ReconfigResult } from './re-config.js';
import { type GapAckBlock, SACK_HEADER_SIZE, type SackChunk } from './sack.js';
import { ssnLt, tsnAdd, tsnDiff, tsnGt, tsnLt, tsnLte } from './serial.js';
import { decodeStateCookie, encodeStateCookie, type StateCookie } from './state-cookie.js';

/** Clock and timers, injectable so tests can run an association on virtual time. */
export interface SctpTimers {
  /** Current time in ms. */
  now: () => number;
  /** Calls callback once after ms; returns a handle for clearTimer. */
  setTimer: (callback: () => void, ms: number) => unknown;
  /** Cancels a pending timer. */
  clearTimer: (handle: unknown) => void;
}

/** Node's clock and timers, unref'd so a pending timer never keeps the process alive. */
export const NODE_SCTP_TIMERS: SctpTimers = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Retransmission timeout bounds in ms (RFC 9260 §6.3.1; see the file comment for the values). */
export interface SctpRtoOptions {
  initialMs: number;
  minMs: number;
  maxMs: number;
}

/** Options of an association. */
export interface SctpAssociationOptions {
  /** Our SCTP port (5000 in WebRTC unless the SDP says otherwise). */
  localPort: number;
  /** The peer's SCTP port. */
  remotePort: number;
  /** Sends one SCTP packet; the buffer is the callee's to keep. */
  send: (packet: Buffer) => void;
  /** Largest message send() accepts, in bytes. Default 256 KiB. */
  maxMessageSize?: number;
  /**
   * Largest SCTP packet, in bytes. Default 1160: a 1200-byte UDP payload less
   * the DTLS 1.2 AES-GCM record overhead (13-byte header, 8-byte explicit
   * nonce, 16-byte tag), rounded down to a multiple of 4.
   */
  maxPacketSize?: number;
  /** Receive buffer, which a_rwnd advertises. Default 1 MiB. */
  receiveBufferSize?: number;
  /** Clock and timers. Default Node's. */
  timers?: SctpTimers;
  /** Key that signs State Cookies. Default 32 random bytes. */
  cookieSecret?: Uint8Array;
  /** How long a State Cookie stays valid (Valid.Cookie.Life, §16). Default 60 s. */
  cookieLifetimeMs?: number;
  /** RTO bounds. Default 500 ms initial, 300 ms min, 10 s max. */
  rto?: Partial<SctpRtoOptions>;
  /** Consecutive unanswered retransmissions before giving up (Association.Max.Retrans). Default 10. */
  maxRetransmissions?: number;
  /** Idle time before a HEARTBEAT (HB.interval). Default 30 s. */
  heartbeatIntervalMs?: number;
  /** Delay of a SACK that nothing forces out sooner. Default 200 ms (§6.2). */
  delayedAckMs?: number;
}

/** Per-message options of send(). */
export interface SctpSendOptions {
  /** Deliver as soon as complete, not in stream order (U bit). */
  unordered?: boolean;
  /** Give up after this many retransmissions (RFC 3758 partial reliability). */
  maxRetransmits?: number;
  /** Give up once the message is this old, sent or not (RFC 3758 timed reliability). */
  maxPacketLifeTimeMs?: number;
}

/** Association states (RFC 9260 §4), plus 'new' before anything happened. */
export type SctpAssociationState =
  | 'new'
  | 'cookie-wait'
  | 'cookie-echoed'
  | 'established'
  | 'shutdown-pending'
  | 'shutdown-sent'
  | 'shutdown-received'
  | 'shutdown-ack-sent'
  | 'closed';

/** Events of an association. */
export interface SctpAssociationEvents {
  /** The handshake completed; send() works from now on. */
  open: [];
  /** A whole message arrived; data is the listener's to keep. */
  message: [streamId: number, ppid: number, data: Buffer];
  /** Streams were reset: 'incoming' when the peer reset its side, 'outgoing' when our reset completed. */
  streamreset: [streamIds: number[], direction: 'incoming' | 'outgoing'];
  /** The association ended; error is set unless it ended by shutdown or by our own abort(). */
  close: [error: SctpError | undefined];
}

/** Counters. */
export interface SctpAssociationStats {
  packetsReceived: number;
  packetsSent: number;
  /** Packets ignored whole: bad checksum, ports, tag, or undecodable. */
  packetsDropped: number;
  /** Chunks ignored inside accepted packets. */
  chunksDropped: number;
  dataChunksReceived: number;
  duplicateTsnsReceived: number;
  retransmissions: number;
  fastRetransmissions: number;
  t3Expirations: number;
  forwardTsnsSent: number;
  messagesAbandoned: number;
  messagesSent: number;
  messagesReceived: number;
  /** Exceptions caught at the boundary, listener errors included. */
  internalErrors: number;
}

const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;
const DEFAULT_MAX_PACKET_SIZE = 1160;
const DEFAULT_RECEIVE_BUFFER_SIZE = 1024 * 1024;
const DEFAULT_RTO: SctpRtoOptions = { initialMs: 500, minMs: 300, maxMs: 10_000 };
const DEFAULT_COOKIE_LIFETIME_MS = 60_000;
const DEFAULT_MAX_RETRANSMISSIONS = 10;
/** Max.Init.Retransmits (§16). */
const MAX_INIT_RETRANSMISSIONS = 8;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
const DEFAULT_DELAYED_ACK_MS = 200;
/** Streams we offer and accept: the most SCTP allows, as WebRTC does. */
const MAX_STREAMS = 65535;
/** Duplicate TSNs reported per SACK; more tells the sender nothing new. */
const MAX_REPORTED_DUPLICATES = 16;
/** Gap ack block offsets are 16-bit (§3.3.4): data further ahead cannot be reported. */
const MAX_TSN_AHEAD = 0xffff;

interface OutboundMessage {
  streamId: number;
  ppid: number;
  unordered: boolean;
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
  transmissions: number;
  inFlight: boolean;
  /** Covered by a gap ack block of the latest SACK. */
  acked: boolean;
  missingReports: number;
  retransmit: boolean;
}

interface PendingMessage {
  streamId: number;
  ppid: number;
  data: Buffer;
  options: SctpSendOptions;
  queuedAt: number;
}

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

interface OutgoingResetRequest {
  requestSequenceNumber: number;
  streamIds: number[];
  senderLastAssignedTsn: number;
  sent: boolean;
}

interface DeferredIncomingReset {
  requestSequenceNumber: number;
  senderLastAssignedTsn: number;
  streamIds: number[];
}

/** One timer that can be (re)started and stopped. */
class Timer {
  #handle: unknown;
  readonly #timers: SctpTimers;
  readonly #onExpiry: () => void;

  constructor(timers: SctpTimers, onExpiry: () => void) {
    this.#timers = timers;
    this.#onExpiry = onExpiry;
  }

  get running(): boolean {
    return this.#handle !== undefined;
  }

  start(ms: number): void {
    this.stop();
    this.#handle = this.#timers.setTimer(() => {
      this.#handle = undefined;
      this.#onExpiry();
    }, ms);
  }

  stop(): void {
    if (this.#handle === undefined) return;
    this.#timers.clearTimer(this.#handle);
    this.#handle = undefined;
  }
}

function randomNonZeroUint32(): number {
  for (;;) {
    const value = randomBytes(4).readUInt32BE(0);
    if (value !== 0) return value;
  }
}

/** An SCTP association over an unreliable datagram transport. */
export class SctpAssociation extends EventEmitter<SctpAssociationEvents> {
  readonly #options: SctpAssociationOptions;
  readonly #timers: SctpTimers;
  readonly #maxPacketSize: number;
  readonly #maxMessageSize: number;
  readonly #receiveBufferSize: number;
  readonly #cookieSecret: Uint8Array;
  readonly #cookieLifetimeMs: number;
  readonly #rtoBounds: SctpRtoOptions;
  readonly #maxRetransmissions: number;
  readonly #heartbeatIntervalMs: number;
  readonly #delayedAckMs: number;

  #state: SctpAssociationState = 'new';
  #localTag = 0;
  #peerTag = 0;
  #outboundStreamCount = MAX_STREAMS;
  #peerForwardTsn = false;
  #peerReconfig = false;

  // Sender.
  #nextTsn = 0;
  /** Highest TSN the peer acknowledged cumulatively. */
  #cumulativeTsnAck = 0;
  /** Chunks from cumulativeTsnAck + 1 onward, in TSN order, sent or not. */
  #outbound: OutboundChunk[] = [];
  /** Index in #outbound of the first chunk never sent. */
  #firstUnsent = 0;
  #pendingReset: PendingMessage[] = [];
  #outboundSequence = new Map<number, number>();
  #flightSize = 0;
  #bufferedAmount = 0;
  #cwnd = 0;
  #ssthresh = 0;
  #partialBytesAcked = 0;
  #peerReceiverWindow = 0;
  #fastRecovery = false;
  #fastRecoveryExit = 0;
  #fastRetransmitBudget = 0;
  #advancedPeerAckPoint = 0;
  #forwardTsnPending = false;
  #rttProbe: { tsn: number; sentAt: number } | undefined;
  #srtt: number | undefined;
  #rttvar = 0;
  #rto: number;
  #errorCount = 0;
  #lastDataSentAt = 0;

  // Receiver.
  #peerCumulativeTsn = 0;
  #receivedAhead = new Set<number>();
  #highestReceived = 0;
  #duplicates: number[] = [];
  #fragments = new Map<number, InboundFragment>();
  #heldBytes = 0;
  #inboundStreams = new Map<number, InboundStream>();
  #sackPending = false;
  #packetsSinceSack = 0;

  // Stream reset (RFC 6525).
  #nextRequestSequence = 0;
  #outgoingResets: OutgoingResetRequest[] = [];
  #resettingStreams = new Set<number>();
  #expectedPeerRequest = 0;
  #lastPeerResponse: { requestSequenceNumber: number; result: number } | undefined;
  #deferredIncomingReset: DeferredIncomingReset | undefined;
  #reconfigToSend: ReconfigParameter[] = [];

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
  readonly stats: SctpAssociationStats = {
    packetsReceived: 0,
    packetsSent: 0,
    packetsDropped: 0,
    chunksDropped: 0,
    dataChunksReceived: 0,
    duplicateTsnsReceived: 0,
    retransmissions: 0,
    fastRetransmissions: 0,
    t3Expirations: 0,
    forwardTsnsSent: 0,
    messagesAbandoned: 0,
    messagesSent: 0,
    messagesReceived: 0,
    internalErrors: 0,
  };

  /** Creates an association; it answers an INIT as the passive side or starts one with connect(). */
  constructor(options: SctpAssociationOptions) {
    super();
    this.#options = options;
    this.#timers = options.timers ?? NODE_SCTP_TIMERS;
    this.#maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#receiveBufferSize = options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER_SIZE;
    this.#cookieSecret = options.cookieSecret ?? randomBytes(32);
    this.#cookieLifetimeMs = options.cookieLifetimeMs ?? DEFAULT_COOKIE_LIFETIME_MS;
    this.#rtoBounds = { ...DEFAULT_RTO, ...options.rto };
    this.#rto = this.#rtoBounds.initialMs;
    this.#maxRetransmissions = options.maxRetransmissions ?? DEFAULT_MAX_RETRANSMISSIONS;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.#delayedAckMs = options.delayedAckMs ?? DEFAULT_DELAYED_ACK_MS;
    this.#t1 = new Timer(this.#timers, () => this.#guard(() => this.#onT1Expiry()));
    this.#t2 = new Timer(this.#timers, () => this.#guard(() => this.#onT2Expiry()));
    this.#t3 = new Timer(this.#timers, () => this.#guard(() => this.#onT3Expiry()));
    this.#reconfigTimer = new Timer(this.#timers, () => this.#guard(() => this.#onReconfigExpiry()));
    this.#delayedAck = new Timer(this.#timers, () => this.#guard(() => this.#onDelayedAck()));
    this.#heartbeatTimer = new Timer(this.#timers, () => this.#guard(() => this.#onHeartbeatTimer()));
    const ports = [options.localPort, options.remotePort];
    if (ports.some((port) => !Number.isInteger(port) || port < 0 || port > 0xffff))
      throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', 'ports must be integers in 0..65535');
    // The smallest packet must hold a DATA chunk with some payload and a SACK with a few blocks.
    if (!Number.isInteger(this.#maxPacketSize) || this.#maxPacketSize < 128 || this.#maxPacketSize > 65532)
      throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', 'maxPacketSize must be in 128..65532');
    if (this.#receiveBufferSize < this.#maxPacketSize)
      throw new SctpError(
        'ERR_SCTP_INVALID_ARGUMENT',
        'association',
        'receiveBufferSize below maxPacketSize',
      );
  }

  /** Current state. */
  get state(): SctpAssociationState {
    return this.#state;
  }

  /** Bytes of user data queued or sent and not yet acknowledged. */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** Largest message send() accepts. */
  get maxMessageSize(): number {
    return this.#maxMessageSize;
  }

  /** Current retransmission timeout in ms. */
  get rtoMs(): number {
    return this.#rto;
  }

  /** Current congestion window in bytes. */
  get congestionWindow(): number {
    return this.#cwnd;
  }

  /** Starts the handshake as the active side by sending INIT (§5.1). Throws unless the association is new. */
  connect(): void {
    if (this.#state !== 'new')
      throw new SctpError('ERR_SCTP_INVALID_STATE', 'association', `connect() in state ${this.#state}`);
    this.#localTag = randomNonZeroUint32();
    this.#setLocalInitialTsn(randomBytes(4).readUInt32BE(0));
    this.#state = 'cookie-wait';
    this.#handshakeChunk = this.#initChunk('init', undefined);
    this.#handshakeAttempts = 0;
    this.#sendPacket([this.#handshakeChunk], 0);
    this.#t1.start(this.#rto);
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
    if (data.length > this.#maxMessageSize)
      throw new SctpError(
        'ERR_SCTP_MESSAGE_TOO_LARGE',
        'association',
        `${data.length} bytes exceed the ${this.#maxMessageSize}-byte limit`,
      );
    const message: PendingMessage = {
      streamId,
      ppid: ppid >>> 0,
      data: Buffer.from(data),
      options,
      queuedAt: this.#timers.now(),
    };
    this.#bufferedAmount += data.length;
    if (this.#resettingStreams.has(streamId)) this.#pendingReset.push(message);
    else this.#enqueue(message);
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
    const fresh = [...new Set(streamIds)].filter((id) => {
      if (!Number.isInteger(id) || id < 0 || id > 0xffff)
        throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', `stream ${id} is out of range`);
      return !this.#resettingStreams.has(id);
    });
    if (fresh.length === 0) return;
    for (const id of fresh) this.#resettingStreams.add(id);
    this.#outgoingResets.push({
      requestSequenceNumber: 0,
      streamIds: fresh,
      senderLastAssignedTsn: 0,
      sent: false,
    });
    this.#startNextReset();
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
      return;
    }
    const packet = decoded.value;
    if (
      packet.destinationPort !== this.#options.localPort ||
      packet.sourcePort !== this.#options.remotePort ||
      packet.chunks.length === 0
    ) {
      this.stats.packetsDropped++;
      return;
    }
    if (!this.#verificationTagAccepted(packet.verificationTag, packet.chunks)) {
      this.stats.packetsDropped++;
      return;
    }
    let dataSeen = false;
    let immediateSack = false;
    const hadGaps = this.#receivedAhead.size > 0;
    const unrecognized: ErrorCause[] = [];
    for (let index = 0; index < packet.chunks.length; index++) {
      if (this.#isClosed()) return;
      const raw = packet.chunks[index];
      const chunk = decodeChunk(raw);
      if (!chunk.ok) {
        this.stats.chunksDropped++;
        continue;
      }
      const value = chunk.value;
      if (value.kind === 'unknown') {
        // §3.2: the upper two bits of the type say whether to go on and whether to report.
        const action = unknownChunkAction(value.type);
        if (action.report) unrecognized.push(unrecognizedChunkType(rawChunkBytes(raw)));
        this.stats.chunksDropped++;
        if (action.stop) break;
        continue;
      }
      if (value.kind === 'data') {
        dataSeen = true;
        if (this.#onData(value)) immediateSack = true;
        continue;
      }
      // Chunks that must travel alone or first (§6.10) end the packet for us.
      if (!this.#onControlChunk(value, index, packet.verificationTag)) break;
    }
    if (this.#isClosed()) return;
    if (unrecognized.length > 0 && this.#peerTag !== 0)
      this.#sendPacket([{ kind: 'error', reflectedTag: false, causes: unrecognized }]);
    if (dataSeen) {
      this.#performDeferredReset();
      this.#packetsSinceSack++;
      // §6.2: SACK at once on gaps (new or just filled), duplicates or every second packet.
      if (immediateSack || hadGaps || this.#receivedAhead.size > 0 || this.#packetsSinceSack >= 2) {
        this.#sackPending = true;
        this.#delayedAck.stop();
      } else if (!this.#delayedAck.running) {
        this.#delayedAck.start(this.#delayedAckMs);
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
  #onControlChunk(chunk: Exclude<SctpChunk, DataChunk>, index: number, tag: number): boolean {
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
        if (this.#isEstablishedLike()) this.#onForwardTsn(chunk);
        return true;
      case 're-config':
        if (this.#isEstablishedLike()) this.#onReconfig(chunk);
        return true;
      case 'i-data':
        // I-DATA was not negotiated (we never list it), so it is a protocol violation; ignore it.
        this.stats.chunksDropped++;
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

  #initChunk(kind: 'init' | 'init-ack', stateCookie: Uint8Array | undefined, initialTsn?: number): InitChunk {
    return {
      kind,
      initiateTag: this.#localTag,
      advertisedReceiverWindowCredit: this.#receiveBufferSize,
      outboundStreams: MAX_STREAMS,
      inboundStreams: MAX_STREAMS,
      initialTsn: initialTsn ?? this.#nextTsn,
      stateCookie,
      forwardTsnSupported: true,
      supportedExtensions: [ChunkType.ForwardTsn, ChunkType.ReConfig],
      otherParameters: [],
    };
  }

  #onInit(init: InitChunk): void {
    // §3.3.2: a zero tag or stream count makes the INIT invalid.
    if (init.initiateTag === 0 || init.outboundStreams === 0 || init.inboundStreams === 0) {
      this.stats.chunksDropped++;
      return;
    }
    let localTag: number;
    let localInitialTsn: number;
    if (this.#state === 'new') {
      // §5.1.3: answer statelessly; everything needed comes back in the cookie.
      localTag = randomNonZeroUint32();
      localInitialTsn = randomBytes(4).readUInt32BE(0);
    } else if (this.#state === 'cookie-wait' || this.#state === 'cookie-echoed') {
      // §5.2.1: an INIT crossing ours is answered with our own tag and TSN.
      localTag = this.#localTag;
      localInitialTsn = this.#nextTsn;
    } else {
      // Restart (§5.2.2) is not supported: a WebRTC peer that restarts makes a new DTLS session.
      this.stats.chunksDropped++;
      return;
    }
    const cookie = encodeStateCookie(
      {
        createdAtMs: this.#timers.now(),
        localTag,
        peerTag: init.initiateTag,
        localInitialTsn,
        peerInitialTsn: init.initialTsn,
        peerReceiverWindow: init.advertisedReceiverWindowCredit,
        peerOutboundStreams: init.outboundStreams,
        peerInboundStreams: init.inboundStreams,
        localPort: this.#options.localPort,
        remotePort: this.#options.remotePort,
        peerForwardTsn: peerSupportsForwardTsn(init),
        peerReconfig: init.supportedExtensions?.includes(ChunkType.ReConfig) ?? false,
      },
      this.#cookieSecret,
    );
    const initAck: InitChunk = {
      ...this.#initChunk('init-ack', cookie, localInitialTsn),
      initiateTag: localTag,
    };
    this.#sendPacket([initAck], init.initiateTag);
  }

  #onInitAck(initAck: InitChunk): void {
    if (this.#state !== 'cookie-wait') return;
    if (!initAck.stateCookie || initAck.initiateTag === 0 || initAck.inboundStreams === 0) {
      this.stats.chunksDropped++;
      return;
    }
    this.#adoptPeer({
      peerTag: initAck.initiateTag,
      peerInitialTsn: initAck.initialTsn,
      peerReceiverWindow: initAck.advertisedReceiverWindowCredit,
      peerInboundStreams: initAck.inboundStreams,
      peerForwardTsn: peerSupportsForwardTsn(initAck),
      peerReconfig: initAck.supportedExtensions?.includes(ChunkType.ReConfig) ?? false,
    });
    this.#state = 'cookie-echoed';
    this.#handshakeChunk = { kind: 'cookie-echo', cookie: Buffer.from(initAck.stateCookie) };
    this.#handshakeAttempts = 0;
    this.#sendPacket([this.#handshakeChunk]);
    this.#t1.start(this.#rto);
  }

  #onCookieEcho(cookieBytes: Uint8Array, tag: number): boolean {
    const decoded = decodeStateCookie(cookieBytes, this.#cookieSecret);
    if (!decoded.ok) {
      this.stats.chunksDropped++;
      return false;
    }
    const cookie = decoded.value;
    const age = this.#timers.now() - cookie.createdAtMs;
    if (
      tag !== cookie.localTag ||
      cookie.localPort !== this.#options.localPort ||
      cookie.remotePort !== this.#options.remotePort ||
      age < 0 ||
      age > this.#cookieLifetimeMs
    ) {
      this.stats.chunksDropped++;
      return false;
    }
    switch (this.#state) {
      case 'new':
        this.#localTag = cookie.localTag;
        this.#setLocalInitialTsn(cookie.localInitialTsn);
        this.#adoptCookie(cookie);
        break;
      case 'cookie-wait':
      case 'cookie-echoed':
        // §5.2.4 table: our tag in the cookie means the INITs crossed; take the peer's side from it.
        if (cookie.localTag !== this.#localTag) {
          this.stats.chunksDropped++;
          return false;
        }
        this.#adoptCookie(cookie);
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

  #adoptCookie(cookie: StateCookie): void {
    this.#adoptPeer(cookie);
  }

  #adoptPeer(peer: {
    peerTag: number;
    peerInitialTsn: number;
    peerReceiverWindow: number;
    peerInboundStreams: number;
    peerForwardTsn: boolean;
    peerReconfig: boolean;
  }): void {
    this.#peerTag = peer.peerTag;
    this.#peerCumulativeTsn = tsnAdd(peer.peerInitialTsn, -1);
    this.#highestReceived = this.#peerCumulativeTsn;
    this.#expectedPeerRequest = peer.peerInitialTsn;
    this.#peerReceiverWindow = peer.peerReceiverWindow;
    this.#outboundStreamCount = Math.min(MAX_STREAMS, peer.peerInboundStreams);
    this.#peerForwardTsn = peer.peerForwardTsn;
    this.#peerReconfig = peer.peerReconfig;
    // §7.2.1: initial cwnd and ssthresh.
    const mtu = this.#maxPacketSize;
    this.#cwnd = Math.min(4 * mtu, Math.max(2 * mtu, 4380));
    this.#ssthresh = peer.peerReceiverWindow;
  }

  #setLocalInitialTsn(tsn: number): void {
    this.#nextTsn = tsn >>> 0;
    this.#cumulativeTsnAck = tsnAdd(tsn, -1);
    this.#advancedPeerAckPoint = this.#cumulativeTsnAck;
    // RFC 6525 §5.1.1: the first request sequence number is the initial TSN.
    this.#nextRequestSequence = tsn >>> 0;
  }

  #establish(): void {
    this.#t1.stop();
    this.#handshakeChunk = undefined;
    this.#state = 'established';
    this.#lastDataSentAt = this.#timers.now();
    this.#heartbeatTimer.start(this.#heartbeatIntervalMs);
    this.#safeEmit('open');
  }

  #onT1Expiry(): void {
    if ((this.#state !== 'cookie-wait' && this.#state !== 'cookie-echoed') || !this.#handshakeChunk) return;
    if (++this.#handshakeAttempts > MAX_INIT_RETRANSMISSIONS) {
      this.#close(new SctpError('ERR_SCTP_TIMEOUT', 'association', 'handshake timed out'));
      return;
    }
    this.#rto = Math.min(this.#rto * 2, this.#rtoBounds.maxMs);
    this.#sendPacket([this.#handshakeChunk], this.#state === 'cookie-wait' ? 0 : this.#peerTag);
    this.#t1.start(this.#rto);
  }

  // ------------------------------------------------------------- receive data

  /** Takes one DATA chunk; returns true when it calls for an immediate SACK. */
  #onData(chunk: DataChunk): boolean {
    if (
      !this.#isEstablishedLike() ||
      this.#state === 'shutdown-received' ||
      this.#state === 'shutdown-ack-sent'
    ) {
      this.stats.chunksDropped++;
      return false;
    }
    this.stats.dataChunksReceived++;
    const tsn = chunk.tsn;
    if (tsnLte(tsn, this.#peerCumulativeTsn) || this.#receivedAhead.has(tsn)) {
      this.stats.duplicateTsnsReceived++;
      if (this.#duplicates.length < MAX_REPORTED_DUPLICATES) this.#duplicates.push(tsn);
      return true;
    }
    if (tsnDiff(tsn, this.#peerCumulativeTsn) > MAX_TSN_AHEAD) {
      this.stats.chunksDropped++;
      return true;
    }
    // §6.2: with the window full, drop data beyond the highest TSN seen but still fill holes.
    if (
      this.#heldBytes + chunk.userData.length > this.#receiveBufferSize &&
      tsnGt(tsn, this.#highestReceived)
    ) {
      this.stats.chunksDropped++;
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

  #deliver(streamId: number, ppid: number, data: Buffer): void {
    this.stats.messagesReceived++;
    this.#safeEmit('message', streamId, ppid, data);
  }

  #onForwardTsn(chunk: ForwardTsnChunk): void {
    const target = chunk.newCumulativeTsn;
    this.#sackPending = true;
    if (tsnLte(target, this.#peerCumulativeTsn)) return;
    if (tsnDiff(target, this.#peerCumulativeTsn) > MAX_TSN_AHEAD) return;
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
    this.#performDeferredReset();
  }

  #buildSack(): SackChunk {
    const cumulative = this.#peerCumulativeTsn;
    const offsets = [...this.#receivedAhead].map((tsn) => tsnDiff(tsn, cumulative)).sort((a, b) => a - b);
    const duplicates = this.#duplicates;
    this.#duplicates = [];
    const maxBlocks = Math.max(
      0,
      Math.floor((this.#maxPacketSize - COMMON_HEADER_SIZE - SACK_HEADER_SIZE) / 4) - duplicates.length,
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

  #onDelayedAck(): void {
    if (!this.#isEstablishedLike()) return;
    this.#sackPending = true;
    this.#flush();
  }

  // -------------------------------------------------------------- send data

  #enqueue(message: PendingMessage): void {
    const { streamId, data, options } = message;
    const unordered = options.unordered === true;
    let streamSequenceNumber = 0;
    if (!unordered) {
      streamSequenceNumber = this.#outboundSequence.get(streamId) ?? 0;
      this.#outboundSequence.set(streamId, (streamSequenceNumber + 1) & 0xffff);
    }
    const lifetime = options.maxPacketLifeTimeMs;
    const outbound: OutboundMessage = {
      streamId,
      ppid: message.ppid,
      unordered,
      streamSequenceNumber,
      maxRetransmits: options.maxRetransmits,
      expiresAt: lifetime === undefined ? undefined : message.queuedAt + lifetime,
      abandoned: false,
    };
    const payloadSize = this.#maxPacketSize - COMMON_HEADER_SIZE - DATA_HEADER_SIZE;
    for (let at = 0; at < data.length; at += payloadSize) {
      this.#outbound.push({
        tsn: this.#nextTsn,
        message: outbound,
        payload: data.subarray(at, Math.min(at + payloadSize, data.length)),
        beginning: at === 0,
        ending: at + payloadSize >= data.length,
        transmissions: 0,
        inFlight: false,
        acked: false,
        missingReports: 0,
        retransmit: false,
      });
      this.#nextTsn = tsnAdd(this.#nextTsn, 1);
    }
    this.stats.messagesSent++;
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
    this.stats.messagesAbandoned++;
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

  #buildForwardTsn(): ForwardTsnChunk {
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

  #onSack(sack: SackChunk): void {
    const cumulative = sack.cumulativeTsnAck;
    // §6.2.1 D: an older cumulative ack arrived out of order; a cumulative ack of data never sent is bogus.
    if (tsnLt(cumulative, this.#cumulativeTsnAck)) return;
    if (!tsnLt(cumulative, this.#nextTsn)) return;
    const now = this.#timers.now();
    const cumulativeAdvanced = tsnGt(cumulative, this.#cumulativeTsnAck);
    const fullyUtilized = this.#flightSize + this.#maxPacketSize >= this.#cwnd;
    let bytesAcked = 0;
    let removed = 0;
    for (const chunk of this.#outbound) {
      if (!tsnLte(chunk.tsn, cumulative)) break;
      removed++;
      if (chunk.inFlight) this.#flightSize -= chunk.payload.length;
      if (!chunk.acked && !chunk.message.abandoned) bytesAcked += chunk.payload.length;
      this.#bufferedAmount -= chunk.payload.length;
      if (this.#rttProbe && chunk.tsn === this.#rttProbe.tsn) {
        this.#updateRto(now - this.#rttProbe.sentAt);
        this.#rttProbe = undefined;
      }
    }
    if (removed > 0) {
      this.#outbound.splice(0, removed);
      this.#firstUnsent = Math.max(0, this.#firstUnsent - removed);
    }
    this.#cumulativeTsnAck = cumulative;

    // Gap ack blocks (§6.2.1): mark, and unmark what the peer reneged on.
    let highestNewlyAcked: number | undefined = cumulativeAdvanced ? cumulative : undefined;
    const blocks = sack.gapAckBlocks;
    for (let index = 0; index < this.#firstUnsent; index++) {
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
        chunk.retransmit = false;
        if (chunk.inFlight) {
          chunk.inFlight = false;
          this.#flightSize -= chunk.payload.length;
        }
        if (!chunk.message.abandoned) bytesAcked += chunk.payload.length;
        highestNewlyAcked = chunk.tsn;
      } else if (!inBlock && chunk.acked) {
        chunk.acked = false;
      }
    }

    // §7.2.4: three miss indications trigger fast retransmit.
    let fastRetransmit = false;
    if (highestNewlyAcked !== undefined) {
      for (let index = 0; index < this.#firstUnsent; index++) {
        const chunk = this.#outbound[index];
        if (!tsnLt(chunk.tsn, highestNewlyAcked)) break;
        if (chunk.acked || chunk.retransmit || chunk.message.abandoned || chunk.transmissions === 0) continue;
        if (++chunk.missingReports === 3) {
          chunk.retransmit = true;
          chunk.missingReports = 0;
          if (chunk.inFlight) {
            chunk.inFlight = false;
            this.#flightSize -= chunk.payload.length;
          }
          fastRetransmit = true;
          this.stats.fastRetransmissions++;
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

    if (cumulativeAdvanced) {
      this.#errorCount = 0;
      if (this.#hasOutstanding()) this.#t3.start(this.#rto);
      else this.#t3.stop();
    } else if (!this.#hasOutstanding()) {
      this.#t3.stop();
    }
    if (this.#peerForwardTsn) this.#advancePeerAckPoint();
    this.#checkShutdownProgress();
  }

  #hasOutstanding(): boolean {
    if (this.#flightSize > 0 || this.#forwardTsnPending) return true;
    for (let index = 0; index < this.#firstUnsent; index++) {
      const chunk = this.#outbound[index];
      if (!chunk.acked && !chunk.message.abandoned) return true;
    }
    return tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck);
  }

  #updateRto(rttMs: number): void {
    const rtt = Math.max(0, rttMs);
    // §6.3.1 C2, C3 with RTO.Alpha 1/8 and RTO.Beta 1/4.
    if (this.#srtt === undefined) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    const rto = this.#srtt + 4 * this.#rttvar;
    this.#rto = Math.min(this.#rtoBounds.maxMs, Math.max(this.#rtoBounds.minMs, rto));
  }

  #onT3Expiry(): void {
    if (!this.#isEstablishedLike()) return;
    this.stats.t3Expirations++;
    if (++this.#errorCount > this.#maxRetransmissions) {
      this.#abortForTimeout();
      return;
    }
    // §6.3.3 E1-E3 and §7.2.3.
    this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), 4 * this.#maxPacketSize);
    this.#cwnd = this.#maxPacketSize;
    this.#partialBytesAcked = 0;
    this.#fastRecovery = false;
    this.#rto = Math.min(this.#rto * 2, this.#rtoBounds.maxMs);
    this.#rttProbe = undefined;
    for (let index = 0; index < this.#firstUnsent; index++) {
      const chunk = this.#outbound[index];
      if (chunk.acked || chunk.message.abandoned) continue;
      chunk.retransmit = true;
      if (chunk.inFlight) {
        chunk.inFlight = false;
        this.#flightSize -= chunk.payload.length;
      }
    }
    if (this.#peerForwardTsn && tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck))
      this.#forwardTsnPending = true;
    this.#flush();
    if (!this.#t3.running && this.#hasOutstanding()) this.#t3.start(this.#rto);
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
      control.push(this.#buildSack());
    }
    if (this.#forwardTsnPending && this.#peerForwardTsn) {
      this.#forwardTsnPending = false;
      if (tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck)) {
        control.push(this.#buildForwardTsn());
        this.stats.forwardTsnsSent++;
        if (!this.#t3.running) this.#t3.start(this.#rto);
      }
    }
    if (this.#reconfigToSend.length > 0) {
      const chunk: ReConfigChunk = { kind: 're-config', parameters: this.#reconfigToSend.splice(0, 2) };
      control.push(chunk);
    }
    const data = this.#collectData();
    if (control.length === 0 && data.length === 0) return;
    const budget = this.#maxPacketSize - COMMON_HEADER_SIZE;
    let packet: SctpChunk[] = [];
    let used = 0;
    for (const chunk of [...control, ...data]) {
      const size = chunkSizeOf(chunk);
      if (used + size > budget && packet.length > 0) {
        this.#sendPacket(packet);
        packet = [];
        used = 0;
      }
      packet.push(chunk);
      used += size;
    }
    if (packet.length > 0) this.#sendPacket(packet);
    if (data.length > 0) {
      this.#lastDataSentAt = this.#timers.now();
      if (!this.#t3.running) this.#t3.start(this.#rto);
    }
    this.#checkShutdownProgress();
  }

  #collectData(): DataChunk[] {
    if (this.#state === 'shutdown-ack-sent') return [];
    const now = this.#timers.now();
    const out: DataChunk[] = [];
    let abandonedAny = false;
    // Retransmissions first (§6.1 C); a fast retransmit may exceed cwnd by one packet (§7.2.4).
    for (let index = 0; index < this.#firstUnsent; index++) {
      const chunk = this.#outbound[index];
      if (!chunk.retransmit) continue;
      if (this.#shouldAbandon(chunk, now)) {
        this.#abandon(chunk.message);
        abandonedAny = true;
        continue;
      }
      const size = chunk.payload.length;
      if (this.#fastRetransmitBudget >= size) this.#fastRetransmitBudget -= size;
      else if (this.#flightSize + size > this.#cwnd && this.#flightSize > 0) break;
      else if (this.#flightSize + size > this.#cwnd && out.length > 0) break;
      chunk.retransmit = false;
      this.stats.retransmissions++;
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
    if (abandonedAny) {
      this.#advancePeerAckPoint();
      if (this.#forwardTsnPending && tsnGt(this.#advancedPeerAckPoint, this.#cumulativeTsnAck)) {
        this.#forwardTsnPending = false;
        this.stats.forwardTsnsSent++;
        this.#sendPacket([this.#buildForwardTsn()]);
        if (!this.#t3.running) this.#t3.start(this.#rto);
      }
    }
    return out;
  }

  #transmit(chunk: OutboundChunk, now: number): DataChunk {
    if (chunk.transmissions > 0 && this.#rttProbe?.tsn === chunk.tsn) this.#rttProbe = undefined;
    chunk.transmissions++;
    chunk.inFlight = true;
    chunk.missingReports = 0;
    this.#flightSize += chunk.payload.length;
    this.#peerReceiverWindow = Math.max(0, this.#peerReceiverWindow - chunk.payload.length);
    this.#lastDataSentAt = now;
    const message = chunk.message;
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
      if (++this.#errorCount > this.#maxRetransmissions) {
        this.#abortForTimeout();
        return;
      }
    }
    if (now - this.#lastDataSentAt >= this.#heartbeatIntervalMs && this.#flightSize === 0) {
      const info = Buffer.alloc(12);
      const nonce = randomBytes(4).readUInt32BE(0);
      info.writeUInt32BE(nonce, 0);
      info.writeDoubleBE(now, 4);
      this.#heartbeat = { nonce, sentAt: now };
      this.#sendPacket([{ kind: 'heartbeat', info }]);
    }
    this.#heartbeatTimer.start(this.#heartbeatIntervalMs);
  }

  #onHeartbeatAck(info: Uint8Array): void {
    const pending = this.#heartbeat;
    if (!pending || info.length !== 12) return;
    const nonce = ((info[0] << 24) | (info[1] << 16) | (info[2] << 8) | info[3]) >>> 0;
    if (nonce !== pending.nonce) return;
    this.#heartbeat = undefined;
    this.#errorCount = 0;
    this.#updateRto(this.#timers.now() - pending.sentAt);
  }

  // ------------------------------------------------------------ stream reset

  #startNextReset(): void {
    const request = this.#outgoingResets[0];
    if (!request || request.sent) return;
    request.sent = true;
    request.requestSequenceNumber = this.#nextRequestSequence;
    this.#nextRequestSequence = tsnAdd(this.#nextRequestSequence, 1);
    request.senderLastAssignedTsn = tsnAdd(this.#nextTsn, -1);
    this.#queueResetRequest(request);
  }

  #queueResetRequest(request: OutgoingResetRequest): void {
    this.#reconfigToSend.push({
      kind: 'outgoing-ssn-reset',
      requestSequenceNumber: request.requestSequenceNumber,
      responseSequenceNumber: tsnAdd(this.#expectedPeerRequest, -1),
      senderLastAssignedTsn: request.senderLastAssignedTsn,
      streamIds: request.streamIds,
    });
    this.#reconfigTimer.start(this.#rto);
  }

  #onReconfigExpiry(): void {
    if (!this.#isEstablishedLike()) return;
    const request = this.#outgoingResets[0];
    if (!request?.sent) return;
    this.#queueResetRequest(request);
    this.#flush();
  }

  #onReconfig(chunk: ReConfigChunk): void {
    for (const parameter of chunk.parameters) {
      switch (parameter.kind) {
        case 'outgoing-ssn-reset':
          this.#onIncomingResetRequest(parameter);
          break;
        case 'response':
          this.#onResetResponse(parameter.responseSequenceNumber, parameter.result);
          break;
        case 'incoming-ssn-reset':
          // RFC 6525 §5.2.3: the peer asks us to reset our outgoing side; do it as our own request.
          this.#reconfigToSend.push({
            kind: 'response',
            responseSequenceNumber: parameter.requestSequenceNumber,
            result: ReconfigResult.SuccessNothingToDo,
            nextTsns: undefined,
          });
          if (parameter.requestSequenceNumber === this.#expectedPeerRequest)
            this.#expectedPeerRequest = tsnAdd(this.#expectedPeerRequest, 1);
          if (this.#state === 'established') {
            const ids = parameter.streamIds.filter((id) => !this.#resettingStreams.has(id));
            if (ids.length > 0) this.resetStreams(ids);
          }
          break;
        default:
          this.#reconfigToSend.push({
            kind: 'response',
            responseSequenceNumber: 0,
            result: ReconfigResult.Denied,
            nextTsns: undefined,
          });
      }
    }
  }

  #onIncomingResetRequest(request: {
    requestSequenceNumber: number;
    senderLastAssignedTsn: number;
    streamIds: number[];
  }): void {
    const sequence = request.requestSequenceNumber;
    if (sequence === this.#expectedPeerRequest) {
      this.#expectedPeerRequest = tsnAdd(this.#expectedPeerRequest, 1);
      this.#deferredIncomingReset = {
        requestSequenceNumber: sequence,
        senderLastAssignedTsn: request.senderLastAssignedTsn,
        streamIds: request.streamIds,
      };
      this.#lastPeerResponse = { requestSequenceNumber: sequence, result: ReconfigResult.InProgress };
      // §5.2.2: perform now if everything up to the sender's last TSN has arrived, else later.
      if (!this.#performDeferredReset()) this.#respond(sequence, ReconfigResult.InProgress);
      return;
    }
    if (this.#lastPeerResponse && sequence === this.#lastPeerResponse.requestSequenceNumber) {
      this.#respond(sequence, this.#lastPeerResponse.result);
      return;
    }
    this.#respond(sequence, ReconfigResult.ErrorBadSequenceNumber);
  }

  #respond(requestSequenceNumber: number, result: number): void {
    this.#reconfigToSend.push({
      kind: 'response',
      responseSequenceNumber: requestSequenceNumber,
      result,
      nextTsns: undefined,
    });
  }

  /** Performs a deferred incoming reset once the cumulative TSN covers it; true when done. */
  #performDeferredReset(): boolean {
    const deferred = this.#deferredIncomingReset;
    if (!deferred || tsnGt(deferred.senderLastAssignedTsn, this.#peerCumulativeTsn)) return false;
    this.#deferredIncomingReset = undefined;
    const ids = deferred.streamIds.length > 0 ? deferred.streamIds : [...this.#inboundStreams.keys()];
    for (const id of ids) {
      const stream = this.#inboundStreams.get(id);
      if (!stream) continue;
      for (const ready of stream.ready.values()) this.#heldBytes -= ready.data.length;
      this.#inboundStreams.delete(id);
    }
    this.#lastPeerResponse = {
      requestSequenceNumber: deferred.requestSequenceNumber,
      result: ReconfigResult.SuccessPerformed,
    };
    this.#respond(deferred.requestSequenceNumber, ReconfigResult.SuccessPerformed);
    this.#sackPending = true;
    this.#safeEmit('streamreset', ids, 'incoming');
    return true;
  }

  #onResetResponse(sequence: number, result: number): void {
    const request = this.#outgoingResets[0];
    if (!request?.sent || request.requestSequenceNumber !== sequence) return;
    if (result === ReconfigResult.InProgress) {
      // Ask again after an RTO (RFC 6525 §5.2.2); the timer is already running.
      return;
    }
    this.#reconfigTimer.stop();
    this.#outgoingResets.shift();
    const performed =
      result === ReconfigResult.SuccessPerformed || result === ReconfigResult.SuccessNothingToDo;
    for (const id of request.streamIds) {
      this.#resettingStreams.delete(id);
      if (performed) this.#outboundSequence.delete(id);
    }
    // Messages sent on the streams meanwhile go out now, numbered from SSN 0.
    const waiting = this.#pendingReset;
    this.#pendingReset = [];
    for (const message of waiting) {
      if (this.#resettingStreams.has(message.streamId)) this.#pendingReset.push(message);
      else this.#enqueue(message);
    }
    if (performed) this.#safeEmit('streamreset', request.streamIds, 'outgoing');
    this.#startNextReset();
  }

  // --------------------------------------------------------------- shutdown

  #onShutdown(cumulativeTsnAck: number): void {
    if (!this.#isEstablishedLike()) return;
    // §9.2: the SHUTDOWN's cumulative TSN ack acts as a SACK without gap blocks.
    this.#onSack({
      kind: 'sack',
      cumulativeTsnAck: tsnLt(cumulativeTsnAck, this.#cumulativeTsnAck)
        ? this.#cumulativeTsnAck
        : cumulativeTsnAck,
      advertisedReceiverWindowCredit: this.#peerReceiverWindow + this.#flightSize,
      gapAckBlocks: [],
      duplicateTsns: [],
    });
    if (this.#state === 'shutdown-sent') {
      // Both sides shut down at once (§9.2): answer with SHUTDOWN ACK.
      this.#state = 'shutdown-ack-sent';
      this.#shutdownAttempts = 0;
      this.#sendPacket([{ kind: 'shutdown-ack', reflectedTag: false }]);
      this.#t2.start(this.#rto);
      return;
    }
    if (this.#state === 'established' || this.#state === 'shutdown-pending')
      this.#state = 'shutdown-received';
    this.#checkShutdownProgress();
  }

  #outboundDrained(): boolean {
    return this.#outbound.length === 0 && this.#pendingReset.length === 0;
  }

  #checkShutdownProgress(): void {
    if (!this.#outboundDrained()) return;
    if (this.#state === 'shutdown-pending') {
      this.#state = 'shutdown-sent';
      this.#shutdownAttempts = 0;
      this.#sendShutdownChunk();
      this.#t2.start(this.#rto);
    } else if (this.#state === 'shutdown-received') {
      this.#state = 'shutdown-ack-sent';
      this.#shutdownAttempts = 0;
      this.#sendShutdownChunk();
      this.#t2.start(this.#rto);
    }
  }

  #sendShutdownChunk(): void {
    if (this.#state === 'shutdown-sent')
      this.#sendPacket([{ kind: 'shutdown', cumulativeTsnAck: this.#peerCumulativeTsn }]);
    else if (this.#state === 'shutdown-ack-sent')
      this.#sendPacket([{ kind: 'shutdown-ack', reflectedTag: false }]);
  }

  #onT2Expiry(): void {
    if (this.#state !== 'shutdown-sent' && this.#state !== 'shutdown-ack-sent') return;
    if (++this.#shutdownAttempts > this.#maxRetransmissions) {
      this.#abortForTimeout();
      return;
    }
    this.#rto = Math.min(this.#rto * 2, this.#rtoBounds.maxMs);
    this.#sendShutdownChunk();
    this.#t2.start(this.#rto);
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
    this.#outbound = [];
    this.#firstUnsent = 0;
    this.#pendingReset = [];
    this.#fragments.clear();
    this.#inboundStreams.clear();
    this.#receivedAhead.clear();
    this.#flightSize = 0;
    this.#bufferedAmount = 0;
    this.#heldBytes = 0;
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

function peerSupportsForwardTsn(init: InitChunk): boolean {
  return init.forwardTsnSupported || (init.supportedExtensions?.includes(ChunkType.ForwardTsn) ?? false);
}

function chunkSizeOf(chunk: SctpChunk): number {
  return chunk.kind === 'data'
    ? padded(DATA_HEADER_SIZE + chunk.userData.length)
    : sctpPacketSize([chunk]) - COMMON_HEADER_SIZE;
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
