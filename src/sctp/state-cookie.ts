/**
 * The State Cookie this implementation puts in its INIT ACK (RFC 9260
 * §5.1.3): everything needed to build the association when the COOKIE ECHO
 * comes back, signed with HMAC-SHA256 so that a passive side keeps no state
 * for an INIT it has only answered. The layout is private to this
 * implementation; the peer only echoes it.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Version = 1  |     Flags     |           Reserved            |
 *   |                 Creation time (ms, high word)                 |
 *   |                 Creation time (ms, low word)                  |
 *   |                          Local Tag                            |
 *   |                           Peer Tag                            |
 *   |                      Local Initial TSN                        |
 *   |                       Peer Initial TSN                        |
 *   |                         Peer a_rwnd                           |
 *   |  Peer Outbound Streams        |  Peer Inbound Streams         |
 *   |          Local Port           |          Remote Port          |
 *   /                     HMAC-SHA256 (32 bytes)                    /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: bit 0 the peer supports FORWARD TSN, bit 1 RE-CONFIG, bit 2 I-DATA,
 * bit 3 I-FORWARD-TSN.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { viewOf } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

const VERSION = 1;
const SIGNED_SIZE = 40;
const MAC_SIZE = 32;
/** Size of an encoded State Cookie. */
export const STATE_COOKIE_SIZE = SIGNED_SIZE + MAC_SIZE;

/** What a State Cookie remembers. */
export interface StateCookie {
  /** When the cookie was made, in ms on the association's clock. */
  createdAtMs: number;
  /** Our verification tag. */
  localTag: number;
  /** The peer's verification tag. */
  peerTag: number;
  /** Our initial TSN. */
  localInitialTsn: number;
  /** The peer's initial TSN. */
  peerInitialTsn: number;
  /** The peer's advertised receive window. */
  peerReceiverWindow: number;
  /** Streams the peer wants to open. */
  peerOutboundStreams: number;
  /** Streams the peer accepts. */
  peerInboundStreams: number;
  /** Our port. */
  localPort: number;
  /** The peer's port. */
  remotePort: number;
  /** The peer listed FORWARD TSN support. */
  peerForwardTsn: boolean;
  /** The peer listed RE-CONFIG support. */
  peerReconfig: boolean;
  /** The peer listed I-DATA support (RFC 8260 §2.2.1). */
  peerIData: boolean;
  /** The peer listed I-FORWARD-TSN support (RFC 8260 §2.3.1). */
  peerIForwardTsn: boolean;
}

function mac(secret: Uint8Array, signed: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/** Encodes and signs a cookie. */
export function encodeStateCookie(cookie: StateCookie, secret: Uint8Array): Buffer {
  const buf = Buffer.alloc(STATE_COOKIE_SIZE);
  const view = viewOf(buf);
  buf[0] = VERSION;
  buf[1] =
    (cookie.peerForwardTsn ? 1 : 0) |
    (cookie.peerReconfig ? 2 : 0) |
    (cookie.peerIData ? 4 : 0) |
    (cookie.peerIForwardTsn ? 8 : 0);
  view.setUint32(4, Math.floor(cookie.createdAtMs / 0x100000000) >>> 0);
  view.setUint32(8, cookie.createdAtMs >>> 0);
  view.setUint32(12, cookie.localTag >>> 0);
  view.setUint32(16, cookie.peerTag >>> 0);
  view.setUint32(20, cookie.localInitialTsn >>> 0);
  view.setUint32(24, cookie.peerInitialTsn >>> 0);
  view.setUint32(28, cookie.peerReceiverWindow >>> 0);
  view.setUint16(32, cookie.peerOutboundStreams);
  view.setUint16(34, cookie.peerInboundStreams);
  view.setUint16(36, cookie.localPort);
  view.setUint16(38, cookie.remotePort);
  mac(secret, buf.subarray(0, SIGNED_SIZE)).copy(buf, SIGNED_SIZE);
  return buf;
}

/** Checks a cookie's signature and decodes it; freshness is the caller's rule. Never throws. */
export function decodeStateCookie(buf: Uint8Array, secret: Uint8Array): SctpResult<StateCookie> {
  if (buf.length !== STATE_COOKIE_SIZE)
    return sctpFail('ERR_SCTP_BAD_LENGTH', 'cookie-echo', `cookie of ${buf.length} bytes`, 0);
  const expected = mac(secret, buf.subarray(0, SIGNED_SIZE));
  if (!timingSafeEqual(expected, buf.subarray(SIGNED_SIZE)))
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'cookie-echo', 'cookie signature does not verify', SIGNED_SIZE);
  if (buf[0] !== VERSION)
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'cookie-echo', `cookie version ${buf[0]}`, 0);
  const view = viewOf(buf);
  return {
    ok: true,
    value: {
      createdAtMs: view.getUint32(4) * 0x100000000 + view.getUint32(8),
      localTag: view.getUint32(12),
      peerTag: view.getUint32(16),
      localInitialTsn: view.getUint32(20),
      peerInitialTsn: view.getUint32(24),
      peerReceiverWindow: view.getUint32(28),
      peerOutboundStreams: view.getUint16(32),
      peerInboundStreams: view.getUint16(34),
      localPort: view.getUint16(36),
      remotePort: view.getUint16(38),
      peerForwardTsn: (buf[1] & 1) !== 0,
      peerReconfig: (buf[1] & 2) !== 0,
      peerIData: (buf[1] & 4) !== 0,
      peerIForwardTsn: (buf[1] & 8) !== 0,
    },
  };
}
