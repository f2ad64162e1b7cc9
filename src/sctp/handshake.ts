/**
 * The pure parts of the SCTP association handshake (RFC 9260 §5.1): the
 * INIT and INIT ACK we send, validity checks of the peer's (§3.3.2,
 * §3.3.3), what the peer's INIT puts into our stateless State Cookie
 * (§5.1.3) and the checks a returning COOKIE ECHO must pass (§5.1.5).
 * The association keeps the state machine and the T1-init timer.
 */
import { randomBytes } from 'node:crypto';
import { ChunkType } from './chunk-header.js';
import type { InitChunk } from './init.js';
import type { StateCookie } from './state-cookie.js';

/** Streams we offer and accept: the most SCTP allows, as WebRTC does. */
export const MAX_STREAMS = 65535;

/** What an association takes from the peer's INIT or INIT ACK, or from a State Cookie. */
export interface PeerParameters {
  peerTag: number;
  peerInitialTsn: number;
  peerReceiverWindow: number;
  peerOutboundStreams: number;
  peerInboundStreams: number;
  peerForwardTsn: boolean;
  peerReconfig: boolean;
  /** The peer listed I-DATA (RFC 8260 §2.2.1). */
  peerIData: boolean;
  /** The peer listed I-FORWARD-TSN (RFC 8260 §2.3.1). */
  peerIForwardTsn: boolean;
}

/** Our side of the association, as written into a State Cookie. */
export interface LocalCookieParameters {
  createdAtMs: number;
  localTag: number;
  localInitialTsn: number;
  localPort: number;
  remotePort: number;
}

/** A random verification tag: any 32-bit value but 0 (§5.3.1). */
export function randomNonZeroUint32(): number {
  for (;;) {
    const value = randomBytes(4).readUInt32BE(0);
    if (value !== 0) return value;
  }
}

/** A random initial TSN (§5.3.1). */
export function randomInitialTsn(): number {
  return randomBytes(4).readUInt32BE(0);
}

/**
 * Our INIT or INIT ACK: all streams, our receive window, FORWARD TSN and
 * RE-CONFIG announced, and I-DATA with I-FORWARD-TSN when we offer message
 * interleaving (RFC 8260 §2.2.1, §2.3.1).
 */
export function buildInitChunk(
  kind: 'init' | 'init-ack',
  localTag: number,
  initialTsn: number,
  receiveWindow: number,
  stateCookie: Uint8Array | undefined,
  interleaving = false,
): InitChunk {
  return {
    kind,
    initiateTag: localTag,
    advertisedReceiverWindowCredit: receiveWindow,
    outboundStreams: MAX_STREAMS,
    inboundStreams: MAX_STREAMS,
    initialTsn,
    stateCookie,
    forwardTsnSupported: true,
    supportedExtensions: interleaving
      ? [ChunkType.ForwardTsn, ChunkType.ReConfig, ChunkType.IData, ChunkType.IForwardTsn]
      : [ChunkType.ForwardTsn, ChunkType.ReConfig],
    otherParameters: [],
  };
}

/** §3.3.2: a zero tag or stream count makes an INIT invalid. */
export function isValidInit(init: InitChunk): boolean {
  return init.initiateTag !== 0 && init.outboundStreams !== 0 && init.inboundStreams !== 0;
}

/** §3.3.3: an INIT ACK needs a State Cookie, a tag and inbound streams. */
export function isValidInitAck(initAck: InitChunk): boolean {
  return initAck.stateCookie !== undefined && initAck.initiateTag !== 0 && initAck.inboundStreams !== 0;
}

/** The peer's parameters from its INIT or INIT ACK. */
export function peerParametersOf(init: InitChunk): PeerParameters {
  return {
    peerTag: init.initiateTag,
    peerInitialTsn: init.initialTsn,
    peerReceiverWindow: init.advertisedReceiverWindowCredit,
    peerOutboundStreams: init.outboundStreams,
    peerInboundStreams: init.inboundStreams,
    peerForwardTsn: peerSupportsForwardTsn(init),
    peerReconfig: peerSupportsReconfig(init),
    peerIData: peerLists(init, ChunkType.IData),
    peerIForwardTsn: peerLists(init, ChunkType.IForwardTsn),
  };
}

/** The State Cookie answering the peer's INIT (§5.1.3): everything needed to set up on COOKIE ECHO. */
export function stateCookieFor(init: InitChunk, local: LocalCookieParameters): StateCookie {
  return {
    createdAtMs: local.createdAtMs,
    localTag: local.localTag,
    peerTag: init.initiateTag,
    localInitialTsn: local.localInitialTsn,
    peerInitialTsn: init.initialTsn,
    peerReceiverWindow: init.advertisedReceiverWindowCredit,
    peerOutboundStreams: init.outboundStreams,
    peerInboundStreams: init.inboundStreams,
    localPort: local.localPort,
    remotePort: local.remotePort,
    peerForwardTsn: peerSupportsForwardTsn(init),
    peerReconfig: peerSupportsReconfig(init),
    peerIData: peerLists(init, ChunkType.IData),
    peerIForwardTsn: peerLists(init, ChunkType.IForwardTsn),
  };
}

/**
 * §5.1.5: a COOKIE ECHO is accepted when the packet's tag is the one the
 * cookie gave, the ports match and the cookie has not expired.
 */
export function cookieAccepted(
  cookie: StateCookie,
  check: { tag: number; localPort: number; remotePort: number; nowMs: number; lifetimeMs: number },
): boolean {
  const age = check.nowMs - cookie.createdAtMs;
  return (
    check.tag === cookie.localTag &&
    cookie.localPort === check.localPort &&
    cookie.remotePort === check.remotePort &&
    age >= 0 &&
    age <= check.lifetimeMs
  );
}

function peerSupportsForwardTsn(init: InitChunk): boolean {
  return init.forwardTsnSupported || (init.supportedExtensions?.includes(ChunkType.ForwardTsn) ?? false);
}

function peerLists(init: InitChunk, chunkType: number): boolean {
  return init.supportedExtensions?.includes(chunkType) ?? false;
}

function peerSupportsReconfig(init: InitChunk): boolean {
  return init.supportedExtensions?.includes(ChunkType.ReConfig) ?? false;
}
