/**
 * Public types of an SCTP association (RFC 9260): its options, per-message
 * send options (RFC 3758 partial reliability), states (§4), events and
 * counters. association.ts re-exports the types.
 */
import type { SctpError } from './errors.js';
import type { SctpRtoOptions } from './rto.js';
import type { SctpTimers } from './timer.js';

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
  /**
   * Offer I-DATA and I-FORWARD-TSN (RFC 8260), used when the peer offers
   * them too. Default true.
   */
  messageInterleaving?: boolean;
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
  /** Acknowledged user data left the send buffer: bufferedAmount (and some stream's bufferedAmountOf) went down. */
  bufferedamountdecrease: [];
  /** Streams were reset: 'incoming' when the peer reset its side, 'outgoing' when our reset completed. */
  streamreset: [streamIds: number[], direction: 'incoming' | 'outgoing'];
  /** The association ended; error is set unless it ended by shutdown or by our own abort(). */
  close: [error: SctpError | undefined];
}

/** Counters. */
export interface SctpAssociationStats {
  packetsReceived: number;
  packetsSent: number;
  /** Packets ignored whole: bad checksum, ports, tag, or undecodable (the sum of the next three). */
  packetsDropped: number;
  /** Packets whose CRC32c did not match (§6.8). */
  badChecksums: number;
  /** Packets that did not decode: shorter than the common header, a chunk length below 4 or past the end, no chunk. */
  malformedPackets: number;
  /** Packets for other ports or with a verification tag that is not ours (§8.5). */
  misaddressedPackets: number;
  /** Chunks ignored inside accepted packets (unrecognized ones included). */
  chunksDropped: number;
  /** Chunks of types we do not know, skipped or stopping the packet by their upper two bits (§3.2). */
  unrecognizedChunks: number;
  /** DATA chunks for a stream the peer may not send on, acknowledged and dropped (§6.5). */
  invalidStreamChunks: number;
  /** ERROR chunks sent: unrecognized chunk types, invalid stream ids (§3.3.10). */
  errorChunksSent: number;
  /** Protocol violations by the peer, each answered with an ABORT that ended the association. */
  protocolViolations: number;
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

/** Counters all at zero, for a new association. */
export function emptySctpAssociationStats(): SctpAssociationStats {
  return {
    packetsReceived: 0,
    packetsSent: 0,
    packetsDropped: 0,
    badChecksums: 0,
    malformedPackets: 0,
    misaddressedPackets: 0,
    chunksDropped: 0,
    unrecognizedChunks: 0,
    invalidStreamChunks: 0,
    errorChunksSent: 0,
    protocolViolations: 0,
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
}
